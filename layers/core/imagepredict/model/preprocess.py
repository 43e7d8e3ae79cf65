"""An image turned into a model's float input, as its metadata describes (resize, colour, scale, mean/std)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from imagepredict.model.metadata import Preprocessing

RESAMPLING = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING,
}


def to_model_input(image: Image.Image, spec: Preprocessing, height: int, width: int, channels: int) -> np.ndarray:
    """A float32 array of shape (1, height, width, channels)."""
    mode = "L" if channels == 1 else "RGB"
    if image.mode != mode:
        image = image.convert(mode)
    if image.size != (width, height):
        # reducing_gap=3: a cheap integer reduction first when the ratio is large, indistinguishable from a fair
        # resample at this gap (Pillow's documentation), and much faster for big photos.
        image = image.resize((width, height), RESAMPLING[spec.resize], reducing_gap=3.0)
    pixels = np.asarray(image, dtype=np.float32).reshape(height, width, channels)
    if channels == 3 and spec.channel_order == "BGR":
        pixels = pixels[:, :, ::-1]
    pixels = pixels * np.float32(spec.scale)
    mean = np.asarray(spec.mean[:channels], dtype=np.float32)
    std = np.asarray(spec.std[:channels], dtype=np.float32)
    if mean.any() or (std != 1).any():
        pixels = (pixels - mean) / std
    return pixels[np.newaxis]
