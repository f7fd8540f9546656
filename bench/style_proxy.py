"""A second, independent style generator, for measuring only: it never made a training image.

The training variants come from recognizer.styles. Measuring the styles with that same generator
would reward the model for learning that generator's habits (its angles, lengths and anchor
points), not the styles. This one is written apart, from other anchors and other ranges, with
slightly curved strokes where the training generator draws straight ones:
* slashed zero: a bowed line through the ink's centre of mass, 50-80 degrees, 10-30% past the oval;
* crossed seven: a short wobbly bar across the stem, 45-60% down the stem's own extent;
* flagged one: a bowed flag from the topmost ink point, 35-65 degrees below the horizontal;
* flag and base one: that flag and a foot across the lowest ink point;
* closed four: a bowed diagonal from the stem's top to the leftmost ink of the middle rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from recognizer.ink import INK_LEVEL, ink_box
from recognizer.strokes import draw_strokes

Stroke = list[tuple[float, float]]


def _bowed(start: tuple[float, float], end: tuple[float, float], bow: float, points: int = 5) -> Stroke:
    """A stroke from start to end bent sideways by `bow` times its length at the middle."""
    (x0, y0), (x1, y1) = start, end
    length = float(np.hypot(x1 - x0, y1 - y0)) or 1.0
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    out = []
    for t in np.linspace(0.0, 1.0, points):
        off = bow * length * 4 * t * (1 - t)
        out.append((x0 + t * (x1 - x0) + off * nx, y0 + t * (y1 - y0) + off * ny))
    return out


def proxy_strokes(canvas: np.ndarray, style: str, rng: np.random.Generator) -> list[Stroke]:
    """The strokes that give the digit on `canvas` the style, by this module's own rules."""
    box = ink_box(canvas)
    if box is None:
        return []
    x, y, w, h = box
    ink = canvas > INK_LEVEL
    ys, xs = np.nonzero(ink)
    bow = rng.uniform(-0.06, 0.06)
    if style == "slashed zero":
        cx, cy = float(xs.mean()), float(ys.mean())
        angle = np.radians(rng.uniform(50, 80))
        along = np.abs((xs - cx) * np.cos(angle) - (ys - cy) * np.sin(angle))  # ink's reach that way
        half = rng.uniform(1.1, 1.3) * float(along.max())
        dx, dy = half * np.cos(angle), half * np.sin(angle)
        return [_bowed((cx - dx, cy + dy), (cx + dx, cy - dy), bow)]
    if style == "crossed seven":
        lower = ys > y + 0.35 * h  # the stem: the ink below the top bar
        if not lower.any():
            return []
        top, bottom = float(ys[lower].min()), float(ys[lower].max())
        row = int(round(top + rng.uniform(0.45, 0.6) * (bottom - top)))
        near = np.abs(ys - row) <= max(1, h // 40)
        centre = float(xs[near].mean()) if near.any() else x + w / 2
        half = rng.uniform(0.15, 0.3) * h
        tilt = np.tan(np.radians(rng.uniform(-8, 8))) * half
        return [_bowed((centre - half, row + tilt), (centre + half, row - tilt), bow)]
    if style in ("flagged one", "flag and base one"):
        top = float(ys.min())
        tip = (float(xs[ys == ys.min()].mean()), top)
        angle = np.radians(rng.uniform(35, 65))
        length = rng.uniform(0.2, 0.4) * h
        strokes = [_bowed((tip[0] - length * np.cos(angle), tip[1] + length * np.sin(angle)), tip, bow)]
        if style == "flag and base one":
            low = float(ys.max())
            foot = float(xs[ys == ys.max()].mean())
            half = rng.uniform(0.12, 0.25) * h
            tilt = np.tan(np.radians(rng.uniform(-5, 5))) * half
            strokes.append([(foot - half, low + tilt), (foot + half, low - tilt)])
        return strokes
    if style == "closed four":
        right = xs > x + w / 2
        middle = (ys > y + 0.4 * h) & (ys < y + 0.8 * h)
        if not right.any() or not middle.any():
            return []
        stem_top = float(ys[right].min())
        stem_x = float(xs[right & (ys == ys[right].min())].mean())
        left = int(np.argmin(np.where(middle, xs, np.iinfo(xs.dtype).max)))
        return [_bowed((stem_x, stem_top), (float(xs[left]), float(ys[left])), bow)]
    raise ValueError(f"unknown style {style!r}")


def add_proxy_style(canvas: np.ndarray, style: str, pen: int, rng: np.random.Generator) -> np.ndarray:
    """A copy of the canvas with the proxy style's strokes drawn with the app's round pen."""
    return draw_strokes(canvas.copy(), proxy_strokes(canvas, style, rng), pen)


def proxy_canvases(
    x: np.ndarray, y: np.ndarray, per_style: int, rng: np.random.Generator
) -> Iterator[tuple[str, int, Iterator[np.ndarray]]]:
    """For each style of recognizer.styles.STYLES: (style, its digit, canvases of per_style digits
    of (x, y) redrawn with a pen (recognizer.dataset.mnist_canvases) plus the style's stroke by
    this module). The canvases come one at a time, drawn from rng as they are taken: take every
    one of a style before the next style."""
    from recognizer.dataset import mnist_canvases
    from recognizer.styles import STYLES

    for style, digit in STYLES.items():
        pick = rng.permutation(np.flatnonzero(y == digit))[:per_style]
        yield style, digit, (add_proxy_style(c, style, pen, rng) for c, pen in mnist_canvases(x[pick], rng))
