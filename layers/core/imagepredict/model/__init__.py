"""The TFLite model runner: load once per container, classify images into every class with its probability."""

from imagepredict.model.loader import ModelIntegrityError, S3Location, container_runner, load_runner, read_model_dir
from imagepredict.model.metadata import MetadataError, ModelError, ModelMetadata, Preprocessing
from imagepredict.model.runner import Classification, ClassProbability, ModelRunner
from imagepredict.model.runtime import ModelIncompatible, RuntimeUnavailable, find_runtime

__all__ = [
    "ClassProbability",
    "Classification",
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
