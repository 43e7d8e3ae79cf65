"""The email queue's jobs: every kind round-trips through its message body, a body without "kind" is a result email
(the messages queued before account emails existed), and any other body is NotAnEmailJob, never another error."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imagepredict.notifications.jobs import (
    EmailJob,
    EmailJobRunner,
    InlineJobs,
    PasswordChangedEmail,
    PasswordResetEmail,
    ResultEmail,
    VerificationEmail,
    job_body,
    parse_job,
)
from imagepredict.notifications.outbox import NotAnEmailJob

JOBS: list[EmailJob] = [
    ResultEmail("6745a1c2e4b0a1b2c3d4e5f6"),
    PasswordResetEmail("ada@example.com"),
    VerificationEmail("6745a1c2e4b0a1b2c3d4e5f6"),
    PasswordChangedEmail("6745a1c2e4b0a1b2c3d4e5f6"),
]


@pytest.mark.parametrize("job", JOBS, ids=lambda job: type(job).__name__)
def test_every_job_round_trips(job: EmailJob) -> None:
    assert parse_job(job_body(job)) == job


def test_the_bodies_name_no_token_and_result_emails_keep_their_old_shape() -> None:
    assert json.loads(job_body(JOBS[0])) == {"prediction_id": "6745a1c2e4b0a1b2c3d4e5f6"}
    assert json.loads(job_body(JOBS[1])) == {"kind": "password_reset", "email": "ada@example.com"}
    assert json.loads(job_body(JOBS[2])) == {"kind": "verify_email", "user_id": "6745a1c2e4b0a1b2c3d4e5f6"}
    assert json.loads(job_body(JOBS[3])) == {"kind": "password_changed", "user_id": "6745a1c2e4b0a1b2c3d4e5f6"}


@pytest.mark.parametrize(
    "body",
    [
        "",
        "null",
        "[]",
        '"text"',
        "{}",
        '{"kind": "password_reset"}',
        '{"kind": "password_reset", "email": ""}',
        '{"kind": "password_reset", "email": 5}',
        '{"kind": "verify_email", "email": "ada@example.com"}',
        '{"kind": "result", "prediction_id": "abc"}',
        '{"kind": null, "prediction_id": "abc"}',
        '{"kind": ["verify_email"], "user_id": "abc"}',
        '{"prediction_id": null}',
        json.dumps({"kind": "password_reset", "email": "a" * 300}),
        "[" * 100_000,
        '{"prediction_id": 1' + "0" * 5000 + "}",
    ],
)
def test_a_body_that_is_no_job_is_refused_in_our_words(body: str) -> None:
    with pytest.raises(NotAnEmailJob):
        parse_job(body)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)


@given(
    st.one_of(
        st.text(),
        JSON.map(json.dumps),
        st.dictionaries(st.sampled_from(["kind", "email", "user_id", "prediction_id"]), JSON).map(json.dumps),
    )
)
def test_any_body_is_a_job_or_not_an_email_job(body: str) -> None:
    try:
        job = parse_job(body)
    except NotAnEmailJob:
        return
    assert parse_job(job_body(job)) == job


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def send_now(self, prediction_id: str) -> bool:
        self.calls.append(("result", prediction_id))
        return True

    def password_reset(self, email: str) -> bool:
        self.calls.append(("reset", email))
        return True

    def verification(self, user_id: str) -> bool:
        self.calls.append(("verify", user_id))
        return False

    def password_changed(self, user_id: str) -> bool:
        self.calls.append(("changed", user_id))
        return True


def test_the_runner_sends_each_kind_with_its_sender_and_inline_jobs_run_at_once() -> None:
    recorder = Recorder()
    runner = EmailJobRunner(results=recorder, accounts=recorder)
    inline = InlineJobs(runner.run)
    for job in JOBS:
        inline.submit(job)
    assert recorder.calls == [
        ("result", "6745a1c2e4b0a1b2c3d4e5f6"),
        ("reset", "ada@example.com"),
        ("verify", "6745a1c2e4b0a1b2c3d4e5f6"),
        ("changed", "6745a1c2e4b0a1b2c3d4e5f6"),
    ]
