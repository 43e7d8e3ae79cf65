"""The account's emails end to end over HTTP on the local stack, read back from the local mail (moto's SES):
verification at registration, forgot/reset password, change password, resend, the limits, result emails only to
verified owners; and any token or address a client sends is a documented 4xx, never a 500."""

from __future__ import annotations

import base64
import json
import random
import time
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter

from tests.conftest import RunningStack, aws_client, unique_email
from tests.integration.api_client import (
    PASSWORD,
    SAMPLES,
    Client,
    mail_to,
    mailed_token,
    mailed_tokens,
    result_mail_to,
)

pytestmark = pytest.mark.slow
NEW_PASSWORD = "a brand new passphrase"
RESET_ACCEPTED = {"message": "If an account uses this address, we have emailed it a link to reset the password"}


class FromAddress(HTTPAdapter):
    """Connections from one loopback address: the local gateway reports it as the request's source IP."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


def from_address(address: str | None = None) -> requests.Session:
    """A client of its own source address (each test's reset requests count apart from the others')."""
    session = requests.Session()
    draw = random.SystemRandom()  # not the random module's generator: Hypothesis seeds it, so it would repeat
    address = address or f"127.{draw.randrange(1, 255)}.{draw.randrange(256)}.{draw.randrange(1, 255)}"
    session.mount("http://", FromAddress(address))
    return session


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issued_at(access_token: str) -> int:
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["iat"]


def after_the_second_of(access_token: str) -> None:
    """Signing out counts whole seconds (as tokens do): wait until a token issued now is later than this one."""
    time.sleep(max(0.0, issued_at(access_token) + 1.05 - time.time()))


def login(stack: RunningStack, email: str, password: str) -> requests.Response:
    return requests.post(stack.url("/auth/login"), json={"email": email, "password": password})


def me(stack: RunningStack, access_token: str) -> requests.Response:
    return requests.get(stack.url("/auth/me"), headers=bearer(access_token))


def email_queue_drained(stack: RunningStack, timeout: float = 30) -> None:
    sqs = aws_client(stack, "sqs")
    url = sqs.get_queue_url(QueueName="imagepredict-local-EmailQueue")["QueueUrl"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        if all(attributes[name] == "0" for name in names):
            return
        time.sleep(0.2)
    raise AssertionError(f"the email queue still holds jobs after {timeout}s")


def assert_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


def test_registration_mails_a_verification_link_that_verifies_the_address_once(stack: RunningStack) -> None:
    user = Client(stack, verified=False)
    assert user.session["user"]["email_verified"] is False
    token = mailed_token(stack, user.email, "verify-email")
    (message,) = mail_to(stack, user.email)
    assert stack.url(f"/#/verify-email?token={token}") in message["text"]  # the local APP_URL is the stack's
    assert stack.url(f"/#/verify-email?token={token}") in message["html"]

    verified = requests.post(stack.url("/auth/verify-email"), json={"token": token})
    assert verified.status_code == 200, verified.text
    assert verified.json()["user"]["email_verified"] is True
    assert verified.json()["user"]["email"] == user.email
    assert me(stack, user.session["access_token"]).json()["user"]["email_verified"] is True
    again = requests.post(stack.url("/auth/verify-email"), json={"token": token})
    assert_error(again, 400, "invalid_verification_token")


def test_a_forgotten_password_is_reset_by_the_mailed_link(stack: RunningStack) -> None:
    user = Client(stack, verified=False)
    old = user.session
    http = from_address()
    asked = http.post(stack.url("/auth/password-reset"), json={"email": f"  {user.email.upper()} "})
    assert (asked.status_code, asked.json()) == (202, RESET_ACCEPTED)
    token = mailed_token(stack, user.email, "reset-password")
    after_the_second_of(old["access_token"])

    confirmed = http.post(stack.url("/auth/password-reset/confirm"), json={"token": token, "password": NEW_PASSWORD})
    assert (confirmed.status_code, confirmed.text) == (204, "")

    assert_error(login(stack, user.email, PASSWORD), 401, "invalid_credentials")
    assert_error(
        requests.post(stack.url("/auth/refresh"), json={"refresh_token": old["refresh_token"]}), 401, "invalid_token"
    )
    assert_error(me(stack, old["access_token"]), 401, "invalid_token")
    signed_in = login(stack, user.email, NEW_PASSWORD)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["email_verified"] is True  # the reset link proved the address
    again = http.post(
        stack.url("/auth/password-reset/confirm"), json={"token": token, "password": "another passphrase"}
    )
    assert_error(again, 400, "invalid_reset_token")
    deadline = time.monotonic() + 30
    while len(mail_to(stack, user.email)) < 3 and time.monotonic() < deadline:  # verify, reset, and the notice
        time.sleep(0.2)
    notice = mail_to(stack, user.email)[0]
    assert "token=" not in notice["text"]


def test_only_the_newest_reset_link_works(stack: RunningStack) -> None:
    user = Client(stack, verified=False)
    http = from_address()
    assert http.post(stack.url("/auth/password-reset"), json={"email": user.email}).status_code == 202
    first = mailed_token(stack, user.email, "reset-password")
    assert http.post(stack.url("/auth/password-reset"), json={"email": user.email}).status_code == 202
    second = mailed_token(stack, user.email, "reset-password", after=1)
    assert first != second
    stale = http.post(stack.url("/auth/password-reset/confirm"), json={"token": first, "password": NEW_PASSWORD})
    assert_error(stale, 400, "invalid_reset_token")
    fresh = http.post(stack.url("/auth/password-reset/confirm"), json={"token": second, "password": NEW_PASSWORD})
    assert fresh.status_code == 204, fresh.text


def test_an_unknown_address_gets_the_same_answer_and_no_mail(stack: RunningStack) -> None:
    http = from_address()
    nobody = unique_email("nobody")
    answer = http.post(stack.url("/auth/password-reset"), json={"email": nobody})
    assert (answer.status_code, answer.json()) == (202, RESET_ACCEPTED)
    email_queue_drained(stack)
    assert mail_to(stack, nobody) == []


def test_a_fourth_reset_request_for_an_address_is_answered_alike_and_mails_nothing(stack: RunningStack) -> None:
    user = Client(stack, verified=False)
    for _ in range(4):
        answer = from_address().post(stack.url("/auth/password-reset"), json={"email": user.email})
        assert (answer.status_code, answer.json()) == (202, RESET_ACCEPTED)
    mailed_token(stack, user.email, "reset-password", after=2)
    email_queue_drained(stack)
    assert len(mailed_tokens(stack, user.email, "reset-password")) == 3


def test_the_eleventh_reset_request_from_one_source_waits(stack: RunningStack) -> None:
    http = from_address()
    for _ in range(10):
        assert http.post(stack.url("/auth/password-reset"), json={"email": unique_email()}).status_code == 202
    refused = http.post(stack.url("/auth/password-reset"), json={"email": unique_email()})
    assert_error(refused, 429, "too_many_attempts")
    assert 0 < int(refused.headers["Retry-After"]) <= 900
    assert from_address().post(stack.url("/auth/password-reset"), json={"email": unique_email()}).status_code == 202


def test_changing_the_password_ends_the_other_sessions(stack: RunningStack) -> None:
    user = Client(stack, verified=False)
    other = login(stack, user.email, PASSWORD).json()
    after_the_second_of(other["access_token"])
    changed = requests.post(
        stack.url("/auth/password"),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=user.headers,
    )
    assert changed.status_code == 200, changed.text
    fresh = changed.json()
    assert me(stack, fresh["access_token"]).status_code == 200
    assert requests.post(stack.url("/auth/refresh"), json={"refresh_token": fresh["refresh_token"]}).status_code == 200
    assert_error(me(stack, other["access_token"]), 401, "invalid_token")
    assert_error(me(stack, user.session["access_token"]), 401, "invalid_token")
    assert_error(
        requests.post(stack.url("/auth/refresh"), json={"refresh_token": other["refresh_token"]}), 401, "invalid_token"
    )
    assert_error(login(stack, user.email, PASSWORD), 401, "invalid_credentials")
    assert login(stack, user.email, NEW_PASSWORD).status_code == 200


def test_a_wrong_current_password_is_refused_and_counted(stack: RunningStack) -> None:
    user = Client(stack, verified=False)
    wrong = {"current_password": "not my password", "new_password": NEW_PASSWORD}
    for _ in range(5):
        refused = requests.post(stack.url("/auth/password"), json=wrong, headers=user.headers)
        assert_error(refused, 401, "invalid_credentials")
    throttled = requests.post(
        stack.url("/auth/password"),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=user.headers,
    )
    assert_error(throttled, 429, "too_many_attempts")
    assert int(throttled.headers["Retry-After"]) > 0


def test_a_resent_link_replaces_the_first_and_resends_are_limited(stack: RunningStack) -> None:
    user = Client(stack, verified=False)
    first = mailed_token(stack, user.email, "verify-email")
    resend = requests.post(stack.url("/auth/verify-email/resend"), headers=user.headers)
    assert resend.status_code == 202, resend.text
    second = mailed_token(stack, user.email, "verify-email", after=1)
    assert_error(
        requests.post(stack.url("/auth/verify-email"), json={"token": first}), 400, "invalid_verification_token"
    )
    for _ in range(2):
        assert requests.post(stack.url("/auth/verify-email/resend"), headers=user.headers).status_code == 202
    throttled = requests.post(stack.url("/auth/verify-email/resend"), headers=user.headers)
    assert_error(throttled, 429, "too_many_attempts")
    assert int(throttled.headers["Retry-After"]) > 0
    assert_error(requests.post(stack.url("/auth/verify-email/resend")), 401, "invalid_token")
    latest = mailed_token(stack, user.email, "verify-email", after=3)
    assert second != latest
    assert requests.post(stack.url("/auth/verify-email"), json={"token": latest}).status_code == 200


def test_results_are_emailed_only_to_verified_owners(stack: RunningStack) -> None:
    unverified = Client(stack, verified=False)
    verified = Client(stack)
    digit = (SAMPLES / "digit-7.png").read_bytes()
    skipped_id = unverified.upload(digit)
    sent_id = verified.upload(digit)
    skipped = unverified.wait(skipped_id)
    assert skipped["status"] == "done"  # an unverified account may upload and see its results
    deadline = time.monotonic() + 30
    while (
        unverified.get(skipped_id).json()["email"]["status"] in ("pending", "sending") and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert unverified.get(skipped_id).json()["email"] == {"status": "skipped", "sent_at": None, "reason": "unverified"}
    verified.wait(sent_id)
    while verified.get(sent_id).json()["email"]["status"] != "sent" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert verified.get(sent_id).json()["email"]["status"] == "sent"
    assert result_mail_to(stack, unverified.email) == []
    assert len(result_mail_to(stack, verified.email)) == 1


TOKEN_CODES = {"invalid_reset_token", "invalid_verification_token", "invalid_request"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    token=st.one_of(
        st.text(),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=43, max_size=43),
        st.integers(),
        st.none(),
        st.lists(st.text(), max_size=2),
    ),
    route=st.sampled_from(["/auth/password-reset/confirm", "/auth/verify-email"]),
)
def test_any_token_is_a_400_with_its_code(stack: RunningStack, token: object, route: str) -> None:
    answer = requests.post(stack.url(route), json={"token": token, "password": NEW_PASSWORD})
    assert answer.status_code == 400, answer.text
    code = answer.json()["error"]["code"]
    assert code in TOKEN_CODES
    if isinstance(token, str) and token:
        assert code != "invalid_request" or "token" in answer.json()["error"]["fields"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=st.one_of(st.text(), st.emails().map(str), st.integers(), st.none()))
def test_any_address_asked_for_a_reset_is_a_202_or_a_400(stack: RunningStack, email: object) -> None:
    answer = from_address().post(stack.url("/auth/password-reset"), json={"email": email})
    if answer.status_code == 202:
        assert answer.json() == RESET_ACCEPTED
    else:
        assert_error(answer, 400, "invalid_request")
        assert set(answer.json()["error"]["fields"]) == {"email"}
