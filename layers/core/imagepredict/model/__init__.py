"""Classifiers: load a converted model once per container, classify batches into every class with its probability.

`ModelRunner` runs model.tflite (LiteRT, or tflite-runtime); `imagepredict.model.onnx.OnnxRunner` runs model.onnx
(ONNX Runtime, CUDA when present) for the batch worker and is imported only there: ONNX Runtime is no Lambda layer's.
"""

from imagepredict.model.classifier import Classification, Classifier, ClassProbability
from imagepredict.model.loader import ModelIntegrityError, S3Location, container_runner, load_runner, read_model_dir
from imagepredict.model.metadata import MetadataError, ModelError, ModelMetadata, Preprocessing
from imagepredict.model.runner import ModelRunner
from imagepredict.model.runtime import ModelIncompatible, RuntimeUnavailable, find_runtime

__all__ = [
    "ClassProbability",
    "Classification",
    "Classifier",
    "MetadataError",
    "ModelError",
    "ModelIncompatible",
    "ModelIntegrityError",
    "ModelMetadata",
    "ModelRunner",
    "Preprocessing",
    "RuntimeUnavailable",
    "S3Location",
    "container_runner",
    "find_runtime",
    "load_runner",
    "read_model_dir",
]
