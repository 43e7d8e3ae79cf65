"""The result email: subject with the top class, every class as a percentage with a bar, and the caveat.

Laid out by email/layout.py like every other email (plain text + email-safe HTML, everything escaped).
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING

from imagepredict.email.layout import APP_NAME, Action, Bar, Bars, EmailContent, Facts, Strong, paragraph, render
from imagepredict.email.text import percent, printable

if TYPE_CHECKING:
    from imagepredict.predictions.result import PredictionResult

__all__ = ["DISCLAIMER", "compose_result_email", "percent", "printable"]

DISCLAIMER = "This is the output of a machine-learning model, not a medical diagnosis."


def compose_result_email(
    *, sender: str, recipient: str, filename: str, result: PredictionResult, link: str | None
) -> EmailMessage:
    return render(result_content(filename, result, link), sender, recipient)


def result_content(filename: str, result: PredictionResult, link: str | None) -> EmailContent:
    top = result.top
    return EmailContent(
        subject=f"Prediction for {filename}: {top.label} ({percent(top.probability)})",
        preheader=f"{top.label} ({percent(top.probability)})",
        heading="Your prediction is ready",
        blocks=(
            paragraph("Your image ", Strong(filename), " was classified as:"),
            paragraph(Strong(top.label), f" ({percent(top.probability)})", large=True),
            Bars("Every class", tuple(Bar(score.label, score.probability) for score in result.probabilities)),
            Facts((("Model", f"{result.model.name} version {result.model.version}"),)),
        ),
        action=Action(f"See the result in {APP_NAME}", link) if link else None,
        footnote=DISCLAIMER,
    )
