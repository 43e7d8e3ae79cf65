"""Result emails: composed as MIME (plain text + HTML) and sent through SES."""

from imagepredict.email.compose import compose_result_email
from imagepredict.email.sender import Mailer

__all__ = ["Mailer", "compose_result_email"]
