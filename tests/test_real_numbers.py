"""bench.real_numbers: a digit read alone in a batch reads as Recognizer.predict reads it."""

import numpy as np

from bench import real_numbers
from recognizer.reject import MAX_STROKES
from recognizer.strokes import rasterize
from recognizer.synthetic import DIGIT_STROKES, place_strokes


def test_digits_read_alone_in_batches_read_as_predict_reads_them(shipped, monkeypatch):
    """Across batches (ALONE_BATCH 4 here), canvases of two sizes, a blank one, a 1 drawn over
    and over (a scribble only with its strokes), a wrong label, with strokes and without: the
    same verdict, digit by digit, as predict(canvas, strokes)."""
    monkeypatch.setattr(real_numbers, "ALONE_BATCH", 4)
    canvases, strokes = [], []
    for k, d in enumerate([4, 7, 1, 0, 9, 3, 1]):
        placed = place_strokes(DIGIT_STROKES[d], box=(40, 40, 110 + 10 * k, 160))
        placed = placed * (MAX_STROKES + 1) if k == 6 else placed
        canvases.append(rasterize(placed, (280, 240) if k in (1, 2, 5) else (640, 640), 8 + 4 * k))
        strokes.append(placed)
    canvases.insert(3, np.zeros((640, 640), np.uint8))
    strokes.insert(3, [])
    labels = "47120831"  # as drawn but the blank canvas (a 2) and the 9 (an 8): neither reads right
    verdicts = {}
    for own in (strokes, None):
        expected = []
        for canvas, label, s in zip(canvases, labels, own or [None] * len(canvases)):
            pred = shipped.predict(canvas, s)
            expected.append(pred is not None and pred.unsure is None and str(pred.digit) == label)
        assert real_numbers.read_alone(shipped, canvases, labels, own) == expected
        verdicts[own is None] = expected
    assert verdicts[False] == [True] * 3 + [False, True, False, True, False]  # the scribble: not sure
    assert verdicts[True] == [True] * 3 + [False, True, False, True, True]
