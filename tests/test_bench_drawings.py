"""bench.drawings: doodles, faces and signs drawn as a mouse draws them, and what reads them a sure digit."""

import numpy as np
import pytest

from bench import drawings


@pytest.mark.parametrize("kind", list(drawings.KINDS))
def test_each_drawing_lies_on_the_canvas_as_a_mouse_draws_it(kind):
    rng = np.random.default_rng(0)
    for _ in range(5):
        strokes = drawings.as_drawn(drawings.KINDS[kind](rng), rng)
        every = np.concatenate([np.asarray(s) for s in strokes])
        side = np.ptp(every, axis=0).max()
        assert drawings.DRAWN_SIZE[0] * drawings.CANVAS * 0.8 <= side <= drawings.DRAWN_SIZE[1] * drawings.CANVAS * 1.2
        for stroke in strokes:
            steps = np.linalg.norm(np.diff(np.asarray(stroke), axis=0), axis=1)
            assert len(stroke) == 1 or steps.max() < 2 * drawings.STEP  # points a few px apart, as a mouse reports


def test_the_bench_reads_every_kind_both_ways_and_digits_drawn_so_read_right(shipped):
    results = drawings.run(shipped, quick=True)
    n = drawings.QUICK_PER_KIND
    assert results["per_kind"] == n and set(results["kinds"]) == set(drawings.KINDS)
    for paths in results["kinds"].values():
        for path in ("app", "image"):
            assert 0 <= paths[path]["sure"] <= n
            assert sum(count for _, count in paths[path]["commonest"]) <= paths[path]["sure"]
    for kind in ("face", "ring and eyes", "ring and a mouth"):  # ink inside a ring: never a sure digit
        assert results["kinds"][kind]["app"]["sure"] == results["kinds"][kind]["image"]["sure"] == 0
    right = results["digits"]["right_and_sure"]
    assert results["digits"]["drawn"] == 10 * n and min(right["app"], right["image"]) >= 9 * n
    table = drawings.report(results)
    assert all(f"| {kind} " in table for kind in drawings.KINDS) and "Control:" in table


def test_a_reading_with_any_sure_digit_counts_and_one_all_not_sure_does_not(monkeypatch):
    monkeypatch.setattr(drawings, "_read", lambda rec, strokes: ("?3", "??"))
    results = drawings.run(None, per_kind=3)
    for paths in results["kinds"].values():
        assert paths["app"] == {"sure": 3, "commonest": [("?3", 3)]} and paths["image"] == {"sure": 0, "commonest": []}
    assert results["digits"]["right_and_sure"] == {}
