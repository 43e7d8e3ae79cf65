"""docs/benchmarks.md's section on the Locust run (`make load`, `python -m bench.api_load`), kept under "api_load"
in docs/benchmarks.json: written without measuring the rest again, and kept when `make bench` rewrites the file."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench import report_load

TITLE = "API load with Locust (`make load`)"
# The journey's order; any other route Locust saw follows.
ORDER = (
    "POST /auth/register",
    "POST /auth/login",
    "POST /uploads",
    "POST S3 presigned POST",
    "GET /predictions/{id}",
    "GET /predictions",
    "DELETE /predictions/{id}",
)
TIMINGS = {
    "upload → done": "upload → done (`completed_at`)",
    "upload → seen done": "upload → seen done (the poll that saw it)",
}


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.0f}"


def _s(value: float) -> str:
    return "–" if math.isnan(value) else f"{value / 1000:.1f}"


def _percentiles(entry: dict[str, Any]) -> list[float]:
    """p50, p95, p99 and max; Locust rounds the percentiles to two significant digits, so one can exceed the exact
    max (31,000 against 30,634): shown as the max."""
    return [min(entry[key], entry["max"]) for key in ("p50", "p95", "p99")] + [entry["max"]]


def _failures(count: int) -> str:
    return "0 ✅" if count == 0 else f"**{count}** ❌"


def section(run: dict[str, Any], number: int) -> list[str]:
    cpu = run["machine"]
    routes = run["routes"]
    ordered = [route for route in ORDER if route in routes] + sorted(set(routes) - set(ORDER))
    lines = [
        f"## {number}. {TITLE}",
        "",
        f"Written by `{run['command']}` on {run['date']} at commit `{run['commit']}`"
        + (f" with uncommitted changes to {', '.join(run['uncommitted'])}" if run.get("uncommitted") else "")
        + f" (a run of its own, apart from the other sections), on {cpu['model']}, {cpu['cores']} cores, "
        f"{cpu['memory_gib']} GiB; the whole run took {run['wall_s'] / 60:.1f} minutes.",
        "",
        f"Locust {run['locust']} (`bench/locustfile.py`, the `locust` CLI headless) against a fresh `make run` stack "
        f"on 127.0.0.1: **{run['users']} users** started at {run['spawn_rate']:g} a second (all running after "
        f"{run['users'] / run['spawn_rate']:.0f} s), for **{run['run_time_s']} s**. Each user registers and logs in "
        f"once (bcrypt cost {run['bcrypt_rounds']}"
        + (", the template's default" if run["bcrypt_rounds"] == 12 else "")
        + "), then repeats the web client's journey: `POST /uploads`, the committed digit samples (PNG and JPEG) "
        "sent to S3 with the presigned POST, `GET /predictions/{id}` every second until done, `GET /predictions` "
        "(the new prediction must be on its first page), `DELETE /predictions/{id}`, and 1–3 s of thinking. The stack "
        "runs the Lambda poller with `LOCAL_FUNCTION_CONCURRENCY=2` (two warm containers per function, as `make "
        "run`), warmed up by two journeys before Locust starts. Any status but the documented success, and any "
        "prediction not done with its sample's digit on top within 60 s, is a failure. Requests/s is each route's "
        "count over the whole run (ramp-up included); times are Locust's percentiles in ms (it keeps two "
        "significant digits above 100 ms).",
        "",
        _row("Route", "requests", "requests/s", "p50", "p95", "p99", "max", "failures"),
        _row(*["---"] * 8),
    ]
    for route in ordered:
        entry = routes[route]
        lines.append(
            _row(
                f"`{route}`",
                f"{entry['requests']:,}",
                f"{entry['rps']:.1f}",
                *(_ms(value) for value in _percentiles(entry)),
                _failures(entry["failures"]),
            )
        )
    lines += [
        _row("**All**", f"{run['requests']:,}", f"**{run['rps']:.1f}**", *[""] * 4, _failures(run["failed_requests"])),
        "",
        _row("Upload timing (s)", "uploads", "uploads/s", "p50", "p95", "p99", "max", "failures"),
        _row(*["---"] * 8),
    ]
    for name, label in TIMINGS.items():
        entry = run["pipeline"].get(name)
        if entry:
            lines.append(
                _row(
                    label,
                    f"{entry['requests']:,}",
                    f"{entry['rps']:.1f}",
                    *(f"**{_s(v)}**" if i == 0 else _s(v) for i, v in enumerate(_percentiles(entry))),
                    _failures(entry["failures"]),
                )
            )
    return [*lines, "", *_verdict(run), ""]


def _verdict(run: dict[str, Any]) -> list[str]:
    if run["violations"]:
        held = "**Errors** — " + " · ".join(run["violations"]) + "."
    else:
        held = (
            "**No errors**: every request got its documented success status, every upload was classified with its "
            "sample's digit on top and listed in its owner's history, no exception in the users' code, the "
            "dead-letter queues empty and the stack stopped cleanly."
        )
    load = run["load_average"]
    hashes = sum(run["routes"].get(route, {}).get("requests", 0) for route in ORDER[:2])  # register and log in
    return [
        held,
        "",
        "Upload → done runs from the start of `POST /uploads` to the prediction's `completed_at`; upload → seen done "
        "to the poll that saw it done (what the user waits; the 1 s poll adds half a second on average). "
        "Journeys still under way when the time ran out are not counted. Locally each function has two containers "
        "on the same two cores, so the sign-ups and logins queue behind each other's bcrypt hashes (nearly all of a "
        f"login's time, the auth section shows; {hashes:,} of them here"
        + (", about 0.3 s of CPU each at cost 12" if run["bcrypt_rounds"] == 12 else "")
        + ") while the users already running take their share of the cores; on AWS each would get a container of "
        "its own. "
        "The load average went from "
        f"{load['before']:.1f} to {load['after']:.1f}: Locust, the gateway, the functions, moto, SecantusDB and "
        f"the classifier share the {run['machine']['cores']} cores"
        + (", and other test runs were running at the start" if run.get("others_testing") else "")
        + ", so these are the local stack's figures, not AWS's (where Lambda scales each function out).",
    ]


def standalone(run: dict[str, Any]) -> str:
    """The section alone, for an output directory with no full `make bench` results."""
    return "\n".join(["# Benchmarks", "", *section(run, 1)]) + "\n"


def write(out: Path, run: dict[str, Any]) -> None:
    """Store `run` under "api_load" in benchmarks.json and render benchmarks.md from that JSON: the other sections
    come out exactly as their own commands wrote them."""
    report_load.store(out, "api_load", run, standalone(run))
