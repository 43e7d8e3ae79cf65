"""docs/scaling.md: capacity and cost, computed from docs/benchmarks.json (measured here) and list prices and
quotas (cited), every figure marked with where it comes from.

    .venv/bin/python -m bench.scaling          (make scaling; `make bench` refreshes the JSON it reads)
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MEASURED, GPU_MEASURED, LISTED = "measured here", "measured on a GPU", "price list / quota"
LAMBDA_MEMORY_GB = 2.0  # template.yaml: ClassifyFunction MemorySize 2048
RATES = (10, 100, 1000)  # images/s a team might plan for


@dataclass(frozen=True)
class Listed:
    value: float
    unit: str
    source: str


# us-east-1, on-demand, as published by AWS (not fetched at run time: check the page before relying on a figure).
PRICES = {
    "lambda_gb_s": Listed(0.0000166667, "$ per GB-second (x86)", "https://aws.amazon.com/lambda/pricing/"),
    "lambda_request": Listed(0.20 / 1e6, "$ per request", "https://aws.amazon.com/lambda/pricing/"),
    "sqs_request": Listed(0.40 / 1e6, "$ per request (standard queue)", "https://aws.amazon.com/sqs/pricing/"),
    "s3_put": Listed(0.005 / 1000, "$ per PUT/POST (S3 Standard)", "https://aws.amazon.com/s3/pricing/"),
    "s3_get": Listed(0.0004 / 1000, "$ per GET (S3 Standard)", "https://aws.amazon.com/s3/pricing/"),
    "ses_email": Listed(0.10 / 1000, "$ per email sent", "https://aws.amazon.com/ses/pricing/"),
    "g4dn_xlarge_hour": Listed(
        0.526, "$ per hour, g4dn.xlarge (1 NVIDIA T4, 4 vCPU)", "https://aws.amazon.com/ec2/pricing/on-demand/"
    ),
}
QUOTAS = {
    "lambda_concurrency": Listed(
        1000,
        "concurrent executions per region (default)",
        "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
    ),
    "ses_rate_production": Listed(
        14,
        "emails/s, a new production SES account (varies; raise on request)",
        "https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas.html",
    ),
    "ses_rate_sandbox": Listed(
        1,
        "email/s in the SES sandbox (200 per 24 h)",
        "https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html",
    ),
    "s3_put_prefix": Listed(
        3500,
        "PUT/POST per second per prefix",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html",
    ),
    "atlas_m10": Listed(
        1500,
        "connections, Atlas M10 (M0/Flex: 500; M20/M30: 3,000)",
        "https://www.mongodb.com/docs/atlas/reference/atlas-limits/",
    ),
    "http_api_rps": Listed(
        10000,
        "requests/s per account and region, HTTP API",
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html",
    ),
}
# Requests each image makes on the way (the pipeline's own calls): S3 POST, S3 GET + HEAD, SQS receive/delete/send.
S3_PUTS, S3_GETS, SQS_REQUESTS = 1, 2, 3
MONGO_CONNECTIONS_PER_CONTAINER = 2 + 2 * 3  # pool of 2 + pymongo's 2 monitoring sockets per member of a 3-node set


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def per_image_ms(results: dict[str, Any]) -> dict[str, float]:
    """A Lambda invocation's time per image, measured on the local stack with the shipped model; the stand-in's is
    the same minus the shipped model's decode + inference plus the stand-in's full decode-to-probabilities path."""
    lambda_row = results["batch_worker"]["rows"]["lambda"]
    shipped = median(lambda_row["claimed_to_done_ms"]) + median(lambda_row["store_email_ms"])
    stages = lambda_row["stages_ms"]
    shipped_model_part = median(stages["decode_ms"]) + median(stages["inference_ms"])
    standin_path = median(results["latency"]["litert"]["none/1"]["full_ms"])
    return {"shipped": shipped, "standin": shipped - shipped_model_part + standin_path}


def lambda_compute_cost(ms: float) -> float:
    return ms / 1000 * LAMBDA_MEMORY_GB * PRICES["lambda_gb_s"].value + PRICES["lambda_request"].value / 10


def other_cost_per_image() -> dict[str, float]:
    return {
        "S3 requests": S3_PUTS * PRICES["s3_put"].value + S3_GETS * PRICES["s3_get"].value,
        "SQS requests": SQS_REQUESTS * PRICES["sqs_request"].value,
        "SES (one email)": PRICES["ses_email"].value,
    }


def money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.1 else f"${value:,.4f}"


def render(results: dict[str, Any]) -> str:
    ms = per_image_ms(results)
    compute = {name: lambda_compute_cost(value) for name, value in ms.items()}
    others = other_cost_per_image()
    gpu_hour = PRICES["g4dn_xlarge_hour"].value
    lines = [
        "# Scaling and cost",
        "",
        f"Computed by `python -m bench.scaling` from `docs/benchmarks.json` ({results['date']}, commit "
        f"`{results['commit']}`, {results['machine']['model']} with {results['machine']['cores']} cores) and from "
        "AWS's published prices and quotas for us-east-1 (cited below; check them before relying on a figure). Every "
        f"number says where it comes from: **{MEASURED}**, **{GPU_MEASURED}**, or **{LISTED}**. "
        + _gpu_sentence(results),
        "",
        "## Cost per million images",
        "",
        "| | shipped digits model | MobileNetV2 stand-in | source |",
        "| --- | --- | --- | --- |",
        f"| Lambda time per image (classify function, 2,048 MB) | {ms['shipped']:.1f} ms | {ms['standin']:.1f} ms | "
        f"{MEASURED}: local stack (claim → done + store + email) and the stand-in's 1-thread path |",
        f"| Lambda compute per million images | {money(compute['shipped'] * 1e6)} | "
        f"{money(compute['standin'] * 1e6)} | {MEASURED} × {LISTED} (GB-s + one request per batch of 10) |",
    ]
    for name, value in others.items():
        lines.append(f"| {name} per million images | {money(value * 1e6)} | {money(value * 1e6)} | {LISTED} |")
    total = {name: (compute[name] + sum(others.values())) * 1e6 for name in ms}
    lines += [
        f"| **Total per million images (Lambda path)** | **{money(total['shipped'])}** | **{money(total['standin'])}** "
        "| sum |",
        _gpu_cost_row(results, gpu_hour),
        "",
        "The email is most of the bill: at $0.10 per 1,000, SES costs more per image than classifying it on Lambda. "
        "Classification compute is the part the GPU container can change.",
        "",
        "## When GPU containers become cheaper than Lambda",
        "",
        "One g4dn.xlarge running for an hour costs the same as Lambda's classification compute for this many "
        "images an hour (only if the instance can classify that many: its throughput was not measured on a GPU here):",
        "",
        "| model | break-even images/hour | images/s the GPU must sustain for it | source |",
        "| --- | --- | --- | --- |",
    ]
    for name, label in (("shipped", "shipped digits model"), ("standin", "MobileNetV2 stand-in")):
        per_hour = gpu_hour / compute[name]
        lines.append(f"| {label} | {per_hour:,.0f} | {per_hour / 3600:,.0f} | {MEASURED} × {LISTED} |")
    lines += ["", *_cpu_worker(results), "", *_limits(ms), "", *_sources()]
    return "\n".join(lines) + "\n"


def gpu_images_per_s(results: dict[str, Any]) -> dict[str, float] | None:
    """The best ONNX Runtime CUDA images/s per model, where `make bench` had a GPU; None where it had none."""
    cuda = results["batch"].get("cuda") or {}
    if not cuda.get("measured"):
        return None
    return {name: max(median_of(size["onnx"]) for size in sizes.values()) for name, sizes in cuda["models"].items()}


def _gpu_sentence(results: dict[str, Any]) -> str:
    cuda = results["batch"].get("cuda") or {}
    if cuda.get("measured"):
        return f"GPU figures were measured on {cuda['device']} with ONNX Runtime's CUDA provider."
    return "No GPU was lent to the run these measurements come from, so no figure here is measured on a GPU."


def _gpu_cost_row(results: dict[str, Any], gpu_hour: float) -> str:
    measured = gpu_images_per_s(results)
    if measured is None:
        return (
            "| GPU container (g4dn.xlarge) per million images | not measured on a GPU | not measured on a GPU | "
            f"needs the GPU's images/s; ${gpu_hour:.3f}/h is {LISTED} |"
        )
    cells = [money(gpu_hour / (measured[name] * 3600) * 1e6) for name in ("demo", "standin")]
    return (
        f"| GPU compute per million images (g4dn.xlarge, busy) | {cells[0]} | {cells[1]} | {GPU_MEASURED} × {LISTED} |"
    )


def _cpu_worker(results: dict[str, Any]) -> list[str]:
    rows = results["batch_worker"]["rows"]
    best = max((r for k, r in rows.items() if k.startswith("worker/")), key=lambda r: r["throughput"]["median"])
    standin = results["batch"]["models"]["standin"]["sizes"]
    ceiling = max(median_of(standin[size]["onnx"]) for size in standin)
    return [
        "## What one CPU worker does here",
        "",
        f"- The batch worker end to end on the local stack: {best['throughput']['median']:.1f} images/s at "
        f"`BATCH_SIZE={best['env']['BATCH_SIZE']}` ({MEASURED}; the local S3 and MongoDB stand-ins, not the model, "
        "set that pace), against the Lambda path's "
        f"{rows['lambda']['throughput']['median']:.1f} images/s with two warm containers.",
        f"- Batched inference alone, MobileNetV2 stand-in on {results['machine']['cores']} cores: at most "
        f"{ceiling:.0f} images/s ({MEASURED}): a CPU worker is not where heavy loads of a full-size model go.",
        "- The GPU's images/s: **not measured on a GPU** (no GPU machine in this run). `make bench` measures it with "
        "ONNX Runtime's CUDA provider when one is present, and this page then computes the cost per million.",
    ]


def median_of(summary: Any) -> float:
    return float(summary["median"]) if isinstance(summary, dict) else float(summary)


def _limits(ms: dict[str, float]) -> list[str]:
    seconds = ms["standin"] / 1000
    lines = [
        "## What binds first at 10, 100 and 1,000 images/s (the stand-in on Lambda)",
        "",
        "| images/s | Lambda concurrency | SES | MongoDB connections (worst case) | S3 uploads | what to raise |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for rate in RATES:
        concurrency = max(1, round(rate * seconds + 0.5))
        connections = concurrency * MONGO_CONNECTIONS_PER_CONTAINER
        ses = "over 14/s: emails queue up" if rate > QUOTAS["ses_rate_production"].value else "within 14/s"
        atlas = "over M10's 1,500" if connections > QUOTAS["atlas_m10"].value else "within M10's 1,500"
        raise_ = _what_to_raise(rate, concurrency, connections)
        lines.append(
            f"| {rate:,} | {concurrency:,} of {QUOTAS['lambda_concurrency'].value:,.0f} | {ses} | {connections:,} "
            f"({atlas}) | {rate:,}/s spread over per-user prefixes (3,500/s each) | {raise_} |"
        )
    lines += [
        "",
        f"Concurrency is images/s × {ms['standin']:.0f} ms ({MEASURED}); connections assume "
        f"{MONGO_CONNECTIONS_PER_CONTAINER} per container (a pool of 2, `MONGODB_MAX_POOL_SIZE`, plus pymongo's "
        "monitoring sockets to each member of a 3-node replica set). The email queue keeps classification at full "
        "speed while SES sends at its rate: raise the SES sending quota when results must arrive within minutes.",
    ]
    return lines


def _what_to_raise(rate: int, concurrency: int, connections: int) -> str:
    wants = []
    if rate > QUOTAS["ses_rate_production"].value:
        wants.append(f"SES sending rate to ≥ {rate}/s")
    if connections > QUOTAS["atlas_m10"].value:
        wants.append("an Atlas tier with more connections (or the GPU workers, which share a pool)")
    if concurrency > QUOTAS["lambda_concurrency"].value * 0.8:
        wants.append("the Lambda concurrency quota")
    return "; ".join(wants) or "nothing"


def _sources() -> list[str]:
    lines = ["## Sources", "", "| figure | value | where it comes from |", "| --- | --- | --- |"]
    for name, item in {**PRICES, **QUOTAS}.items():
        lines.append(f"| {name} | {item.value:g} {item.unit} | {item.source} |")
    return lines


def main() -> int:
    results = json.loads((ROOT / "docs" / "benchmarks.json").read_text())
    (ROOT / "docs" / "scaling.md").write_text(render(results))
    print("wrote docs/scaling.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
