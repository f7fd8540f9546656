"""Writing styles that MNIST (American census staff, 1990) lacks, made by adding pen strokes to a digit.

Much of the world writes a zero with a slash, a seven with a bar, a one with a long flag (and a base
serif), a four with a closed top. MNIST has few or none of them, so the classifier reads a slashed
zero as 8 and a flagged one as 7. `add_style` draws the missing stroke onto a drawn digit with the
same round pen, placed from the digit's own ink (its box, where its stem is), so the same code
styles MNIST digits redrawn with a pen and real pen digits alike.
"""

from __future__ import annotations

import numpy as np

from .ink import INK_LEVEL, ink_box
from .strokes import draw_strokes

# Style -> the digit it applies to (and stays: a slashed zero is still labelled 0).
STYLES: dict[str, int] = {
    "slashed zero": 0,
    "crossed seven": 7,
    "flagged one": 1,
    "flag and base one": 1,
    "closed four": 4,
}


def _ink_columns(ink: np.ndarray, row: int) -> np.ndarray:
    """Columns holding ink on `row` (or the nearest inked row)."""
    rows = np.flatnonzero(ink.any(axis=1))
    row = int(rows[np.abs(rows - row).argmin()])
    return np.flatnonzero(ink[row])


def style_strokes(canvas: np.ndarray, style: str, rng: np.random.Generator) -> list[list[tuple[float, float]]]:
    """The strokes (canvas pixels) that give the digit on `canvas` the style; [] for a blank canvas."""
    box = ink_box(canvas)
    if box is None:
        return []
    x, y, w, h = box
    ink = canvas > INK_LEVEL
    if style == "slashed zero":  # a long diagonal through the oval, past it at both ends
        over = rng.uniform(0.0, 0.15) * h
        inset = rng.uniform(0.0, 0.3) * w
        if rng.random() < 0.85:
            return [[(x + inset, y + h + over), (x + w - inset, y - over)]]
        return [[(x + inset, y - over), (x + w - inset, y + h + over)]]
    if style == "crossed seven":  # a short bar across the stem, about mid-height
        row = y + int(rng.uniform(0.45, 0.65) * h)
        cols = _ink_columns(ink, row)
        centre = float(cols.mean()) + rng.uniform(-0.08, 0.08) * w
        half = rng.uniform(0.22, 0.4) * max(w, 0.6 * h)
        tilt = rng.uniform(-0.06, 0.06) * h
        return [[(centre - half, row + tilt), (centre + half, row - tilt)]]
    if style in ("flagged one", "flag and base one"):  # a flag down-left from the top, steeper than a 7's bar
        top = _ink_columns(ink, y)
        tip = (float(top.mean()), float(y))
        length = rng.uniform(0.25, 0.45) * h
        angle = np.radians(rng.uniform(30, 60))  # below the horizontal, towards the left
        flag = [(tip[0] - length * np.cos(angle), tip[1] + length * np.sin(angle)), tip]
        if style == "flagged one":
            return [flag]
        bottom = _ink_columns(ink, y + h - 1)
        foot = float(bottom.mean())
        half = rng.uniform(0.15, 0.3) * h
        return [flag, [(foot - half, y + h - 1.0), (foot + half, y + h - 1.0)]]
    if style == "closed four":  # the printed 4: a diagonal from the stem's top down to the bar's left end
        right = ink[:, x + w // 2 : x + w]
        if not right.any():
            return []
        stem_top = int(np.flatnonzero(right.any(axis=1))[0])
        stem_x = x + w // 2 + float(np.flatnonzero(right[stem_top]).mean())
        rows = ink[y + h // 3 : y + h - h // 6, x : x + w].sum(axis=1)
        if not rows.any():
            return []
        bar = y + h // 3 + int(np.argmax(rows))  # the widest row below the top third
        bar_left = x + float(np.flatnonzero(ink[bar, x : x + w])[0])
        return [[(stem_x, float(stem_top)), (bar_left, float(bar))]]
    raise ValueError(f"unknown style {style!r}; expected one of {', '.join(STYLES)}")


def add_style(canvas: np.ndarray, style: str, pen: int, rng: np.random.Generator) -> np.ndarray:
    """A copy of the canvas with the style's strokes drawn on it with a round pen `pen` px wide."""
    return draw_strokes(canvas.copy(), style_strokes(canvas, style, rng), pen)
