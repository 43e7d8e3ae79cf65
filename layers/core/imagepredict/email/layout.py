"""One look for every email (results, verification, password reset and change): a typed content model and render().

An email is an EmailContent: a subject, a heading, a few kinds of blocks (paragraphs, a key/value table, the
probability bars, a muted note), at most one action (a button-styled link) and a footnote. render() writes it twice,
as plain text and as HTML, from the same content, so both parts always carry the same facts.

The HTML is email-safe: tables and inline styles (clients drop <style> and most CSS), no scripts, no images, no
external resources; the app's name as a header and a footer on every email. Every piece of text is passed through
text.visible() and html.escape(); links are checked (absolute http/https, nothing else: a link built from anything
else is a bug, so Action raises ValueError) and escaped as attributes. Headers go through printable(), so nothing
can add a header.

Written by hand rather than with a template engine: Jinja2 would be a new dependency of the core layer (every
function imports it) for three short emails whose structure is fixed, and a typed model makes every email take
the same path through the same escaping.
"""

from __future__ import annotations

import email.policy
import html
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from imagepredict.clock import utc_now
from imagepredict.email.text import fraction, percent, printable, visible

APP_NAME = "imagepredict"
FOOTER = f"Sent by {APP_NAME}, an image-classification service."
BAR_PX = 240  # the width of a full probability bar
LINK_SCHEMES = frozenset({"http", "https"})
# Lines up to RFC 5322's hard limit rather than its 78-character advice: CPython's folder can drop the space
# between two encoded words where it folds a long non-ASCII subject (readers ignore whitespace between them).
POLICY = email.policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class Strong:
    """Emphasised text inside a paragraph (a name the user gave, the top class)."""

    text: str


Inline = str | Strong


@dataclass(frozen=True)
class Paragraph:
    parts: tuple[Inline, ...]
    large: bool = False  # the one thing the email is about, e.g. the top class


def paragraph(*parts: Inline, large: bool = False) -> Paragraph:
    return Paragraph(parts, large)


@dataclass(frozen=True)
class Facts:
    """A small key/value table: ("Model", "digits-demo version 3")."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Bar:
    label: str
    probability: float


@dataclass(frozen=True)
class Bars:
    """Every class with its probability: a bar and a percentage each, under a caption."""

    caption: str
    rows: tuple[Bar, ...]


@dataclass(frozen=True)
class Note:
    """Muted small print: what a link is for, how long it works, what to do if the email was not expected."""

    text: str


Block = Paragraph | Facts | Bars | Note


@dataclass(frozen=True)
class Action:
    """The email's one button. The URL must be an absolute http(s) URL: anything else raises ValueError."""

    label: str
    url: str

    def __post_init__(self) -> None:
        check_link(self.url)


@dataclass(frozen=True)
class EmailContent:
    subject: str
    heading: str
    blocks: tuple[Block, ...]
    action: Action | None = None
    footnote: str = ""
    preheader: str = ""  # the preview line clients show after the subject; the HTML part only
    after_action: tuple[Block, ...] = ()  # what to do if the email was not expected


def check_link(url: str) -> str:
    """An absolute http(s) URL with no spaces or control characters, or ValueError (a programming error)."""
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise ValueError(f"not a URL: {url!r}") from error
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        raise ValueError(f"an email link must be an absolute http or https URL, got {url!r}")
    if any(character.isspace() or not character.isprintable() for character in url):
        raise ValueError(f"an email link must not contain spaces or control characters, got {url!r}")
    return url


def render(content: EmailContent, sender: str, recipient: str) -> EmailMessage:
    """The email as MIME: multipart/alternative with the plain text first and the HTML second (clients show the
    last part they can display). From and To are taken as given: they are addresses we validated, and the email
    package refuses a line break in them rather than sending it."""
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = printable(content.subject)
    message["Date"] = format_datetime(utc_now())
    message["Message-ID"] = make_msgid(domain=APP_NAME)
    message.set_content(render_text(content))
    message.add_alternative(render_html(content), subtype="html")
    return message


# Plain text ---------------------------------------------------------------------------------------------------


def render_text(content: EmailContent) -> str:
    heading = visible(content.heading)
    lines = [APP_NAME, "", heading, "=" * len(heading), ""]
    for block in content.blocks:
        lines += [*_text_block(block), ""]
    if content.action is not None:
        lines += [f"{visible(content.action.label)}:", content.action.url, ""]
    for block in content.after_action:
        lines += [*_text_block(block), ""]
    lines.append("-- ")  # the signature separator: clients fold or dim what follows
    if content.footnote:
        lines.append(visible(content.footnote))
    lines += [FOOTER, ""]
    return "\n".join(lines)


def _text_block(block: Block) -> list[str]:
    if isinstance(block, Paragraph):
        return [_text_inline(block.parts)]
    if isinstance(block, Facts):
        return [f"{visible(key)}: {visible(value)}" for key, value in block.rows]
    if isinstance(block, Bars):
        return [f"{visible(block.caption)}:", *(f"  {visible(r.label)}: {percent(r.probability)}" for r in block.rows)]
    return [visible(block.text)]


def _text_inline(parts: tuple[Inline, ...]) -> str:
    return "".join(visible(part.text if isinstance(part, Strong) else part) for part in parts)


# HTML ---------------------------------------------------------------------------------------------------------

FONT = "font-family:Arial,Helvetica,sans-serif"
INK, MUTED, ACCENT, LINE, PAGE, TRACK = "#1d2330", "#5b6475", "#2f6fde", "#dde2ea", "#f3f5f9", "#e6e9ef"
TEXT = f"{FONT};font-size:15px;line-height:1.5;color:{INK}"
SMALL = f"{FONT};font-size:13px;line-height:1.5;color:{MUTED}"
LARGE = f"{FONT};font-size:22px;line-height:1.3;color:{INK}"
TABLE = 'role="presentation" cellspacing="0" cellpadding="0" border="0"'


def _e(text: str) -> str:
    return html.escape(visible(text), quote=True)


def render_html(content: EmailContent) -> str:
    preheader = (
        f'<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">{_e(content.preheader)}</div>'
        if content.preheader
        else ""
    )
    body = "".join(_html_block(block) for block in content.blocks)
    action = _html_action(content.action) if content.action is not None else ""
    after = "".join(_html_block(block) for block in content.after_action)
    footnote = f"{_e(content.footnote)}<br>" if content.footnote else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(content.subject)}</title></head>"
        f'<body style="margin:0;padding:0;background:{PAGE}">{preheader}'
        f'<table {TABLE} width="100%" style="background:{PAGE}"><tr><td align="center" style="padding:24px 12px">'
        f'<table {TABLE} width="560" style="max-width:560px;width:100%;background:#ffffff;'
        f'border:1px solid {LINE};border-radius:6px">'
        f'<tr><td style="padding:14px 24px;background:{INK};color:#ffffff;{FONT};font-size:18px;font-weight:bold;'
        f'border-radius:6px 6px 0 0">{APP_NAME}</td></tr>'
        f'<tr><td style="padding:24px">'
        f'<h1 style="margin:0 0 16px;{LARGE}">{_e(content.heading)}</h1>'
        f"{body}{action}{after}</td></tr>"
        f'<tr><td style="padding:16px 24px;border-top:1px solid {LINE};{SMALL}">{footnote}{_e(FOOTER)}</td></tr>'
        "</table></td></tr></table></body></html>"
    )


def _html_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        style = LARGE if block.large else TEXT
        return f'<p style="margin:0 0 16px;{style}">{_html_inline(block.parts)}</p>'
    if isinstance(block, Facts):
        rows = "".join(
            f'<tr><td style="padding:2px 12px 2px 0;{SMALL}">{_e(key)}</td>'
            f'<td style="padding:2px 0;{TEXT}">{_e(value)}</td></tr>'
            for key, value in block.rows
        )
        return f'<table {TABLE} style="margin:0 0 16px">{rows}</table>'
    if isinstance(block, Bars):
        rows = "".join(_html_bar(row) for row in block.rows)
        return (
            f'<p style="margin:0 0 4px;{TEXT}">{_e(block.caption)}</p>'
            f'<table {TABLE} style="margin:0 0 16px">{rows}</table>'
        )
    return f'<p style="margin:0 0 16px;{SMALL}">{_e(block.text)}</p>'


def _html_inline(parts: tuple[Inline, ...]) -> str:
    return "".join(f"<strong>{_e(part.text)}</strong>" if isinstance(part, Strong) else _e(part) for part in parts)


def _html_bar(bar: Bar) -> str:
    width = round(BAR_PX * fraction(bar.probability))
    return (
        f'<tr><td style="padding:2px 8px 2px 0;{TEXT}">{_e(bar.label)}</td>'
        f'<td style="padding:2px 0;width:{BAR_PX}px"><div style="background:{TRACK};width:{BAR_PX}px;height:14px">'
        f'<div style="background:{ACCENT};height:14px;width:{width}px"></div></div></td>'
        f'<td style="padding:2px 0 2px 8px;{TEXT};text-align:right;white-space:nowrap">'
        f"{_e(percent(bar.probability))}</td></tr>"
    )


def _html_action(action: Action) -> str:
    href = html.escape(action.url, quote=True)
    return (
        f'<table {TABLE} style="margin:8px 0 16px"><tr><td style="background:{ACCENT};border-radius:4px">'
        f'<a href="{href}" style="display:inline-block;padding:12px 22px;{FONT};font-size:15px;font-weight:bold;'
        f'color:#ffffff;text-decoration:none;border-radius:4px">{_e(action.label)}</a></td></tr></table>'
        f'<p style="margin:0 0 16px;{SMALL}">If the button does not work, copy this address into your browser:<br>'
        f'<span style="color:{INK};word-break:break-all">{href}</span></p>'
    )
