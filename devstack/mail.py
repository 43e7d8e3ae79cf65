"""Mail sent through moto's SES, read back for GET /_local/mail (local only; not a deployed route)."""

from __future__ import annotations

import email
import email.policy
import json
import urllib.request
from email.utils import parsedate_to_datetime
from html import escape
from typing import Any


def sent_mail(aws_endpoint: str) -> list[dict[str, Any]]:
    """[{to, subject, text, html, sent_at}], newest first."""
    with urllib.request.urlopen(f"{aws_endpoint}/moto-api/data.json", timeout=10) as response:  # noqa: S310
        data = json.load(response)
    messages = [_parse(raw["raw_data"]) for raw in data.get("ses", {}).get("RawMessage", [])]
    return list(reversed(messages))  # moto keeps them in sending order


def _parse(raw: str) -> dict[str, Any]:
    message = email.message_from_string(raw, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    date = message["Date"]
    return {
        "to": str(message["To"] or ""),
        "from": str(message["From"] or ""),
        "subject": str(message["Subject"] or ""),
        "text": text.get_content() if text else "",
        "html": html.get_content() if html else "",
        "sent_at": parsedate_to_datetime(date).isoformat() if date else None,
    }


def mail_page(messages: list[dict[str, Any]]) -> str:
    """A plain page for a browser: every message with its text part (HTML parts shown in a sandboxed frame)."""
    items = "".join(
        f"<article><h2>{escape(m['subject'])}</h2><p>To {escape(m['to'])} · {escape(m['sent_at'] or '')}</p>"
        f"<pre>{escape(m['text'])}</pre>"
        f'<iframe sandbox="" srcdoc="{escape(m["html"], quote=True)}" style="width:100%;height:420px"></iframe>'
        "</article><hr>"
        for m in messages
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Local mail</title></head>"
        "<body style='font-family:sans-serif;max-width:760px;margin:auto'>"
        f"<h1>Local mail ({len(messages)})</h1>{items or '<p>No mail yet.</p>'}</body></html>"
    )
