"""What `python -m bench.load` checks after a run: every upload done with its true digit, one email each, the
dead-letter queues empty; and the latencies it reports."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any, Protocol

import boto3

from bench.stats import percentile

FILENAME = re.compile(r"load-[0-9a-f]{8}-(?:\d{5}|warmup)-digit-\d\.(?:png|jpg)")  # an upload's, or the warm-up's


class Planned(Protocol):
    filename: str
    digit: str


def latency(values: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 and the extremes, in the values' unit (NaN when there are none)."""
    return {
        "p50": percentile(values, 0.50),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "max": max(values, default=float("nan")),
        "n": len(values),
    }


def queue_depths(aws_endpoint: str) -> dict[str, dict[str, Any]]:
    """Every queue's visible and in-flight messages, and whether it is a dead-letter queue (another's redrive target,
    or named so)."""
    sqs = boto3.client(
        "sqs",
        endpoint_url=aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's, local only
    )
    attributes = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes[url] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = re.compile(r'"deadLetterTargetArn"\s*:\s*"([^"]+)"')
    targets = {redrive.search(found.get("RedrivePolicy", "")) for found in attributes.values()}
    target_arns = {match.group(1) for match in targets if match}
    return {
        url.rsplit("/", 1)[1]: {
            "visible": int(found.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(found.get("ApproximateNumberOfMessagesNotVisible", 0)),
            "dead_letters": found.get("QueueArn") in target_arns or "deadletter" in url.lower().replace("-", ""),
        }
        for url, found in attributes.items()
    }


def quarter_rates(first: datetime, completions: Sequence[datetime]) -> list[float]:
    """Images/s within each quarter of the completions (the first from the first upload's start): how the rate holds
    up as the backlog and the collection grow."""
    ordered = sorted(completions)
    if len(ordered) < 4:
        return []
    ends = [round(len(ordered) * quarter / 4) for quarter in range(1, 5)]
    bounds = [first, *(ordered[end - 1] for end in ends)]
    counts = [end - start for start, end in pairwise([0, *ends])]
    spans = [(later - earlier).total_seconds() for earlier, later in pairwise(bounds)]
    return [count / span if span > 0 else float("nan") for count, span in zip(counts, spans, strict=True)]


def _top(document: dict[str, Any]) -> str:
    return str(((document.get("result") or {}).get("top") or {}).get("label"))


def _ms(later: Any, earlier: Any) -> float:
    return float((later - earlier).total_seconds() * 1000)


def emails_by_upload(mail: Iterable[dict[str, Any]], recipients: set[str]) -> tuple[Counter[tuple[str, str]], int]:
    """Messages per (recipient, upload filename) among the run's users, and how many of their messages name none."""
    counted: Counter[tuple[str, str]] = Counter()
    unnamed = 0
    for message in mail:
        if message["to"] not in recipients:
            continue
        found = FILENAME.search(message["subject"])
        if found:
            counted[(message["to"], found.group(0))] += 1
        else:
            unnamed += 1
    return counted, unnamed


def check_mode(
    uploads: Sequence[Planned],
    sent: Sequence[dict[str, Any]],
    documents: dict[str, dict[str, Any]],
    mail: Iterable[dict[str, Any]],
    queues: dict[str, dict[str, Any]],
    recipients: set[str],
) -> dict[str, Any]:
    """The run's figures and every violated invariant, in words."""
    digits = {upload.filename: upload.digit for upload in uploads}
    good = [s for s in sent if "id" in s]
    statuses = Counter(str(documents.get(s["id"], {}).get("status", "missing")) for s in good)
    done = [(s, documents[s["id"]]) for s in good if documents.get(s["id"], {}).get("status") == "done"]
    wrong = [s["filename"] for s, d in done if _top(d) != digits[s["filename"]]]
    to_done = [_ms(d["completed_at"], s["started_at"]) for s, d in done]
    email_sent = [(s, d) for s, d in done if (d.get("email") or {}).get("status") == "sent"]
    to_email = [_ms(d["email"]["sent_at"], s["started_at"]) for s, d in email_sent]
    done_to_email = [_ms(d["email"]["sent_at"], d["completed_at"]) for s, d in email_sent]
    counted, unnamed = emails_by_upload(mail, recipients)
    owners = {s["filename"]: documents[s["id"]].get("owner_email") for s in good if s["id"] in documents}
    emailed = {filename for (_, filename) in counted}
    doubles = sum(count - 1 for count in counted.values() if count > 1)
    misaddressed = sum(1 for (to, filename) in counted if filename in owners and owners[filename] != to)
    dead = {name: q["visible"] + q["in_flight"] for name, q in queues.items() if q["dead_letters"]}
    sent_ats = sorted(d["email"]["sent_at"] for _, d in email_sent)
    email_span_s = (sent_ats[-1] - sent_ats[0]).total_seconds() if len(sent_ats) > 1 else 0.0
    last = max((d["completed_at"] for _, d in done), default=None)
    first = min((s["started_at"] for s in good), default=None)
    elapsed_s = (last - first).total_seconds() if last and first else float("nan")
    figures = {
        "statuses": dict(statuses),
        "upload_errors": [s["error"] for s in sent if "error" in s][:10],
        "upload_error_count": len(sent) - len(good),
        "lost": len(uploads) - len(done),
        "wrong": len(wrong),
        "wrong_examples": wrong[:10],
        "retried": sum(1 for _, d in done if int(d.get("attempts", 1)) > 1),
        "elapsed_s": elapsed_s,
        "throughput": len(done) / elapsed_s if elapsed_s > 0 else float("nan"),
        "quarter_rates": quarter_rates(first, [d["completed_at"] for _, d in done]) if first else [],
        "to_done_ms": latency(to_done),
        "to_email_ms": latency(to_email),
        "done_to_email_ms": latency(done_to_email),
        "email_rate": len(sent_ats) / email_span_s if email_span_s > 0 else float("nan"),
        "email_queued": any("email" in name.lower() and not q["dead_letters"] for name, q in queues.items()),
        "email_statuses": dict(Counter(str((d.get("email") or {}).get("status")) for _, d in done)),
        "emails": {
            "messages": sum(count for (_, filename), count in counted.items() if filename in digits),
            "uploads_emailed": len(emailed & set(digits)),
            "missing": len(set(digits) - emailed),
            "doubles": doubles,
            "misaddressed": misaddressed,
            "unnamed": unnamed,
        },
        "dead_letters": dead,
        "queues": queues,
    }
    figures["violations"] = violations(figures)
    return figures


def violations(figures: dict[str, Any]) -> list[str]:
    """The invariants a run must hold, each broken one in words."""
    found = []
    if figures["upload_error_count"]:
        found.append(f"{figures['upload_error_count']} uploads failed")
    if figures["lost"]:
        not_done = {k: v for k, v in figures["statuses"].items() if k != "done"}
        found.append(f"{figures['lost']} not done ({not_done or 'uploads failed'})")
    if figures["wrong"]:
        found.append(f"{figures['wrong']} with the wrong top label")
    emails = figures["emails"]
    if emails["missing"]:
        found.append(f"{emails['missing']} uploads without an email")
    if emails["doubles"]:
        found.append(f"{emails['doubles']} double emails")
    if emails["misaddressed"] or emails["unnamed"]:
        found.append(f"{emails['misaddressed']} emails to the wrong user, {emails['unnamed']} naming no upload")
    if any(figures["dead_letters"].values()):
        found.append(f"dead letters: {figures['dead_letters']}")
    return found
