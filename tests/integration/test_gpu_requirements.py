"""The GPU image's requirements resolve for the image's platform (Linux x86-64, CPython 3.12, wheels only), with
pip against the package index, and the pins are complete: nothing resolves that is not pinned, nothing is left
out. No Docker engine is needed, and no CUDA wheel is downloaded (pip reads package metadata only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpu.lock import resolve
from tests.unit.test_gpu_image import pinned

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_the_pinned_requirements_resolve_for_the_image_and_are_complete() -> None:
    resolved = resolve(ROOT / "gpu" / "requirements.txt")
    assert resolved == pinned()
    assert resolved["onnxruntime-gpu"] == "1.23.2"
    assert {"nvidia-cudnn-cu12", "nvidia-cuda-runtime-cu12", "nvidia-cublas-cu12"} <= set(resolved)  # CUDA by pip
