"""The explanation core's arithmetic without a real model: the grid's geometry, the blur, the scores on a classifier
whose answer depends on one known region, batching, viridis, upsampling, the PNG, and the sanity tests' tools."""

from __future__ import annotations

import ast
import io
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from imagepredict.explain import VIRIDIS, colorize, explain, heatmap_png, occlusion, overlay, upsample
from imagepredict.explain.occlusion import Layout, box_blur
from imagepredict.model.classifier import Classification, ranked
from tests.explain_support import float_weights, randomised, spearman

ROOT = Path(__file__).resolve().parents[2]
DEMO_MODEL = ROOT / "functions" / "classify" / "model" / "model.tflite"
SIZE = 56  # the fake model's input: 14 cells of 4 px, patches of 8 px
REGION = (slice(8, 16), slice(40, 48))  # what the fake model looks at: cells rows 2-3, cols 10-11


class RegionModel:
    """P("seen") is the mean brightness of REGION; whatever else the picture holds is ignored."""

    metadata = SimpleNamespace(labels=("seen", "unseen"))
    input_size = (SIZE, SIZE)
    backend = "fake"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict_batch(self, inputs: Sequence[np.ndarray]) -> list[Classification]:
        self.calls.append(len(inputs))
        results = []
        for item in inputs:
            seen = float(np.clip(item[0][REGION].mean(), 0, 1))
            results.append(Classification(ranked(self.metadata.labels, np.array([seen, 1 - seen])), 0.0))
        return results


def bright_square() -> np.ndarray:
    prepared = np.zeros((1, SIZE, SIZE, 3), dtype=np.float32)
    prepared[0][REGION] = 1.0
    return prepared


def test_the_heat_lies_on_the_region_the_model_uses_and_nowhere_else() -> None:
    saliency = explain(bright_square(), RegionModel(), 0)
    grid = saliency.array()
    assert grid.shape == (14, 14)
    assert grid.max() == 1.0
    row, col = np.unravel_index(grid.argmax(), grid.shape)
    assert 2 <= row <= 3
    assert 10 <= col <= 11
    assert grid[6:, :].max() == 0.0
    assert grid[:, :8].max() == 0.0
    assert saliency.base_probability == 1.0
    assert (saliency.patch, saliency.stride, saliency.variants, saliency.baseline) == ((8, 8), (4, 4), 169, "blur")
    assert saliency.target == "seen"
    assert saliency.method == "occlusion"


def test_the_original_and_every_variant_go_in_one_call_unless_the_memory_bound_splits_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = RegionModel()
    one = explain(bright_square(), whole, 0)
    assert whole.calls == [170]
    assert one.batches == 1
    monkeypatch.setattr(occlusion, "MAX_BATCH_BYTES", 50 * bright_square().nbytes)
    chunked = RegionModel()
    split = explain(bright_square(), chunked, 0)
    assert chunked.calls == [50, 50, 50, 20]
    assert split.batches == 4
    assert split.grid == one.grid


def test_a_model_that_nothing_moves_gives_a_flat_map_of_zeros() -> None:
    blank = np.zeros((1, SIZE, SIZE, 3), dtype=np.float32)
    saliency = explain(blank, RegionModel(), 0)
    assert saliency.array().max() == 0.0
    assert saliency.raw_max == 0.0


def test_an_unknown_class_or_a_wrong_input_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="class index"):
        explain(bright_square(), RegionModel(), 2)
    with pytest.raises(ValueError, match="shape"):
        explain(np.zeros((1, 28, 28, 3), dtype=np.float32), RegionModel(), 0)


def test_to_json_is_small_and_rounds_the_grid() -> None:
    document = explain(bright_square(), RegionModel(), 0).to_json()
    assert len(document["grid"]) == 14
    assert all(len(row) == 14 for row in document["grid"])
    assert all(value == round(value, 4) for row in document["grid"] for value in row)
    assert document["patch"] == [8, 8]
    assert document["baseline"] == "blur"


@pytest.mark.parametrize(("height", "width", "shape"), [(224, 224, (14, 14)), (100, 37, (14, 14)), (5, 9, (5, 9))])
def test_the_cells_tile_the_input_exactly(height: int, width: int, shape: tuple[int, int]) -> None:
    layout = Layout.of(height, width)
    assert layout.shape == shape
    assert (layout.rows[0], layout.rows[-1], layout.cols[0], layout.cols[-1]) == (0, height, 0, width)
    assert (np.diff(layout.rows) > 0).all()
    assert (np.diff(layout.cols) > 0).all()
    assert len(list(layout.patches())) == (shape[0] - 1) * (shape[1] - 1)


def test_an_input_too_small_to_occlude_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        Layout.of(1, 224)


@settings(max_examples=60, deadline=None)
@given(
    image=hnp.arrays(
        np.float32, hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=9), elements=st.floats(0, 1, width=32)
    ),
    kernel=st.tuples(st.integers(1, 12), st.integers(1, 12)),
)
def test_the_box_blur_is_the_mean_over_the_box_with_edges_repeated(image: np.ndarray, kernel: tuple[int, int]) -> None:
    height, width = image.shape[:2]
    rows, cols = min(kernel[0], height), min(kernel[1], width)
    padded = np.pad(
        image.astype(np.float64),
        [(rows // 2, rows - 1 - rows // 2), (cols // 2, cols - 1 - cols // 2), (0, 0)],
        mode="edge",
    )
    expected = np.array(
        [[padded[y : y + rows, x : x + cols].mean(axis=(0, 1)) for x in range(width)] for y in range(height)]
    )
    assert np.allclose(box_blur(image, kernel), expected, atol=1e-5)


def test_viridis_is_matplotlibs_and_its_lightness_rises_evenly() -> None:
    assert VIRIDIS.shape == (256, 3)
    assert VIRIDIS.dtype == np.uint8
    hexes = ["".join(f"{value:02x}" for value in VIRIDIS[i]) for i in (0, 128, 255)]
    assert hexes == ["440154", "21918c", "fde725"]  # matplotlib's viridis(0), viridis(0.5) and viridis(1.0)
    linear = np.where(VIRIDIS / 255 <= 0.04045, VIRIDIS / 255 / 12.92, ((VIRIDIS / 255 + 0.055) / 1.055) ** 2.4)
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722])
    lightness = np.where(luminance > 216 / 24389, 116 * np.cbrt(luminance) - 16, luminance * 24389 / 27)  # CIE L*
    assert (np.diff(lightness[::8]) > 0).all()
    fitted = np.polyval(np.polyfit(np.arange(256), lightness, 1), np.arange(256))
    assert np.abs(lightness - fitted).max() < 2.5  # measured 1.55 L*: even steps (jet's L* rises and falls)


def test_colorize_clips_and_maps_nan_to_the_bottom() -> None:
    colours = colorize(np.array([[0.0, 1.0], [np.nan, 7.0]]))
    assert colours.shape == (2, 2, 3)
    assert colours[0, 0].tolist() == colours[1, 0].tolist() == VIRIDIS[0].tolist()
    assert colours[0, 1].tolist() == colours[1, 1].tolist() == VIRIDIS[255].tolist()


@settings(max_examples=80, deadline=None)
@given(
    grid=hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=16), elements=st.floats(0, 1)
    ),
    height=st.integers(1, 70),
    width=st.integers(1, 70),
)
def test_upsampling_keeps_the_grids_range_and_orientation(grid: np.ndarray, height: int, width: int) -> None:
    values = upsample(grid, height, width)
    assert values.shape == (height, width)
    assert values.min() >= grid.min() - 1e-6
    assert values.max() <= grid.max() + 1e-6
    assert np.allclose(upsample(grid[::-1, ::-1], height, width), values[::-1, ::-1], atol=1e-6)


def test_upsampling_to_the_grids_own_size_is_the_grid_and_halfway_is_the_mean() -> None:
    grid = np.arange(12, dtype=np.float64).reshape(3, 4) / 11
    assert np.allclose(upsample(grid, 3, 4), grid)
    assert np.allclose(upsample(np.array([[0.0, 1.0]]), 1, 4), [[0.0, 0.25, 0.75, 1.0]])
    with pytest.raises(ValueError, match="2-D"):
        upsample(np.zeros(3), 4, 4)


@settings(max_examples=40, deadline=None)
@given(width=st.integers(1, 90), height=st.integers(1, 90), rows=st.integers(1, 14), cols=st.integers(1, 14))
def test_the_png_has_the_images_size_whatever_the_grid(width: int, height: int, rows: int, cols: int) -> None:
    grid = np.linspace(0, 1, rows * cols).reshape(rows, cols)
    image = Image.new("RGBA", (width, height), (200, 10, 10, 128))
    with Image.open(io.BytesIO(heatmap_png(image, grid))) as png:
        assert (png.format, png.size, png.mode) == ("PNG", (width, height), "RGB")


def test_alpha_zero_is_the_image_and_alpha_one_is_the_colormap() -> None:
    image = Image.new("RGB", (8, 4), (255, 255, 255))
    grid = np.ones((2, 2))
    assert np.asarray(overlay(image, grid, 0.0)).tolist() == np.asarray(image).tolist()
    assert (np.asarray(overlay(image, grid, 1.0)) == VIRIDIS[255]).all()
    with pytest.raises(ValueError, match="alpha"):
        overlay(image, grid, 1.5)


def test_the_randomised_copy_changes_only_the_weights() -> None:
    content = DEMO_MODEL.read_bytes()
    first, second = randomised(content, 1), randomised(content, 2)
    assert len(first) == len(content)
    assert first != content
    assert first != second
    weights = np.zeros(len(content), dtype=bool)
    for start, length in float_weights(content):
        weights[start : start + length] = True
    original, changed = np.frombuffer(content, np.uint8), np.frombuffer(first, np.uint8)
    assert (original[~weights] == changed[~weights]).all()
    assert (original[weights] != changed[weights]).mean() > 0.9


def test_spearman_uses_mean_ranks_for_ties() -> None:
    assert spearman(np.arange(5), np.arange(5) ** 3) == pytest.approx(1.0)
    assert spearman(np.arange(5), -np.arange(5)) == pytest.approx(-1.0)
    assert spearman(np.array([1, 2, 3, 4, 5]), np.array([5, 6, 7, 8, 7])) == pytest.approx(0.8207826816681233)
    assert np.isnan(spearman(np.arange(4), np.ones(4)))


def imported_modules(package: Path) -> set[str]:
    found = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


def test_dependencies_point_one_way_explain_uses_the_model_and_nothing_uses_explain() -> None:
    core = ROOT / "layers" / "core" / "imagepredict"
    ours = {module for module in imported_modules(core / "explain") if module.startswith("imagepredict")}
    assert ours <= {"imagepredict.model.classifier", "imagepredict.explain.colormap", "imagepredict.explain.occlusion"}
    for package in ("imaging", "model"):
        assert not any(module.startswith("imagepredict.explain") for module in imported_modules(core / package))
