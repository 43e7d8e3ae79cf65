"""Every email the service sends (results, address verification, password reset and change): composed as MIME
(plain text + HTML, one layout: layout.py) and sent through SES."""

from imagepredict.email.account import (
    compose_password_changed_email,
    compose_password_reset_email,
    compose_verification_email,
)
from imagepredict.email.compose import compose_result_email
from imagepredict.email.sender import Mailer

__all__ = [
    "Mailer",
    "compose_password_changed_email",
    "compose_password_reset_email",
    "compose_result_email",
    "compose_verification_email",
]
