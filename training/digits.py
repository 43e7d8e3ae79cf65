"""scikit-learn's bundled handwritten digits as images with the original app's input contract (224x224 RGB).

Shared by the training script and the tests, so both see exactly the same held-out split and the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

IMAGE_SIZE = 224
LABELS = tuple(str(digit) for digit in range(10))
SPLIT_SEED = 0
HELDOUT_FRACTION = 0.2


@dataclass(frozen=True)
class Split:
    train_digits: np.ndarray  # (n, 8, 8) values 0..16
    train_labels: np.ndarray
    heldout_digits: np.ndarray
    heldout_labels: np.ndarray


def load_split() -> Split:
    """The stratified 80/20 split, always the same (fixed seed)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    train_x, heldout_x, train_y, heldout_y = train_test_split(
        digits.images,
        digits.target,
        test_size=HELDOUT_FRACTION,
        stratify=digits.target,
        random_state=SPLIT_SEED,
    )
    return Split(train_x, train_y, heldout_x, heldout_y)


def render(digit: np.ndarray, size: int = IMAGE_SIZE) -> Image.Image:
    """An 8x8 digit (0..16, white ink on black) as a size x size RGB picture, smoothly upscaled."""
    pixels = np.clip(np.rint(digit * (255 / 16)), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "L").resize((size, size), Image.Resampling.BILINEAR).convert("RGB")


def render_all(digits: np.ndarray) -> np.ndarray:
    """uint8 array (n, 224, 224, 3) of rendered digits."""
    return np.stack([np.asarray(render(digit)) for digit in digits])
