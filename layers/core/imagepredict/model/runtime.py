"""Which TFLite interpreter is installed: LiteRT (ai-edge-litert) first, tflite-runtime as the fallback."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from imagepredict.model.metadata import ModelError

RUNTIMES = {
    "litert": "ai_edge_litert.interpreter",
    "tflite-runtime": "tflite_runtime.interpreter",
}


class RuntimeUnavailable(ModelError):
    """No TFLite interpreter can be imported."""


class ModelIncompatible(ModelError):
    """The installed runtime cannot run this model (for example tflite-runtime and a dynamic-range model)."""


@dataclass(frozen=True)
class Runtime:
    name: str
    interpreter_class: Any

    def create(self, model_content: bytes, num_threads: int) -> Any:
        return self.interpreter_class(model_content=model_content, num_threads=num_threads)


def find_runtime(preference: str = "auto") -> Runtime:
    """The named runtime, or with "auto" the first of LiteRT, tflite-runtime that imports."""
    if preference != "auto" and preference not in RUNTIMES:
        raise RuntimeUnavailable(f"Unknown model runtime {preference!r}: use auto, {', '.join(RUNTIMES)}")
    names = list(RUNTIMES) if preference == "auto" else [preference]
    failures = []
    for name in names:
        try:
            module = importlib.import_module(RUNTIMES[name])
        except ImportError as error:
            failures.append(f"{name}: {error}")
            continue
        return Runtime(name, module.Interpreter)
    raise RuntimeUnavailable(
        "No TFLite runtime could be imported (" + "; ".join(failures) + "). Install ai-edge-litert "
        "(or tflite-runtime with numpy<2 on Python <= 3.11)."
    )


def explain_load_failure(runtime: Runtime, quantization: str, error: Exception) -> ModelError:
    """Turn an interpreter's load error into one that says what to do about it."""
    message = str(error)
    too_new = "Didn't find op for builtin opcode" in message
    if runtime.name == "tflite-runtime" and (quantization == "dynamic" or too_new):
        return ModelIncompatible(
            "tflite-runtime cannot run this model: it was converted with newer op versions than tflite-runtime 2.14 "
            "knows (dynamic-range quantization from current converters does this). Install ai-edge-litert, or "
            f"convert with --quantize none, float16 or int8. Runtime said: {message.strip()}"
        )
    return ModelError(f"{runtime.name} could not load the model: {message.strip()}")
