"""docs/benchmarks.md's section on the API functions' cold start: what typed models and validation cost."""

from __future__ import annotations

from typing import Any

from bench.stats import fmt

LABELS = {
    "auth": "AuthFunction (`POST /auth/register`, invalid body: 400)",
    "uploads": "UploadsFunction (`POST /uploads`, signed in, invalid body: 400)",
    "predictions": "PredictionsFunction (`GET /predictions?limit=0`, signed in: 400)",
    "health": "HealthFunction (an unknown route: 404)",
    "admin": "AdminFunction (`GET /admin/stats?days=0`, an admin, invalid query: 400)",
}


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def section(results: dict[str, Any]) -> list[str]:
    cold = results.get("api_cold")
    if not cold:
        return []
    lines = [
        "## 1b. Cold start of the API functions",
        "",
        "A fresh Python process each time, the functions alternating: import pydantic (timed alone: the typed "
        "models' share), then the rest of the handler module (Powertools' event handler, the routes and their "
        "pydantic models), then one request through the handler that passes the bearer check and fails "
        "validation, so no MongoDB or AWS call is made. Milliseconds since the process's first import.",
        "",
        _row("", "pydantic imported", "handler imported", "first answer", "peak RSS"),
        _row(*["---"] * 5),
    ]
    for name, label in LABELS.items():
        if name not in cold:  # measured by a make bench from before the function existed
            continue
        entry = cold[name]
        lines.append(
            _row(
                label,
                fmt(entry["pydantic_ms"], "ms", 0),
                fmt(entry["import_ms"], "ms", 0),
                fmt(entry["first_request_ms"], "ms", 0),
                f"{entry['peak_rss_mb']['median']:.0f} MB",
            )
        )
    lines += [
        "",
        "pydantic (with pydantic-core) is about 7 MB of the core layer; the classify and email functions never "
        "import it (a unit test checks), so the pipeline's cold start does not pay for it.",
        "",
    ]
    return lines
