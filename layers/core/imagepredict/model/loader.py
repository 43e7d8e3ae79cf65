"""Finding a model: the function's bundled directory, or MODEL_S3_URI downloaded to /tmp and verified by SHA-256."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from imagepredict.model.metadata import MetadataError, ModelError, ModelMetadata
from imagepredict.model.runner import ModelRunner
from imagepredict.model.runtime import find_runtime

if TYPE_CHECKING:
    from imagepredict.settings import Settings

MODEL_FILE = "model.tflite"
ONNX_FILE = "model.onnx"
METADATA_FILE = "model.json"


class ModelIntegrityError(ModelError):
    """The model's bytes do not match the SHA-256 its metadata records."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ends with "/"

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        parts = urlsplit(uri)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"expected s3://bucket/prefix/, got {uri!r}")
        prefix = parts.path.lstrip("/")
        if prefix.endswith((MODEL_FILE, ONNX_FILE, METADATA_FILE)):
            prefix = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
        elif prefix and not prefix.endswith("/"):
            prefix += "/"
        return cls(parts.netloc, prefix)

    def key(self, name: str) -> str:
        return self.prefix + name


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def expected_sha256(metadata: ModelMetadata, file: str) -> str:
    if file == ONNX_FILE:
        if metadata.onnx_sha256 is None:
            raise ModelError(
                "model.json records no model.onnx: convert the model with `convert_model.py --onnx` to run it with "
                "ONNX Runtime (or use the LiteRT backend)"
            )
        return metadata.onnx_sha256
    return metadata.tflite_sha256


def verify(content: bytes, metadata: ModelMetadata, origin: str, file: str = MODEL_FILE) -> None:
    actual, expected = sha256_of(content), expected_sha256(metadata, file)
    if actual != expected:
        raise ModelIntegrityError(
            f"{origin}: {file} has SHA-256 {actual}, but model.json expects {expected}. "
            f"Upload {file} and model.json together, from the same convert_model.py run."
        )


def read_model_dir(directory: Path, file: str = MODEL_FILE) -> tuple[bytes, ModelMetadata]:
    """The model bytes (model.tflite, or model.onnx) and metadata from a model directory, verified."""
    metadata = ModelMetadata.read(directory / METADATA_FILE)
    expected_sha256(metadata, file)
    try:
        content = (directory / file).read_bytes()
    except OSError as error:
        raise ModelError(f"{directory / file} cannot be read: {error.strerror or error}") from None
    verify(content, metadata, str(directory), file)
    return content, metadata


def fetch_from_s3(uri: str, s3: Any, cache_dir: Path, file: str = MODEL_FILE) -> Path:
    """Download model.json and the model file under cache_dir (once per model digest); return that directory."""
    location = S3Location.parse(uri)
    staging = Path(tempfile.mkdtemp(prefix="model-", dir=cache_dir))
    try:
        s3.download_file(location.bucket, location.key(METADATA_FILE), str(staging / METADATA_FILE))
        metadata = ModelMetadata.read(staging / METADATA_FILE)
        digest = expected_sha256(metadata, file)
        target = cache_dir / f"model-{digest}"
        if (target / file).is_file():
            return target
        s3.download_file(location.bucket, location.key(file), str(staging / file))
        verify((staging / file).read_bytes(), metadata, uri, file)
        if target.exists():  # another process of this host got there first
            return target
        os.replace(staging, target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def model_dir(*, bundled_dir: Path, s3_uri: str | None, s3: Any, cache_dir: Path | None, file: str) -> Path:
    """Where the model to load lies: downloaded from MODEL_S3_URI when one is set, else the bundled directory."""
    if not s3_uri:
        return bundled_dir
    if s3 is None:
        raise ValueError("an S3 client is needed to load a model from S3")
    return fetch_from_s3(s3_uri, s3, cache_dir or Path(tempfile.gettempdir()), file)


def default_threads() -> int:
    """As many threads as this container has CPUs, up to 4 (Lambda gives 2 vCPUs at 1,769 MB and more above)."""
    return max(1, min(4, len(os.sched_getaffinity(0))))


def load_runner(
    *,
    bundled_dir: Path,
    s3_uri: str | None = None,
    s3: Any = None,
    cache_dir: Path | None = None,
    num_threads: int = 0,
    runtime: str = "auto",
) -> ModelRunner:
    """The model from MODEL_S3_URI when one is set, else the bundled one; verified, loaded and ready."""
    directory = model_dir(bundled_dir=bundled_dir, s3_uri=s3_uri, s3=s3, cache_dir=cache_dir, file=MODEL_FILE)
    try:
        content, metadata = read_model_dir(directory)
    except MetadataError as error:
        raise MetadataError(f"{directory}: {error}") from None
    return ModelRunner(content, metadata, num_threads=num_threads or default_threads(), runtime=find_runtime(runtime))


@lru_cache(maxsize=1)
def container_runner(settings: Settings, bundled_dir: Path) -> ModelRunner:
    """The container's model, loaded on first use and kept for every later invocation."""
    s3 = None
    if settings.model_s3_uri:
        import boto3

        s3 = boto3.client("s3")
    return load_runner(
        bundled_dir=bundled_dir,
        s3_uri=settings.model_s3_uri,
        s3=s3,
        num_threads=settings.model_threads,
        runtime=settings.model_runtime,
    )
