"""bench.real_numbers: a digit read alone reads as read() reads it, the path the number is read by."""

import numpy as np

from bench import real_numbers
from recognizer.predictor import number_text
from recognizer.reject import MAX_STROKES
from recognizer.strokes import rasterize
from recognizer.synthetic import DIGIT_STROKES, place_strokes


def test_digits_read_alone_read_as_read_reads_them(shipped):
    """Canvases of two sizes, a blank one, a 1 drawn over and over (predict calls it a scribble by
    its strokes; read keeps only the strokes with ink of their own, and reads a 1), a wrong label,
    with strokes and without: the verdict, digit by digit, of read(canvas, strokes), the path a
    number is read by (predict reads a bold digit as drawn)."""
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
        expected = [
            number_text(shipped.read(canvas, s)) == label
            for canvas, label, s in zip(canvases, labels, own or [None] * len(canvases))
        ]
        assert real_numbers.read_alone(shipped, canvases, labels, own) == expected
        verdicts[own is None] = expected
    assert verdicts[False] == verdicts[True] == [True] * 3 + [False, True, False, True, True]


def test_late_order_writes_every_later_stroke_after_the_number():
    """A 4 (two strokes), a 1, a 7 with its bar (two), the 4's stem already written after the 1 (as
    write_row may): first strokes in writing order, then the later ones in writing order."""
    strokes = [[(0, 0)], [(5, 0)], [(1, 0)], [(9, 0)], [(9, 1)]]  # 4's bar, 1, 4's stem, 7, 7's bar
    owner = [0, 1, 0, 2, 2]
    assert real_numbers.late_order(strokes, owner) == [[(0, 0)], [(5, 0)], [(9, 0)], [(1, 0)], [(9, 1)]]
    assert real_numbers.late_order(strokes[:2], owner[:2]) == strokes[:2]  # one stroke a digit: as written
