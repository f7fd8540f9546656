"""Marks written between the digits of a number: a decimal point, a comma, a colon, a dash, a date's
slashes ("52.09", "3,14", "12:30", "555-1234", "12/05/2026"), and a minus before it ("-41").

Segmentation drops such small pieces as specks (or joins them to a digit), so without this a price
written "52.09" read "5209", a hundred times off and sure. A mark is read only between two digits of
one row, in the gap between their ink, on their baseline (a colon's upper dot and a dash half way
up), and only where it is the one small piece there: a speck above the row, on a digit, or before
the first digit or after the last is no mark. A date's slashes, which the classifier reads as 1s,
are read only as a pair that makes the number a date. A minus is the one piece of ink just before a
row's first digit, a dash's shape half way up it (it was dropped, or read as part of the digit:
"-41" read "41"). Knows nothing about the models: ink, the readings' boxes (and digits) in, one
mark (or "") after each digit and a minus (or "") before each out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import combinations

import cv2
import numpy as np

from .grouping import label_boxes
from .ink import Box, Ink
from .reject import LETTERS
from .segment import nearest_line
from .strokes import Stroke, as_points

MARKS = ".,:-/"  # every mark read between digits: a decimal point, a comma, a colon, a dash, a date's slash
NONE = ("", np.zeros(0, np.int64))  # no mark, no pieces
MARK_TALL = 0.8  # a reading at most this share of its neighbours' height may be a mark read as a digit
DOT_SIDE = 0.3  # a dot's longer side at most this share of its digits' height ...
DOT_PENS = 1.6  # ... or this many pen widths (a click with a bold pen is as wide as the pen) ...
DOT_MOST = 0.5  # ... but never more than this share
DOT_LEAST = 0.75  # and at least this many pen widths: finer specks are noise or a stroke's broken end, not a pen's dot
DOT_ASPECT = 1.8  # a dot's longer side at most this many times its shorter
DOT_FILL = 0.6  # and its ink at least this share of its box: a dot is solid, a tiny hook or ring is not
BASE_ABOVE, BASE_BELOW = 0.3, 0.05  # a dot's centre at most these shares of the height above and below the baseline
UPPER_DOT = (0.3, 0.8)  # a colon's upper dot: its centre this high above the baseline (shares of the height)
COMMA_TOP = 0.45  # a comma: a short stroke from at most this share of the height above the baseline ...
COMMA_REACH = 0.08  # ... down to at most this share above it, or below it ...
COMMA_TALL = (0.15, 0.55)  # ... its height between these shares ...
COMMA_DROP, COMMA_LONG = 0.08, 0.3  # ... hanging this share below the baseline, or this long at least
COMMA_WIDE = 0.4  # ... and its width at most this share
COMMA_ASPECT = 1.25  # ... taller than wide by this much at least (a dot is round)
BELOW = 0.5  # ink this share of the height under the baseline still counts as in the gap
CORE = 0.5  # a digit's height and baseline are those of its pieces at least this share as tall as its tallest
SAME_HEIGHT = 1.5  # a mark's two digits are within this ratio of each other's height ...
MARK_GAP = 1.8  # ... and at most this many heights apart
BAND = 0.3  # the gap is measured in the rows this share of the height above the baseline
CLEAR = -0.02  # a mark's ink at least this share of the height clear of its digits' (< 0: into them)
STACK_SLACK = 0.08  # a colon's dots overlap in x, or miss by at most this share of the height
DASH_WIDE = (0.15, 1.0)  # a dash: a flat stroke, its pen path between these shares of the height long ...
DASH_FLAT = 0.4  # ... rising or falling at most this share of its length ...
DASH_THICK = 0.15  # ... its ink at most this share of the height thicker than the pen ...
DASH_LEVEL = (0.15, 0.75)  # ... its middle this high above the baseline (shares of the height): not a tick on it
DATE_LEAST = 6  # readings in a row for a date with slashes ("1/2/26"): fewer make none (a cheap test)
DATE_PART = (1, 2)  # a day or a month: this many digits ...
DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # ... a month's days at most
YEAR = (2, 4)  # a year: this many digits, last (6/12/26, 12/06/2026) ...
FULL_YEAR = 1000  # ... or, 4 of them, at least this, first too (2026/12/06)
SLASH_LEAN = 20.0  # a date's slash leans at least this many degrees from upright, its top to the right ...
SLASH_ALIKE = 12.0  # ... its two slashes within this many of each other ...
SLASH_TALL = 0.6  # ... each at least this share of the row's median reading's height ...
SLASH_PENS, SLASH_BENT = 1.6, 0.1  # ... and straight: its ink at most this many pens and share of its length across
SLASH_ALONE = 0.1  # a slash is one piece or stroke: no other with this share of its box's ink (or height)
DASH_INTO = 0.5  # with strokes, a dash filling the gap may run this many pen widths into a digit's ink
MINUS_GAP = 1.0  # a minus before a row's first digit: at most this share of its height before the digit's ink ...
MINUS_LEVEL = (0.3, 0.7)  # ... its middle this high up the digit (shares of its height: a dash may sit lower) ...
MINUS_FLAT = 0.25  # ... its line rising or falling at most this share of its length (14 degrees) ...
MINUS_BENT = 0.05  # ... and straight: at most this share of its length across (and SLASH_PENS), straighter than a slash
# A dot under a reading, where no mark of a number goes, makes it a question or an exclamation mark (a
# "?" read a sure 7, its dot dropped as a speck or read with it): the one piece of ink under the pieces
# that start in the reading's upper half, dot-shaped (_small), its top QUESTION_GAP to BELOW of their
# height under them and its centre under their middle (QUESTION_MIDDLE of their width in from each
# side). Only for a reading alone in its row: in a number it is a digit's broken tail or a speck under
# it (report-only numbers of MNIST test digits: a broken 9 read "7" became "9?711", a photo's 7 with a
# speck "57?6", a 4 "?.0618"; an outside review: a click under a number's last digit, "2?").
QUESTION_GAP = 0.05
QUESTION_MIDDLE = 0.15
# A bracket round a number ("(555) 123", "(42)") is no digit: read as a sure 1 (an outside trial: 30 of
# 30 bracketed numbers read "15511" for "(551)"), it is left out. A reading is a bracket where its ink
# is one piece (BRACKET_OWN) with no loop, a pen's stroke long (BRACKET_LONG pens its height at most),
# narrow (BRACKET_WIDE of its height at most), BRACKET_TALL of the digit it faces at least, its other
# side clear (BRACKET_CLEAR: a 1 in a number has digits close on both sides), and bowed away from the
# digit it faces (the next reading in its row for "(", the one before for ")"): the curve through its
# rows' middles, fitted as x = a + b*u + c*u*u (u from -1 at its top to 1 at its bottom; b is its
# lean), bows by c of its height, BRACKET_BOW at least, and is smooth, the fit's root-mean-square miss
# at most BRACKET_SMOOTH of c (a 1 with a flag is bent in one place); or, as a "(" and the nearest ")"
# round readings, bowed opposite ways, BRACKET_PAIR_BOW and BRACKET_PAIR_SMOOTH. Shaped so, of 4,298
# 'val' and 'train' people's digits: none alone, 21 as a pair's "(" (nineteen 1s) and 20 as its ")"
# (sixteen 1s, three 3s), about 4% of the 1s each way; of 2,281 MNIST training 1s (the first 20,000
# images), 4 alone, 119 and 66 in a pair. bench.marks' brackets (made up, 'val' people): 91 and 78 of
# 100 numbers read right with strokes and as images, 0 before (docs/measurements.md).
BRACKET_LONG = 1.6
BRACKET_OWN = 0.75  # its piece holds this share of the ink in its box at least (a neighbour's may reach in)
BRACKET_WIDE = 0.5
BRACKET_TALL = 0.8
BRACKET_BOW, BRACKET_PAIR_BOW = 0.08, 0.05
BRACKET_SMOOTH, BRACKET_PAIR_SMOOTH = 0.06, 0.2
BRACKET_CLEAR = 0.5  # a bracket's other side: no reading there, or one this share of its height away


@dataclass(frozen=True)
class Marks:
    """The marks found among a reading's digits."""

    after: list[str]  # for each reading: the mark written after it (MARKS) or ""
    before: list[str]  # for each reading: a minus written before it, the first digit of its row ("-5"), or ""
    readings: list[int]  # readings that are a mark, not a digit (a comma read as a 1): to leave out
    joined: np.ndarray | None  # (h, w) bool: the ink of marks read as part of a digit, or None
    strokes: list[int]  # with strokes: those of the joined marks
    questions: list[int] = field(default_factory=list)  # readings with a dot under them: a "?" or a "!", no digit


def find_marks(
    ink: Ink,
    boxes: Sequence[Box],
    rows: Sequence[int],
    strokes: Sequence[Stroke] | None = None,
    unsure: Sequence[str | None] | None = None,
    digits: Sequence[int] | None = None,
) -> Marks:
    """The marks written between digits: boxes are the readings' (x, y, w, h) on the ink's canvas in
    reading order, rows their lines of writing, unsure their reasons for "not sure" (reject.REASONS
    or None), strokes the canvas's (app), if known: then each stroke is a piece of ink (a dot
    written touching a digit is still a stroke of its own), else each connected piece. A mark
    needs a digit on each side in its row, neither read as a letter nor after one (a label's colon,
    "Total: 45"). digits: the digits read, if known, for a date's slashes, which read as 1s
    ("12/05/2026" read "1210512026", _date_slashes). A reading that is itself a mark between its
    neighbours (a comma or a slash read as a 1) is one of `readings`; a mark whose ink lies in a
    digit's box was read as part of that digit (a 0 with a comma read 9): it is `joined` (and
    `strokes`), to be read again without it. A minus before a row's first digit (_minus) is that
    digit's `before`; read as a reading of its own, it is one of `readings` and the next digit has
    it; read as part of the digit, it is `joined`. A reading alone in its row with a dot under it
    (_dot_under) is a question or an exclamation mark: one of `questions`. Only the ink around each
    row's readings is looked at (a page's is large)."""
    after, before, readings = [""] * len(boxes), [""] * len(boxes), []
    if not boxes or ink.box is None:
        return Marks(after, before, readings, None, [])
    boxes = [_clipped(box, ink.mask.shape) for box in boxes]  # a box off the canvas (a caller's) is cut to it
    pen = max(ink.stroke_width, 1.0)
    letter = [u in LETTERS for u in unsure] if unsure is not None else [False] * len(boxes)
    joined, marked = np.zeros(ink.mask.shape, bool), []
    crops: dict[int, tuple[np.ndarray, np.ndarray, tuple[int, int], int, int]] = {}
    ink_boxes = _stroke_boxes(strokes, pen) if strokes is not None else None  # each stroke's, once

    def pieces_of(row: int) -> tuple[np.ndarray, np.ndarray, tuple[int, int], int, int]:
        """The pieces of a row's ink (the readings' boxes, and under them), found once a row."""
        if row not in crops:
            own = [box for box, r in zip(boxes, rows) if r == row]
            x0, y0 = min(x for x, _, _, _ in own), min(y for _, y, _, _ in own)
            x1 = max(x + w for x, _, w, _ in own)
            y1 = min(int(max(_bottom(box) for box in own) + BELOW * max(h for *_, h in own)) + 1, ink.mask.shape[0])
            crops[row] = (*_pieces(ink.mask[y0:y1, x0:x1], strokes, (x0, y0)), (x0, y0), y1, x1)
        return crops[row]

    def mark(a: int, b: int, keep: bool = False) -> str:
        """The mark between readings a and b, "" beside a letter; keep: note its pieces read with a
        digit, even beside a letter (a digit a mark joined may read as one)."""
        labels, stats, (x0, y0), y1, x1 = pieces_of(rows[a])
        found, pieces = _mark(stats, labels, (x0, y0), boxes[a], boxes[b], pen, with_strokes=strokes is not None)
        for i in pieces if keep else ():
            if _inside(stats[i, :4], boxes[a]) or _inside(stats[i, :4], boxes[b]):
                joined[y0:y1, x0:x1] |= labels == i + 1
                marked.append(int(i))
        return "" if letter[a] or letter[b] or (a and rows[a - 1] == rows[a] and letter[a - 1]) else found

    for row in sorted(set(rows)) if digits is not None else ():  # a date's slashes, read as 1s
        line = [k for k, r in enumerate(rows) if r == row]
        ones = [i for i, k in enumerate(line) if 0 < i < len(line) - 1 and digits[k] == 1]  # a slash is inside
        if len(line) >= DATE_LEAST and len(ones) >= 2 and not any(letter[k] for k in line):
            if strokes is not None:  # each stroke's pen path, cheaper than its ink
                lean = partial(_stroke_lean, strokes=strokes, ink_boxes=ink_boxes, pen=pen)
            else:
                labels, stats, origin = pieces_of(row)[:3]
                lean = partial(_ink_lean, labels=labels, stats=stats, origin=origin, pen=pen)
            for i in _date_slashes(line, ones, [digits[k] for k in line], boxes, lean):
                after[line[i - 1]] = "/"
                readings.append(line[i])
    readings += _brackets(ink.mask, boxes, rows, pen, readings)
    if ink_boxes is not None and not _mark_shaped(ink_boxes, max(b[3] for b in boxes), pen).any():
        return Marks(after, before, readings, None, [])  # most numbers: no piece shaped as a mark at all
    questions = []  # a reading alone in its row with a dot under it
    for k in range(len(boxes)):
        if rows.count(rows[k]) == 1 and k not in readings:
            _, stats, _, cut, _ = pieces_of(rows[k])
            if _dot_under(stats, cut, boxes[k], pen):
                questions.append(k)
    for row in sorted(set(rows)):  # a minus before the row's first digit ("-5")
        line = [k for k, r in enumerate(rows) if r == row and k not in readings]
        if not line:
            continue
        first, second = line[0], line[1] if len(line) > 1 else None
        if second is not None and boxes[first][3] <= MARK_TALL * boxes[second][3] and not letter[second]:  # (cheap)
            lead = _minus(ink.mask, boxes[second], strokes, pen)
            if lead is not None and _inside(lead[3], boxes[first]):
                readings.append(first)  # the minus, read as a "?" of its own
                before[second] = "-"
                continue
        lead = _minus(ink.mask, boxes[first], strokes, pen)
        if lead is None:
            continue
        i, piece, (x0, y0), (mx, _, mw, _) = lead
        if boxes[first][0] <= mx + mw / 2:  # read as part of the digit (maybe as a letter): read again without it
            joined[y0 : y0 + piece.shape[0], x0 : x0 + piece.shape[1]] |= piece
            marked.append(i)
        elif not letter[first]:
            before[first] = "-"
    kept = [k for k in range(len(boxes)) if k not in readings]  # the readings that are digits
    order = list(kept)
    for a, k, b in zip(order, order[1:], order[2:]):
        small = boxes[k][3] <= MARK_TALL * min(boxes[a][3], boxes[b][3])
        if rows[a] == rows[k] == rows[b] and small and a in kept and mark(a, b):
            kept.remove(k)
            readings.append(k)
    for a, b in zip(kept, kept[1:]):
        if rows[a] == rows[b] and not after[a]:
            after[a] = mark(a, b, keep=True)
    if not joined.any():
        return Marks(after, before, readings, None, [], questions)
    return Marks(after, before, readings, joined, [] if strokes is None else marked, questions)


def _brackets(mask: np.ndarray, boxes: Sequence[Box], rows: Sequence[int], pen: float, out: list[int]) -> list[int]:
    """The readings that are brackets round digits in their rows (_row_brackets), of those not out
    already."""
    found = []
    for row in sorted(set(rows)):
        line = [k for k, r in enumerate(rows) if r == row and k not in out]
        found += [line[i] for i in _row_brackets([boxes[k] for k in line], partial(_bow, mask, pen=pen))]
    return found


def _row_brackets(boxes: Sequence[Box], bow_of: Callable[[Box], tuple[float, float]]) -> list[int]:
    """Which of one row's readings (boxes, left to right; bow_of: a box's _bow, measured only for
    readings placed as a bracket is, most readings of a number not) are brackets (see
    BRACKET_BOW): a "(" facing the next reading, with none before it or one BRACKET_CLEAR of its
    height away (a 1 inside a number has a digit close on both sides), a ")" likewise the other way;
    bowed and smooth alone, the row's first or last (a 1 inside a number, bowed, with a wide gap on one
    side: "50012" read "5002"), or less as a pair, each "(" with the nearest ")" after the reading it
    faces."""
    n = len(boxes)
    shapes: dict[int, tuple[float, float]] = {}  # each reading's bow_of, once

    def gap(i: int, j: int) -> float:
        """The x-gap between readings i and j = i - 1 or i + 1 (infinite where there is none)."""
        if not 0 <= j < n:
            return np.inf
        left, right = (boxes[j], boxes[i]) if j < i else (boxes[i], boxes[j])
        return right[0] - (left[0] + left[2])

    def bracket(i: int, side: int, alone: bool) -> bool:
        """Whether reading i is a "(" (side 1: it faces the next reading) or a ")" (side -1)."""
        if not (
            0 <= i + side < n
            and boxes[i][3] >= BRACKET_TALL * boxes[i + side][3]
            and gap(i, i - side) >= BRACKET_CLEAR * boxes[i][3]
        ):
            return False
        if i not in shapes:
            shapes[i] = bow_of(boxes[i])
        bow, miss = shapes[i]
        return _bowed(side * bow, miss, alone)

    opens = [i for i in range(n) if bracket(i, 1, alone=False)]
    closes = [i for i in range(n) if bracket(i, -1, alone=False)]
    chosen = {i for i in opens[:1] if i == 0 and bracket(i, 1, alone=True)}  # alone: first or last
    chosen |= {i for i in closes[-1:] if i == n - 1 and bracket(i, -1, alone=True)}
    for i in opens:
        after = [j for j in closes if j > i + 1]
        chosen |= {i, after[0]} if after else set()
    return sorted(chosen)


def _bowed(bow: float, miss: float, alone: bool) -> bool:
    """Whether a curve bowing by `bow` (shares of its height, > 0 the way it faces) and missing its
    fit by `miss` is a bracket's, alone or in a pair."""
    least, smooth = (BRACKET_BOW, BRACKET_SMOOTH) if alone else (BRACKET_PAIR_BOW, BRACKET_PAIR_SMOOTH)
    return bow >= least and miss <= smooth * bow


def _bow(mask: np.ndarray, box: Box, pen: float) -> tuple[float, float]:
    """How far the curve through the middles of the ink's rows in box bows (c of x = a + b*u + c*u*u,
    u from -1 at its top to 1 at its bottom: > 0 as "(", < 0 as ")") and its fit's root-mean-square
    miss, both in shares of the box's height; (0.0, 1.0) where the ink is no bracket's (see BRACKET_BOW)."""
    x, y, w, h = box
    if w < 1 or w > BRACKET_WIDE * h or h < 5:  # (OpenCV fails on an empty crop: a box off the canvas)
        return 0.0, 1.0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask[y : y + h, x : x + w].astype(np.uint8))
    if count < 2:
        return 0.0, 1.0
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    piece = labels == largest
    pixels = int(stats[largest, cv2.CC_STAT_AREA])
    if pixels < BRACKET_OWN * stats[1:, cv2.CC_STAT_AREA].sum() or pixels > BRACKET_LONG * pen * h:
        return 0.0, 1.0
    contours, hierarchy = cv2.findContours(piece.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    holes = [c for c, (*_, parent) in zip(contours, hierarchy[0]) if parent >= 0]
    if any(cv2.contourArea(c) >= pen * pen / 4 for c in holes):  # a loop: a 0, 6, 8 or 9 (not a pinhole)
        return 0.0, 1.0
    held = piece.sum(axis=1)
    inked = np.flatnonzero(held)
    if len(inked) < 3:
        return 0.0, 1.0
    middles = (piece * np.arange(w)).sum(axis=1)[inked] / held[inked]
    u = 2 * (inked - inked[0]) / (inked[-1] - inked[0]) - 1
    terms = np.stack([np.ones_like(u), u, u * u], axis=1)
    fit = np.linalg.lstsq(terms, middles, rcond=None)[0]
    miss = float(np.sqrt(np.mean((middles - terms @ fit) ** 2)))
    return float(fit[2]) / h, miss / h


def _dot_under(stats: np.ndarray, cut: int, box: Box, pen: float) -> bool:
    """Whether a reading (box: x, y, w, h; stats: its row's pieces' boxes and pixels, found above the
    row `cut`) has one piece of ink under the pieces that start in its upper half, a dot
    QUESTION_GAP to BELOW of their height below them, under their middle: a question mark's or an
    exclamation mark's. A piece reaching the cut is no dot: the top of a digit of the next line."""
    x, y, w, h = box
    inked = (stats[:, 4] > 0) & (stats[:, 0] < x + w) & (stats[:, 0] + stats[:, 2] > x)
    inked &= stats[:, 1] + stats[:, 3] < cut
    pieces = np.flatnonzero(inked & (stats[:, 1] + stats[:, 3] > y) & (stats[:, 1] < y + h + BELOW * h))
    body, others = pieces[stats[pieces, 1] < y + h / 2], pieces[stats[pieces, 1] >= y + h / 2]
    if not len(body) or len(others) != 1:
        return False
    top, bottom = stats[body, 1].min(), (stats[body, 1] + stats[body, 3]).max()
    left, right = stats[body, 0].min(), (stats[body, 0] + stats[body, 2]).max()
    height, width = bottom - top, right - left
    dot = stats[others]
    dx, dy, dw, _ = dot[0, :4]
    return bool(
        _small(dot, height, pen)[0]
        and bottom + QUESTION_GAP * height <= dy <= bottom + BELOW * height
        and left + QUESTION_MIDDLE * width <= dx + dw / 2 <= right - QUESTION_MIDDLE * width
    )


def _minus(
    mask: np.ndarray, box: Box, strokes: Sequence[Stroke] | None, pen: float
) -> tuple[int, np.ndarray, tuple[int, int], np.ndarray] | None:
    """A minus written before a row's first digit, or None: the one piece of ink whose middle is
    before the digit's own ink (_own of its reading's `box`, which may hold the minus too), a
    dash's shape half way up the digit (_dashes), at most MINUS_GAP of its height before its ink
    (or DASH_INTO pens into it: with strokes, a stroke of its own). Any other ink there (a word, a
    scribble, another row's) makes it none. Its piece's index (with strokes: its stroke's), its
    ink on a crop of the canvas, the crop's origin, and its box."""
    x, y, w, h = box
    reach = int(np.ceil((MINUS_GAP + DASH_WIDE[1]) * h + 2 * pen))
    x0, y0 = max(x - reach, 0), max(int(y - BELOW * h), 0)
    y1 = min(int(np.ceil(y + h + BELOW * h)), mask.shape[0])
    if not mask[y0:y1, x0:x].any():  # nothing before the box: a minus would be in it, its left end the box's,
        ends = np.flatnonzero(mask[y : y + h, x : x + int(np.ceil(pen)) + 1].any(axis=1))  # the ink there
        if not len(ends) or ends[-1] - ends[0] >= pen + DASH_THICK * h + 1:  # no thicker than a dash (a cheap test)
            return None
    labels, stats = _pieces(mask[y0:y1, x0 : x + w], strokes, (x0, y0))
    held = _held(labels, (x0, y0), box, len(stats))
    own = _own(stats, labels, (x0, y0), box, held, np.zeros_like(held))
    if own is None:
        return None
    (ox, oy, _, height), ids = own
    px, py, pw, ph, pixels = stats.T
    others = np.flatnonzero((pixels > 0) & (px + pw / 2 < ox))  # ink whose middle is before the digit's own
    if len(others) != 1:
        return None
    i = int(others[0])
    up = (oy + height - (py[i] + ph[i] / 2)) / height
    if not MINUS_LEVEL[0] <= up <= MINUS_LEVEL[1] or not _dashes(stats[[i]], height, oy + height, pen)[0]:
        return None
    piece = labels == i + 1
    line = _piece_line(piece if strokes is None else strokes[i], pen, MINUS_BENT)
    gap = _edge(labels, (x0, y0), box, ids, (py[i], py[i] + ph[i]), right=False) - (px[i] + pw[i])
    # clear of the digit's ink, or with strokes, written before it and running a little into it (a bar is written after)
    into = strokes is not None and gap >= -DASH_INTO * pen and i < ids.min()
    flat = line is not None and abs(line[1]) <= MINUS_FLAT * abs(line[0])  # its pen path's or ink's line
    if not flat or gap > MINUS_GAP * height or not (gap >= CLEAR * height or into):
        return None
    return i, piece, (x0, y0), stats[i, :4]


def _date_slashes(
    row: list[int], ones: list[int], values: list[int], boxes: Sequence[Box], lean: Callable[[Box], float]
) -> list[int]:
    """The places in a row (its readings' indices, in reading order) of the two readings that are a
    date's slashes ("12/05/2026", "2026/12/05"), among those read as 1s (`ones`, places in the row;
    values: the row's digits read): straight strokes leaning alike as slashes do (`lean` of a
    reading's box: _ink_lean, _stroke_lean), the digits around them a date (_a_date), and no other
    choice of two so. Many people's 1s lean as far as a slash: one slash alone ("3/4") stays a 1,
    and two only where the number reads as a date."""
    tall = SLASH_TALL * float(np.median([boxes[k][3] for k in row]))
    leans = {i: lean(boxes[row[i]]) for i in ones}
    slanted = [i for i, angle in leans.items() if angle >= SLASH_LEAN and boxes[row[i]][3] >= tall]
    fits = [
        (i, j)
        for i, j in combinations(slanted, 2)
        if abs(leans[i] - leans[j]) <= SLASH_ALIKE and _a_date(values[:i], values[i + 1 : j], values[j + 1 :])
    ]
    return list(fits[0]) if len(fits) == 1 else []


def _a_date(first: list[int], middle: list[int], last: list[int]) -> bool:
    """Whether three runs of digits make a date: a day and a month (either first) and a year, or a
    4-digit year, a month and a day."""

    def value(digits: list[int]) -> int:
        return int("".join(map(str, digits)))

    def day_month(day: list[int], month: list[int]) -> bool:
        if len(day) not in DATE_PART or len(month) not in DATE_PART or not 1 <= value(month) <= len(DAYS):
            return False
        return 1 <= value(day) <= DAYS[value(month) - 1]

    def year(digits: list[int]) -> bool:
        return len(digits) in YEAR and (len(digits) < max(YEAR) or value(digits) >= FULL_YEAR)

    if len(first) == max(YEAR):
        return year(first) and day_month(last, middle)
    return year(last) and (day_month(first, middle) or day_month(middle, first))


def _ink_lean(box: Box, labels: np.ndarray, stats: np.ndarray, origin: tuple[int, int], pen: float) -> float:
    """How far a reading's ink leans from upright (_lean) if it is one piece (SLASH_ALONE), else 0:
    the pieces with most of their ink in its box."""
    held = _held(labels, origin, box, len(stats))
    held = np.where(held * 2 >= stats[:, 4], held, 0)
    if not held.any() or np.count_nonzero(held >= SLASH_ALONE * held.sum()) != 1:
        return 0.0
    return _lean(_piece_line(_crop(labels, origin, box) == int(np.argmax(held)) + 1, pen))


def _stroke_lean(box: Box, strokes: Sequence[Stroke], ink_boxes: np.ndarray, pen: float) -> float:
    """How far a reading's pen path leans from upright (_lean) if it is one stroke (SLASH_ALONE of
    its box's height or more: the strokes whose ink box's middle is in the box), else 0."""
    x, y, w, h = ink_boxes.T
    middle_x, middle_y = x + w / 2, y + h / 2
    inside = (middle_x >= box[0]) & (middle_x <= box[0] + box[2]) & (middle_y >= box[1]) & (middle_y <= box[1] + box[3])
    big = np.flatnonzero(inside & (np.maximum(w, h) - pen >= SLASH_ALONE * box[3]))
    if len(big) != 1:
        return 0.0
    return _lean(_piece_line(strokes[big[0]], pen))


def _lean(line: np.ndarray | None) -> float:
    """How far a straight line (_piece_line's direction) leans from upright (degrees, its top to the
    right > 0), 0 for none."""
    if line is None:
        return 0.0
    dx, dy = line if line[1] < 0 else -line  # pointing up the canvas
    return float(np.degrees(np.arctan2(dx, -dy)))


def _piece_line(piece: np.ndarray | Stroke, pen: float, bent: float = SLASH_BENT) -> np.ndarray | None:
    """_line of a piece: of its pen path where it is a stroke (the pen's width aside: SLASH_PENS less
    one), else of its ink's pixels (a bool image)."""
    if isinstance(piece, np.ndarray) and piece.dtype == bool:
        rows, cols = np.nonzero(piece)
        return _line(np.column_stack([cols, rows]), SLASH_PENS * pen, bent)
    return _line(as_points(piece), (SLASH_PENS - 1) * pen, bent)


def _line(points: np.ndarray, thick: float, bent: float = SLASH_BENT) -> np.ndarray | None:
    """The direction (x, y) of the straight line points lie along, at most `thick` plus `bent` of
    their length across it, or None where they do not (a curve, a hook, a wave)."""
    if len(points) < 2:
        return None
    points = points.astype(np.float64) - points.mean(axis=0)
    _, vectors = np.linalg.eigh(points.T @ points)
    across, along = points @ vectors[:, 0], points @ vectors[:, 1]
    length = float(np.ptp(along))
    if not length or float(np.ptp(across)) > thick + bent * length:
        return None
    return vectors[:, 1]


def _inside(piece: np.ndarray, box: Box) -> bool:
    """Whether a piece's box (x, y, w, h) lies wholly in `box`."""
    px, py, pw, ph = piece
    x, y, w, h = box
    return x <= px and px + pw <= x + w and y <= py and py + ph <= y + h


def _clipped(box: Box, shape: tuple[int, ...]) -> Box:
    """A box (x, y, w, h) cut to a canvas of `shape` (h, w); 0 wide or tall when off it."""
    x0, y0 = min(max(box[0], 0), shape[1]), min(max(box[1], 0), shape[0])
    x1, y1 = min(max(box[0] + box[2], x0), shape[1]), min(max(box[1] + box[3], y0), shape[0])
    return (x0, y0, x1 - x0, y1 - y0)


def _bottom(box: Box) -> float:
    """A box's bottom edge (y + h)."""
    return box[1] + box[3]


def _stroke_boxes(strokes: Sequence[Stroke], pen: float) -> np.ndarray:
    """Each stroke's ink box (x, y, w, h), its pen path widened by the pen's radius (0s when empty)."""
    boxes = np.zeros((len(strokes), 4))
    for i, stroke in enumerate(strokes):
        if len(stroke):
            points = as_points(stroke)
            (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
            boxes[i] = left - pen / 2, top - pen / 2, right - left + pen, bottom - top + pen
    return boxes


def _mark_shaped(boxes: np.ndarray, tallest: float, pen: float) -> np.ndarray:
    """Which pieces (x, y, w, h boxes) could be a mark beside digits up to `tallest` px tall written
    with this pen, by their box alone: a dot's (_small), a comma's (_commas) or a dash's (_dashes)
    size and shape, in the loosest terms."""
    w, h = boxes[:, 2], boxes[:, 3]
    side, short = np.maximum(w, h), np.maximum(np.minimum(w, h), 1.0)
    dot = (side <= DOT_MOST * tallest) & (side <= DOT_ASPECT * short)
    comma = (h <= COMMA_TALL[1] * tallest) & (w <= COMMA_WIDE * tallest) & (h >= COMMA_ASPECT * w)
    return (side > 0) & (dot | comma | _dash_shaped(boxes, tallest, pen))


def _pieces(
    part: np.ndarray, strokes: Sequence[Stroke] | None, origin: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The pieces of ink in `part` (a crop of the ink mask at origin): a label image (0 off the ink,
    1 + the piece's index) and each piece's x, y, w, h on the canvas and ink pixels. With strokes,
    piece i is stroke i (the ink nearest its pen path; none for a stroke off the ink), else the
    connected pieces (cv2.connectedComponents: its WithStats twin takes ten times as long)."""
    if not part.size:  # OpenCV and scipy fail on an empty image (boxes off the canvas): no ink
        return np.zeros(part.shape, np.int32), np.zeros((len(strokes) if strokes is not None else 0, 5))
    if strokes is None:
        count, labels = cv2.connectedComponents(part.astype(np.uint8), connectivity=8)
        count -= 1
    else:
        paths = [[as_points(s) - origin] for s in strokes]
        labels = nearest_line(part, paths)
        labels = np.zeros(part.shape, np.int32) if labels is None else labels
        count = len(strokes)
    boxes, pixels = label_boxes(labels, count)
    stats = np.column_stack([boxes + (*origin, 0, 0), pixels]).astype(np.float64)
    return labels, stats


def _mark(
    stats: np.ndarray,
    labels: np.ndarray,
    origin: tuple[int, int],
    left: Box,
    right: Box,
    pen: float,
    with_strokes: bool = False,
) -> tuple[str, np.ndarray]:
    """The mark between two neighbouring digits ("" for none) and its pieces' indices: the pieces of
    ink in the gap between their ink, one dot, two dots stacked, one comma or one dash (not
    reaching into a digit's ink: a 7's bar written apart is dash-shaped), and nothing else. Their boxes may
    hold a mark that segmentation joined to a digit: the digits' height and baseline are their
    tallest pieces', and a digit's own ink is its box's pieces that are no mark. with_strokes: the
    pieces are the app's strokes, not connected pieces of ink."""
    if not (_mark_shaped(stats[:, :4], max(left[3], right[3]), pen) & _by(stats, left, right)).any():
        return NONE  # most pairs: nothing by them shaped as a mark
    held = _held(labels, origin, left, len(stats)), _held(labels, origin, right, len(stats))
    cores = _owns(stats, labels, origin, (left, right), held)
    if cores is None:
        return NONE
    (_, _, _, left_h), (_, _, _, right_h) = cores[0][0], cores[1][0]
    if max(left_h, right_h) > SAME_HEIGHT * min(left_h, right_h):  # a label's print beside handwriting
        return NONE
    height = (left_h + right_h) / 2
    baseline = (_bottom(cores[0][0]) + _bottom(cores[1][0])) / 2  # their lowest ink
    small = _small(stats, height, pen)
    comma = _commas(stats, height, baseline)
    dash = _dashes(stats, height, baseline, pen)
    loose = small | comma | dash
    own = _owns(stats, labels, origin, (left, right), held, loose)
    if own is None:
        return NONE
    if dash.any():  # a flat stroke reaching into a digit is its bar (a 7's, a 4's written apart): no dash
        for i in np.flatnonzero(dash):
            gaps, _ = _gaps(stats, labels, origin, (left, right), own, (stats[i, 1], stats[i, 1] + stats[i, 3]), [i])
            filled = with_strokes and gaps.min() >= -DASH_INTO * pen and gaps.max() <= pen
            dash[i] = gaps.min() >= CLEAR * height or filled
        loose = small | comma | dash
        own = _owns(stats, labels, origin, (left, right), held, loose)
        if own is None:
            return NONE
    (left_own, left_ids), (right_own, right_ids) = own
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    top = min(left_own[1], right_own[1])
    # the ink beside and under the two digits, theirs aside: a mark, or a line of small print under them
    near = (x + w > left_own[0]) & (x < right_own[0] + right_own[2]) & (y + h > top) & (y < baseline + BELOW * height)
    near[left_ids] = near[right_ids] = False
    found = np.flatnonzero(near)
    if not 1 <= len(found) <= 2 or not loose[found].all():
        return NONE
    # the gap between the digits' ink near the baseline (a 7's bar or a leaning digit's top may
    # overhang a mark): a mark stands clear of both digits there (a speck touching one is a bit of
    # it), but a dash, its gaps in its own rows already measured
    one = found[0]
    gaps, span = _gaps(stats, labels, origin, (left, right), own, (baseline - BAND * height, baseline), found)
    if not ((len(found) == 1 and dash[one]) or gaps.min() >= CLEAR * height) or not 0 < span <= MARK_GAP * height:
        return NONE
    centre = y[found] + h[found] / 2
    if len(found) == 1:
        on_base = baseline - BASE_ABOVE * height <= centre[0] <= baseline + BASE_BELOW * height
        if comma[one] or (small[one] and on_base):  # a short dab low down: a point
            return ("," if comma[one] else "."), found
        return ("-", found) if dash[one] else NONE
    if len(found) == 2 and small[found].all():
        low, high = found[np.argsort(-centre)]
        up = (baseline - (y[high] + h[high] / 2)) / height
        down = y[low] + h[low] / 2
        stacked = min(x[low] + w[low], x[high] + w[high]) - max(x[low], x[high]) > -STACK_SLACK * height
        on_base = baseline - BASE_ABOVE * height <= down <= baseline + BASE_BELOW * height
        if stacked and on_base and UPPER_DOT[0] <= up <= UPPER_DOT[1]:
            return ":", found
    return NONE


def _small(stats: np.ndarray, height: float, pen: float) -> np.ndarray:
    """Which pieces are dot-shaped for digits this tall written with this pen: small, about as
    wide as tall, solid."""
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    side, short = np.maximum(w, h), np.maximum(np.minimum(w, h), 1.0)
    most = min(max(DOT_SIDE * height, DOT_PENS * pen), DOT_MOST * height)
    sized = (side <= most) & (side >= max(DOT_LEAST * pen, 2.0))
    return sized & (side / short <= DOT_ASPECT) & (area >= DOT_FILL * w * h)


def _commas(stats: np.ndarray, height: float, baseline: float) -> np.ndarray:
    """Which pieces are comma-shaped: a short stroke, taller than wide, down to the baseline or
    below it, and hanging COMMA_DROP below it or COMMA_LONG long (a dot drawn as a short tick, as
    many people dot their i's, sits on the baseline: a point)."""
    y, w, h = stats[:, 1], stats[:, 2], stats[:, 3]
    return (
        (y >= baseline - COMMA_TOP * height)
        & (y + h >= baseline - COMMA_REACH * height)
        & ((y + h >= baseline + COMMA_DROP * height) | (h >= COMMA_LONG * height))
        & (h >= COMMA_TALL[0] * height)
        & (h <= COMMA_TALL[1] * height)
        & (w <= COMMA_WIDE * height)
        & (h >= COMMA_ASPECT * w)
    )


def _dashes(stats: np.ndarray, height: float, baseline: float, pen: float) -> np.ndarray:
    """Which pieces are dash-shaped: a short flat stroke, half way up digits this tall (a hyphen, a
    minus, the dash of a date "2026-12-06")."""
    up = (baseline - (stats[:, 1] + stats[:, 3] / 2)) / height
    wide = stats[:, 2] - pen >= DASH_WIDE[0] * height
    return _dash_shaped(stats[:, :4], height, pen) & wide & (up >= DASH_LEVEL[0]) & (up <= DASH_LEVEL[1])


def _dash_shaped(boxes: np.ndarray, height: float, pen: float) -> np.ndarray:
    """Which pieces' boxes (x, y, w, h) have a dash's shape beside digits this tall, wherever they
    are: its pen path (the box less the pen) long and flat."""
    w, h = boxes[:, 2], boxes[:, 3]
    long, rise = w - pen, np.maximum(h - pen, 0.0)
    return (long <= DASH_WIDE[1] * height) & (rise <= DASH_FLAT * long) & (h <= pen + DASH_THICK * height)


def _gaps(
    stats: np.ndarray,
    labels: np.ndarray,
    origin: tuple[int, int],
    boxes: tuple[Box, Box],
    own: tuple[tuple[Box, np.ndarray], tuple[Box, np.ndarray]],
    band: tuple[float, float],
    pieces: Sequence[int] | np.ndarray,
) -> tuple[np.ndarray, float]:
    """The gaps (px) between pieces and the two digits' own ink (own: _own's, in `boxes`) in the
    rows of `band`: each piece's from the left digit, then each piece's to the right one (< 0
    where a piece runs into a digit's ink); and the gap between the digits there."""
    pieces = np.asarray(pieces)
    lo = _edge(labels, origin, boxes[0], own[0][1], band, right=True)
    hi = _edge(labels, origin, boxes[1], own[1][1], band, right=False)
    x, w = stats[pieces, 0], stats[pieces, 2]
    return np.concatenate([x - lo, hi - x - w]), hi - lo


def _edge(
    labels: np.ndarray, origin: tuple[int, int], box: Box, ids: np.ndarray, band: tuple[float, float], right: bool
) -> float:
    """The right (or left) edge of a digit's own ink (pieces `ids` in its box) in the rows of `band`
    (y from, to), or of all its ink where it has none there."""
    bx, by = box[:2]
    part = _ink_of(labels, origin, box, ids)
    rows = part[max(0, int(band[0]) - by) : max(0, int(np.ceil(band[1])) - by)]
    cols = np.flatnonzero((rows if rows.any() else part).any(axis=0))
    return float(bx + (cols[-1] + 1 if right else cols[0]))


def _crop(labels: np.ndarray, origin: tuple[int, int], box: Box) -> np.ndarray:
    """The labels of `box` (x, y, w, h on the canvas; labels cropped at origin)."""
    bx, by, bw, bh = box
    return labels[by - origin[1] : by - origin[1] + bh, bx - origin[0] : bx - origin[0] + bw]


def _ink_of(labels: np.ndarray, origin: tuple[int, int], box: Box, ids: np.ndarray) -> np.ndarray:
    """The pixels of `box` that are ink of the pieces `ids` (a lookup table: np.isin sorts)."""
    top = int(ids.max(initial=-1)) + 2  # labels from this one on are none of ids'
    chosen = np.zeros(top + 1, bool)
    chosen[ids + 1] = True
    return chosen[np.minimum(_crop(labels, origin, box), top)]


def _by(stats: np.ndarray, left: Box, right: Box) -> np.ndarray:
    """Which pieces could be a mark between two readings' boxes: overlapping their span, from their
    top to BELOW their tallest's height under their lower bottom (the digits' own ink, of which
    _mark measures the gap, lies in their boxes)."""
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    low = max(_bottom(left), _bottom(right)) + BELOW * max(left[3], right[3])
    return (x + w > left[0]) & (x < right[0] + right[2]) & (y + h > min(left[1], right[1])) & (y < low)


def _held(labels: np.ndarray, origin: tuple[int, int], box: Box, n: int) -> np.ndarray:
    """How many ink pixels of each of the n pieces lie in `box`."""
    return np.bincount(_crop(labels, origin, box).ravel(), minlength=n + 1)[1:]


def _owns(
    stats: np.ndarray,
    labels: np.ndarray,
    origin: tuple[int, int],
    boxes: tuple[Box, Box],
    held: tuple[np.ndarray, np.ndarray],
    loose: np.ndarray | None = None,
) -> tuple[tuple[Box, np.ndarray], tuple[Box, np.ndarray]] | None:
    """Both digits' own ink (_own; held: each box's pixels of each piece, _held), or None where
    either has none."""
    own = (
        _own(stats, labels, origin, boxes[0], held[0], held[1], loose),
        _own(stats, labels, origin, boxes[1], held[1], held[0], loose),
    )
    return None if own[0] is None or own[1] is None else (own[0], own[1])


def _own(
    stats: np.ndarray,
    labels: np.ndarray,
    origin: tuple[int, int],
    box: Box,
    held: np.ndarray,
    theirs: np.ndarray,
    loose: np.ndarray | None = None,
) -> tuple[Box, np.ndarray] | None:
    """The box of a digit's own ink, clipped to its box, and its pieces' indices: the pieces in its
    box (held: its pixels of each), but those with more ink in its neighbour's box (theirs: the end
    of a neighbour's stroke), that are not loose (mark-shaped), or without `loose`, those at least
    CORE as tall as its tallest; None when there are none."""
    bx, by = box[:2]
    own = np.flatnonzero((held > 0) & (held >= theirs))
    if loose is None:
        own = own[stats[own, 3] >= CORE * stats[own, 3].max(initial=0)]
    else:
        own = own[~loose[own]]
    if not len(own):
        return None
    inked = _ink_of(labels, origin, box, own)
    cols, rows = np.flatnonzero(inked.any(axis=0)), np.flatnonzero(inked.any(axis=1))
    return (bx + int(cols[0]), by + int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)), own
