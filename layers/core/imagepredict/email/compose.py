"""The result email: subject with the top class, every class as a percentage with a bar, and the caveat.

Email-safe HTML: inline styles, tables, no scripts, no external images. Everything from the user or the model
(file name, labels) is escaped.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

from imagepredict.clock import utc_now

if TYPE_CHECKING:
    from imagepredict.predictions.result import PredictionResult, Score

DISCLAIMER = "This is the output of a machine-learning model, not a medical diagnosis."


def percent(probability: float) -> str:
    """0.93 → "93.0%" (the original app printed "0.93%")."""
    return f"{probability * 100:.1f}%"


def printable(text: str) -> str:
    """Header-safe: object keys may hold control characters, and a line break in a header is an injection."""
    return "".join(character if character.isprintable() else " " for character in text)


def compose_result_email(
    *, sender: str, recipient: str, filename: str, result: PredictionResult, link: str | None
) -> EmailMessage:
    top = result.top
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = f"Prediction for {printable(filename)}: {printable(top.label)} ({percent(top.probability)})"
    message["Date"] = format_datetime(utc_now())
    message["Message-ID"] = make_msgid(domain="imagepredict")
    message.set_content(_text(filename, result, link))
    message.add_alternative(_html(filename, result, link), subtype="html")
    return message


def _text(filename: str, result: PredictionResult, link: str | None) -> str:
    top = result.top
    lines = [
        f"Your image {filename} was classified as: {top.label} ({percent(top.probability)})",
        "",
        "Every class:",
        *(f"  {entry.label}: {percent(entry.probability)}" for entry in result.probabilities),
        "",
        f"Model: {result.model.name} version {result.model.version}",
    ]
    if link:
        lines += ["", f"See the result: {link}"]
    lines += ["", DISCLAIMER, ""]
    return "\n".join(lines)


def _html_row(entry: Score) -> str:
    width = round(240 * max(0.0, min(1.0, entry.probability)))
    return (
        f'<tr><td style="padding:2px 8px 2px 0;font-family:Arial,sans-serif">{html.escape(entry.label)}</td>'
        '<td style="padding:2px 0;width:240px"><div style="background:#e6e9ef;width:240px;height:14px">'
        f'<div style="background:#2f6fde;height:14px;width:{width}px"></div></div></td>'
        '<td style="padding:2px 0 2px 8px;font-family:Arial,sans-serif;text-align:right">'
        f"{percent(entry.probability)}</td></tr>"
    )


def _html(filename: str, result: PredictionResult, link: str | None) -> str:
    escape = html.escape
    top = result.top
    rows = "".join(_html_row(entry) for entry in result.probabilities)
    link_html = (
        f'<p><a href="{escape(link, quote=True)}" style="color:#2f6fde">See the result in imagepredict</a></p>'
        if link
        else ""
    )
    return (
        '<!DOCTYPE html><html><body style="margin:0;padding:16px;font-family:Arial,sans-serif;color:#1d2330">'
        f"<p>Your image <strong>{escape(filename)}</strong> was classified as:</p>"
        f'<p style="font-size:22px;margin:8px 0"><strong>{escape(top.label)}</strong> '
        f"({percent(top.probability)})</p>"
        f'<table role="presentation" cellspacing="0" cellpadding="0">{rows}</table>'
        f'<p style="color:#5b6475;font-size:13px">Model: {escape(result.model.name)} '
        f"version {escape(result.model.version)}</p>"
        f"{link_html}"
        f'<p style="color:#5b6475;font-size:13px">{DISCLAIMER}</p>'
        "</body></html>"
    )
