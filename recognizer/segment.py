"""Split a canvas holding several digits into one piece of ink per digit, left to right.

Without strokes (an image): connected components of the ink, then pieces that overlap in x are
merged, since the pieces of one digit sit above each other (a 5's flag, a 4 whose stem does not
touch its bar, a 7's crossbar, a dot over a gap) while neighbouring digits sit side by side.
With the app's strokes: strokes are grouped the same way by their x-extents, and each ink pixel
goes to the nearest group's strokes, so that digits drawn touching each other still come apart.
Specks far smaller than the digits around them (a stray click, a noise dot) are dropped.
Knows nothing about the model: canvas (and strokes) in, boxes and masks out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .preprocess import INK_LEVEL, _as_uint8, stroke_width
from .strokes import Stroke

Box = tuple[int, int, int, int]  # x, y, w, h on the canvas

MERGE_OVERLAP = 0.5  # pieces whose x-ranges overlap by more than this share of the narrower one merge
SPECK_SIDE = 0.25  # a piece whose longer side is below this share of the tallest digit's height ...
SPECK_AREA = 0.1  # ... and whose ink is below this share of the largest digit's ink is a speck
MAX_COMPONENTS = 500  # a canvas with more pieces than this (noise) keeps only the largest


@dataclass(frozen=True)
class Segment:
    """One digit's ink: its box on the canvas and which pixels of the box are its own."""

    box: Box
    mask: np.ndarray  # (h, w) bool: the ink in the box that belongs to this digit
    strokes: tuple[int, ...] = ()  # indices of the strokes drawn for it (empty without strokes)

    def ink(self, canvas: np.ndarray) -> np.ndarray:
        """This digit's ink cropped from the canvas, other digits' ink blanked out."""
        x, y, w, h = self.box
        return np.where(self.mask, canvas[y : y + h, x : x + w], 0).astype(canvas.dtype)


def segment(canvas: np.ndarray, strokes: Sequence[Stroke] | None = None) -> list[Box]:
    """Boxes (x, y, w, h) of the digits on the canvas, left to right; [] for a blank canvas."""
    return [s.box for s in find_digits(canvas, strokes)]


def find_digits(canvas: np.ndarray, strokes: Sequence[Stroke] | None = None) -> list[Segment]:
    """The digits on the canvas as Segments, left to right (by the middle of their boxes).

    strokes: the point lists the canvas was drawn from, if known (the app's); then digits that
    touch are still told apart, and a digit drawn in several strokes stays one digit.
    """
    canvas = _as_uint8(canvas)
    ink = canvas > INK_LEVEL
    if not ink.any():
        return []
    if strokes is not None and any(len(s) for s in strokes):
        labels, members = _label_by_strokes(ink, canvas, strokes)
    else:
        labels, members = _label_by_components(ink)
    segments = []
    for group, stroke_ids in enumerate(members, start=1):
        own = labels == group
        rows = np.flatnonzero(own.any(axis=1))
        if rows.size == 0:  # strokes whose ink lies off the canvas or was erased
            continue
        cols = np.flatnonzero(own.any(axis=0))
        x, y = int(cols[0]), int(rows[0])
        w, h = int(cols[-1]) - x + 1, int(rows[-1]) - y + 1
        segments.append(Segment((x, y, w, h), own[y : y + h, x : x + w], tuple(stroke_ids)))
    segments = _drop_specks(segments)
    return sorted(segments, key=lambda s: s.box[0] + s.box[2] / 2)


def x_overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Overlap of two x-ranges [start, end) as a share of the narrower one (0 to 1)."""
    overlap = min(a[1], b[1]) - max(a[0], b[0])
    narrower = min(a[1] - a[0], b[1] - b[0])
    return max(0.0, overlap) / max(narrower, 1e-9)


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
    ids = np.arange(1, count)
    if len(ids) > MAX_COMPONENTS:
        ids = ids[np.argsort(stats[ids, cv2.CC_STAT_AREA])[::-1][:MAX_COMPONENTS]]
    ranges = [(stats[i, cv2.CC_STAT_LEFT], stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH]) for i in ids]
    lookup = np.zeros(count, np.int32)  # component -> digit group (0: dropped)
    groups = group_by_x_overlap(ranges)
    for group, members in enumerate(groups, start=1):
        lookup[ids[members]] = group
    return lookup[components], [[] for _ in groups]


def _label_by_strokes(ink: np.ndarray, canvas: np.ndarray, strokes: Sequence[Stroke]) -> tuple[np.ndarray, list[list[int]]]:
    """Label image from the strokes grouped by x-overlap; each ink pixel joins the nearest group.
    The groups list the indices of their strokes in `strokes` (empty strokes belong to none)."""
    radius = max(1.0, stroke_width(canvas) / 2)
    drawn = [i for i, s in enumerate(strokes) if len(s)]
    points = {i: np.asarray(strokes[i], dtype=np.float64).reshape(-1, 2) for i in drawn}
    ranges = [(points[i][:, 0].min() - radius, points[i][:, 0].max() + radius) for i in drawn]
    groups = [[drawn[k] for k in members] for members in group_by_x_overlap(ranges)]
    nearest = np.full(ink.shape, np.inf, np.float32)
    labels = np.zeros(ink.shape, np.int32)
    for group, members in enumerate(groups, start=1):
        centre_lines = np.full(ink.shape, 255, np.uint8)  # 0 on the group's strokes
        for i in members:
            pts = np.round(points[i]).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(centre_lines, [pts], False, 0, 1)
            if len(pts) == 1:
                cv2.circle(centre_lines, tuple(int(v) for v in pts[0, 0]), 0, 0, -1)
        distance = cv2.distanceTransform(centre_lines, cv2.DIST_L2, 3)
        closer = ink & (distance < nearest)
        nearest[closer] = distance[closer]
        labels[closer] = group
    return labels, groups


def _drop_specks(segments: list[Segment]) -> list[Segment]:
    """Drop pieces far smaller than the largest digit (a lone speck on a blank canvas stays)."""
    if len(segments) < 2:
        return segments
    tallest = max(s.box[3] for s in segments)
    most_ink = max(int(s.mask.sum()) for s in segments)
    return [
        s for s in segments
        if max(s.box[2], s.box[3]) >= SPECK_SIDE * tallest or s.mask.sum() >= SPECK_AREA * most_ink
    ]
