"""Helpers for the explanation sanity tests: a .tflite copy with re-initialised weights, and Spearman's rho in NumPy.

No TensorFlow: the flatbuffer is read with the `flatbuffers` runtime (the ML layer's pin) following TFLite's
schema (tensorflow/compiler/mlir/lite/schema/schema.fbs): Model.subgraphs (field 2) and Model.buffers (field 4),
SubGraph.tensors (0), Tensor.type (1) and Tensor.buffer (2), Buffer.data (0). A constant tensor's data is a byte
vector inside the file, so the copy keeps every offset and only those bytes change.
"""

from __future__ import annotations

import numpy as np
from flatbuffers import encode, number_types
from flatbuffers.table import Table

FLOAT32 = 0  # TensorType.FLOAT32


def field(table: Table, index: int) -> int:
    """The offset of field `index` in the table (0 when absent): vtable slots start at 4, 2 bytes each."""
    return table.Offset(4 + 2 * index)


def children(table: Table, index: int) -> list[Table]:
    offset = field(table, index)
    if not offset:
        return []
    start = table.Vector(offset)
    return [Table(table.Bytes, table.Indirect(start + 4 * i)) for i in range(table.VectorLen(offset))]


def scalar(table: Table, index: int, flags: type, default: int) -> int:
    offset = field(table, index)
    return table.Get(flags, table.Pos + offset) if offset else default


def float_weights(content: bytes) -> list[tuple[int, int]]:
    """(start, byte length) of every float32 constant tensor's data in the file."""
    data = bytearray(content)
    model = Table(data, encode.Get(number_types.UOffsetTFlags.packer_type, data, 0))
    buffers = children(model, 4)
    found = {}
    for subgraph in children(model, 2):
        for tensor in children(subgraph, 0):
            kind = scalar(tensor, 1, number_types.Int8Flags, FLOAT32)
            index = scalar(tensor, 2, number_types.Uint32Flags, 0)
            if kind != FLOAT32 or index == 0:
                continue
            offset = field(buffers[index], 0)
            if offset and buffers[index].VectorLen(offset):
                found[index] = (buffers[index].Vector(offset), buffers[index].VectorLen(offset))
    return sorted(found.values())


def randomised(content: bytes, seed: int) -> bytes:
    """Every float32 weight and bias redrawn from a normal distribution with its own tensor's standard deviation
    (so activations keep their scale and the outputs still vary), the rest of the file unchanged."""
    data = bytearray(content)
    generator = np.random.default_rng(seed)
    for start, length in float_weights(content):
        weights = np.frombuffer(bytes(data[start : start + length]), dtype="<f4")
        scale = float(weights.std()) or 0.05
        data[start : start + length] = generator.normal(0.0, scale, weights.shape).astype("<f4").tobytes()
    return bytes(data)


def ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their mean rank (as Spearman's rho wants)."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    order = np.argsort(flat, kind="stable")
    result = np.empty(len(flat))
    result[order] = np.arange(1, len(flat) + 1)
    unique, inverse = np.unique(flat, return_inverse=True)
    sums = np.bincount(inverse, weights=result, minlength=len(unique))
    counts = np.bincount(inverse, minlength=len(unique))
    return (sums / counts)[inverse]


def spearman(first: np.ndarray, second: np.ndarray) -> float:
    """Spearman's rank correlation: Pearson's on the ranks. NaN when either side is constant (no order to compare)."""
    x, y = ranks(first), ranks(second)
    if x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])
