"""The email pacer: never faster than the SES account's rate, and no slower than it needs to be."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imagepredict.notifications.outbox import NotAnEmailJob, prediction_id_of
from imagepredict.notifications.pacing import SANDBOX_RATE, SendPacer, account_send_rate


class FakeClock:
    """Time that moves only when the pacer sleeps, or when the test says work took a while."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.slept.append(seconds)
        self.now += seconds


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(min_value=0.1, max_value=50),
    work=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=30),
)
def test_sends_are_never_closer_than_the_rate_allows_and_never_wait_without_need(rate: float, work: list) -> None:
    clock = FakeClock()
    pacer = SendPacer(rate, clock=clock, sleep=clock.sleep)
    sent_at = []
    for seconds in work:
        pacer.wait()
        sent_at.append(clock.now)
        clock.now += seconds  # the send itself, and whatever else the container did
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent_at)]
    assert all(gap >= 1 / rate - 1e-9 for gap in gaps)
    for gap, seconds in zip(gaps, work, strict=False):
        assert gap == pytest.approx(max(seconds, 1 / rate))  # waits only for what the rate still requires


class Quota:
    def __init__(self, answer: object) -> None:
        self.answer = answer

    def get_send_quota(self) -> dict:
        if isinstance(self.answer, Exception):
            raise self.answer
        return {"MaxSendRate": self.answer, "Max24HourSend": 200.0, "SentLast24Hours": 0.0}


def test_the_rate_is_the_accounts_or_the_sandboxs_when_it_cannot_be_read() -> None:
    assert account_send_rate(Quota(14.0)) == 14.0
    assert account_send_rate(Quota(PermissionError("no ses:GetSendQuota"))) == SANDBOX_RATE
    assert account_send_rate(Quota(0.0)) == SANDBOX_RATE
    with pytest.raises(ValueError, match="positive"):
        SendPacer(0)


@pytest.mark.parametrize("body", ["", "nope", "[]", "{}", '{"prediction_id": 7}', '{"prediction_id": ""}'])
def test_a_message_that_names_no_prediction_is_not_an_email_job(body: str) -> None:
    with pytest.raises(NotAnEmailJob):
        prediction_id_of(body)
    assert prediction_id_of('{"prediction_id": "abc"}') == "abc"
