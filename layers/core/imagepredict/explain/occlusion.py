"""Occlusion sensitivity: which regions of the model's input the target class's probability depends on.

TFLite gives no gradients, so this needs nothing but `Classifier.predict_batch`: any classifier (LiteRT, ONNX
Runtime) is explained the same way. The input is divided into a GRID x GRID grid of cells; each variant covers a
patch of 2 x 2 cells (so neighbouring patches overlap by one cell, stride = one cell = size / GRID) with the
baseline, and the drop of the target class's probability is charged to the cells it covers. A cell's raw score is
the mean drop over the patches covering it (interior cells are covered by 4 patches, edge cells by 2, corners by 1).

Baseline: a blur. Each patch is replaced by the same region of a box-blurred copy of the input (kernel = the
patch, edges repeated): the region loses its detail, and a blank region stays as it was, so covering it costs
nothing and only regions with structure can score. A constant fill (the input's mean, black, a training mean
model.json does not record) paints a new square with new edges onto the picture, which the model reacts to wherever
it lands: on the digits placed off-centre on a blank canvas (tests/integration/test_explain_sanity.py) the
input-mean fill put 5 % to 87 % of the heat on the digit's box (a fifth of the canvas), the blur 51 % to 95 %.
The blur's blind spot: structure already smooth at the patch's scale (a uniform blob wider than a patch) survives
its own blur and scores low.

Scores: a cell's score is max(mean drop, 0) / the largest mean drop, so 0 is "covering it did not lower the
probability" (or raised it) and 1 "mattered most"; raw_min and raw_max keep the unnormalised range.

Cost: (GRID - 1)^2 + 1 inputs (169 occluded variants and the original for GRID 14) through `predict_batch` in as few
calls as MAX_BATCH_BYTES allows: the variants of a 224x224x3 float model are 97 MiB, one call.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from imagepredict.model.classifier import Classification, Classifier

METHOD = "occlusion"
BASELINE = "blur"
GRID = 14
# Occluded inputs per predict_batch call, in bytes of float32 input. The runner stacks them into one more array and
# its interpreter holds a third copy, so the peak is about 3x this: ~300 MiB at most for a chunk, well inside the
# classify function's memory. The demo model and MobileNetV2 (224x224x3) need one call; larger inputs are chunked.
MAX_BATCH_BYTES = 128 * 1024 * 1024
FLAT = 1e-6  # a largest drop below this is float32 noise: nothing mattered, every cell is 0


@dataclass(frozen=True)
class Saliency:
    """One occlusion map over the model's input (rows top to bottom), ready to colour or to store with a prediction."""

    method: str
    target: str  # the explained class's label
    grid: tuple[tuple[float, ...], ...]  # rows x cols in [0, 1]: max(drop, 0) / the largest drop
    raw_min: float  # the smallest and largest mean drop of the target's probability before normalising
    raw_max: float  # (a negative raw_min: covering that region raised the probability)
    base_probability: float  # the target's probability on the unoccluded input
    patch: tuple[int, int]  # (height, width) in model-input pixels, nominal (cell edges are rounded when uneven)
    stride: tuple[int, int]
    baseline: str
    variants: int  # occluded inputs classified
    batches: int  # predict_batch calls it took
    ms: float  # wall time of the whole explanation

    def array(self) -> np.ndarray:
        return np.asarray(self.grid, dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        """Small enough to store with the prediction: the grid to 4 decimals (what a client re-colours)."""
        return {
            "method": self.method,
            "target": self.target,
            "grid": [[round(value, 4) for value in row] for row in self.grid],
            "raw_min": self.raw_min,
            "raw_max": self.raw_max,
            "base_probability": self.base_probability,
            "patch": list(self.patch),
            "stride": list(self.stride),
            "baseline": self.baseline,
            "variants": self.variants,
            "ms": self.ms,
        }


@dataclass(frozen=True)
class Layout:
    """Where the grid's cells lie in the model's input: cell i spans rows[i]:rows[i + 1] (and the same for cols)."""

    rows: np.ndarray
    cols: np.ndarray

    @classmethod
    def of(cls, height: int, width: int, grid: int = GRID) -> Layout:
        if min(height, width) < 2:
            raise ValueError(f"a model input of {height}x{width} is too small to occlude")
        return cls(edges(height, min(grid, height)), edges(width, min(grid, width)))

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows) - 1, len(self.cols) - 1

    @property
    def stride(self) -> tuple[int, int]:
        return int(self.rows[-1]) // self.shape[0], int(self.cols[-1]) // self.shape[1]

    def patches(self) -> Iterator[tuple[int, int]]:
        """The top-left cell of every 2x2-cell patch, row by row."""
        rows, cols = self.shape
        for row in range(rows - 1):
            for col in range(cols - 1):
                yield row, col

    def pixels(self, row: int, col: int) -> tuple[slice, slice]:
        return slice(self.rows[row], self.rows[row + 2]), slice(self.cols[col], self.cols[col + 2])


def edges(size: int, cells: int) -> np.ndarray:
    return np.rint(np.linspace(0, size, cells + 1)).astype(int)


def explain(prepared: np.ndarray, classifier: Classifier, target: int, *, grid: int = GRID) -> Saliency:
    """The occlusion map of class index `target` (in the model's label order) for one prepared (1, H, W, C) input."""
    started = time.perf_counter()
    labels = classifier.metadata.labels
    if not 0 <= target < len(labels):
        raise ValueError(f"target must be a class index in 0..{len(labels) - 1}, got {target}")
    height, width = classifier.input_size
    image = np.asarray(prepared, dtype=np.float32)
    if image.ndim != 4 or image.shape[:3] != (1, height, width):
        raise ValueError(f"expected a prepared input of shape (1, {height}, {width}, C), got {image.shape}")
    layout = Layout.of(height, width, grid)
    stride = layout.stride
    fill = box_blur(image[0], (2 * stride[0], 2 * stride[1]))
    patches = list(layout.patches())
    probabilities, batches = target_probabilities(image, fill, layout, patches, classifier, labels[target])
    raw = mean_drops(probabilities[0] - probabilities[1:], layout, patches)
    low, high = float(raw.min()), float(raw.max())
    normalised = np.maximum(raw, 0.0) / high if high > FLAT else np.zeros_like(raw)
    return Saliency(
        method=METHOD,
        target=labels[target],
        grid=tuple(tuple(float(value) for value in row) for row in np.clip(normalised, 0.0, 1.0)),
        raw_min=low,
        raw_max=high,
        base_probability=float(probabilities[0]),
        patch=(2 * stride[0], 2 * stride[1]),
        stride=stride,
        baseline=BASELINE,
        variants=len(patches),
        batches=batches,
        ms=round((time.perf_counter() - started) * 1000, 3),
    )


def target_probabilities(
    image: np.ndarray,
    fill: np.ndarray,
    layout: Layout,
    patches: list[tuple[int, int]],
    classifier: Classifier,
    label: str,
) -> tuple[np.ndarray, int]:
    """The label's probability on the original (first) and every occluded variant, and the predict_batch calls."""
    per_chunk = max(1, MAX_BATCH_BYTES // image.nbytes)
    items: list[tuple[int, int] | None] = [None, *patches]  # None: the unoccluded input, in the same batch
    found: list[float] = []
    batches = 0
    for start in range(0, len(items), per_chunk):
        chunk = items[start : start + per_chunk]
        variants = np.repeat(image, len(chunk), axis=0)
        for slot, patch in enumerate(chunk):
            if patch is not None:
                rows, cols = layout.pixels(*patch)
                variants[slot, rows, cols, :] = fill[rows, cols, :]
        results = classifier.predict_batch([variants[i : i + 1] for i in range(len(chunk))])
        found.extend(probability_of(label, result) for result in results)
        batches += 1
    return np.asarray(found, dtype=np.float64), batches


def box_blur(image: np.ndarray, kernel: tuple[int, int]) -> np.ndarray:
    """An (H, W, C) image averaged over a kernel-sized box around each pixel (edges repeated), float32."""
    blurred = image.astype(np.float64)
    for axis, size in enumerate(kernel):
        size = max(1, min(size, blurred.shape[axis]))
        padding = [(0, 0)] * blurred.ndim
        padding[axis] = (size // 2, size - 1 - size // 2)
        sums = np.cumsum(np.pad(blurred, padding, mode="edge"), axis=axis)
        sums = np.concatenate([np.zeros_like(np.take(sums, [0], axis=axis)), sums], axis=axis)
        length = blurred.shape[axis]
        upper = np.take(sums, np.arange(size, size + length), axis=axis)
        lower = np.take(sums, np.arange(length), axis=axis)
        blurred = (upper - lower) / size
    return blurred.astype(np.float32)


def probability_of(label: str, result: Classification) -> float:
    for entry in result.probabilities:
        if entry.label == label:
            return entry.probability
    raise ValueError(f"the classifier returned no probability for {label!r}")


def mean_drops(drops: np.ndarray, layout: Layout, patches: list[tuple[int, int]]) -> np.ndarray:
    """Each cell's mean drop over the patches covering it."""
    total = np.zeros(layout.shape, dtype=np.float64)
    covering = np.zeros(layout.shape, dtype=np.float64)
    for drop, (row, col) in zip(drops, patches, strict=True):
        total[row : row + 2, col : col + 2] += drop
        covering[row : row + 2, col : col + 2] += 1
    return total / covering
