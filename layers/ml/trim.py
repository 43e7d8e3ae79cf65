"""Remove what the classify function never loads from the built ML layer (run by `sam build`, see Makefile).

LiteRT's wheel carries a WebGPU accelerator, the model converter, calibration and analysis tools and ahead-of-time
compilation helpers; the TFLite Interpreter on a CPU loads only the interpreter wrapper, libLiteRt and the common
pywrap library (checked in /proc/self/maps after a prediction). NumPy's test suites are never imported.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

UNUSED = [
    "ai_edge_litert/libLiteRtWebGpuAccelerator.so",
    "ai_edge_litert/tools",
    "ai_edge_litert/aot",
    "ai_edge_litert/vendors",
    "ai_edge_litert/_pywrap_litert_converter.so",
    "ai_edge_litert/_pywrap_tensorflow_lite_calibration_wrapper.so",
    "ai_edge_litert/_pywrap_tfl_calibration.so",
    "ai_edge_litert/_pywrap_analyzer_wrapper.so",
    "ai_edge_litert/_pywrap_modify_model_interface.so",
    "ai_edge_litert/pywrap_genai_ops.so",
    "ai_edge_litert/format_converter_wrapper_pybind11.so",
    "ai_edge_litert/_pywrap_litert_compiled_model_wrapper.so",
    "ai_edge_litert/_pywrap_litert_tensor_buffer_wrapper.so",
    "ai_edge_litert/_pywrap_litert_environment_wrapper.so",
]
UNUSED_GLOBS = ["numpy/**/tests", "numpy/_pyinstaller", "numpy/f2py", "**/__pycache__"]


def size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def trim(root: Path) -> int:
    targets = [root / relative for relative in UNUSED] + [p for pattern in UNUSED_GLOBS for p in root.glob(pattern)]
    saved = 0
    for target in targets:
        if not target.exists():
            continue
        saved += size(target)
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    return saved


if __name__ == "__main__":
    freed = trim(Path(sys.argv[1]))
    print(f"trimmed {freed / 1e6:.1f} MB the classify function never loads")
