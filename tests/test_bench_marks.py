"""bench.marks: numbers written with a mark between two digits (or none) say what they hold."""

import numpy as np
import pytest

from bench import marks
from recognizer.data import load_unipen
from recognizer.predictor import number_text
from recognizer.synthetic import DIGIT_STROKES
from recognizer.unipen import digits_by_person, people, person_split
from tests.test_unipen import WRITERS, pen_file

I_STEM, I_DOT = [(0.5, 0.35), (0.5, 1.0)], [(0.45, 0.05), (0.55, 0.1)]  # an i: its stem, then its dot


def pen_chars(tmp_path):
    """A tiny UNIPEN-layout file: every template digit and an i by each of eight writer files."""
    rows = []
    for k, writer in enumerate(WRITERS):
        size = 1 + 0.1 * k
        for label, strokes in [(str(d), DIGIT_STROKES[d]) for d in range(10)] + [("i", [I_STEM, I_DOT])]:
            rows.append((label, writer, [[(x * size, y * size) for x, y in s] for s in strokes]))
    pen_file(tmp_path / "unipen.npz", rows)
    return load_unipen(tmp_path / "unipen.npz")


def test_each_kind_is_written_as_its_truth_says(tmp_path, shipped):
    chars = pen_chars(tmp_path)
    which = str(person_split(chars)[0])
    dots = marks.pen_dots(chars, which)
    assert set(dots) == {str(p) for p in people(chars)[person_split(chars) == which]}
    (dot,) = next(iter(dots.values()))[0]  # one stroke: the i's dot, over its stem
    # scaled as write_row writes the i beside digits of height 1: 0.6 tall, its dot 0.05 of its 0.95
    assert np.ptp(dot[:, 1]) == pytest.approx(0.6 * 0.05 / 0.95, rel=0.05)
    digits_of, rng = digits_by_person(chars, which), np.random.default_rng(0)
    for kind in marks.KINDS:
        canvas, strokes, truth = marks.write_marked(chars, digits_of, dots, kind, 3, rng)
        digits = "".join(c for c in truth if c.isdigit())
        if kind == "date":  # 12/5/26, 12/05/2026 or 2026/12/05
            first, middle, last = (len(part) for part in truth.split("/"))
            assert middle in (1, 2) and ((first == 4 and last in (1, 2)) or (first in (1, 2) and last in (2, 4)))
        elif kind == "long":
            assert marks.LONG[0] <= len(digits) == len(truth) <= marks.LONG[1]
        else:
            assert len(digits) == 3 and truth.count(marks.MARKED.get(kind, "#")) == (kind in marks.MARKED)
        assert (truth[0] == "-" if kind == "minus" else truth[0].isdigit()) and truth[-1].isdigit()
        assert canvas.shape[1] >= max(x for s in strokes for x, _ in s)
        if kind == "minus":  # written first, before the first digit
            assert max(x for x, _ in strokes[0]) < min(x for s in strokes[1:] for x, _ in s)
        if kind in ("point", "none", "full stop", "minus"):  # template digits and a plain dot or dash read right
            assert number_text(shipped.read(canvas, strokes)) == truth, kind


def test_the_bench_reports_every_kind_on_both_paths(tmp_path, shipped):
    chars = pen_chars(tmp_path)
    results = marks.run(shipped, chars, quick=True, split=str(person_split(chars)[0]))
    assert set(results["kinds"]) == set(marks.KINDS)
    point = results["kinds"]["point"]["app"]
    assert point["exact"]["n"] == marks.QUICK_NUMBERS and 0 <= point["mark_right"] <= 1
    table = marks.report(results)
    assert "| point" in table and "| full stop" in table


def test_a_mark_is_no_digit_in_the_benches_digit_counts():
    """A number read with a mark where none was written is wrong, but its digits were all found."""
    from bench.common import digits_in

    assert digits_in("52.09") == digits_in("5209") == 4 and digits_in("4?7") == 3 and digits_in("12:3,4") == 4


def test_a_mark_is_right_only_as_written_and_where_written():
    """A comma for a point, a point one digit off, a point where none was written: wrong; no point: missing."""
    rows = [
        marks._Read("point", "1.2", {"app": read, "image": read}) for read in ("1.2", "1,2", "12", "12.", "?.2")
    ] + [marks._Read("none", "12", {"app": "1.2", "image": "12"})]
    point, none = marks._figures(rows[:5], "app"), marks._figures(rows[5:], "app")
    assert (point["mark_right"], point["mark_missing"], point["mark_wrong"]) == (0.4, 0.2, 0.4)
    assert point["exact"]["correct"] == 1 and point["digits_exact"] == 0.8  # "?.2" alone misreads a digit
    assert none["mark_wrong"] == 1.0 and marks._figures(rows[5:], "image")["mark_wrong"] == 0.0
