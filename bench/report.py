"""The targets, judged, and docs/benchmarks.md."""

from __future__ import annotations

import statistics
from typing import Any

from bench import report_api, report_api_load, report_batch, report_load, report_worker
from bench.stats import fmt, percentile, summary

LAMBDA_LIMIT_MB = 250


def _median(values: list[float]) -> float:
    return statistics.median(values)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    cold = results.get("cold")
    if cold:
        ours = cold["ours_demo"]["first_prediction_ms"]["median"] / 1000
        original = cold["original_standin"]["first_prediction_ms"]["median"] / 1000
        found.append(
            {
                "name": "Classify cold start ≤ 0.5 s (import → settings → clients → model → first prediction)",
                "met": ours <= 0.5,
                "measured": f"{ours:.2f} s with the shipped model; "
                f"{cold['ours_standin']['first_prediction_ms']['median'] / 1000:.2f} s with the MobileNetV2 "
                f"stand-in; the original approach {original:.1f} s",
            }
        )
    latency = results.get("latency")
    if latency:
        ratio = latency["full_over_bare_1_thread"]["median"]
        found.append(
            {
                "name": "Our full per-image path ≤ 1.3× the bare LiteRT invoke (stand-in, 1 thread)",
                "met": ratio <= 1.3,
                "measured": f"{ratio:.2f}× for a 640×427 JPEG photo",
            }
        )
        bare = _median(latency["litert"]["none/1"]["bare_ms"])
        floor_ms = results["floor"]["floor_ms"]
        found.append(
            {
                "name": "LiteRT float32 within 1.5× of the physical floor",
                "met": bare / floor_ms <= 1.5,
                "measured": f"{bare:.2f} ms vs a floor of {floor_ms:.2f} ms ({bare / floor_ms:.2f}×)",
            }
        )
    sizes = results.get("size")
    if sizes:
        total = sizes["functions"]["ClassifyFunction"]["unzipped_total"] / 2**20
        found.append(
            {
                "name": "Classify function + layers ≤ 150 MB unzipped",
                "met": total <= 150,
                "measured": f"{total:.1f} MiB",
            }
        )
    auth = results.get("auth")
    if auth:
        login, hashing = _median(auth["login_ms"]), _median(auth["bcrypt_ms"])
        found.append(
            {
                "name": "Login p50 ≤ bcrypt time + 15 ms",
                "met": login <= hashing + 15,
                "measured": f"login {login:.0f} ms, bcrypt {hashing:.0f} ms: +{login - hashing:.1f} ms",
            }
        )
    return found


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _ms(values: list[float]) -> str:
    return fmt(summary(values), "ms", 2)


def markdown(results: dict[str, Any]) -> str:
    cpu = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{results['command']}` on {results['date']} at commit `{results['commit']}`"
        + (" — **quick mode: few repetitions, indicative only**" if results["quick"] else "")
        + ".",
        "",
        f"**Machine**: {cpu['model']}, {cpu['cores']} cores available, {cpu['memory_gib']} GiB; CPU flags: "
        f"{', '.join(cpu['flags']) or 'none of note'}. A shared, noisy machine: every figure is a median with its "
        "range (5th–95th percentile, or min–max for fewer than 20 samples) over repeated runs in fresh processes, "
        "and every ratio is computed from pairs measured in the same run.",
        "",
        "**Versions**: " + ", ".join(f"{name} {version}" for name, version in results["versions"].items()) + ".",
        "",
        "## Targets",
        "",
        _row("Target", "Met?", "Measured"),
        _row("---", "---", "---"),
    ]
    lines += [_row(t["name"], "✅ met" if t["met"] else "❌ missed", t["measured"]) for t in results["targets"]]
    lines += [
        "",
        *_cold(results),
        *report_api.section(results),
        *_latency(results),
        *_pipeline(results),
        *_auth(results),
        *_size(results),
        *_floor(results),
        *_batch_sections(results),
        *_fixes(results),
    ]
    return "\n".join(lines) + "\n"


def _cold(results: dict[str, Any]) -> list[str]:
    cold = results.get("cold")
    if not cold:
        return []
    names = {
        "ours_demo": "Ours, the shipped digits model",
        "ours_standin": "Ours, the MobileNetV2 stand-in (fp32)",
        "original_standin": "Original: TensorFlow + Keras `load_model` + `predict` (stand-in)",
    }
    lines = [
        "## 1. Cold start of the classify function",
        "",
        "A fresh Python process each time. Ours: import the handler module (Powertools, boto3, pymongo, "
        "Pillow, NumPy, LiteRT), read settings, create the MongoDB/S3/SES clients (they connect lazily), load "
        "and verify the model, decode and classify one JPEG. Original: import TensorFlow, `load_model`, "
        "preprocess as the Django app did, first `predict`. Milliseconds since the process's first import.",
        "",
        _row("", "imports", "model loaded", "first prediction", "process wall time"),
        _row(*["---"] * 5),
    ]
    for key, label in names.items():
        entry = cold[key]
        lines.append(
            _row(
                label,
                fmt(entry["import_ms"], "ms", 0),
                fmt(entry["model_loaded_ms"], "ms", 0),
                fmt(entry["first_prediction_ms"], "ms", 0),
                fmt(entry["process_wall_ms"], "ms", 0),
            )
        )
    rss = results.get("peak_rss", {})
    lines += [
        "",
        f"The original approach takes **{cold['original_over_ours']['median']:.1f}×** as long as ours to its "
        f"first prediction (same stand-in model, pairs from the same round). Peak memory (RSS) of our classify "
        f"path after {rss.get('images')} images: {rss.get('standin_mb', 0):.0f} MB with the stand-in, "
        f"{rss.get('demo_mb', 0):.0f} MB with the shipped model — the function's 2,048 MB setting is for the "
        "CPU share (Lambda gives CPU in proportion to memory; 1,769 MB is one full vCPU), not for memory.",
        "",
    ]
    return lines


def _latency(results: dict[str, Any]) -> list[str]:
    latency = results.get("latency")
    if not latency:
        return []
    litert, parity = latency["litert"], results["parity"]
    lines = [
        "## 2. Warm per-image latency (MobileNetV2 stand-in, 224×224×3, 10 classes, random weights)",
        "",
        "Bare invoke: set the input, invoke, read the output. Full path: what the classify function does with "
        "the downloaded bytes of a real 640×427 JPEG photo — detect, decode, orient, convert, resize (bicubic, "
        "as the model's metadata says), normalise, invoke, postprocess — interleaved with the bare invoke in "
        "the same process.",
        "",
        _row("Runtime", "1 thread", "2 threads", "size", "top-1 agreement with Keras", "largest prob. diff"),
        _row(*["---"] * 6),
    ]
    for mode in ("none", "float16", "dynamic", "int8"):
        one, two = litert.get(f"{mode}/1", {}), litert.get(f"{mode}/2", {})
        label = {"none": "float32", "float16": "float16", "dynamic": "dynamic-range", "int8": "int8"}[mode]
        lines.append(
            _row(
                f"LiteRT {label}, bare invoke",
                _ms(one["bare_ms"]),
                _ms(two["bare_ms"]),
                f"{parity[mode]['bytes'] / 2**20:.1f} MiB",
                f"{parity[mode]['top1_agreement']:.0f}%",
                f"{parity[mode]['max_abs_diff']:.4f}",
            )
        )
    lines.append(
        _row(
            "**Ours, full path** (LiteRT float32)",
            _ms(litert["none/1"]["full_ms"]),
            _ms(litert["none/2"]["full_ms"]),
            "",
            "",
            "",
        )
    )
    tflite = latency.get("tflite_runtime", {})
    for mode in ("none", "float16", "dynamic", "int8"):
        one, two = tflite.get(f"{mode}/1", {}), tflite.get(f"{mode}/2", {})
        if "error" in one:
            lines.append(_row(f"tflite-runtime 2.14 {mode}", "cannot load it: " + one["error"][:80], "", "", "", ""))
        elif one:
            lines.append(_row(f"tflite-runtime 2.14 {mode}", _ms(one["bare_ms"]), _ms(two["bare_ms"]), "", "", ""))
    onnx = latency["onnx"]
    lines.append(
        _row("ONNX Runtime float32", _ms(onnx["none/1"]["bare_ms"]), _ms(onnx["none/2"]["bare_ms"]), "", "", "")
    )
    keras = latency["keras"]
    lines.append(
        _row(
            "Keras `model.predict` (the original app)", _ms(keras["predict_ms"]) + " (TF's own threads)", "", "", "", ""
        )
    )
    lines.append(
        _row("Keras `predict_on_batch`", _ms(keras["predict_on_batch_ms"]) + " (TF's own threads)", "", "", "", "")
    )
    ratio = latency["full_over_bare_1_thread"]
    one = litert["none/1"]
    full = _median(one["full_ms"])
    decode, preprocess, infer = _median(one["decode_ms"]), _median(one["preprocess_ms"]), _median(one["infer_ms"])
    predict = _median(keras["predict_ms"])
    big, no_draft = latency["big_photo"]["full_ms"], latency["big_photo_no_draft"]["full_ms"]
    bilinear = latency["full_bilinear_over_bare_1_thread"]["median"]
    sized = latency["full_model_sized_over_bare_1_thread"]["median"]
    lines += [
        "",
        f"Our full path costs **{ratio['median']:.2f}×** the bare invoke at one thread (per-round ratios "
        f"{ratio['low']:.2f}–{ratio['high']:.2f}): decoding the JPEG {decode:.1f} ms (libjpeg), preprocessing "
        f"{preprocess:.1f} ms (almost all of it Pillow's bicubic resize from 640×427 to 224×224, which the "
        f"model's metadata asks for, as the original app did), inference {infer:.1f} ms. Keras "
        f"`model.predict`, what the original app called per image, takes **{predict / full:.0f}×** our whole "
        "path.",
        "",
        "What decides that overhead, measured in the same processes: the same photo for a model converted "
        f"with `--resize bilinear`: **{bilinear:.2f}×**; an upload already at the model's size (a client that "
        f"downsizes before uploading): **{sized:.2f}×**. The 1.3× target holds for model-sized uploads; for a "
        "640×427 photo at one thread, decoding and resizing it in Pillow cost more than 30% of a 7 ms "
        "inference, and we do not silently change the model's resize filter to hide that.",
        "",
        "Large uploads: a 12-megapixel JPEG (4032×3024) through the same path, before and after decoding "
        "JPEGs at the smallest DCT scale that still covers the model input (`decode_image(..., target=)`): "
        f"**{_median(no_draft):.0f} ms → {_median(big):.0f} ms** ({_ms(no_draft)} → {_ms(big)}).",
        "",
        "Top-1 agreement with Keras is measured by `convert_model.py` on 50 rendered digits; with random "
        "weights the stand-in's answers are not meaningful, so read that column as a check that conversion "
        "preserved the function, and the largest probability difference as the numeric error.",
        "",
    ]
    return lines


def _pipeline(results: dict[str, Any]) -> list[str]:
    pipeline = results.get("pipeline")
    if not pipeline:
        return []
    latency = pipeline["to_done_ms"]
    lines = [
        "## 3. Pipeline on the local stack",
        "",
        f"{pipeline['images']} photos uploaded through presigned POSTs by {pipeline['clients']} concurrent "
        "clients, on `make run`'s stack (moto for S3/SQS/SES, SecantusDB, the local SQS event source, two warm "
        "classify workers, the shipped digits model). These numbers describe the local stack on this machine; "
        "in AWS, Lambda scales the classify function out with the queue.",
        "",
        f"- Throughput: **{pipeline['throughput']:.1f} images/s**; statuses: {', '.join(pipeline['statuses'])}.",
        f"- From the upload's end to `done` (as the client polls it): p50 {percentile(latency, 0.5):.0f} ms, "
        f"p95 {percentile(latency, 0.95):.0f} ms, p99 {percentile(latency, 0.99):.0f} ms.",
        f"- The upload itself (POST /uploads + the POST to S3): p50 {percentile(pipeline['upload_ms'], 0.5):.0f} ms.",
        "",
        _row("Stage (from each prediction's recorded timings)", "p50", "p95", "share of the median total"),
        _row(*["---"] * 4),
    ]
    stages = pipeline["stages_ms"]
    medians = {name: _median(values) for name, values in stages.items() if values}
    total = sum(medians.values()) or 1.0
    labels = {
        "queued_ms": "queued (S3 event time → the worker starts on it)",
        "download_ms": "download (HEAD + GET from S3)",
        "decode_ms": "decode + preprocess",
        "inference_ms": "inference",
    }  # store_ms is the results JSON written for inbox/ objects only: zero for uploads, so not shown
    for name, label in labels.items():
        if name in stages:
            values = stages[name]
            lines.append(
                _row(
                    label,
                    f"{percentile(values, 0.5):.1f} ms",
                    f"{percentile(values, 0.95):.1f} ms",
                    f"{medians[name] / total * 100:.0f}%",
                )
            )
    lines += [
        "",
        "Storing the result in MongoDB and sending the email happen after the stage timings are written, "
        "so they are part of the client-side latency above but not of the table. Most of the time is queueing "
        "in the local stack: moto's S3 → SQS notification and the local event source's long poll.",
        "",
    ]
    return lines


def _auth(results: dict[str, Any]) -> list[str]:
    auth = results.get("auth")
    if not auth:
        return []
    login, register, hashing = auth["login_ms"], auth["register_ms"], auth["bcrypt_ms"]
    share = _median(hashing) / _median(login) * 100
    return [
        "## 4. Auth",
        "",
        f"Over HTTP through the local gateway and the auth function, bcrypt cost {auth['rounds']} (the "
        "template's default); bcrypt alone measured in this process between the logins.",
        "",
        _row("", "p50", "p95", "n"),
        _row(*["---"] * 4),
        _row("Register", f"{percentile(register, 0.5):.0f} ms", f"{percentile(register, 0.95):.0f} ms", len(register)),
        _row("Login", f"{percentile(login, 0.5):.0f} ms", f"{percentile(login, 0.95):.0f} ms", len(login)),
        _row(
            "bcrypt check alone",
            f"{percentile(hashing, 0.5):.0f} ms",
            f"{percentile(hashing, 0.95):.0f} ms",
            len(hashing),
        ),
        "",
        f"bcrypt is **{share:.0f}%** of a login; verifying an access token (HS256, pinned algorithm, "
        f"`exp`/`iss`/`aud` checked) costs **{auth['verify_us']:.0f} µs** per request.",
        "",
    ]


def _size(results: dict[str, Any]) -> list[str]:
    sizes = results.get("size")
    if not sizes:
        return ["## 5. Size", "", "Skipped: run `make build` first (`make bench` does).", ""]
    lines = [
        "## 5. Size (after `sam build`)",
        "",
        _row("Function", "code", "layers", "unzipped total", "zipped total", f"of Lambda's {LAMBDA_LIMIT_MB} MB"),
        _row(*["---"] * 6),
    ]
    for name, entry in sizes["functions"].items():
        total = entry["unzipped_total"] / 2**20
        lines.append(
            _row(
                name,
                f"{entry['code']['unzipped'] / 1024:.0f} KiB",
                ", ".join(entry["layers"]),
                f"{total:.1f} MiB",
                f"{entry['zipped_total'] / 2**20:.1f} MiB",
                f"{total / LAMBDA_LIMIT_MB * 100:.0f}%",
            )
        )
    lines += [
        "",
        "The ML layer is built by `layers/ml/Makefile`, which drops what the CPU interpreter never loads "
        "(LiteRT's WebGPU accelerator, converter, calibration and AOT tools; NumPy's tests): 39 MB less. "
        "Its biggest remaining files:",
        "",
        _row("File", "size"),
        _row("---", "---"),
    ]
    lines += [_row(f"`{item['path']}`", f"{item['bytes'] / 2**20:.1f} MiB") for item in sizes["ml_biggest"]]
    return [*lines, ""]


def _floor(results: dict[str, Any]) -> list[str]:
    floor_ = results["floor"]
    bare = results.get("latency", {}).get("litert", {}).get("none/1", {}).get("bare_ms")
    lines = [
        "## 6. Physical floor",
        "",
        f"The stand-in has **{floor_['macs'] / 1e6:.1f} M multiply-adds** (convolutions, depthwise convolutions "
        "and the dense layer, counted from the layers' shapes). This CPU's single-core float32 peak, measured as "
        f"the best of several 2048×2048 SGEMMs in OpenBLAS: **{floor_['peak_gflops']:.0f} GFLOP/s**. So one "
        f"inference cannot take less than **{floor_['floor_ms']:.2f} ms** on one core.",
    ]
    if bare:
        lines.append(
            f"LiteRT float32 takes {_median(bare):.2f} ms: **{_median(bare) / floor_['floor_ms']:.2f}×** the "
            "floor (depthwise convolutions cannot reach SGEMM's arithmetic intensity)."
        )
    return [*lines, ""]


def _batch_sections(results: dict[str, Any]) -> list[str]:
    """Sections 7, 8, 9 and 10 (when measured): batched inference, the batch worker end to end, the heavy-load run
    (`make load-pipeline`, measured apart and kept in the JSON under "load") and the Locust run (`make load`, under
    "api_load")."""
    lines, number = [], 7
    if results.get("batch"):
        lines += report_batch.section(results["batch"], number)
        number += 1
    if results.get("batch_worker"):
        lines += report_worker.section(results["batch_worker"], number)
        number += 1
    if results.get("load"):
        lines += report_load.section(results["load"], number)
        number += 1
    if results.get("api_load"):
        lines += report_api_load.section(results["api_load"], number)
    return lines


# Measured before the fixes, by this benchmark at commit c29872d (quick mode) and by hand on the same machine.
BEFORE = {
    "cold_s": 0.61,
    "classify_mib": 167.1,
    "full_over_bare": 1.92,
}


def _fixes(results: dict[str, Any]) -> list[str]:
    lines = [
        f"## {7 + sum(bool(results.get(key)) for key in ('batch', 'batch_worker', 'load', 'api_load'))}. "
        "What the targets made us fix",
        "",
        _row("Change", "before", "after (this run)"),
        _row("---", "---", "---"),
    ]
    cold = results.get("cold")
    if cold:
        after = cold["ours_demo"]["first_prediction_ms"]["median"] / 1000
        lines.append(
            _row(
                "Cold start: the X-Ray SDK kept off the classify function (its recorder builds botocore "
                "clients at import; Lambda's active tracing still records the function)",
                f"{BEFORE['cold_s']:.2f} s",
                f"{after:.2f} s",
            )
        )
    sizes = results.get("size")
    if sizes:
        after = sizes["functions"]["ClassifyFunction"]["unzipped_total"] / 2**20
        lines.append(
            _row(
                "Size: the ML layer trimmed of files the CPU interpreter never loads (checked in "
                "/proc/self/maps after a prediction)",
                f"{BEFORE['classify_mib']:.1f} MiB",
                f"{after:.1f} MiB",
            )
        )
    latency = results.get("latency")
    if latency:
        after = latency["full_over_bare_1_thread"]["median"]
        big, before_big = _median(latency["big_photo"]["full_ms"]), _median(latency["big_photo_no_draft"]["full_ms"])
        lines.append(
            _row(
                "Full path: no image copy for EXIF-upright images, JPEGs decoded at a reduced DCT scale "
                "when large, a reducing gap for big downscales",
                f"{BEFORE['full_over_bare']:.2f}× (12 MP photo: {before_big:.0f} ms)",
                f"{after:.2f}× (12 MP photo: {big:.0f} ms)",
            )
        )
    return [*lines, ""]
