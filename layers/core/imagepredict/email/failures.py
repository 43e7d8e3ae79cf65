"""Why a send failed, and whether trying again can help.

SES throttling (the account's sending rate, or a burst over it) and network trouble pass: the send is retried.
A refusal (`MessageRejected`: an unverified address in the SES sandbox, a suppressed or invalid recipient; a
sending domain that is not verified) will refuse again: it is final, recorded with a plain reason, never retried
into the dead-letter queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

PERMANENT_CODES = {
    "MessageRejected": "The email service refused this message (in the SES sandbox, every address must be verified)",
    "MailFromDomainNotVerified": "The sending domain is not verified with the email service",
    "MailFromDomainNotVerifiedException": "The sending domain is not verified with the email service",
    "InvalidParameterValue": "The email service refused the address",
}
TRANSIENT_REASON = "The email service is busy or unreachable; the email will be retried"


@dataclass(frozen=True)
class SendFailure:
    permanent: bool
    reason: str  # plain words for the user and the operator
    code: str  # the service's error code or the exception's name, for logs and queries


def classify_send_error(error: Exception) -> SendFailure:
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in PERMANENT_CODES:
            return SendFailure(True, PERMANENT_CODES[code], code)
        return SendFailure(False, TRANSIENT_REASON, code or "ClientError")
    return SendFailure(False, TRANSIENT_REASON, type(error).__name__)
