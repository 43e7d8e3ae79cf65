"""Which send failures are worth retrying: SES throttling and network trouble pass, refusals do not."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from imagepredict.email.failures import classify_send_error


def ses_error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "SendRawEmail")


@pytest.mark.parametrize(
    "error",
    [
        ses_error("Throttling", "Maximum sending rate exceeded."),
        ses_error("ServiceUnavailable"),
        ses_error("InternalFailure"),
        EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com"),
        ConnectionResetError(),
    ],
    ids=["throttling", "unavailable", "internal", "no-connection", "read-timeout", "reset"],
)
def test_transient_failures_are_retried(error: Exception) -> None:
    failure = classify_send_error(error)
    assert not failure.permanent
    assert "retried" in failure.reason


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("MessageRejected", "sandbox"),
        ("MailFromDomainNotVerifiedException", "domain"),
        ("InvalidParameterValue", "address"),
    ],
)
def test_refusals_are_final_with_a_plain_reason(code: str, words: str) -> None:
    failure = classify_send_error(ses_error(code, "Email address is not verified: <internal detail>"))
    assert failure.permanent
    assert failure.code == code
    assert words in failure.reason
    assert "<" not in failure.reason  # the service's own words stay in the logs
