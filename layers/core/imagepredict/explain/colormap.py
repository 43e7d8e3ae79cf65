"""Colouring an occlusion grid: viridis in NumPy, bilinear upsampling to the image's size, blended over it as a PNG.

Viridis is perceptually uniform (its CIE L* rises steadily from dark purple to yellow), so equal steps of
sensitivity look like equal steps, it survives greyscale printing and the common colour-vision deficiencies, and it
needs no plotting library in a function.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

# matplotlib's viridis (Smith, van der Walt, Firing, 2015; CC0), 256 entries as RRGGBB: each value of `_viridis_data`
# in https://github.com/BIDS/colormap/blob/master/colormaps.py (the same table as matplotlib's
# lib/matplotlib/_cm_listed.py) times 255, rounded. Index 0 (#440154) is "mattered least", 255 (#fde725) "most".
VIRIDIS_HEX = (
    "44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769"
    "48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a"
    "472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85"
    "4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b"
    "3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d"
    "33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e"
    "2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e"
    "26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d"
    "21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88"
    "1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81"
    "28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74"
    "3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863"
    "5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d"
    "84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32"
    "addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a"
    "d8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725"
)
VIRIDIS = np.frombuffer(bytes.fromhex("".join(VIRIDIS_HEX)), dtype=np.uint8).reshape(256, 3)
ALPHA = 0.5  # the heatmap's share of each blended pixel: the digit or the tissue stays readable beneath it


def colorize(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (any shape) as viridis RGB, uint8, one more axis of 3."""
    index = np.rint(np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0) * 255).astype(np.uint8)
    return VIRIDIS[index]


def upsample(grid: np.ndarray, height: int, width: int) -> np.ndarray:
    """A (rows, cols) grid bilinearly interpolated to (height, width), float32, cell centres on pixel centres.

    Separable (rows first, then columns), so it holds no more than one height x width float array at a time.
    Values stay within the grid's range: every output is a convex mix of its four nearest cells.
    """
    values = np.asarray(grid, dtype=np.float32)
    if values.ndim != 2 or min(values.shape) < 1:
        raise ValueError(f"expected a 2-D grid, got shape {values.shape}")
    if height < 1 or width < 1:
        raise ValueError(f"expected a size of at least 1x1, got {height}x{width}")
    low, high, weight = interpolation(values.shape[0], height)
    rows = values[low] * (1 - weight)[:, None] + values[high] * weight[:, None]
    low, high, weight = interpolation(values.shape[1], width)
    return rows[:, low] * (1 - weight)[None, :] + rows[:, high] * weight[None, :]


def interpolation(cells: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each of `size` output pixels: the cell below, the cell above and the weight of the one above."""
    # In float64 (a row of `size` numbers): in float32 a pixel and its mirror image round differently, and a flipped
    # grid no longer gives the flipped map (up to 3e-6 apart).
    centres = np.clip((np.arange(size, dtype=np.float64) + 0.5) * (cells / size) - 0.5, 0, cells - 1)
    low = np.floor(centres).astype(np.intp)
    high = np.minimum(low + 1, cells - 1)
    return low, high, (centres - low).astype(np.float32)


def overlay(image: Image.Image, grid: np.ndarray, alpha: float = ALPHA) -> Image.Image:
    """The grid coloured and blended over the image, at the image's size (the model's input is the whole image
    resized, never cropped, so the grid spans the whole picture)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be within [0, 1], got {alpha}")
    base = image.convert("RGB")
    heat = Image.fromarray(colorize(upsample(grid, base.height, base.width)), "RGB")
    return Image.blend(base, heat, alpha)


def heatmap_png(image: Image.Image, grid: np.ndarray, alpha: float = ALPHA) -> bytes:
    """`overlay` as PNG bytes."""
    buffer = io.BytesIO()
    overlay(image, grid, alpha).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
