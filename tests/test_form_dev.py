"""Scanned forms (bench.forms, and its dev tool bench.form_dev): the printed fields, a run over a few
numbers, and the make bench table."""

from __future__ import annotations

import numpy as np

from bench import form_dev, forms
from bench.photos import mnist_numbers
from recognizer.data import load_mnist


def test_a_form_differs_from_its_bare_number_only_on_its_printed_lines(tiny_mnist):
    data = load_mnist(tiny_mnist)
    scans, line = forms.form(data.x_train[:3], np.random.default_rng(0))
    assert set(scans) == set(forms.LAYOUTS) and 1 <= line <= 3
    bare, frame, boxes = scans["bare"], scans["frame"], scans["boxes"]
    assert (frame < bare).sum() > 0 and ((boxes < frame).sum(axis=0) > 0).sum() <= 2 * (line + 1)
    sides = (boxes < frame).any(axis=0)  # the columns only the comb's inner sides darken
    runs = np.flatnonzero(np.diff(np.concatenate([[0], sides.astype(np.int8), [0]]))).reshape(-1, 2)
    assert len(runs) == 2 and all(stop - start <= line + 1 for start, stop in runs)
    assert (bare < forms.PAPER).any()  # the digits are on it


def test_a_run_reads_every_layout_of_every_number(shipped, tiny_mnist):
    data = load_mnist(tiny_mnist)
    out = forms.run(shipped, mnist_numbers(data.x_train, data.y_train, replace=True), n=4, seed=1)
    assert out["numbers"] == 4 and set(out["exact"]) == set(forms.LAYOUTS)
    assert out["exact"]["boxes"] >= out["exact"]["bare"] - 0.25  # the boxes cost one number of 4 at most
    assert out["boxes_by_line_px"]
    assert len(out["examples_wrong"]) == round((1 - out["exact"]["boxes"]) * 4)


def test_real_strokes_go_in_the_boxes_a_wide_one_written_smaller():
    """Digits given as pen strokes (bench.forms' real pen digits) are written in their boxes, as images
    are: a digit as wide as four of its heights is made smaller rather than cut or spilt over."""
    from recognizer.synthetic import DIGIT_STROKES

    one = [np.array(s, np.float64) * (300, 400) for s in DIGIT_STROKES[1]]
    flat = [np.array([[0.0, 0.0], [400.0, 30.0], [0.0, 100.0]])]
    scans, _ = forms.form([one, flat, one], np.random.default_rng(0))
    bare = scans["bare"]
    dark = (bare < forms.PAPER - 60).any(axis=0)
    assert dark.any() and not dark[:60].any() and not dark[-60:].any()  # the field starts and ends 60 px in
    runs = np.flatnonzero(np.diff(np.concatenate([[0], dark.astype(np.int8), [0]]))).reshape(-1, 2)
    assert len(runs) == 3  # three digits, apart


def test_the_section_reads_each_source_at_each_tilt_and_the_table_has_a_column_each(shipped, tiny_mnist):
    data = load_mnist(tiny_mnist)
    sources = {"A": mnist_numbers(data.x_train, data.y_train), "B": mnist_numbers(data.x_test, data.y_test)}
    out = forms.section(shipped, sources, n=2, seed=3)
    assert list(out) == ["A", "B"] and all(list(runs) == [str(t) for t in forms.TILTS] for runs in out.values())
    assert {run["tilt_degrees"] for run in out["A"].values()} == set(forms.TILTS)
    out["B"]["1.0"]["exact"] = {"boxes": 0.5, "frame": 1.0, "bare": 0.25}
    lines = forms.report({**out, "measured": {"by": "a merged run"}}).splitlines()
    assert lines[0].startswith("2 scans per column") and "seed 3" in lines[0]
    assert lines[2] == "| layout | A, straight | A, 1 degree askew | B, straight | B, 1 degree askew |"
    rows = {line.split(" | ")[0].strip("| "): line for line in lines[4:]}
    assert list(rows) == [forms.LAYOUT_NAMES[layout] for layout in forms.LAYOUTS]
    assert rows["one digit to a box"].endswith("| 50.0% |") and rows["no printed lines"].endswith("| 25.0% |")
    why = {"skipped": {"C": "no file"}}
    assert forms.report({**out, **why}).endswith("| 25.0% |\n\nNot measured: C: no file.")
    assert forms.report(why) == "Not measured.\n\nNot measured: C: no file."
    one = forms.section(shipped, {"A": sources["A"]}, n=1, seed=3)
    assert forms.report(one).startswith("1 scan per column, numbers of 2-5 digits, seed 3; read exactly:")


def test_the_dev_tool_refuses_absurd_arguments(capsys):
    for args in (["--numbers", "0"], ["--tilt", "90"]):
        try:
            form_dev.main(args)
        except SystemExit as exc:
            assert exc.code == 2
        else:
            raise AssertionError(f"{args} accepted")
    assert "error:" in capsys.readouterr().err
