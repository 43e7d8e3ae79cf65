"""The heavy-load run (`make load-pipeline`, `python -m bench.load`) small: every consumer loses nothing, classifies
every sample right and emails each upload once; its report section renders beside `make bench`'s sections, which
keeps it; and its checks catch what they are there to catch."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench import load, report, report_load
from bench.load_checks import check_mode, quarter_rates

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@pytest.mark.slow
def test_a_small_load_through_every_consumer_holds_every_invariant(tmp_path: Path) -> None:
    shutil.copy(DOCS / "benchmarks.json", tmp_path / "benchmarks.json")
    before = json.loads((tmp_path / "benchmarks.json").read_text())
    before.pop("load", None)

    assert load.main(["--images", "24", "--clients", "6", "--users", "3", "--out", str(tmp_path)]) == 0

    after = json.loads((tmp_path / "benchmarks.json").read_text())
    results = after.pop("load")
    assert after == before  # the other measurements are left as they were
    assert results["ok"]
    assert list(results["modes"]) == ["lambda", "worker", "both"]
    for mode, row in results["modes"].items():
        assert row["violations"] == [], mode
        assert row["statuses"] == {"done": 24}, mode
        assert (row["lost"], row["wrong"], row["upload_error_count"]) == (0, 0, 0), mode
        assert row["emails"] == {
            "messages": 24,
            "uploads_emailed": 24,
            "missing": 0,
            "doubles": 0,
            "misaddressed": 0,
            "unnamed": 0,
        }, mode
        assert row["dead_letters"], mode  # the classify queue's dead-letter queue was found
        assert not any(row["dead_letters"].values()), mode
        assert row["throughput"] > 0, mode
        assert 0 < row["to_done_ms"]["p50"] <= row["to_done_ms"]["p99"], mode
        assert row["to_email_ms"]["n"] == 24, mode
        assert row["to_email_ms"]["p50"] >= row["to_done_ms"]["p50"], mode
        assert row["stack_exit_code"] == 0, mode
        assert len(row["quarter_rates"]) == 4, mode
    markdown = (tmp_path / "benchmarks.md").read_text()
    assert markdown == report.markdown({**before, "load": results})
    assert "## 9. Heavy load on the local stack (`make load-pipeline`)" in markdown
    assert f"## {10 + ('api_load' in before)}. What the targets made us fix" in markdown  # after `make load`'s
    assert "**Every invariant held** in every mode" in markdown
    assert "| Batch worker (`LOCAL_CLASSIFIER=worker`) | 24 |" in markdown


def test_make_bench_keeps_the_load_section(tmp_path: Path) -> None:
    fresh: dict[str, Any] = {"command": "make bench"}
    assert report_load.keep(tmp_path, fresh) is fresh  # nothing there yet
    (tmp_path / "benchmarks.json").write_text(json.dumps({"command": "old", "load": {"images": 1000}}))
    assert report_load.keep(tmp_path, fresh) == {"command": "make bench", "load": {"images": 1000}}
    assert report_load.keep(tmp_path, {"load": {"images": 5}}) == {"load": {"images": 5}}


class Planned:
    def __init__(self, filename: str, digit: str) -> None:
        self.filename, self.digit = filename, digit


def test_the_checks_name_every_broken_invariant() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    names = [f"load-0123abcd-{index:05d}-digit-{index}.png" for index in range(4)]
    uploads = [Planned(name, str(index)) for index, name in enumerate(names)]
    sent = [{"filename": name, "id": str(i), "started_at": start, "upload_ms": 10.0} for i, name in enumerate(names)]
    sent[3] = {"filename": names[3], "error": "HTTPError: 500"}

    def document(index: int, label: str, status: str = "done") -> dict[str, Any]:
        moment = start + timedelta(seconds=index + 1)
        email = {"status": "sent", "sent_at": moment + timedelta(milliseconds=50)}
        result = {"top": {"label": label}}
        return {"status": status, "completed_at": moment, "owner_email": "a@x.test", "email": email, "result": result}

    documents = {"0": document(0, "0"), "1": document(1, "7"), "2": document(2, "2", "failed")}
    mail = [
        {"to": "a@x.test", "subject": f"Prediction for {names[0]}: 0 (99%)"},
        {"to": "a@x.test", "subject": f"Prediction for {names[0]}: 0 (99%)"},
        {"to": "b@x.test", "subject": f"Prediction for {names[1]}: 7 (99%)"},
        {"to": "someone@else.test", "subject": "not ours"},
    ]
    queues = {"Classify": {"visible": 0, "in_flight": 0, "dead_letters": False}}
    queues["ClassifyDeadLetters"] = {"visible": 1, "in_flight": 0, "dead_letters": True}

    found = check_mode(uploads, sent, documents, mail, queues, {"a@x.test", "b@x.test"})

    assert found["statuses"] == {"done": 2, "failed": 1}
    assert (found["lost"], found["wrong"], found["wrong_examples"]) == (2, 1, [names[1]])
    assert found["emails"] == {
        "messages": 3,
        "uploads_emailed": 2,
        "missing": 2,
        "doubles": 1,
        "misaddressed": 1,
        "unnamed": 0,
    }
    assert found["to_done_ms"]["n"] == 2
    assert found["to_done_ms"]["p50"] == 1500
    assert found["throughput"] == 1.0  # 2 done, from the first upload's start to the last completion (2 s)
    assert found["violations"] == [
        "1 uploads failed",
        "2 not done ({'failed': 1})",
        "1 with the wrong top label",
        "2 uploads without an email",
        "1 double emails",
        "1 emails to the wrong user, 0 naming no upload",
        "dead letters: {'ClassifyDeadLetters': 1}",
    ]


def test_the_rate_is_given_per_quarter_of_the_completions() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    completions = [start + timedelta(seconds=moment) for moment in (1, 2, 3, 4, 5, 6, 8, 10, 12, 14)]
    assert quarter_rates(start, completions) == [1.0, 1.0, 0.6, 0.5]  # 2, 3, 3 and 2 images over 2, 3, 5 and 4 s
    assert quarter_rates(start, completions[:3]) == []
