"""Sending through SES as a raw MIME message (SES's simple API would drop the plain-text part)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any


class Mailer:
    def __init__(self, ses: Any) -> None:
        self._ses = ses

    def send(self, message: EmailMessage) -> str:
        """Send and return SES's message id. SES errors (throttling, rejection) propagate to the caller."""
        response = self._ses.send_raw_email(
            Source=message["From"],
            Destinations=[message["To"]],
            RawMessage={"Data": message.as_bytes()},
        )
        return response["MessageId"]
