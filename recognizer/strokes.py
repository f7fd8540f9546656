"""Strokes as point lists, rasterized to a canvas: round caps and joins, no gaps between points.

The app keeps what the user drew as strokes (so undo can re-rasterize) and the tests and
benchmarks draw synthetic digits the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from .errors import CanvasError

Point = tuple[float, float]
Stroke = Sequence[Point]
INK = 255
SUBPIXEL_BITS = 3  # rasterize_quickly places points to 1/2**3 px
# Points farther than this from the canvas's corner are refused: OpenCV draws int32 coordinates (in
# 1/2**SUBPIXEL_BITS px), where a point past 2**31 wraps round to the other side of the canvas.
MAX_COORDINATE = 2**20
# Strokes a reader takes at most (CanvasError beyond): grouping by rules slows as their square, 30,000
# took 15 s and 100,000 minutes; the app's drawings and the API's (200 at most) are far under it.
MAX_STROKES = 10_000
# The app's brush: canvas side / BRUSH_DIVISOR wide, so that after preprocessing a drawn digit's
# strokes are as bold as MNIST's on any canvas size; at least MIN_BRUSH px (a tiny window's stroke
# stays visible). The desktop app, the web page, the API's default pen and the renderers of real pen
# strokes (recognizer.unipen, recognizer.dataset) all draw with it.
BRUSH_DIVISOR = 22
MIN_BRUSH = 3


def brush_width(side: float, factor: float = 1.0) -> int:
    """The app's brush in px on a canvas `side` px across, times `factor` (a thinner or bolder pen)."""
    return max(MIN_BRUSH, round(side / BRUSH_DIVISOR * factor))


def checked_strokes(strokes: Sequence[Stroke] | None) -> list[Stroke] | None:
    """The strokes a reader was given, checked: at most MAX_STROKES, each a sequence of finite (x, y)
    points (an array of them too) within MAX_COORDINATE px, or CanvasError in one line; arrays become
    lists. A NaN point used to make the canvas's ink vanish from the reading, and an array of
    strokes to stop predict with NumPy's error."""
    if strokes is None:
        return None
    if isinstance(strokes, np.ndarray):
        strokes = list(strokes) if strokes.ndim else strokes.item()
    if isinstance(strokes, str | bytes) or not hasattr(strokes, "__iter__"):  # strokes=5 raised TypeError
        raise CanvasError(f"strokes are a list of strokes, each a list of (x, y) points, not {type(strokes).__name__}")
    out: list[Stroke] = []
    for k, stroke in enumerate(strokes):
        if k == MAX_STROKES:
            raise CanvasError(f"more than {MAX_STROKES:,} strokes: a drawing has {MAX_STROKES:,} at most")
        try:
            points = np.asarray(stroke, dtype=np.float64)
        except (TypeError, ValueError):
            raise CanvasError(f"stroke {k} is not a list of (x, y) points") from None
        if points.size and (points.ndim != 2 or points.shape[1] != 2):
            raise CanvasError(f"stroke {k} is not a list of (x, y) points (shape {points.shape})")
        if not np.isfinite(points).all():
            raise CanvasError(f"stroke {k} has NaN or infinite points")
        if points.size and np.abs(points).max() > MAX_COORDINATE:
            raise CanvasError(f"stroke {k} has points more than {MAX_COORDINATE:,} px from the canvas's corner")
        out.append(stroke if isinstance(stroke, (list, tuple)) else points.tolist())
    return out


def as_points(stroke: Stroke) -> np.ndarray:
    """A stroke as an (n, 2) float64 array of its points, (0, 2) when empty: the form every
    module measures strokes in."""
    return np.asarray(stroke, dtype=np.float64).reshape(-1, 2)


def clipped_strokes(
    strokes: Sequence[Stroke], shape: tuple[int, int], margin: float
) -> tuple[list[Stroke], list[np.ndarray]]:
    """The strokes without their points off a canvas of `shape` (h, w) grown by `margin` px on every
    side (half a pen: a path that near draws ink on it), each stroke still one, where it left the
    canvas joined to where it came back (an empty one when none of it was on the canvas): the app
    keeps points up to a canvas side off the edge, and a mouse slip past it draws nothing there, but
    read by its points, a digit reached far past its ink. The strokes as they are (the same list)
    when every point is on it; and each one's points (as_points), for what measures them next."""
    low = np.array([-margin, -margin])
    high = np.array([shape[1] - 1 + margin, shape[0] - 1 + margin])
    paths = [as_points(s) for s in strokes]
    inside = [bool(((p >= low) & (p <= high)).all()) for p in paths]
    if all(inside):
        return (strokes if isinstance(strokes, list) else list(strokes)), paths
    cut = [stroke if kept else _clipped_path(path, low, high) for stroke, path, kept in zip(strokes, paths, inside)]
    return cut, [path if kept else as_points(stroke) for stroke, path, kept in zip(cut, paths, inside)]


def _clipped_path(path: np.ndarray, low: np.ndarray, high: np.ndarray) -> list[Point]:
    """A pen path's parts inside the box low-high, joined (Liang-Barsky clipping of each segment)."""
    out: list[Point] = []
    if len(path) == 1:
        return []  # a dot off the box
    for a, b in zip(path[:-1], path[1:]):
        d, t0, t1 = b - a, 0.0, 1.0
        for p, q in ((-d, a - low), (d, high - a)):
            for pk, qk in zip(p, q):
                if pk == 0:
                    t0 = 2.0 if qk < 0 else t0  # parallel to this side and beyond it: nothing inside
                elif pk < 0:
                    t0 = max(t0, qk / pk)
                else:
                    t1 = min(t1, qk / pk)
        if t0 <= t1:
            for point in (tuple((a + t0 * d).tolist()), tuple((a + t1 * d).tolist())):
                if not out or out[-1] != point:
                    out.append(point)
    return out


def densify(stroke: Stroke, step: float) -> np.ndarray:
    """(n, 2) points every `step` px along a stroke, its first point first: what a mouse reports
    while the stroke is drawn (positions, not corners). The benchmarks' synthetic users draw so."""
    pts = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
    dist = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    at = np.arange(0.0, dist[-1] + 1e-9, step)
    return np.stack([np.interp(at, dist, pts[:, 0]), np.interp(at, dist, pts[:, 1])], axis=1)


def scaled_strokes(strokes: Iterable[Stroke], factor: float) -> list[list[Point]]:
    """The strokes with every point's coordinates times `factor`: the same drawing on a canvas
    resized by it (the app's window, the web API's large canvases)."""
    return [[(x * factor, y * factor) for x, y in stroke] for stroke in strokes]


def draw_stroke(canvas: np.ndarray, stroke: Stroke, width: int) -> None:
    """Draw one stroke in place: consecutive points are joined by lines with round ends."""
    if not stroke:
        return
    points = np.round(np.asarray(stroke, dtype=np.float64)).astype(np.int32)
    radius = max(1, width // 2)
    if len(points) == 1:
        cv2.circle(canvas, tuple(int(v) for v in points[0]), radius, INK, -1, cv2.LINE_AA)
        return
    # cv2.polylines has flat caps; a circle at every vertex makes caps and joins round.
    cv2.polylines(canvas, [points.reshape(-1, 1, 2)], False, INK, 2 * radius, cv2.LINE_AA)
    for x, y in points:
        cv2.circle(canvas, (int(x), int(y)), radius, INK, -1, cv2.LINE_AA)


def draw_strokes(canvas: np.ndarray, strokes: Iterable[Stroke], width: int) -> np.ndarray:
    """Draw every stroke in place with one round pen; returns the canvas."""
    for stroke in strokes:
        draw_stroke(canvas, stroke, width)
    return canvas


def rasterize(strokes: Iterable[Stroke], size: tuple[int, int], width: int) -> np.ndarray:
    """A fresh canvas (height, width) = size with all strokes drawn, white on black."""
    return draw_strokes(np.zeros(size, np.uint8), strokes, width)


def rasterize_quickly(strokes: Iterable[Stroke], size: tuple[int, int], width: int) -> np.ndarray:
    """rasterize's picture, within a few pixels along the edges, in one call of cv2.polylines
    (OpenCV's thick lines have round ends of their own; the circles rasterize adds at every point
    cost a call each), points placed to 1/8 px rather than rounded (a small drawing keeps its
    shape): for drawing many small pictures while the user draws."""
    paths = [as_points(s) * (1 << SUBPIXEL_BITS) for s in strokes if len(s)]
    paths = [np.round(p).astype(np.int32) for p in paths]
    paths = [np.repeat(p, 2, axis=0) if len(p) == 1 else p for p in paths]  # a dot: a line of no length
    canvas = np.zeros(size, np.uint8)
    if paths:
        thickness = 2 * max(1, width // 2)
        cv2.polylines(canvas, [p.reshape(-1, 1, 2) for p in paths], False, INK, thickness, cv2.LINE_AA, SUBPIXEL_BITS)
    return canvas
