"""docs/benchmarks.md's section on the heavy-load run (`make load-pipeline`), kept under "load" in
docs/benchmarks.json: written by `python -m bench.load` without measuring the rest again, and kept when
`make bench` rewrites the file (as is the Locust run's, `make load`: bench/report_api_load.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

TITLE = "Heavy load on the local stack (`make load-pipeline`)"
LABELS = {
    "lambda": "Lambda poller (`LOCAL_CLASSIFIER=lambda`)",
    "worker": "Batch worker (`LOCAL_CLASSIFIER=worker`)",
    "both": "Both (`LOCAL_CLASSIFIER=both`)",
}


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _s(ms: float) -> str:
    return "–" if math.isnan(ms) else f"{ms / 1000:.2f}"


def _check(count: int) -> str:
    return "0 ✅" if count == 0 else f"**{count}** ❌"


def section(load: dict[str, Any], number: int) -> list[str]:
    cpu = load["machine"]
    lines = [
        f"## {number}. {TITLE}",
        "",
        f"Written by `{load['command']}` on {load['date']} at commit `{load['commit']}`"
        + (f" with uncommitted changes to {', '.join(load['uncommitted'])}" if load.get("uncommitted") else "")
        + f" (a run of its own, apart from the other sections), on {cpu['model']}, {cpu['cores']} cores, "
        f"{cpu['memory_gib']} GiB; the whole run took {load['wall_s'] / 60:.1f} minutes.",
        "",
        f"For each consumer of the classify queue, a fresh `make run` stack and {load['images']:,} uploads through "
        f"the real API (`POST /uploads`, then the multipart POST to the presigned S3 URL) by {load['clients']} "
        f"concurrent clients signed in as {load['users']} users, after one warm-up upload; the committed digit "
        "samples (PNG and JPEG) cycled, each upload with a unique filename so its result and its email can be "
        "checked. The Lambda poller runs `LOCAL_FUNCTION_CONCURRENCY=2` (the stack's default: two warm classify "
        "containers, one image per invoke); the batch worker runs at its default `BATCH_SIZE=32` (what the end-to-end "
        "measurements above favour), ONNX Runtime on the CPU. *Images/s* runs from the first upload's start to the "
        "last `completed_at`; *upload → done* from each upload request's start to its prediction's `completed_at`, "
        "and *upload → email* to its email's `sent_at` (read from MongoDB), in seconds. Emails are checked in what "
        f"SES (moto) received: one per upload, to its owner. {_email_path(load)}",
        "",
        _row(
            "Consumer",
            "images",
            "images/s",
            "upload → done p50 / p95 / p99 (s)",
            "upload → email p50 / p95 (s)",
            "lost",
            "wrong",
            "double emails",
            "DLQ",
        ),
        _row(*["---"] * 9),
    ]
    for mode, row in load["modes"].items():
        done, email = row["to_done_ms"], row["to_email_ms"]
        lines.append(
            _row(
                LABELS.get(mode, mode),
                f"{row['images']:,}",
                f"**{row['throughput']:.1f}**",
                f"{_s(done['p50'])} / {_s(done['p95'])} / {_s(done['p99'])}",
                f"{_s(email['p50'])} / {_s(email['p95'])}",
                _check(row["lost"]),
                _check(row["wrong"]),
                _check(row["emails"]["doubles"]),
                _check(sum(row["dead_letters"].values())),
            )
        )
    return [*lines, "", *_verdict(load), ""]


def _email_path(load: dict[str, Any]) -> str:
    rows = load["modes"].values()
    rates = ", ".join(f"{mode} {row['email_rate']:.1f}" for mode, row in load["modes"].items())
    if all(row.get("email_queued") for row in rows):
        how = "queued on the email queue by the classify consumer and sent by the email function"
    elif not any(row.get("email_queued") for row in rows):
        how = "sent by the classify consumer itself once the result is stored"
    else:
        how = "queued in some modes and sent at once in others"
    return f"The emails were {how}; they went out at {rates} emails/s."


def _verdict(load: dict[str, Any]) -> list[str]:
    rows = load["modes"]
    broken = [f"{mode}: {'; '.join(row['violations'])}" for mode, row in rows.items() if row["violations"]]
    if broken:
        held = "**Invariants violated** — " + " · ".join(broken) + "."
    else:
        held = (
            "**Every invariant held** in every mode: each upload `done` with its sample's digit on top, exactly one "
            "email per upload to its owner, no upload error, and the dead-letter queues empty."
        )
    retried = ", ".join(f"{mode} {row['retried']}" for mode, row in rows.items())
    done_to_email = ", ".join(
        f"{mode} {_s(row['done_to_email_ms']['p50'])} s / {_s(row['done_to_email_ms']['p95'])} s"
        for mode, row in rows.items()
    )
    uploads = ", ".join(
        f"{mode} {row['uploads_s']:.0f} s (p50 {row['upload_ms']['p50']:.0f} ms each)" for mode, row in rows.items()
    )
    shared = [mode for mode, row in rows.items() if row.get("others_testing")]
    quarters = "; ".join(
        f"{mode} " + " → ".join(f"{rate:.1f}" for rate in row.get("quarter_rates", [])) for mode, row in rows.items()
    )
    return [
        held,
        "",
        f"Uploading everything took {uploads}; the queue absorbed the rest, which is why upload → done grows "
        "through the run (its p99 is roughly the time the consumer needs to drain the backlog). Predictions "
        f"delivered more than once (`attempts` > 1, still classified and emailed once): {retried}. "
        f"`completed_at` → email `sent_at` p50 / p95: {done_to_email}.",
        "",
        f"Images/s in each quarter of the completions: {quarters}.",
        "",
        *_email_lag(rows),
        "Why these rates are far below the end-to-end section's (64 uploads): every prediction exists from its "
        "`POST /uploads` on, and the local stack's MongoDB stand-in, SecantusDB, answers a conditional update "
        "(`find_one_and_update` on `_id` plus a status, as each claim and each email claim is) by scanning the "
        "collection, so each costs in proportion to the predictions stored (measured apart: about 20 ms with 1,000 "
        "small documents against 2–4 ms with 20). Under this load SecantusDB is the busiest process (about two thirds "
        "of a core, serving every consumer in turn); a real MongoDB answers those updates from the `_id` index.",
        "",
        f"The throughput is from a shared {load['machine']['cores']}-core machine: the clients, moto, SecantusDB, "
        "the gateway and the consumers all compete for the same cores"
        + (
            f", and other test runs were running during {', '.join(shared)}."
            if shared
            else ", though no other test run was seen when each mode started."
        )
        + " On AWS, Lambda scales the classify function out with the queue, and workers add whole machines.",
    ]


def _email_lag(rows: dict[str, Any]) -> list[str]:
    """Where the emails fell behind the results: the email path's own rate, not the classifier's, set their latency."""
    behind = {
        mode: row
        for mode, row in rows.items()
        if row["done_to_email_ms"]["p50"] > 5000 and row["email_rate"] < 0.9 * row["throughput"]
    }
    if not behind:
        return []
    listed = " and ".join(
        f"{mode} ({row['email_rate']:.1f} emails/s against {row['throughput']:.1f} results/s; "
        f"`completed_at` → `sent_at` p50 {_s(row['done_to_email_ms']['p50'])} s)"
        for mode, row in behind.items()
    )
    return [
        f"The emails fell behind the results in {listed}: there the email path, not the classifier, sets when the "
        "user hears of the result, which is why upload → email can be longer than with a slower classifier.",
        "",
    ]


def standalone(load: dict[str, Any]) -> str:
    """The section alone, for an output directory with no full `make bench` results."""
    return "\n".join(["# Benchmarks", "", *section(load, 1)]) + "\n"


def write(out: Path, load: dict[str, Any]) -> None:
    """Store `load` under "load" in benchmarks.json and render benchmarks.md from that JSON: the other sections
    come out exactly as `make bench` wrote them."""
    store(out, "load", load, standalone(load))


def store(out: Path, key: str, value: dict[str, Any], alone: str) -> None:
    """Store `value` under `key` in `out`/benchmarks.json and render benchmarks.md from that JSON (`alone`, the
    section by itself, where the JSON holds no full `make bench` results)."""
    from bench import report

    out.mkdir(parents=True, exist_ok=True)
    path = out / "benchmarks.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[key] = value
    path.write_text(json.dumps(results, indent=1, default=float) + "\n")
    full = all(name in results for name in ("machine", "versions", "targets", "command", "date"))
    (out / "benchmarks.md").write_text(report.markdown(results) if full else alone)


# Measured apart from `make bench`, which keeps them: the heavy-load run and the Locust run (`make load`).
APART = ("load", "api_load")


def keep(out: Path, results: dict[str, Any]) -> dict[str, Any]:
    """`results` with the runs measured apart (APART) that the benchmarks.json already in `out` holds and `results`
    lacks (for `make bench`, which does not measure them)."""
    path = out / "benchmarks.json"
    if all(key in results for key in APART) or not path.exists():
        return results
    try:
        previous = json.loads(path.read_text())
    except ValueError:
        return results
    if not isinstance(previous, dict):
        return results
    kept = {key: previous[key] for key in APART if key in previous and key not in results}
    return {**results, **kept} if kept else results
