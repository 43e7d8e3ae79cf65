"""docs/benchmarks.md's batched-inference section: ONNX Runtime and LiteRT's two batch modes against the Lambda path.
Every verdict (the faster LiteRT batch mode, the winning batch size) is computed from this run's numbers."""

from __future__ import annotations

from typing import Any

from bench.stats import fmt

MODELS = {"standin": "MobileNetV2 stand-in (float32, 224×224×3)", "demo": "the shipped digits model"}
CONFIGS = {
    "onnx": "ONNX Runtime, CPU",
    "resize": "LiteRT, `resize` (one invoke per batch)",
    "loop": "LiteRT, `loop` (one invoke per image)",
}
TOLERANCE = 0.05  # a bigger batch must beat a smaller one by more than this to win: it costs latency and memory


def table_row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _ips(stat: dict[str, Any]) -> str:
    return fmt(stat, "img/s", 0)


def _times(stat: dict[str, Any]) -> str:
    return f"{stat['median']:.2f}× ({stat['low']:.2f}–{stat['high']:.2f})"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def section(batch: dict[str, Any], number: int) -> list[str]:
    threads = batch["threads"]
    lines = [
        f"## {number}. Batched inference on the CPU (the batch worker's classifier)",
        "",
        f"Images/s of one `predict_batch` call per batch, on prepared inputs from {len(batch['images'])} real "
        "images (the digit samples and the photo, decoded and prepared as the classify service does), at "
        f"**{threads} threads: what the worker uses, every core this machine gives the process** "
        f"(`os.sched_getaffinity`: {threads}). A fresh process per model × batch size × runtime, "
        f"{plural(batch['rounds'], 'round')}; LiteRT's two batch modes alternate call by call in one process; "
        "ONNX Runtime runs in a process of its own. Medians with the 5th–95th percentile over every call. "
        "The Lambda path: LiteRT `predict` on one image at one thread (one vCPU, as the function runs it), "
        "between decoding and preparing the photo — section 2's measurement for the stand-in, the same worker run "
        f"here for the shipped model. *Per vCPU* divides by the {threads} cores used; *× Lambda* compares that "
        "with the Lambda path's images/s per vCPU (medians of this run).",
        "",
    ]
    for name, entry in batch["models"].items():
        lines += _model_table(name, entry, threads)
    lines += _cuda(batch["cuda"])
    lines += litert_verdicts(batch["models"])
    lines += ["### The winning batch size on this CPU", ""]
    lines += [f"- {sentence}" for sentence in winners(batch["models"], threads)]
    return [*lines, ""]


def _model_table(name: str, entry: dict[str, Any], threads: int) -> list[str]:
    base = entry["lambda"]
    source = "section 2" if entry.get("lambda_from") == "latency" else "measured here"
    lines = [
        f"**{MODELS.get(name, name)}**",
        "",
        table_row("Configuration", "batch", "images/s", "images/s per vCPU", "× Lambda per vCPU"),
        table_row(*["---"] * 5),
        table_row(
            f"Lambda path: LiteRT, one image, 1 thread ({source})", 1, _ips(base), f"{base['median']:.0f}", "1.00×"
        ),
    ]
    for size, stats in entry["sizes"].items():
        for config, label in CONFIGS.items():
            if config in stats:
                per_vcpu = stats[config]["median"] / threads
                ratio = stats[f"{config}_per_vcpu_over_lambda"]
                lines.append(table_row(label, size, _ips(stats[config]), f"{per_vcpu:.0f}", f"{ratio:.2f}×"))
    return [*lines, ""]


def _cuda(cuda: dict[str, Any]) -> list[str]:
    lines = [table_row("ONNX Runtime, CUDA provider", "batch", "images/s"), table_row("---", "---", "---")]
    if not cuda.get("measured"):
        return [*lines, table_row(cuda["note"], "", ""), ""]
    for name, sizes in cuda["models"].items():
        for size, stats in sizes.items():
            lines.append(table_row(f"{MODELS.get(name, name)} on {cuda['device']}", size, _ips(stats["onnx"])))
    return [*lines, ""]


def faster_mode(stats: dict[str, Any], size: int) -> str:
    """resize, loop, or neither, from the paired per-process ratios of resize's images/s to loop's."""
    if size == 1:
        return "same"  # a batch of one is one invoke either way
    ratio = stats["resize_over_loop"]
    if ratio["low"] > 1:
        return "resize"
    if ratio["high"] < 1:
        return "loop"
    return "neither"


def litert_verdicts(models: dict[str, Any]) -> list[str]:
    lines = [
        "### LiteRT: resize the input to the batch, or loop over the images?",
        "",
        table_row("Model", "batch", "resize ÷ loop images/s (paired, per round)", "faster"),
        table_row(*["---"] * 4),
    ]
    loop_wins = []
    for name, entry in models.items():
        for size, stats in entry["sizes"].items():
            if "resize_over_loop" not in stats:
                continue
            verdict = faster_mode(stats, int(size))
            label = {
                "same": "the same path (one image: one invoke either way)",
                "resize": "resize",
                "loop": "**loop**",
                "neither": "neither (the ratios straddle 1: within this machine's noise)",
            }[verdict]
            if verdict == "loop":
                loop_wins.append(f"{MODELS.get(name, name)} at batch {size}")
            lines.append(table_row(MODELS.get(name, name), size, _times(stats["resize_over_loop"]), label))
    lines.append("")
    if loop_wins:
        lines.append(
            "**Loop is faster than resize for " + "; ".join(loop_wins) + ".** The runner's default, `auto`, picks "
            "resize for a model whose batch dimension is dynamic (both of these): on this CPU that is the slower "
            "choice there."
        )
    else:
        lines.append(
            "Loop never beat resize beyond the noise: the runner's default, `auto` (resize for a model whose batch "
            "dimension is dynamic, as both of these are), stands."
        )
    return [*lines, ""]


def winning_size(values: dict[int, float]) -> int:
    """The smallest batch size within TOLERANCE of the best throughput."""
    best = max(values.values())
    return min(size for size, value in values.items() if value >= best * (1 - TOLERANCE))


def _best(stats: dict[str, Any]) -> tuple[str, float]:
    return max(((config, stats[config]["median"]) for config in CONFIGS if config in stats), key=lambda c: c[1])


def winners(models: dict[str, Any], threads: int) -> list[str]:
    return [_winner(name, entry, threads) for name, entry in models.items()]


def _winner(name: str, entry: dict[str, Any], threads: int) -> str:
    """The winning size for ONNX Runtime (the worker's backend) and why, from a fixed + per-image cost fit."""
    sizes = {int(size): stats for size, stats in entry["sizes"].items()}
    onnx = {size: stats["onnx"]["median"] for size, stats in sizes.items() if "onnx" in stats}
    won = winning_size(onnx)
    return (
        f"{MODELS.get(name, name)}: **batch {won}** with ONNX Runtime, {onnx[won]:.0f} images/s "
        f"({', '.join(f'{onnx[s]:.0f} at {s}' for s in sorted(onnx))}); {_fastest(sizes)} "
        f"Why: {_cost_split(onnx, won)} {_beyond(onnx, won, threads)} {_per_vcpu(entry, threads)}"
    )


def _fastest(sizes: dict[int, dict[str, Any]]) -> str:
    size = winning_size({s: _best(stats)[1] for s, stats in sizes.items()})
    config, ips = _best(sizes[size])
    return (
        f"the fastest CPU configuration (the smallest batch within {TOLERANCE:.0%} of the best) is "
        f"{_label(config, size)} at batch {size}, {ips:.0f} images/s."
    )


def _label(config: str, size: int) -> str:
    return "LiteRT (one image: one invoke in either mode)" if size == 1 and config != "onnx" else CONFIGS[config]


def _per_vcpu(entry: dict[str, Any], threads: int) -> str:
    """How the best batched configuration per vCPU compares with the Lambda path's one image per vCPU."""
    ratios = {
        (size, config): stats[f"{config}_per_vcpu_over_lambda"]
        for size, stats in entry["sizes"].items()
        for config in CONFIGS
        if config in stats
    }
    (size, config), ratio = max(ratios.items(), key=lambda item: item[1])
    verdict = "reaches" if ratio >= 1 else "does not reach"
    return (
        f"Per vCPU, the best configuration at {threads} threads, {_label(config, int(size))} at batch {size}, "
        f"{verdict} the Lambda path's {entry['lambda']['median']:.0f} images/s (one image, one thread): "
        f"{ratio:.2f}× of it."
    )


def _cost_split(ips: dict[int, float], won: int) -> str:
    """A call's time as a fixed part plus a per-image part, fitted to the smallest batch and the winner."""
    ordered = sorted(ips)
    small = ordered[0]
    other = won if won != small else ordered[1]
    small_ms, other_ms = small * 1000 / ips[small], other * 1000 / ips[other]
    per_image = (other_ms - small_ms) / (other - small)
    fixed = small_ms - small * per_image
    if fixed <= 0 or per_image <= 0:
        return (
            f"there is no fixed per-call cost to spread: a call of {other} costs {other_ms / other:.2f} ms per image "
            f"against {small_ms / small:.2f} ms for {small}."
        )
    return (
        f"fitted to batches {small} and {other}, a call costs about {fixed:.2f} ms whatever its size plus "
        f"{per_image:.2f} ms per image, so the fixed part is {fixed / small_ms:.0%} of a {small}-image call and "
        f"{fixed / other_ms:.0%} of a {other}-image call."
    )


def _beyond(ips: dict[int, float], won: int, threads: int) -> str:
    larger = [size for size in sorted(ips) if size > won]
    if not larger:
        return "The largest batch measured wins: the fixed cost is still being spread out."
    changes = ", ".join(f"{ips[size] / ips[won] - 1:+.0%} at {size}" for size in larger)
    if all(ips[size] < ips[won] * (1 - TOLERANCE) for size in larger):
        return (
            f"Bigger batches are slower ({changes}): once the fixed cost is spread, the {threads} cores are busy "
            "with per-image work, and a bigger batch's inputs and activations only take more memory."
        )
    return (
        f"Bigger batches gain no more than {TOLERANCE:.0%} ({changes}): the {threads} cores are already busy with "
        "per-image work, and every image would wait for a bigger batch to fill."
    )
