"""The benchmark code, exercised small and fast so it cannot rot: every worker, the stack measurements, the sizes,
the floor, the targets and the report (the full run is `make bench`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench import batch, floor, report, report_batch, report_worker, service, size
from bench.__main__ import COLD_ENV
from bench.machine import cpu, versions
from bench.run import TFLITE_PYTHON, worker
from bench.stats import summary
from devstack.launch import RunningStack
from devstack.template import Template

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "functions" / "classify" / "model"
VARIANTS = ROOT / "tests" / "fixtures" / "models"
JPEG = ROOT / "tests" / "fixtures" / "digits" / "digit-7.jpg"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_keras(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import tensorflow as tf

    inputs = tf.keras.Input((224, 224, 3))
    pooled = tf.keras.layers.GlobalAveragePooling2D()(tf.keras.layers.Conv2D(4, 3, strides=8)(inputs))
    path = tmp_path_factory.mktemp("bench") / "tiny.keras"
    tf.keras.Model(inputs, tf.keras.layers.Dense(3, activation="softmax")(pooled)).save(path)
    return path


def test_the_workers_measure_what_the_report_needs() -> None:
    variants = {"none": str(DEMO), "dynamic": str(VARIANTS / "digits-dynamic")}
    common = {"threads": [1], "iterations": 3, "warmup": 1, "jpeg": str(JPEG), "variants": variants}
    litert, wall = worker("interpreters", {**common, "runtime": "litert", "alternatives": True})
    assert wall > 0
    for key in ("bare_ms", "full_ms", "full_bilinear_ms", "full_model_sized_ms", "decode_ms", "infer_ms"):
        assert len(litert["none/1"][key]) == 3, key
    assert len(litert["dynamic/1"]["bare_ms"]) == 3
    if TFLITE_PYTHON.exists():
        old, _ = worker(
            "interpreters", {**common, "runtime": "tflite-runtime", "full_path": False}, python=TFLITE_PYTHON
        )
        assert "tflite-runtime cannot run this model" in old["dynamic/1"]["error"]
        assert len(old["none/1"]["bare_ms"]) == 3
    ours, _ = worker(
        "cold-ours", {"model_dir": str(DEMO), "threads": 1, "jpeg": str(JPEG), "load_images": 2}, env=COLD_ENV
    )
    assert ours["top"] == "7"
    assert 0 < ours["import_ms"] < ours["model_loaded_ms"] < ours["first_prediction_ms"]
    assert ours["peak_rss_mb"] > 10


@pytest.mark.tensorflow  # the original approach is TensorFlow's: .venv-convert
def test_the_original_approach_is_measured_with_keras(tiny_keras: Path) -> None:
    original, _ = worker("cold-original", {"keras_path": str(tiny_keras), "jpeg": str(JPEG)})
    assert original["first_prediction_ms"] > original["import_ms"] > 0
    keras, _ = worker("keras", {"keras_path": str(tiny_keras), "iterations": 2, "warmup": 1})
    assert len(keras["predict_ms"]) == 2


def test_auth_and_pipeline_are_measured_through_the_stack(stack: RunningStack) -> None:
    auth = service.auth(stack, users=2, rounds=4)
    assert len(auth["login_ms"]) == len(auth["bcrypt_ms"]) == 2
    assert auth["verify_us"] > 0
    pipeline = service.pipeline(stack, JPEG, images=2, clients=1)
    assert pipeline["statuses"] == ["done"]
    assert pipeline["throughput"] > 0
    assert {"download_ms", "decode_ms", "inference_ms"} <= set(pipeline["stages_ms"])


def test_sizes_follow_the_template_and_the_report_judges_every_target(tmp_path: Path) -> None:
    build = tmp_path / "build"
    template = Template(ROOT / "template.yaml")
    for function in template.functions():
        (build / function.logical_id).mkdir(parents=True)
        (build / function.logical_id / "app.py").write_text("x" * 1000)
        for layer in function.layers:
            (build / layer["Ref"] / "python").mkdir(parents=True, exist_ok=True)
            (build / layer["Ref"] / "python" / "big.so").write_bytes(b"\0" * 200_000)
    measured = size.sizes(ROOT, build)
    classify = measured["functions"]["ClassifyFunction"]
    assert classify["unzipped_total"] == 1000 + 2 * 200_000
    assert classify["zipped_total"] < classify["unzipped_total"]
    assert measured["ml_biggest"][0]["path"] == "python/big.so"

    gflops = floor.peak_gflops(n=256, repeats=1)
    assert gflops > 0.1
    results = {
        "command": "test",
        "quick": True,
        "machine": cpu(),
        "versions": versions(),
        "commit": "x",
        "date": "now",
        "floor": {"macs": 300_000_000, "peak_gflops": gflops, "floor_ms": floor.floor_ms(300_000_000, gflops)},
        "size": measured,
        "auth": {
            "login_ms": [260.0, 262.0],
            "bcrypt_ms": [250.0, 251.0],
            "register_ms": [270.0],
            "verify_us": 40.0,
            "rounds": 12,
        },
    }
    results["targets"] = report.targets(results)
    names = [target["name"] for target in results["targets"]]
    assert any("150 MB" in name for name in names)
    assert any("Login" in name for name in names)
    assert all(target["met"] for target in results["targets"])
    text = report.markdown(results)
    assert "## Targets" in text
    assert "## 5. Size" in text
    assert "## 6. Physical floor" in text
    assert summary([1.0, 2.0, 3.0])["median"] == 2.0


def test_batched_inference_is_measured_and_reported() -> None:
    measured = batch.inference({"demo": DEMO}, JPEG, rounds=1, quick=True, log=lambda _: None, sizes=(1, 4))
    entry = measured["models"]["demo"]
    assert entry["lambda_from"] == "batch"
    assert entry["lambda"]["median"] > 0
    assert {"onnx", "resize", "loop", "resize_over_loop", "onnx_per_vcpu_over_lambda"} <= set(entry["sizes"]["4"])
    assert entry["sizes"]["4"]["backend"] == "onnxruntime/CPUExecutionProvider"
    text = "\n".join(report_batch.section(measured, 7))
    assert "## 7. Batched inference" in text
    assert "**batch " in text
    if not measured["cuda"]["measured"]:
        assert batch.NO_GPU in text


def test_the_batch_worker_is_measured_end_to_end_on_a_stack() -> None:
    settings = batch.stack_settings([4])["worker/4"]
    run = batch.on_stack(settings, batch.upload_mix(JPEG, 4), clients=2)
    assert run["statuses"] == ["done"]
    assert run["batches"]
    assert run["throughput"] > 0
    assert {"download_ms", "decode_ms", "inference_ms"} <= set(run["stages_ms"])
    rows = {"worker/4": {"env": settings, **batch.pooled([run])}}
    worker = {"images": 4, "clients": 2, "cores": 2, "rounds": 1, "rows": rows}
    text = "\n".join(report_worker.section(worker, 8))
    assert "`BATCH_SIZE=4` wins" in text


def test_the_api_functions_cold_start_is_measured_and_reported() -> None:
    from bench import report_api
    from bench.__main__ import api_cold_starts

    measured = api_cold_starts(1)
    assert {name: entry["status"] for name, entry in measured.items()} == {
        "auth": 400,
        "uploads": 400,  # signed in, so the answer is validation's, not the bearer check's
        "predictions": 400,
        "health": 404,
        "admin": 400,  # an admin's token, so validation's answer (a user's would be 403 first)
    }
    for entry in measured.values():
        assert 0 < entry["pydantic_ms"]["median"] < entry["import_ms"]["median"] <= entry["first_request_ms"]["median"]
    text = "\n".join(report_api.section({"api_cold": measured}))
    assert "## 1b. Cold start of the API functions" in text
    assert text.count("| ") >= 6
