"""When to say "not sure" instead of a digit.

Three kinds of checks, cheapest first:
  * ink checks, which need no model: a blank canvas, ink too small to be a digit (a dot, a
    stray click), a scribble (far more ink than any digit has for its size, a filled blob, or
    with the app's strokes: many strokes or many crossings), ink inside a ring of other ink (a
    face, a digit circled: "not a digit");
  * the digit detector (recognizer/train_detector.py), a small CNN that tells digits from letters,
    signs and squiggles: its P(not a digit) above its threshold, or, in a row read by read(), above
    an even chance beside a reading it rejects (letters_in_words: a word's letters come together);
  * the classifier's confidence (its top probability, temperature-scaled) below a threshold.
In a picture, a line of text (print around a number, a table's header) is left out (text_lines):
its letters read "not a digit" and its "o"s and "l"s as sure 0s and 1s; the numbers written among
its words stay, with their own "?"s.
The temperature and the threshold come from the model's calibration (recognizer/calibration.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .ink import Box, Ink
from .strokes import Stroke, as_points

BLANK = "blank"
TOO_SMALL = "too small"
SCRIBBLE = "scribble"
NOT_A_DIGIT = "not a digit"
LOW_CONFIDENCE = "low confidence"
REASONS = (BLANK, TOO_SMALL, SCRIBBLE, NOT_A_DIGIT, LOW_CONFIDENCE)
LETTERS = (NOT_A_DIGIT, TOO_SMALL)  # what a line of print's letters read as (text_lines)

# Ink checks. First measured on 3,000 MNIST test digits redrawn at 25-80% of a 400 px canvas with
# 4-28 px strokes (ink length / box side at most 3.9, an 8; stroke width / box side at most 0.32),
# then checked on training-side data only: 3,000 MNIST training digits redrawn the same way (at
# most 4.14 and 0.30) and the 5,799 digits of UNIPEN's 'train' and 'val' people drawn as the app
# draws (at most 4.56 and 0.30). None of them exceeds the limits below.
BLANK_INK = 1e-4  # fewer ink pixels than this share of the canvas (at least 4 px): blank
MIN_SIZE = 0.04  # a digit's longer side below this share of the canvas's shorter side: too small
# A photo or scan is no drawing surface: a page's handwriting is 2-4% of its side. Its digits are too
# small only below MIN_PICTURE_PX px, too little to read at all (picture_shape)
MIN_PICTURE_PX = 12
PICTURE_SIDE = round(MIN_PICTURE_PX / MIN_SIZE)
MAX_THICKNESS = 0.4  # stroke width / longer side above this: a blob (a disc has 0.5), not a stroke
BLOB_SIZE = 0.15  # ... a blob smaller than this share of the canvas is a dot (too small), else a scribble
# ... unless its strokes are known and their pen path is at least this many stroke widths long: a digit
# written small with a bold pen, which its strokes drawn again thinner show (grouping's MAX_PEN; a user
# trial's phone numbers, 10 digits in a row on the app's canvas, read "1201?02?71"). 'val' people's
# digits written 30 px tall with the app's 29 px brush read right 160 of 300 times (137 "too small")
# and 295 with it; 40 px tall 261 and 296; clicks and strokes under a pen long read as before.
PATH_PENS = 1.0
DOT_ROW = 0.6  # ... but one under this share of its row's other readings' height is a dot (dots_in_rows)
MAX_INK_LENGTH = 5.0  # ink length (area / stroke width) / longer side above this: a scribble
MAX_STROKES = 6  # with the app's strokes: more strokes than this for one digit is a scribble
# ... or more self-crossings than this (an 8 has one, a 4 in two strokes one). Real pen digits go
# over their strokes more than mouse ones: of the 5,799 digits of UNIPEN's 'train' and 'val' people
# (training-side), 6 had 5-8 crossings and were read "scribble" at a limit of 4, none at 8, while
# 4 of their 16,350 clear letters were caught by this rule alone (the detector or the classifier's
# doubt catches the others).
MAX_CROSSINGS = 8
MAX_PATH_LENGTH = 5.5  # ... or a pen path longer than this many times the digit's longer side
# Ink inside a ring of other ink and not touching it (a face's eyes or mouth, a digit with a circle
# drawn round it) is no digit: at least ENCLOSED_INK pen widths squared of it reads "not a digit",
# unless it is one piece as narrow as LONE_BAR pens and either as short as LONE_DOT pens (a dot, a
# click drifting with the mouse: a dotted zero) or leaning SLASH_LEAN degrees or more from upright (a
# slashed zero's slash; an upright bar is a circled 1, an outside review). Training-side data has
# none: of the 5,799 digits of UNIPEN's 'train' and 'val' people drawn as the app draws, none has any
# such ink; of the first 20,000 MNIST training digits (140 px tall) 2 do, 0.29 at most (a speck in a
# 0's loop). A smiley drawn with a mouse had read a sure 0 (an outside review: 27 of 30 faces, 30 of
# 30 rings with eyes, 48 of 60 digits circled).
ENCLOSED_INK = 1.0
LONE_BAR = 1.6
LONE_DOT = 3.0
SLASH_LEAN = 20.0
# A digit gone over again with new strokes (made bolder) doubles its pen path and, where the second
# pass wavers across the first, crosses it many times, without adding ink: the three rules above leave
# out a stroke RETRACE_SHARE of whose segments each run along a segment of an earlier stroke (their
# directions RETRACE_PARALLEL alike: |cos| of the angle between them) within the pen's width of it, or
# RETRACE_NEAR of the digit's longer side for a fine pen (a zig-zag's strokes two pens apart are a
# scribble), but never more than RETRACE_FAR of the side (a bold pen on a small digit). Whole strokes
# only (an outside review: counted stretch by stretch, within a stroke too, small dense scribbles drawn
# with the app's bold pen read as digits).
# On the 'val' people's digits gone over again (whole, or one stroke of each), 36% and 45% read right
# before, 97.6% and 97.8% with it (98.5% drawn once; README, "Digits gone over again"). A pen path
# over MAX_PASSES times MAX_PATH_LENGTH in all is rubbed back and forth: a scribble whatever it goes over.
RETRACE_NEAR = 0.03
RETRACE_FAR = 0.1
RETRACE_PARALLEL = 0.85
RETRACE_SHARE = 0.7
MAX_PASSES = 2.0
# A word's letters come together: in read(), a reading beside one read "not a digit" (the next or the
# one before in its row, at most WORD_GAP of the taller one's height apart) is not a digit either
# when the detector gives it P(not a digit) above WORD_NOT_DIGIT, an even chance, and the classifier
# is less sure of it than WORD_SURE (a digit beside a letter or a sign is seldom doubted so little).
# Chosen on training-side rows "digit, 1-3 letters, digit" (docs/measurements.md, words among digits).
WORD_NOT_DIGIT = 0.5
WORD_SURE = 0.999
WORD_GAP = 0.6
# ... and so is one beside a letter at most WORD_SMALL as tall as its row's tallest reading that stands
# and at most WORD_LETTER as tall as that letter, however sure of it both models are: a printed label's
# "o" and "l" beside handwriting ("Total: 45", the print 0.2-0.3 as tall) read as sure 0s and 1s
# (P(not a digit) 0.03 and 0.0), and the label "?0??145". Cents written half as tall as the
# figure before them, beside a currency sign read "not a digit", stay digits.
WORD_SMALL = 0.35
WORD_LETTER = 1.5
# A line of text in a picture (print around a number, a table's header, a screen's text): a row of two
# words or more with TEXT_MIN letters or more (readings "not a digit", or too small to read), TEXT_SHARE
# of its readings at least, is left out of the reading, its "o"s and "l"s read as sure 0s and 1s with
# it, but for its numbers. In a row of fewer than TEXT_RUNNING letters (labels, a table's row: "Qty
# 12 Price 80"), these stay: every word with more digits than letters (a number, or one with a digit
# struck or joined to a label's letter); every word with a digit TEXT_DIGIT as tall as the picture's
# tallest (a number most of whose digits are struck: print's "o"s read 0 are smaller than the
# handwriting beside them); a letter alone beside a digit that stays, as tall as it (TEXT_DIGIT) and as
# close as digits are (WORD_GAP of its height), as the number's "?"; and a reading TEXT_BIG times as
# tall as the small letters (the TEXT_SMALL percentile of their heights), handwriting joined to a
# printed letter. Running text (a page of print, whose "is" reads "15") stays whole where a word of
# digits TEXT_TALLER times as tall as its letters is written in it, and goes whole where none is: its
# letters' 0s and 1s would join the number. Words part where readings are more than TEXT_SPACE of the
# letters' median height apart (a printed word's letters are closer).
TEXT_MIN = 4
TEXT_SHARE = 0.5
TEXT_RUNNING = 16
TEXT_TALLER = 1.8
TEXT_DIGIT = 0.8
TEXT_BIG, TEXT_SMALL = 2.0, 25
TEXT_SPACE = 0.4
# One word is no line (a number most of whose digits are struck reads as it was) unless it holds
# TEXT_WORD letters or more: a heading set tight, its spaces under TEXT_SPACE of its letters' height (a
# user trial: "ACME Ltd. - Delivery note" over a form's number read "?????????11?????")
TEXT_WORD = 8
# A label beside a number in a row that is no line of print (a form's printed "Total"; a user trial:
# "?0??1261"): a word of LABEL_WORD readings or more, LABEL_APART of the row's tallest sure digit's
# height or more from the row's other readings, more than half of them letters, LABEL_SMALL of that
# digit's height at most, is left out. Fewer stay: a smaller number written beside a bigger one with a
# "?" or two among its digits (reviews: "47?544" read "4", "6?5594" "5594", "0194" "01", sure), and
# so does what is left of a small label once its specks are gone ("Invoice no.:", one "?": "?5251")
LABEL_SMALL = 0.6
LABEL_APART = 1.0
LABEL_WORD = 4


@dataclass(frozen=True)
class InkStats:
    """Shape measures of one digit's ink, relative to its own size (so independent of scale)."""

    pixels: int  # ink pixels
    size: float  # longer side of the ink box / shorter side of the canvas
    thickness: float  # stroke width / longer side
    length: float  # ink length (pixels / stroke width) / longer side


def ink_stats(ink: Ink, canvas_shape: tuple[int, int]) -> InkStats | None:
    """Measures of one digit's ink on a canvas of canvas_shape; None if there is none."""
    if ink.box is None:
        return None
    side = max(ink.box[2], ink.box[3])
    width = ink.stroke_width
    return InkStats(ink.count, side / min(canvas_shape), width / side, ink.count / width / side)


def picture_shape(canvas_shape: tuple[int, int]) -> tuple[int, int]:
    """The canvas a picture's ink checks measure against: a square of PICTURE_SIDE, where MIN_SIZE
    and BLANK_INK give MIN_PICTURE_PX and 9 px of ink, or of the picture's shorter side when that is
    smaller (a thumbnail, a crop of one digit), so that a picture is never held to more than a
    drawing of its size."""
    side = min(*canvas_shape, PICTURE_SIDE)
    return side, side


def too_little_ink(pixels: int, canvas_shape: tuple[int, int]) -> bool:
    """Fewer ink pixels than a blank canvas may have (stray clicks, dust on a scan)."""
    return pixels < max(4, BLANK_INK * canvas_shape[0] * canvas_shape[1])


def ink_reason(
    ink: Ink, canvas_shape: tuple[int, int], strokes: Sequence[Stroke] | None = None, around: np.ndarray | None = None
) -> str | None:
    """Why one digit's ink (on a canvas of canvas_shape; strokes: its own, if known) is not a
    digit, from its shape alone (no model), or None if it could be one. around: all the canvas's
    ink in the digit's box (a mask), looked at for ink inside a ring (enclosed_ink: a circle drawn
    round a digit read apart from it), else the digit's own."""
    stats = ink_stats(ink, canvas_shape)
    if stats is None or too_little_ink(stats.pixels, canvas_shape):
        return BLANK
    if stats.size < MIN_SIZE:
        return TOO_SMALL
    if stats.thickness > MAX_THICKNESS and not (strokes and _path_side(strokes) >= PATH_PENS * ink.stroke_width):
        return TOO_SMALL if stats.size < BLOB_SIZE else SCRIBBLE
    if stats.length > MAX_INK_LENGTH:
        return SCRIBBLE
    if strokes and _scribbled(strokes, ink.stroke_width):
        return SCRIBBLE
    if around is None:
        x, y, w, h = ink.box
        around = ink.mask[y : y + h, x : x + w]
    if enclosed_ink(around, ink.stroke_width) >= ENCLOSED_INK * ink.stroke_width**2:
        return NOT_A_DIGIT
    return None


def enclosed_ink(mask: np.ndarray, pen: float) -> float:
    """About how many pixels of the pieces of ink in a mask lie inside rings of its other ink without
    touching them (eyes in a face, a digit circled), 0 for one such piece that is a dot or a slash
    (_dot_or_slash: a dotted or slashed zero). The pieces are the outlines in holes of other ink
    (cv2.findContours' tree: even depths from 2, each less its own holes, odd depths); an outline's
    pixels are its area and half its length (Pick), a hole's its area less half its length. 0.03 ms
    for a 0 300 px tall, a tenth of what labelling the pixels took."""
    contours, hierarchy = cv2.findContours(mask.astype(np.uint8), cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE)
    if hierarchy is None or len(contours) < 3:  # a piece, a hole in it and a piece in that, at least
        return 0.0
    parent = hierarchy[0][:, 3]
    total, pieces = 0.0, []
    for k, outline in enumerate(contours):
        depth, up = 0, parent[k]
        while up >= 0:
            depth, up = depth + 1, parent[up]
        if depth >= 2:
            area, half = cv2.contourArea(outline), cv2.arcLength(outline, True) / 2
            total += area + half + 1 if depth % 2 == 0 else -(area - half + 1)
            if depth % 2 == 0:
                pieces.append(outline)
    if len(pieces) == 1 and _dot_or_slash(pieces[0], pen):
        return 0.0
    return max(total, 0.0)


def _dot_or_slash(outline: np.ndarray, pen: float) -> bool:
    """Whether a piece's outline (through its edge pixels' centres) is no wider than LONE_BAR pens
    and either no longer than LONE_DOT pens or leaning SLASH_LEAN degrees or more from upright."""
    (_, _), (w, h), _ = cv2.minAreaRect(outline)
    if min(w, h) + 1 > LONE_BAR * pen:
        return False
    if max(w, h) + 1 <= LONE_DOT * pen:
        return True
    vx, vy = cv2.fitLine(outline.astype(np.float32), cv2.DIST_L2, 0, 0.01, 0.01)[:2, 0]
    return math.degrees(math.atan2(abs(vx), abs(vy))) >= SLASH_LEAN


def model_reason(not_digit: float | None, detector_threshold: float, confidence: float, threshold: float) -> str | None:
    """The models' verdict: "not a digit" from the detector (not_digit: its P(not a digit), None
    without a detector), else "low confidence" from the classifier (top probability below
    threshold), else None."""
    if not_digit is not None and not_digit > detector_threshold:
        return NOT_A_DIGIT
    return LOW_CONFIDENCE if confidence < threshold else None


def dots_in_rows(
    unsure: Sequence[str | None], blobs: Sequence[bool], boxes: Sequence[Box], rows: Sequence[int]
) -> list[str | None]:
    """The readings' reasons, with TOO_SMALL where a blob let through by its strokes (ink_reason,
    PATH_PENS) is under DOT_ROW of the median height of the other readings in its row: a dot
    drawn as a small circle among digits written larger, no digit written small (a review: "84.16"
    read "84016", a point drawn so); a row of small digits, all blobs, keeps them."""
    out = list(unsure)
    for k, blob in enumerate(blobs):
        others = [boxes[j][3] for j in range(len(boxes)) if j != k and rows[j] == rows[k]]
        if blob and out[k] != BLANK and others and boxes[k][3] < DOT_ROW * float(np.median(others)):
            out[k] = TOO_SMALL
    return out


def letters_in_words(
    unsure: Sequence[str | None],
    not_digit: Sequence[float | None],
    confidence: Sequence[float],
    boxes: Sequence[Box],
    rows: Sequence[int],
) -> list[str | None]:
    """The readings' reasons (read() order: row by row, left to right), with NOT_A_DIGIT added
    where a reading that stands sits beside a letter (one read "not a digit") in its row, close
    as a word's letters are, and either the detector finds it more likely not a digit than a digit
    and the classifier is not all but certain of it, or it is small beside the row's digits and
    no taller than the letter (WORD_SMALL, WORD_LETTER): the letters of "Total" or "abc" between
    digits read "?" together, not one "?" among 0s and 4s. not_digit: the detector's P(not a
    digit) of each (None without a detector); confidence: the classifier's top probability of each."""
    out = list(unsure)
    tallest: dict[int, int] = {}  # each row's tallest reading that stands
    for k, box in enumerate(boxes):
        if out[k] is None:
            tallest[rows[k]] = max(tallest.get(rows[k], 0), box[3])

    def doubted(k: int) -> bool:  # stands, and the detector finds it more likely no digit
        nd = not_digit[k]
        return out[k] is None and nd is not None and nd > WORD_NOT_DIGIT and confidence[k] < WORD_SURE

    def small(k: int, j: int) -> bool:  # stands, small beside the row's digits and no taller than the letter j
        tall = boxes[k][3]
        return out[k] is None and tall <= WORD_SMALL * tallest[rows[k]] and tall <= WORD_LETTER * boxes[j][3]

    # A letter found this way may find its own neighbour: _spread sweeps each way.
    letters = [u == NOT_A_DIGIT for u in out]
    for k in _spread(
        letters,
        lambda k, j: (doubted(k) or small(k, j)) and rows[j] == rows[k] and _word_close(boxes[k], boxes[j]),
    ):
        out[k] = NOT_A_DIGIT
    return out


def text_lines(unsure: Sequence[str | None], boxes: Sequence[Box], rows: Sequence[int]) -> list[bool]:
    """Which readings (read() order: row by row, left to right) are letters or print in a line of
    text rather than digits of a number (see TEXT_MIN): a picture's number reads alone, not among
    rows of "?" and sure 1s. unsure: each one's reason (letters_in_words' verdicts)."""
    text = [False] * len(unsure)
    writing = max((boxes[k][3] for k in range(len(unsure)) if unsure[k] is None), default=0)
    for row in _runs(range(len(unsure)), lambda j, k: rows[j] == rows[k]):
        letters = [k for k in row if unsure[k] in LETTERS]
        if len(letters) >= TEXT_MIN and len(letters) >= TEXT_SHARE * len(row):
            for k, number in zip(row, _numbers(row, unsure, boxes, [boxes[k][3] for k in letters], writing)):
                text[k] = not number
        else:  # after the line's rule: a label taken out first left a unit on the other side too few letters
            for k in _labels(row, unsure, boxes):
                text[k] = True
    return text


def _labels(row: list[int], unsure: Sequence[str | None], boxes: Sequence[Box]) -> list[int]:
    """The readings of a row that are a label beside its number (LABEL_SMALL, LABEL_APART)."""
    tallest = max((boxes[k][3] for k in row if unsure[k] is None), default=0)
    if not tallest:
        return []
    apart = _runs(row, lambda j, k: boxes[k][0] - (boxes[j][0] + boxes[j][2]) < LABEL_APART * tallest)
    if len(apart) < 2:
        return []
    labels = []
    for run in apart:
        if 2 * sum(unsure[k] in LETTERS for k in run) <= len(run):
            continue
        if len(run) >= LABEL_WORD and max(boxes[k][3] for k in run) <= LABEL_SMALL * tallest:
            labels += run
    return labels


def _numbers(
    row: list[int], unsure: Sequence[str | None], boxes: Sequence[Box], heights: list[int], writing: float
) -> list[bool]:
    """Whether each reading of a row like a line of text is a number's (see TEXT_MIN); heights:
    its letters'; writing: the tallest digit read in the picture."""
    letters, small = float(np.median(heights)), float(np.percentile(heights, TEXT_SMALL))
    words = _words(row, unsure, boxes, TEXT_SPACE * letters)
    if len(words) == 1 and len(heights) < TEXT_WORD:  # a number most of whose digits are struck reads as it was
        return [True] * len(row)
    running = len(heights) >= TEXT_RUNNING
    number, alone = {}, {k: len(word) == 1 for word in words for k in word}
    for word in words:
        most = sum(unsure[k] not in LETTERS for k in word) > len(word) / 2  # a number with a "?" or two
        if running:
            whole = most and _height(word, boxes) >= TEXT_TALLER * letters
        else:  # or with a digit as tall as the picture's tallest: a number most of whose digits are struck
            whole = most or any(unsure[k] is None and boxes[k][3] >= TEXT_DIGIT * writing for k in word)
        for k in word:  # and handwriting twice as tall as the print it is joined to
            number[k] = whole or boxes[k][3] >= TEXT_BIG * small
    if running:  # its letters' 0s and 1s would join the number: read whole, or not at all
        return [any(number.values())] * len(row)
    chosen = [number[k] for k in row]
    for i in _spread(chosen, lambda i, j: alone[row[i]] and _digit_beside(boxes[row[i]], boxes[row[j]])):
        number[row[i]] = True
    return [number[k] for k in row]


def _words(row: list[int], unsure: Sequence[str | None], boxes: Sequence[Box], space: float) -> list[list[int]]:
    """A row's readings parted into words where more than `space` px apart, but a number's digits,
    written further apart than print's letters, left in one: words with no letter side by side
    are one."""
    words = _runs(row, lambda j, k: boxes[k][0] - (boxes[j][0] + boxes[j][2]) <= space)
    lettered = [any(unsure[k] in LETTERS for k in word) for word in words]
    runs = _runs(range(len(words)), lambda a, b: not (lettered[a] or lettered[b]))
    return [[k for w in run for k in words[w]] for run in runs]


def _spread(chosen: list[bool], joins: Callable[[int, int], bool]) -> list[int]:
    """The items not chosen that join (joins(item, chosen neighbour)) a chosen one beside them, or
    one that joined, along the list both ways."""
    added, reach = [], list(chosen)
    for order in (range(len(reach)), range(len(reach) - 1, -1, -1)):
        for w in order:
            if not reach[w] and any(0 <= v < len(reach) and reach[v] and joins(w, v) for v in (w - 1, w + 1)):
                reach[w] = True
                added.append(w)
    return added


def _digit_beside(reading: Box, digit: Box) -> bool:
    """Whether a reading beside a number's digit is another of its digits, read "?" (struck,
    sloppy, or joined to a letter): as tall as it (TEXT_DIGIT) and no further from it than
    WORD_GAP of its height."""
    left, right = (reading, digit) if reading[0] < digit[0] else (digit, reading)
    gap = right[0] - (left[0] + left[2])
    return reading[3] >= TEXT_DIGIT * digit[3] and gap <= WORD_GAP * digit[3]


def _height(readings: list[int], boxes: Sequence[Box]) -> float:
    """The median height of some readings' boxes."""
    return float(np.median([boxes[k][3] for k in readings]))


def _runs(items: Sequence[int], together: Callable[[int, int], bool]) -> list[list[int]]:
    """items parted into runs of neighbours for which together(previous, next) holds."""
    runs: list[list[int]] = []
    for k in items:
        if runs and together(runs[-1][-1], k):
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


def _word_close(a: Box, b: Box) -> bool:
    """Two readings' boxes at most WORD_GAP of the taller one's height apart along the row."""
    left, right = (a, b) if a[0] <= b[0] else (b, a)
    return right[0] - (left[0] + left[2]) <= WORD_GAP * max(a[3], b[3])


def _path_side(strokes: Sequence[Stroke]) -> float:
    """The longer side of the box round the strokes' pen paths (0 for none; as_points arrays too)."""
    paths = [as_points(s) for s in strokes if len(s)]
    if not paths:
        return 0.0
    every = np.concatenate(paths)
    return float(max(np.ptp(every[:, 0]), np.ptp(every[:, 1])))


def _scribbled(strokes: Sequence[Stroke], pen: float) -> bool:
    """Many strokes, a very long pen path, or many self-crossings, not counting a stroke that goes
    over earlier ones (a digit gone over again with a pen `pen` px wide counts once); or a path
    gone over and over: not how digits are drawn."""
    paths = [as_points(s) for s in strokes if len(s)]
    if not paths:
        return len(strokes) > MAX_STROKES
    side = max(_path_side(paths), 1.0)
    lengths = [float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()) for p in paths]
    length = sum(lengths)
    if length > MAX_PASSES * MAX_PATH_LENGTH * side:  # rubbed back and forth, however much goes over itself
        return True  # (and it bounds the segments compared below: about 20 a side of path)
    starts, ends, stroke_of = _segments(paths, min_step=side / 20)
    if len(strokes) <= MAX_STROKES and length <= MAX_PATH_LENGTH * side and _crossings(starts, ends) <= MAX_CROSSINGS:
        return False  # a digit drawn once over: nothing to discount
    again = _gone_over(starts, ends, stroke_of, min(max(pen, RETRACE_NEAR * side), RETRACE_FAR * side))
    over = np.isin(stroke_of, list(again))
    fresh = length - sum(lengths[k] for k in again)
    return (
        len(strokes) - len(again) > MAX_STROKES
        or fresh > MAX_PATH_LENGTH * side
        or _crossings(starts[~over], ends[~over]) > MAX_CROSSINGS
    )


def count_crossings(paths: Sequence[np.ndarray], min_step: float = 1.0) -> int:
    """Proper crossings between non-adjacent segments of the pen paths (after dropping points
    closer than min_step to the previous kept one, so that mouse jitter does not count): what
    _scribbled counts, for a caller's own paths."""
    starts, ends, _ = _segments(paths, min_step)
    return _crossings(starts, ends)


def _segments(paths: Sequence[np.ndarray], min_step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pen paths as straight segments in drawing order, points closer than min_step to the
    previous kept one dropped: (starts, ends, the stroke of each), (n, 2), (n, 2), (n,)."""
    starts, ends, stroke_of = [], [], []
    for k, path in enumerate(paths):  # in plain floats: a numpy call per point costs more than the test itself
        points = path.tolist()
        kept = [points[0]]
        for point in points[1:]:
            if math.hypot(point[0] - kept[-1][0], point[1] - kept[-1][1]) >= min_step:
                kept.append(point)
        starts += kept[:-1]
        ends += kept[1:]
        stroke_of += [k] * (len(kept) - 1)
    shape = (len(starts), 2)
    return (
        np.array(starts, np.float64).reshape(shape),
        np.array(ends, np.float64).reshape(shape),
        np.array(stroke_of, np.int64),
    )


def _gone_over(starts: np.ndarray, ends: np.ndarray, stroke_of: np.ndarray, near: float) -> set[int]:
    """The strokes (of stroke_of's numbers) that go over earlier ones: RETRACE_SHARE of their segments
    or more each run along a segment of an earlier stroke (RETRACE_PARALLEL), its middle within
    `near` of it. Whole strokes only: within one stroke, or for a stretch, a scribble's path lies
    near and alike itself as often as it goes back over itself."""
    n = len(starts)
    if n < 2:
        return set()
    d = ends - starts
    lengths = np.maximum(np.linalg.norm(d, axis=1), 1e-9)
    unit = d / lengths[:, None]
    middle = (starts + ends) / 2
    rel = middle[:, None, :] - starts[None, :, :]  # [i, j]: segment i's middle from segment j's start
    t = np.clip((rel * d[None, :, :]).sum(axis=2) / (lengths**2)[None, :], 0.0, 1.0)
    gap = np.linalg.norm(rel - t[..., None] * d[None, :, :], axis=2)
    along = np.abs(unit @ unit.T) >= RETRACE_PARALLEL
    earlier = stroke_of[None, :] < stroke_of[:, None]  # segments of strokes drawn before
    over = ((gap <= near) & along & earlier).any(axis=1)
    return {int(k) for k in np.unique(stroke_of) if over[stroke_of == k].mean() >= RETRACE_SHARE}


def _crossings(starts: np.ndarray, ends: np.ndarray) -> int:
    """Proper crossings between the segments (ends shared by consecutive ones never count)."""
    if len(starts) < 2:
        return 0
    a, b = starts, ends
    d = b - a
    ap = a[:, None, :] - a[None, :, :]  # a_i - a_j

    def cross(u, v):
        return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]

    denom = cross(d[:, None, :], d[None, :, :])  # d_i x d_j
    with np.errstate(divide="ignore", invalid="ignore"):
        t = cross(-ap, d[None, :, :]) / denom  # position along segment i
        u = cross(-ap, d[:, None, :]) / denom  # position along segment j
    # Strictly inside both segments: consecutive segments, which share an end point, never count.
    hit = (np.abs(denom) > 1e-12) & (t > 1e-6) & (t < 1 - 1e-6) & (u > 1e-6) & (u < 1 - 1e-6)
    return int(np.triu(hit, k=1).sum())
