"""The scanned-form dev set (bench.form_dev): its printed fields, and a run over a few numbers."""

from __future__ import annotations

import numpy as np

from bench import form_dev
from bench.photos import mnist_numbers
from recognizer.data import load_mnist


def test_a_form_differs_from_its_bare_number_only_on_its_printed_lines(tiny_mnist):
    data = load_mnist(tiny_mnist)
    scans, line = form_dev.form(data.x_train[:3], np.random.default_rng(0))
    assert set(scans) == set(form_dev.LAYOUTS) and 1 <= line <= 3
    bare, frame, boxes = scans["bare"], scans["frame"], scans["boxes"]
    assert (frame < bare).sum() > 0 and ((boxes < frame).sum(axis=0) > 0).sum() <= 2 * (line + 1)
    sides = (boxes < frame).any(axis=0)  # the columns only the comb's inner sides darken
    runs = np.flatnonzero(np.diff(np.concatenate([[0], sides.astype(np.int8), [0]]))).reshape(-1, 2)
    assert len(runs) == 2 and all(stop - start <= line + 1 for start, stop in runs)
    assert (bare < form_dev.PAPER).any()  # the digits are on it


def test_a_run_reads_every_layout_of_every_number(shipped, tiny_mnist):
    data = load_mnist(tiny_mnist)
    out = form_dev.run(shipped, mnist_numbers(data.x_train, data.y_train, replace=True), n=4, seed=1)
    assert out["numbers"] == 4 and set(out["exact"]) == set(form_dev.LAYOUTS)
    assert out["exact"]["boxes"] >= out["exact"]["bare"] - 0.25  # the boxes cost one number of 4 at most
    assert out["boxes_by_line_px"]
    assert len(out["examples_wrong"]) == round((1 - out["exact"]["boxes"]) * 4)


def test_real_strokes_go_in_the_boxes_a_wide_one_written_smaller():
    """Digits given as pen strokes (bench.form_dev --unipen) are written in their boxes, as images
    are: a digit as wide as four of its heights is made smaller rather than cut or spilt over."""
    from recognizer.synthetic import DIGIT_STROKES

    one = [np.array(s, np.float64) * (300, 400) for s in DIGIT_STROKES[1]]
    flat = [np.array([[0.0, 0.0], [400.0, 30.0], [0.0, 100.0]])]
    scans, _ = form_dev.form([one, flat, one], np.random.default_rng(0))
    bare = scans["bare"]
    dark = (bare < form_dev.PAPER - 60).any(axis=0)
    assert dark.any() and not dark[:60].any() and not dark[-60:].any()  # the field starts and ends 60 px in
    runs = np.flatnonzero(np.diff(np.concatenate([[0], dark.astype(np.int8), [0]]))).reshape(-1, 2)
    assert len(runs) == 3  # three digits, apart
