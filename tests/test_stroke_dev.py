"""bench.stroke_dev: the app path's dev measurement reads what Recognizer.read reads, and classes
what went wrong by whose strokes each digit read holds."""

import pytest

from bench import stroke_dev
from recognizer import grouping
from recognizer.predictor import number_text
from recognizer.strokes import rasterize
from recognizer.synthetic import DIGIT_STROKES, place_strokes
from recognizer.unipen import Row

PEN, HEIGHT = 14, 160


def row(*digits: int, gap: float = 40.0, pen: int = PEN) -> tuple[Row, str]:
    """Digits written left to right in order: the Row write_row would give, and its truth."""
    strokes, owner, x = [], [], 30.0
    for k, d in enumerate(digits):
        placed = place_strokes(DIGIT_STROKES[d], box=(x, 60, 96, HEIGHT))
        strokes += placed
        owner += [k] * len(placed)
        x += 96 + gap
    return Row(rasterize(strokes, (HEIGHT + 120, int(x + 30)), pen), strokes, owner, pen), "".join(map(str, digits))


@pytest.mark.parametrize("pen", [PEN, 40], ids=["pen", "bold pen: drawn again"])
def test_the_cached_reading_is_reads(shipped, pen):
    written, truth = row(4, 7, 1, pen=pen)
    case = stroke_dev.cache_case(shipped, written, truth)
    chosen = stroke_dev.choose(case, grouping.STROKE_PRIORS)
    assert stroke_dev.text_of(case, chosen) == number_text(shipped.read(written.canvas, written.strokes)) == "471"
    assert stroke_dev.failure(case, chosen, grouping.STROKE_PRIORS) is None


def test_failures_are_classed_by_whose_strokes_a_digit_holds(shipped):
    written, truth = row(4, 1, gap=-30)  # strokes: the 4's two, then the 1 close by
    case = stroke_dev.cache_case(shipped, written, truth)
    index = {members: k for k, members in enumerate(case.candidates)}
    p = grouping.STROKE_PRIORS
    assert stroke_dev.failure(case, [index[(0,)], index[(1,)], index[(2,)]], p).startswith("split")
    assert stroke_dev.failure(case, [index[(0, 1, 2)]], p).startswith("merged")
    assert stroke_dev.failure(case, [index[(0,)], index[(1, 2)]], p).startswith("regrouped")


def test_late_digits():
    assert stroke_dev.late_digits([0, 1, 0, 2]) == {0}
    assert stroke_dev.late_digits([0, 0, 1, 2, 2]) == set()


def test_the_test_people_are_refused():
    with pytest.raises(ValueError, match="test"):
        stroke_dev.dev_rows(None, "test", 4, 0)
    with pytest.raises(ValueError, match="test"):
        stroke_dev.letter_rows(None, "test", 4, 0)
