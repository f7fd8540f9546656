"""recognizer.strokes: point lists drawn as the app's canvas draws them."""

import numpy as np
import pytest

from recognizer.strokes import as_points, rasterize, rasterize_quickly
from recognizer.synthetic import DIGIT_STROKES, place_strokes


@pytest.mark.parametrize("digit", range(10))
@pytest.mark.parametrize("pen", [3, 8, 25])
def test_drawing_quickly_draws_what_rasterize_draws(digit, pen):
    """Points on whole pixels (rasterize rounds them; rasterize_quickly places them to 1/8 px)."""
    strokes = [[(round(x), round(y)) for x, y in s] for s in place_strokes(DIGIT_STROKES[digit], box=(20, 20, 90, 150))]
    slow, quick = rasterize(strokes, (200, 150), pen), rasterize_quickly(strokes, (200, 150), pen)
    assert quick.dtype == np.uint8 and quick.shape == slow.shape
    differ = (slow > 64) != (quick > 64)
    assert differ.sum() <= 0.02 * (slow > 64).sum()


def test_a_dot_and_no_strokes():
    dot = rasterize_quickly([[(20.0, 20.0)], []], (40, 40), 10) > 64
    slow = rasterize([[(20.0, 20.0)]], (40, 40), 10) > 64
    assert dot[20, 20] and abs(int(dot.sum()) - int(slow.sum())) <= 0.1 * slow.sum()
    assert not rasterize_quickly([], (10, 10), 4).any()


def test_a_stroke_as_points():
    """Lists of tuples, arrays and an empty stroke all come out as (n, 2) float64 arrays."""
    points = as_points([(1, 2), (3.5, 4)])
    assert points.dtype == np.float64 and points.tolist() == [[1.0, 2.0], [3.5, 4.0]]
    assert as_points(np.array([[5, 6]], np.int32)).tolist() == [[5.0, 6.0]]
    assert as_points([]).shape == (0, 2)


def test_strokes_are_cut_to_the_canvas_each_still_one():
    """A mouse slip: the stroke leaves the canvas at the bottom, runs right outside it and comes back.
    Its points off the canvas are left out, where it left joined to where it came back."""
    from recognizer.strokes import clipped_strokes

    inside = [(10.0, 10.0), (20.0, 40.0)]
    slipped = [(30.0, 10.0), (30.0, 49.0), (30.0, 70.0), (90.0, 70.0), (30.0, 70.0), (30.0, 45.0)]
    strokes = [inside, slipped, [(5.0, 200.0), (80.0, 200.0)], [(500.0, 500.0)]]
    cut, points = clipped_strokes(strokes, (50, 100), 2.0)  # 50 tall: rows 0-49, and 2 px beyond
    assert cut[0] is inside and cut[2:] == [[], []]
    assert cut[1] == [(30.0, 10.0), (30.0, 49.0), (30.0, 51.0), (30.0, 45.0)]
    assert [p.tolist() for p in points] == [as_points(s).tolist() for s in cut]
    assert clipped_strokes([inside], (50, 100), 2.0)[0] == [inside]
