"""Account emails: confirm an address, reset a password, and the notice that a password changed.

Pure: each returns the EmailMessage (email/layout.py's one look) and sends nothing. Links must be absolute
http(s) URLs (ValueError otherwise: they are built by our code, never taken from a request).
"""

from __future__ import annotations

from email.message import EmailMessage

from imagepredict.email.layout import APP_NAME, Action, EmailContent, Facts, Note, Paragraph, paragraph, render
from imagepredict.email.text import visible

ACCOUNT_FOOTNOTE = f"You received this email because of an {APP_NAME} account registered with this address."


def compose_verification_email(
    *, sender: str, recipient: str, name: str, link: str, expires_in_hours: int
) -> EmailMessage:
    content = EmailContent(
        subject=f"Confirm your email address for {APP_NAME}",
        preheader="One click confirms this address for your account.",
        heading="Confirm your email address",
        blocks=(
            _greeting(name),
            paragraph(f"Please confirm that this is the email address of your {APP_NAME} account."),
        ),
        action=Action("Confirm my email address", link),
        after_action=(
            Note(
                f"The link works for {_count(expires_in_hours, 'hour')}. After that, sign in and ask for a new one"
                " on your account page."
            ),
            Note(
                "If you ignore this email, the address stays unconfirmed: you can still sign in, upload images and"
                " see their results, but we will not email results to it."
            ),
            Note(f"If you did not create an {APP_NAME} account, ignore this email."),
        ),
        footnote=ACCOUNT_FOOTNOTE,
    )
    return render(content, sender, recipient)


def compose_password_reset_email(
    *, sender: str, recipient: str, name: str, link: str, expires_in_minutes: int
) -> EmailMessage:
    content = EmailContent(
        subject=f"Reset your {APP_NAME} password",
        preheader="A link to choose a new password.",
        heading="Reset your password",
        blocks=(
            _greeting(name),
            paragraph(f"Someone asked to reset the password of the {APP_NAME} account for this address."),
        ),
        action=Action("Choose a new password", link),
        after_action=(
            Note(
                f"The link works once, for {_count(expires_in_minutes, 'minute')}. Choosing a new password signs"
                " out every session of the account."
            ),
            Note("If you did not ask for this, ignore this email: your password is unchanged."),
        ),
        footnote=ACCOUNT_FOOTNOTE,
    )
    return render(content, sender, recipient)


def compose_password_changed_email(*, sender: str, recipient: str, name: str, app_url: str) -> EmailMessage:
    content = EmailContent(
        subject=f"Your {APP_NAME} password was changed",
        preheader="If this was not you, reset your password now.",
        heading="Your password was changed",
        blocks=(
            _greeting(name),
            paragraph(
                f"The password of your {APP_NAME} account was just changed or reset, and every other session was"
                " signed out."
            ),
            Facts((("Account", recipient),)),
            paragraph("If this was you, there is nothing to do."),
            paragraph(
                "If it was not you, someone else knows your password or can read your email: reset your password"
                " now, and change the password of this email account too."
            ),
        ),
        action=Action("Reset my password", f"{app_url.rstrip('/')}/#/forgot-password"),
        footnote=ACCOUNT_FOOTNOTE,
    )
    return render(content, sender, recipient)


def _greeting(name: str) -> Paragraph:
    shown = visible(name).strip()
    return paragraph(f"Hello {shown}," if shown else "Hello,")


def _count(number: int, unit: str) -> str:
    """30 → "30 minutes", 1 → "1 hour"; a lifetime that is not positive is a programming error."""
    if number <= 0:
        raise ValueError(f"a link's lifetime must be positive, got {number} {unit}s")
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"
