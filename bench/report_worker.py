"""docs/benchmarks.md's section on the batch worker end to end on the local stack, against the Lambda path."""

from __future__ import annotations

import statistics
from typing import Any

from bench.report_batch import TOLERANCE, plural, table_row, winning_size
from bench.stats import fmt

STAGES = {
    "queued_ms": "queued",
    "download_ms": "download",
    "decode_ms": "decode + prepare",
    "inference_ms": "inference (its share)",
    "store_ms": "store",
}


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def section(worker: dict[str, Any], number: int) -> list[str]:
    rows = worker["rows"]
    lines = [
        f"## {number}. The batch worker end to end (local stack)",
        "",
        f"{worker['images']} uploads (the digit samples and the photo, cycled) by {worker['clients']} concurrent "
        "clients through `make run`'s stack, after one warm-up image, for each setting on a fresh stack "
        f"({plural(worker['rounds'], 'run')} each, alternating the order): the Lambda "
        f"path (`LOCAL_CLASSIFIER=lambda`, {worker['cores']} warm function workers, one image per invoke) and the "
        "batch worker (`LOCAL_CLASSIFIER=worker`, ONNX Runtime on the CPU, `BATCH_WAIT_MS=1000`) at each "
        "`BATCH_SIZE`, one batch at a time; the shipped digits model. Images/s runs from the first upload to the "
        "last `completed_at` (median and range over the runs). "
        "The stages are each prediction's recorded `timings`, mean ms per image: *queued* is the S3 event to the "
        "claim (for the worker it includes gathering the batch); *inference* is the image's share of its batch's "
        "call; *store* is the results JSON written for `inbox/` objects only (zero for uploads); *store + email* "
        "is `completed_at` to the email's `sent_at` "
        "(the MongoDB write and the SES send; the worker runs a batch's in parallel threads).",
        "",
        table_row(
            "Classifier",
            "images/s",
            "mean batch (per image)",
            *STAGES.values(),
            "store + email",
            "claimed → done",
            "batch wall (worker log)",
        ),
        table_row(*["---"] * (len(STAGES) + 6)),
    ]
    for name, row in rows.items():
        lines.append(_worker_row(name, row))
    lines += ["", *_worker_verdict(rows), ""]
    return lines


def _label(name: str) -> str:
    return "Lambda path (baseline)" if name == "lambda" else f"Batch worker, `BATCH_SIZE={name.split('/')[1]}`"


def _worker_row(name: str, row: dict[str, Any]) -> str:
    stages = row["stages_ms"]
    batches = row.get("batches") or []
    wall = (
        f"{_mean([b['batch_ms'] for b in batches]):.0f} ms for {_mean([b['messages'] for b in batches]):.1f} "
        f"messages (gathering {_mean([b['gather_ms'] for b in batches]):.0f} ms before it)"
        if batches
        else ""
    )
    return table_row(
        _label(name) + ("" if row["statuses"] == ["done"] else f" ({', '.join(row['statuses'])})"),
        f"**{fmt(row['throughput'], 'img/s', 1)}**",
        f"{_mean(row['batch_sizes']):.1f}",
        *[f"{_mean(stages.get(stage, [])):.1f}" for stage in STAGES],
        f"{_mean(row['store_email_ms']):.1f}",
        f"{_mean(row['claimed_to_done_ms']):.0f}",
        wall,
    )


def _worker_verdict(rows: dict[str, Any]) -> list[str]:
    workers = {int(name.split("/")[1]): row for name, row in rows.items() if name.startswith("worker/")}
    if not workers:
        return []
    throughput = {size: row["throughput"]["median"] for size, row in workers.items()}
    won = winning_size(throughput)
    row = workers[won]
    stages = {STAGES[s]: _mean(row["stages_ms"].get(s, [])) for s in ("download_ms", "decode_ms", "inference_ms")}
    stages["store + email"] = _mean(row["store_email_ms"])
    work = sum(stages.values()) or 1.0
    biggest = max(stages, key=lambda stage: stages[stage])
    share = stages[STAGES["inference_ms"]] / work
    others = ", ".join(f"{throughput[s]:.1f} at {s}" for s in sorted(workers) if s != won)
    baseline = f"; the Lambda path {rows['lambda']['throughput']['median']:.1f}" if "lambda" in rows else ""
    consequence = (
        "so the size of the inference call decides little of the end-to-end rate with this model"
        if share < 0.25
        else "so batching the inference call pays end to end"
    )
    return [
        f"End to end, **`BATCH_SIZE={won}` wins** (the smallest within {TOLERANCE:.0%} of the best median): "
        f"{throughput[won]:.1f} images/s ({others}{baseline}). Inference is {share:.1%} of an image's work there "
        f"and {biggest} the biggest part ({stages[biggest] / work:.0%}), {consequence}.",
        "",
        *_per_batch(won, row),
        *_wall_per_image(workers),
        *_against_lambda(rows, throughput[won]),
    ]


def _against_lambda(rows: dict[str, Any], best: float) -> list[str]:
    if "lambda" not in rows or rows["lambda"]["throughput"]["median"] <= best:
        return []
    concurrency = rows["lambda"]["env"]["LOCAL_FUNCTION_CONCURRENCY"]
    lambda_rate = rows["lambda"]["throughput"]["median"]
    return [
        "",
        f"The Lambda path is faster here ({lambda_rate:.1f} against {best:.1f} images/s, {lambda_rate / best:.2f}×): "
        f"its local event source runs {concurrency} invocations at once, one image each, while the worker runs one "
        "batch at a time (its downloads, stores and emails in parallel threads).",
    ]


def _per_batch(size: int, row: dict[str, Any]) -> list[str]:
    """Where a batch's wall time goes, from the worker's log and the per-image stages of the same runs."""
    batches = row.get("batches") or []
    if not batches:
        return []
    wall, images = _mean([b["batch_ms"] for b in batches]), _mean([b["classified"] for b in batches])
    store_email = _mean(row["store_email_ms"])
    inference = _mean(row["stages_ms"].get("inference_ms", [])) * images
    fetch = _mean(row["stages_ms"].get("download_ms", [])) + _mean(row["stages_ms"].get("decode_ms", []))
    return [
        f"Per batch at `BATCH_SIZE={size}`: {wall:.0f} ms of wall time for {images:.1f} images on average (after "
        f"gathering for {_mean([b['gather_ms'] for b in batches]):.0f} ms). The one inference call takes "
        f"{inference:.1f} ms of it ({inference / wall:.1%}); download + decode ({fetch:.0f} ms per image) and "
        f"store + email ({store_email:.0f} ms per image) run in the worker's parallel threads.",
    ]


def _wall_per_image(workers: dict[int, dict[str, Any]]) -> list[str]:
    """A batch's wall time per image at each size: what batching spreads (queue round trips, one call per batch)
    and what the download threads overlap."""
    found = {}
    for size, row in sorted(workers.items()):
        batches = row.get("batches") or []
        if batches:
            found[size] = _mean([b["batch_ms"] for b in batches]) / _mean([b["classified"] for b in batches])
    if len(found) < 2:
        return []
    listed = ", ".join(f"{ms:.0f} ms at {size}" for size, ms in found.items())
    return [
        "",
        f"A batch's wall time per image it classified: {listed}. That, not the inference call, is what the batch "
        "size changes here: the queue's receive and delete round trips are paid once per batch, and the images' "
        "downloads, stores and emails overlap in the worker's threads.",
    ]
