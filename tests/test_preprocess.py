"""Properties of to_mnist: MNIST's recipe on any canvas, robust to position, size and pen."""

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from recognizer.errors import CanvasError
from recognizer.ink import INK_LEVEL, ink_from_canvas, stroke_width
from recognizer.preprocess import (
    BOX,
    CENTER,
    MIN_STROKE_PX,
    SIZE,
    TARGET_STROKE_PX,
    WORK_SCALE,
    crop_to_mnist,
    stages,
    strokes_to_mnist,
    to_mnist,
)
from recognizer.strokes import rasterize
from recognizer.synthetic import digit_strokes, font_digits


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / image.sum()), float((cols * image).sum() / image.sum())


@settings(max_examples=200, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 120), st.integers(1, 120))))
def test_any_canvas_gives_28x28_in_unit_range_or_none(canvas):
    out = to_mnist(canvas)
    if not (canvas > INK_LEVEL).any() and canvas.max() != 1:  # all 0 and 1: a mask, its 1s ink
        assert out is None
        return
    assert out.shape == (SIZE, SIZE) and out.dtype == np.float32
    assert out.min() >= 0.0 and 0.0 < out.max() <= 1.0 + 1e-6


def aligned_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference, allowing the 1-px offset that rounding the centering can cause."""
    return min(float(np.abs(np.roll(a, (dy, dx), axis=(0, 1)) - b).mean()) for dy in (-1, 0, 1) for dx in (-1, 0, 1))


def assert_centered(out: np.ndarray) -> None:
    row, col = center_of_mass(out)
    assert abs(row - CENTER) <= 0.5 + 1e-4 and abs(col - CENTER) <= 0.5 + 1e-4, (row, col)  # float32


# One continuous stroke: if the centering pushes part of it out of frame, ink touches the border.
stroke_strategy = st.lists(st.tuples(st.floats(0, 399), st.floats(0, 399)), min_size=1, max_size=10)


@settings(max_examples=150, deadline=None)
@given(stroke_strategy, st.integers(2, 40))
def test_center_of_mass_is_centered(stroke, width):
    out = to_mnist(rasterize([stroke], (400, 400), width))
    assert out is not None
    if out[0].any() or out[-1].any() or out[:, 0].any() or out[:, -1].any():
        return  # mass far off the box's center: clipped at the frame, as in MNIST
    assert_centered(out)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 9), st.floats(20, 300), st.floats(0.5, 1.5), st.floats(0, 300), st.floats(0, 300), st.integers(2, 40)
)
def test_drawn_digits_are_centered(digit, height, aspect, x, y, width):
    out = to_mnist(rasterize(digit_strokes(digit, 640, (x, y, height * aspect, height)), (640, 640), width))
    assert_centered(out)


@pytest.mark.parametrize("digit", range(10))
def test_longer_side_is_20px(digit):
    out = to_mnist(rasterize(digit_strokes(digit, 400), (400, 400), 16))
    rows, cols = np.nonzero(out > 0.05)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 in (BOX, BOX + 1, BOX + 2)  # + anti-aliased fringe


@pytest.mark.parametrize("digit", range(10))
def test_moving_the_digit_changes_nothing(digit):
    strokes = digit_strokes(digit, 600, (40, 60, 200, 250))
    moved = [[(x + 317, y + 211) for x, y in s] for s in strokes]
    a = to_mnist(rasterize(strokes, (600, 600), 18))
    b = to_mnist(rasterize(moved, (600, 600), 18))
    assert np.abs(a - b).mean() < 0.005 and np.abs(a - b).max() < 0.15  # 1-px rounding only


@pytest.mark.parametrize("digit", range(10))
def test_scaling_the_digit_changes_little(digit):
    small = to_mnist(rasterize(digit_strokes(digit, 600, (50, 50, 96, 120)), (600, 600), 6))
    large = to_mnist(rasterize(digit_strokes(digit, 600, (50, 50, 384, 480)), (600, 600), 24))
    assert aligned_diff(small, large) < 0.04


def test_thin_pen_on_a_big_canvas_gives_an_mnist_weight_stroke():
    """A hairline (a 2 px pen on a 600 px digit) is thickened to about TARGET_STROKE_PX in the
    28x28 image (2.27 px measured), MNIST's weight: grown by half as much it comes out at about
    1.6 px, a faint digit the model reads worse."""
    out = to_mnist(rasterize(digit_strokes(7, 800, (100, 100, 480, 600)), (800, 800), 2))
    big = cv2.resize((out * 255).astype(np.uint8), None, fx=4, fy=4, interpolation=cv2.INTER_LINEAR)
    assert stroke_width(big) / 4 == pytest.approx(TARGET_STROKE_PX, abs=0.25)
    assert out.max() == pytest.approx(1.0)


def test_mnist_digits_survive_a_round_trip_through_a_big_canvas():
    images, _ = font_digits(20, seed=3)
    for image in images:
        canvas = cv2.resize(image, (560, 560), interpolation=cv2.INTER_LINEAR)
        canvas = np.where(canvas > 127, 255, 0).astype(np.uint8)
        assert aligned_diff(to_mnist(canvas), image / 255) < 0.06


def test_blank_and_faint_canvases_have_no_ink():
    assert to_mnist(np.zeros((300, 300), np.uint8)) is None
    assert to_mnist(np.full((300, 300), INK_LEVEL, np.uint8)) is None


def test_float_and_bool_canvases_are_accepted():
    canvas = rasterize(digit_strokes(3, 200), (200, 200), 10)
    expected = to_mnist(canvas)
    assert np.allclose(to_mnist(canvas / 255.0), expected, atol=0.02)
    assert to_mnist(canvas > 127) is not None


def test_a_0_1_image_overshooting_1_and_a_0_1_integer_mask_are_read_not_blank():
    """A 0-1 canvas resized with cubic interpolation (its brightest pixels 1.05) was taken as 0-255,
    and a 0/1 uint8 mask as 0-255 too: both read as nothing drawn."""
    canvas = rasterize(digit_strokes(3, 200), (200, 200), 10)
    cubic = cv2.resize(canvas / 255.0, (300, 300), interpolation=cv2.INTER_CUBIC)
    assert 1.0 < cubic.max() <= 2.0
    assert np.array_equal(to_mnist(cubic), to_mnist(np.clip(cubic * 255, 0, 255).astype(np.uint8)))
    for dtype in (np.uint8, np.int64):
        mask = (canvas > 127).astype(dtype)
        assert np.array_equal(to_mnist(mask), to_mnist(canvas > 127)) and to_mnist(mask) is not None
    faint = np.zeros((50, 50), np.float32)
    faint[10:40, 20:25] = 200.0
    assert ink_from_canvas(faint).box == (20, 10, 5, 30)  # 0-255 floats are still 0-255
    assert ink_from_canvas(np.full((5, 5), 1, np.uint8)).count == 25  # all 1: a mask of all ink


def test_rejects_non_2d_input():
    with pytest.raises(ValueError, match="2-D"):
        to_mnist(np.zeros((10, 10, 3), np.uint8))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_nan_or_infinite_pixel_is_a_clear_error_not_a_blank(bad):
    canvas = rasterize(digit_strokes(3, 200), (200, 200), 10) / 255.0
    canvas[5, 7] = bad
    with pytest.raises(CanvasError, match="NaN or infinite") as info:
        to_mnist(canvas)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)


def test_ink_too_sparse_for_the_downscale_gives_an_empty_image():
    """Two pixels in opposite corners of a big canvas: the area downscale averages them away."""
    canvas = np.zeros((2000, 2000), np.uint8)
    canvas[0, 0] = canvas[-1, -1] = 255
    image = to_mnist(canvas)
    assert image.shape == (SIZE, SIZE) and np.isfinite(image).all() and not image.any()


def test_stages_end_in_what_to_mnist_returns():
    canvas = rasterize(digit_strokes(2, 400), (400, 400), 3)  # a thin pen: thickened
    steps = stages(ink_from_canvas(canvas))
    assert np.array_equal(steps.image, to_mnist(canvas))
    assert steps.thickened is not steps.work and steps.stroke_px < MIN_STROKE_PX
    assert max(steps.fitted.shape) == BOX and steps.fitted.max() == 1.0
    x, y, w, h = ink_from_canvas(canvas).box
    assert np.array_equal(steps.crop, canvas[y : y + h, x : x + w])


@pytest.mark.parametrize("digit", [0, 1, 2, 4, 7])
def test_bold_strokes_are_eroded_to_max_pen(digit):
    """With max_pen, strokes bolder than that share of the pen path's longer side are eroded
    towards it, on every side (the ink reaches the work image's edges), never below it (a number
    written small with a bold pen, read without its strokes); thinner ones are left as they are."""
    strokes = digit_strokes(digit, 600, (50, 50, 120, 160))
    bold = stages(ink_from_canvas(rasterize(strokes, (600, 600), 48)), max_pen=0.15)
    before = bold.stroke_px * WORK_SCALE
    side = max(bold.work.shape) - before
    assert before > 0.25 * side  # bold indeed
    assert 0.8 * 0.15 * side <= stroke_width(bold.thickened) <= 0.7 * before
    thin = rasterize(strokes, (600, 600), 12)
    assert np.array_equal(stages(ink_from_canvas(thin), max_pen=0.15).image, to_mnist(thin))


@pytest.mark.parametrize("max_pen", [None, 0.15])
def test_a_crop_cut_to_its_ink_gives_what_its_canvas_gives(max_pen):
    canvas = rasterize(digit_strokes(5, 600, (50, 60, 120, 160)), (600, 600), 40)
    x, y, w, h = ink_from_canvas(canvas).box
    crop = canvas[y : y + h, x : x + w]
    assert np.array_equal(crop_to_mnist(crop, max_pen), stages(ink_from_canvas(canvas), max_pen).image)


def stroke_px(image: np.ndarray) -> float:
    """The stroke width of a 28x28 image, in its pixels."""
    big = cv2.resize((image * 255).astype(np.uint8), None, fx=4, fy=4, interpolation=cv2.INTER_LINEAR)
    return stroke_width(big) / 4


@pytest.mark.parametrize("digit", range(10))
@pytest.mark.parametrize("height, pen", [(60, 9), (200, 30), (400, 50)], ids=["small", "middle", "large"])
def test_strokes_drawn_again_read_as_the_canvas_drawn_with_that_pen(digit, height, pen):
    """strokes_to_mnist(strokes, pen) is the image of the strokes drawn on a canvas with that pen,
    whether they are drawn at their own size (small) or scaled down first (large)."""
    strokes = digit_strokes(digit, 600, (50, 50, 0.75 * height, height))
    canvas, again = to_mnist(rasterize(strokes, (600, 600), pen)), strokes_to_mnist(strokes, pen)
    assert aligned_diff(again, canvas) < 0.04  # as test_scaling_the_digit_changes_little
    assert stroke_px(again) == pytest.approx(stroke_px(canvas), rel=0.1)


@pytest.mark.parametrize("digit", [1, 4, 8])
def test_strokes_drawn_again_in_any_unit_give_the_same_image(digit):
    strokes = digit_strokes(digit, 600, (50, 50, 150, 200))
    scaled = [[(3 * x - 500, 3 * y + 70) for x, y in s] for s in strokes]
    assert aligned_diff(strokes_to_mnist(strokes, 20), strokes_to_mnist(scaled, 60)) < 0.02


def test_a_dot_drawn_again_is_a_dot():
    image = strokes_to_mnist([[(10.0, 10.0)]], 6)
    assert image.shape == (SIZE, SIZE) and image.max() == pytest.approx(1.0)


point_strategy = st.tuples(st.floats(-1e4, 1e4), st.floats(-1e4, 1e4))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(point_strategy, min_size=1, max_size=8), min_size=1, max_size=4), st.floats(0.0, 200.0))
def test_any_strokes_drawn_again_give_28x28_in_unit_range(strokes, pen):
    out = strokes_to_mnist(strokes, pen)
    assert out.shape == (SIZE, SIZE) and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0 + 1e-6
