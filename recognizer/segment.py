"""Split a canvas holding several digits into one piece of ink per digit, left to right.

Without strokes (an image): connected components of the ink, then pieces that overlap in x are
merged, since the pieces of one digit sit above each other (a 5's flag, a 4 whose stem does not
touch its bar, a 7's crossbar, a dot over a gap) while neighbouring digits sit side by side.
With the app's strokes: strokes are grouped the same way by their x-extents, and each ink pixel
goes to the nearest group's strokes, so that digits drawn touching each other still come apart.
Specks far smaller than the digits around them (a stray click, a noise dot) are dropped.
Knows nothing about the model: ink (and strokes) in, boxes and masks out. recognizer.grouping reads
the numbers (it scores groupings and cuts of touching digits with the model) and falls back on these
rules where there are too many pieces to read; it shares their speck and fragment limits, and
nearest_line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .ink import Box, Ink
from .strokes import Stroke, as_points

MERGE_OVERLAP = 0.5  # pieces whose x-ranges overlap by more than this share of the narrower one merge
FRAGMENT_HEIGHT = 0.55  # a piece shorter than this share of the typical digit height is a fragment ...
FRAGMENT_GAP = 0.15  # ... joined to the digit it overlaps most in x, or one this close (share of height)
SPECK_SIDE = 0.25  # a piece whose longer side is below this share of the tallest digit's height ...
SPECK_AREA = 0.1  # ... and whose ink is below this share of the largest digit's ink is a speck
MAX_COMPONENTS = 500  # a canvas with more pieces than this (noise) keeps only the largest
# Rows of writing (a number written on two lines): bands of ink with empty rows between them, each
# at least ROW_HEIGHT of the tallest band's height (lower bands, a 5's flag or a stray dot, join the
# nearest row: at 0.5, 65 of the 974 training-side people's i's drawn alone split at their dot, 25 at
# 0.7, and a 5 with its flag far above), apart by at least ROW_GAP of the shorter row's height (an 8
# written as two loops that do not quite meet is one digit, not two rows; one whose loops are further
# apart reads "00").
ROW_HEIGHT = 0.7
# ... unless a lower band holds SMALL_LINE pieces or more, each SMALL_LINE_PIECE of the tallest band's
# height at least, side by side: a line written smaller ("34" at 0.6 of the "12" above it read "13";
# a flag, a dot or two are far smaller)
SMALL_LINE, SMALL_LINE_PIECE = 2, 0.4
# In a picture, a line may be written smaller than the one above (a total under its items, a second
# line squeezed in): the scan review's lines of 0.65 and 0.5 of the other's height read 3 and 0 of 20
PICTURE_ROW_HEIGHT = 0.4
# ... and a picture's shorter band FAR_LINE of the tallest's height or more above or below its
# nearest row (not wholly after its end), holding SMALL_LINE pieces of FAR_LINE_PIECE of that height
# or more, is a line of its own: a form's printed caption ("Date of birth" at 0.37 of the digits, a
# digit's height above them) joined the digits' row, and both were read as one line, the caption's
# letters between and over the digits (the scan review's captioned comb fields and tables with a
# printed header: none read its digits right). Flags, dots and accents lie closer; an underline or a
# stray mark is one piece.
FAR_LINE, FAR_LINE_PIECE = 0.5, 0.2
# ... or, however near, holding TEXT_LINE such pieces or more, none flat (less tall than TEXT_FLAT of
# their width: 5s' flags over their bodies are): a line of print under the number (a paragraph's
# lines, each joining the one above, were read as one row with the number, in columns)
TEXT_LINE, TEXT_FLAT = 6, 0.5
ROW_GAP = 0.2
# ... or LINES_GAP where either holds digits side by side (SMALL_LINE): lines written 0.17 of their
# height apart were one row, "71" over a "4" read "?1". (0.12 for every row also split an 8 whose
# loops miss by 7% of its height, and a 1 drawn in two strokes, into two rows: an independent review.
# With it, none of the 5,799 training-side people's real digits drawn alone split, 1 more of 20,000
# MNIST training digits did, 3 as pictures; stroke_dev and image_dev read 'val' numbers the same.)
LINES_GAP = 0.12
ROW_UNDER = 0.5  # ... and a row lies under the one above: their x-extents overlap by this share of the narrower
# A picture's row this many of its digits' height tall may hold lines written close (segment._lines_apart):
# its pieces this share of the tallest's height at least are digits, a line starting at a middle this
# many heights lower than the last line's lowest
LINES_APART = 1.6
LINE_PIECE = 0.4
LINE_STEP = 0.6
LINE_OVER = 0.2  # ... and under it: most of its digits have one of the line above over this share of them ...
LINE_HALVES, LINE_GAP, LINE_SPLIT = 0.8, 0.25, 0.75  # ... unless this share of its digits lie over their halves


@dataclass(frozen=True)
class Segment:
    """One digit's ink: its box on the canvas and which pixels of the box are its own."""

    box: Box
    mask: np.ndarray  # (h, w) bool: the ink in the box that belongs to this digit
    strokes: tuple[int, ...] = ()  # indices of the strokes drawn for it (empty without strokes)

    def ink(self, canvas: Ink) -> Ink:
        """This digit's ink cut from the canvas's, other digits' ink blanked out."""
        return canvas.cut(self.box, self.mask)


def text_rows(ink: Ink, picture: bool = False) -> list[tuple[int, int]]:
    """The rows of writing on the canvas, top to bottom, as (top, bottom) pixel rows (bottom
    excluded), each reaching halfway to its neighbour so that every ink pixel is in one; [] when
    there is one row (or no ink). Digits of one row are read left to right, rows top to bottom:
    read column by column, a number written on two lines had each digit read together with the
    one below it, as a sure wrong digit. On a drawing, a row beside the one above rather than
    under it joins it (a digit written high to the right of a low one), and rows are bands of
    ROW_HEIGHT of the tallest; a picture's lines of writing may start anywhere (a line right of the
    one below read as one row, the lower line's digits first), be written smaller
    (PICTURE_ROW_HEIGHT) and closer (_lines_apart), and a far smaller one (a printed caption) is
    a line apart when it lies well above or below the others, not after their end (FAR_LINE)."""
    if ink.box is None:
        return []
    row_height = PICTURE_ROW_HEIGHT if picture else ROW_HEIGHT
    inked = ink.mask.any(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], inked.astype(np.int8), [0]])))
    bands = edges.reshape(-1, 2)  # runs of inked pixel rows: (first, last + 1)
    if len(bands) < 2:
        return _lines_apart(ink.mask, [list(band) for band in bands]) if picture else []
    heights = bands[:, 1] - bands[:, 0]
    tall = [  # (a picture's low bands, under PICTURE_ROW_HEIGHT, are too low to hold a smaller line)
        h >= row_height * heights.max() or (not picture and _small_line(ink.mask[b[0] : b[1]], heights.max()))
        for b, h in zip(bands, heights)
    ]
    rows = [list(band) for band, row in zip(bands, tall) if row]
    lines = []  # a picture's short bands far above or below a row that are lines of their own
    for band, row in zip(bands, tall):  # the short bands join the nearest row
        if not row:
            row = min(rows, key=lambda r: max(r[0] - band[1], band[0] - r[1], 0))
            if picture and _far_line(ink.mask, band, row, heights.max()):
                lines.append(list(band))
                continue
            row[0], row[1] = min(row[0], band[0]), max(row[1], band[1])
    rows = sorted(rows + lines)
    inked_cols = [ink.mask[top:bottom].any(axis=0) for top, bottom in rows]
    merged, cols = [rows[0]], [inked_cols[0]]
    for row, col in zip(rows[1:], inked_cols[1:]):
        # One row: too near the last, or overlapping it once the low bands joined, or beside it rather
        # than under it (a digit written high to the right of a low one: a line is read under a line).
        last = merged[-1]
        under = picture or _span_overlap(col, cols[-1]) >= ROW_UNDER
        if _one_row(ink.mask, last, row, heights.max()) or not under:
            last[1] = max(last[1], row[1])
            cols[-1] = cols[-1] | col
        else:
            merged.append(row)
            cols.append(col)
    return _lines_apart(ink.mask, merged) if picture else _cut(merged, ink.mask.shape[0])


def _one_row(mask: np.ndarray, upper: Sequence[int], lower: Sequence[int], tallest: int) -> bool:
    """Whether two bands of ink rows (top, bottom), one under the other, are too near to be two
    rows: apart by less than ROW_GAP of the shorter one's height, or less than LINES_GAP where
    either holds digits side by side (_small_line: a line of writing, not a piece of one digit)."""
    gap, shorter = lower[0] - upper[1], min(lower[1] - lower[0], upper[1] - upper[0])
    if gap < LINES_GAP * shorter:
        return True
    if gap >= ROW_GAP * shorter:
        return False
    return not any(_small_line(mask[top:bottom], tallest) for top, bottom in (upper, lower))


def _small_line(band: np.ndarray, tallest: int) -> bool:
    """Whether a band of ink rows lower than ROW_HEIGHT of the tallest is a line of writing of its
    own, written smaller: SMALL_LINE pieces or more, each SMALL_LINE_PIECE of the tallest's height."""
    heights, _ = _piece_sizes(band)
    return int(np.count_nonzero(heights >= SMALL_LINE_PIECE * tallest)) >= SMALL_LINE


def _piece_sizes(band: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The heights and widths (px) of the pieces of ink in a band of ink rows."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(band.astype(np.uint8), connectivity=8)
    return stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]


def _far_line(mask: np.ndarray, band: Sequence[int], row: Sequence[int], tallest: int) -> bool:
    """Whether a picture's band of ink rows (top, bottom) shorter than PICTURE_ROW_HEIGHT of the
    tallest is a line of its own (FAR_LINE): FAR_LINE of the tallest's height or more from the
    nearest row (or however near, of TEXT_LINE upright pieces or more: a line of print), not wholly
    after the row's end (cents written small and raised after the whole number stay in its row; a
    caption may start left of its field), of SMALL_LINE pieces or more."""
    heights, widths = _piece_sizes(mask[band[0] : band[1]])
    tall = heights >= FAR_LINE_PIECE * tallest
    text = np.count_nonzero(tall & (heights >= TEXT_FLAT * widths)) >= TEXT_LINE
    if not text and max(row[0] - band[1], band[0] - row[1]) < FAR_LINE * tallest:
        return False
    starts = np.flatnonzero(mask[band[0] : band[1]].any(axis=0))[0]  # bands and rows hold ink
    if starts > np.flatnonzero(mask[row[0] : row[1]].any(axis=0))[-1]:  # wholly after the row's end
        return False
    return np.count_nonzero(tall) >= SMALL_LINE


def _cut(rows: list[list[int]], height: int) -> list[tuple[int, int]]:
    """Rows (top, bottom) reaching halfway to their neighbours, from the canvas's top to its bottom;
    [] for fewer than two."""
    if len(rows) < 2:
        return []
    cuts = [0] + [(a[1] + b[0]) // 2 for a, b in zip(rows, rows[1:])] + [height]
    return list(zip(cuts[:-1], cuts[1:]))


def _lines_apart(mask: np.ndarray, rows: list[list[int]]) -> list[tuple[int, int]]:
    """A picture's rows as _cut gives them, each LINES_APART or more of its digits' height tall
    first parted into the lines of writing it holds: lines written close (a gap under ROW_GAP, or
    none: a descender reaching into the line below) were one row, both lines' digits read side by
    side. The row's digit-sized pieces (LINE_PIECE of the tallest's height at least) are taken in
    the order of their middles, a line starting at a middle LINE_STEP of their median height below
    the last, if under the line above (_under: not beside it, as a line written rising or bouncing
    is, nor one digit's halves); lines are parted at the pixel row between them with the least ink."""
    parted = []
    for top, bottom in rows:
        _, _, stats, _ = cv2.connectedComponentsWithStats(mask[top:bottom].astype(np.uint8), connectivity=8)
        x, y, w, h = stats[1:, :4].T
        big = h >= LINE_PIECE * h.max(initial=0)
        typical = float(np.median(h[big])) if big.any() else 0.0
        if not typical or bottom - top < LINES_APART * typical:
            parted.append([top, bottom])
            continue
        middle = y + h / 2
        order = np.flatnonzero(big)[np.argsort(middle[big], kind="stable")]
        steps = np.flatnonzero(np.diff(middle[order]) >= LINE_STEP * typical) + 1
        lines = []
        for line in np.split(order, steps):
            if lines and not _under(stats[1:, :4], lines[-1], line, typical):
                lines[-1] = np.concatenate([lines[-1], line])
            else:
                lines.append(line)
        start = top
        for upper, lower in zip(lines, lines[1:]):
            a, b = int(middle[upper].max()), int(middle[lower].min())
            ink_rows = mask[top + a : top + b + 1].sum(axis=1)
            cut = top + a + int(np.flatnonzero(ink_rows == ink_rows.min()).mean())
            parted.append([start, cut])
            start = cut
        parted.append([start, bottom])
    return _cut(parted, mask.shape[0])


def _under(boxes: np.ndarray, upper: np.ndarray, lower: np.ndarray, typical: float) -> bool:
    """Whether the pieces `lower` (indices into boxes: x, y, w, h) are a line of writing under the
    pieces `upper`: most pieces of the fewer have one of the others above or below them (LINE_OVER
    of the narrower's width; a line written rising, or bouncing, has its digits side by side), but
    not as one digit's halves (each over or under its own half, LINE_HALVES of the narrower's width,
    LINE_GAP of `typical` or less between: an 8 as two loops, a number a crease or a skipping pen
    cut across)."""
    x, y, w, h = boxes.T
    fewer, more = (upper, lower) if len(upper) <= len(lower) else (lower, upper)
    shared = np.minimum(x[fewer, None] + w[fewer, None], x[more] + w[more]) - np.maximum(x[fewer, None], x[more])
    share = shared / np.minimum(w[fewer, None], w[more])
    gap = np.maximum(y[fewer, None] - (y[more] + h[more]), y[more] - (y[fewer, None] + h[fewer, None]))
    halves = ((share >= LINE_HALVES) & (gap <= LINE_GAP * typical)).any(axis=1)
    return (share >= LINE_OVER).any(axis=1).mean() > 0.5 and halves.mean() < LINE_SPLIT


def row_strokes(strokes: Sequence[Stroke], rows: Sequence[tuple[int, int]]) -> list[list[Stroke]]:
    """For each of text_rows' `rows`, the strokes whose points lie mostly in it (the first and last
    rows reach past the canvas's edges, where a stroke dragged off it may lie), in writing order; the
    others as empty strokes, so that stroke indices still name the canvas's strokes."""
    bounds = [bottom for _, bottom in rows[:-1]]  # between rows k and k + 1
    owner = []
    for stroke in strokes:
        ys = as_points(stroke)[:, 1]
        owner.append(int(np.searchsorted(bounds, float(np.median(ys)), side="right")) if len(ys) else -1)
    return [[s if o == k else [] for s, o in zip(strokes, owner)] for k in range(len(rows))]


def _span_overlap(a: np.ndarray, b: np.ndarray) -> float:
    """How much two inked column masks' x-extents overlap, as a share of the narrower extent."""
    xa, xb = np.flatnonzero(a), np.flatnonzero(b)
    if not xa.size or not xb.size:
        return 0.0
    return x_overlap((xa[0], xa[-1] + 1), (xb[0], xb[-1] + 1))


def find_digits(ink: Ink, strokes: Sequence[Stroke] | None = None) -> list[Segment]:
    """The digits in a canvas's ink as Segments, left to right (by the middle of their boxes).

    strokes: the point lists the canvas was drawn from, if known (the app's); then digits that
    touch are still told apart, and a digit drawn in several strokes stays one digit.
    """
    if ink.box is None:
        return []
    # Work on the inked part only (labeling costs in proportion to the area), in its coordinates.
    x0, y0, width, height = ink.box
    part = ink.mask[y0 : y0 + height, x0 : x0 + width]
    if strokes is not None and any(len(s) for s in strokes):
        shifted = [as_points(s) - (x0, y0) if len(s) else s for s in strokes]
        labels, members = _label_by_strokes(part, shifted, radius=max(1.0, ink.stroke_width / 2))
    else:
        labels, members = _label_by_components(part)
    pieces = _pieces(labels, members)
    segments = []
    for piece in _merge_fragments(pieces):
        x, y, w, h = piece.box
        mask = np.isin(labels[y : y + h, x : x + w], piece.labels)
        segments.append(Segment((x + x0, y + y0, w, h), mask, tuple(sorted(piece.strokes))))
    segments = _drop_specks(segments)
    return sorted(segments, key=lambda s: s.box[0] + s.box[2] / 2)


@dataclass(frozen=True)
class _Piece:
    box: Box
    pixels: int
    labels: tuple[int, ...]  # values in the label image
    strokes: tuple[int, ...]

    def __or__(self, other: _Piece) -> _Piece:
        x0, y0 = min(self.box[0], other.box[0]), min(self.box[1], other.box[1])
        x1 = max(self.box[0] + self.box[2], other.box[0] + other.box[2])
        y1 = max(self.box[1] + self.box[3], other.box[1] + other.box[3])
        return _Piece(
            (x0, y0, x1 - x0, y1 - y0),
            self.pixels + other.pixels,
            self.labels + other.labels,
            self.strokes + other.strokes,
        )


def _pieces(labels: np.ndarray, members: list[list[int]]) -> list[_Piece]:
    """A _Piece per group of the label image (1..len(members)) that has any ink, in one pass."""
    ys, xs = np.nonzero(labels)
    group = labels[ys, xs]
    n = len(members) + 1
    pixels = np.bincount(group, minlength=n)
    x0, y0 = np.full(n, labels.shape[1]), np.full(n, labels.shape[0])
    x1, y1 = np.full(n, -1), np.full(n, -1)
    np.minimum.at(x0, group, xs)
    np.minimum.at(y0, group, ys)
    np.maximum.at(x1, group, xs)
    np.maximum.at(y1, group, ys)
    return [  # a group without ink: strokes whose ink was erased or lies off the canvas
        _Piece(
            (int(x0[g]), int(y0[g]), int(x1[g] - x0[g] + 1), int(y1[g] - y0[g] + 1)),
            int(pixels[g]),
            (g,),
            tuple(members[g - 1]),
        )
        for g in range(1, n)
        if pixels[g]
    ]


def _merge_fragments(pieces: list[_Piece]) -> list[_Piece]:
    """Join pieces much shorter than the digits around them (a 5's flag, a broken-off stroke end)
    to the digit they overlap most in x, or else to the nearest one if it is close."""
    if len(pieces) < 2:
        return pieces
    tallest = max(p.box[3] for p in pieces)
    typical = float(np.median([p.box[3] for p in pieces if p.box[3] >= SPECK_SIDE * tallest]))
    digits = [p for p in pieces if p.box[3] >= FRAGMENT_HEIGHT * typical]
    fragments = [p for p in pieces if p.box[3] < FRAGMENT_HEIGHT * typical]
    if not digits:
        return pieces
    for frag in fragments:
        gaps = [_x_gap(frag.box, p.box) for p in digits]
        best = int(np.argmin(gaps))
        if gaps[best] <= FRAGMENT_GAP * typical:
            digits[best] = digits[best] | frag
        else:
            digits.append(frag)
    return digits


def _x_gap(a: Box, b: Box) -> float:
    """Horizontal gap between two boxes in pixels (negative: they overlap in x by that much)."""
    return max(a[0], b[0]) - min(a[0] + a[2], b[0] + b[2])


def x_overlap(a: Sequence[float], b: Sequence[float], slack: float = 0.0) -> float:
    """Overlap of two x-ranges [start, end) as a share of the narrower one (0 to 1), each widened
    by `slack` px on both sides (a vertical stroke's pen path has a range of no width, yet lies
    over what it crosses)."""
    overlap = min(a[1], b[1]) - max(a[0], b[0]) + 2 * slack
    narrower = min(a[1] - a[0], b[1] - b[0]) + 2 * slack
    return min(1.0, max(0.0, overlap) / max(narrower, 1e-9))


def group_by_x_overlap(ranges: Sequence[tuple[float, float]], threshold: float = MERGE_OVERLAP) -> list[list[int]]:
    """Indices of the ranges grouped so that no two groups overlap in x by more than `threshold`
    of the narrower one; a group's range is the union of its members'. Groups come left to right."""
    groups = [([i], (float(lo), float(hi))) for i, (lo, hi) in enumerate(ranges)]
    merged = True
    while merged:  # a merge widens a group, which can make it overlap another: repeat until stable
        merged = False
        groups.sort(key=lambda g: g[1][0])
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if groups[j][1][0] >= groups[i][1][1]:
                    break  # sorted by start: later groups begin even further right
                if x_overlap(groups[i][1], groups[j][1]) > threshold:
                    (mi, (lo_i, hi_i)), (mj, (lo_j, hi_j)) = groups[i], groups[j]
                    groups[i] = (mi + mj, (min(lo_i, lo_j), max(hi_i, hi_j)))
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    return [sorted(members) for members, _ in sorted(groups, key=lambda g: g[1][0])]


def _label_by_components(ink: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Label image (0 background, 1..n digits) from connected components merged by x-overlap."""
    count, components, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    ids = kept_components(stats)
    ranges = [(stats[i, cv2.CC_STAT_LEFT], stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH]) for i in ids]
    lookup = np.zeros(count, np.int32)  # component -> digit group (0: dropped)
    groups = group_by_x_overlap(ranges)
    for group, members in enumerate(groups, start=1):
        lookup[ids[members]] = group
    return lookup[components], [[] for _ in groups]


def _label_by_strokes(ink: np.ndarray, strokes: Sequence[Stroke], radius: float) -> tuple[np.ndarray, list[list[int]]]:
    """Label image from the strokes (widened by the pen's radius) grouped by x-overlap; each ink
    pixel joins the nearest group. The groups list the indices of their strokes in `strokes`
    (empty strokes belong to none)."""
    drawn = [i for i, s in enumerate(strokes) if len(s)]
    points = {i: as_points(strokes[i]) for i in drawn}
    ranges = [(points[i][:, 0].min() - radius, points[i][:, 0].max() + radius) for i in drawn]
    groups = [[drawn[k] for k in members] for members in group_by_x_overlap(ranges)]
    owner = nearest_line(ink, [[points[i] for i in members] for members in groups])
    return (np.zeros(ink.shape, np.int32) if owner is None else owner), groups


def nearest_line(ink: np.ndarray, paths: Sequence[Sequence[np.ndarray]]) -> np.ndarray | None:
    """Label image: each ink pixel takes the number (1..) of the group of pen paths ((k, 2) arrays
    of x, y on the canvas) whose centre line is nearest, 0 off the ink; None when every path lies
    off the canvas. One distance transform, which also reports which line pixel is nearest."""
    lines = np.zeros(ink.shape, np.uint16)
    for label, group in enumerate(paths, start=1):
        for path in group:
            pts = np.round(path).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(lines, [pts], False, label, 1)
            if len(pts) == 1:
                cv2.circle(lines, tuple(int(v) for v in pts[0, 0]), 0, label, -1)
    on_line = lines > 0
    if not on_line.any():
        return None
    _, nearest = cv2.distanceTransformWithLabels(
        np.where(on_line, 0, 255).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    lookup = np.zeros(int(nearest.max()) + 1, np.int32)
    lookup[nearest[on_line]] = lines[on_line]  # a centre-line pixel is its own nearest
    return np.where(ink, lookup[nearest], 0).astype(np.int32)


def kept_components(stats: np.ndarray) -> np.ndarray:
    """The labels (1..) of cv2.connectedComponentsWithStats' pieces that are read: all, or on a
    canvas of more than MAX_COMPONENTS (noise) the largest."""
    ids = np.arange(1, len(stats))
    if len(ids) > MAX_COMPONENTS:
        ids = ids[np.argsort(stats[ids, cv2.CC_STAT_AREA])[::-1][:MAX_COMPONENTS]]
    return ids


def specks(boxes: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """Which pieces ((n, 4) boxes x, y, w, h and (n,) ink pixel counts) are specks: their longer
    side under SPECK_SIDE of the tallest piece's height and their ink under SPECK_AREA of the most."""
    side = np.maximum(boxes[:, 2], boxes[:, 3])
    return (side < SPECK_SIDE * boxes[:, 3].max()) & (pixels < SPECK_AREA * pixels.max())


def _drop_specks(segments: list[Segment]) -> list[Segment]:
    """Drop pieces far smaller than the largest digit (a lone speck on a blank canvas stays)."""
    if len(segments) < 2:
        return segments
    small = specks(np.array([s.box for s in segments]), np.array([int(s.mask.sum()) for s in segments]))
    return [s for s, speck in zip(segments, small) if not speck]
