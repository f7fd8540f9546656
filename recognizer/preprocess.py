"""Turn a drawing into the 28x28 image MNIST would have made of it.

MNIST's recipe (LeCun et al.): crop to the ink, scale so the longer side is 20 px keeping the
aspect ratio (anti-aliased), paste into 28x28 so that the center of mass sits at the center.
One addition for drawings: a stroke much thinner than MNIST's (a big digit drawn with a thin pen)
is thickened first, because after a 20-px downscale it would otherwise fade to a faint hairline.
And where the pen strokes are known, a digit drawn small with a bold pen (a number written with the
app's brush) can be drawn again from them with a thinner pen (strokes_to_mnist): MNIST's strokes
are about a tenth of the digit's size, and the models read far bolder ones worse; without its
strokes, such a digit's ink can be eroded instead (ink_to_mnist's max_pen).
stages() keeps every intermediate image (the notebook draws them); ink_to_mnist returns the last.
Knows nothing about pygame or Keras: canvas or strokes in, array out.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .ink import Ink, ink_box, ink_from_canvas, stroke_width
from .strokes import Stroke, as_points, rasterize_quickly

SIZE = 28  # output side
BOX = 20  # the digit's longer side inside the output, as in MNIST
PAIR_BOX = 24  # a piece of two digits fills this square inside the output (pair_image)
CENTER = 14.0  # where MNIST puts the center of mass (row, col), measured on its training set
WORK_SCALE = 4  # stroke width is measured and fixed at 4x the output resolution
MIN_STROKE_PX = 1.6  # thinner than this (in output px) gets thickened ...
TARGET_STROKE_PX = 2.2  # ... to about this; MNIST's median stroke is ~2.3 px
# Strokes drawn again are drawn at most this many px tall or wide, twice the work size: its area
# downscale then smooths the edges as it does a big canvas's (drawn at the work size, they come out
# a tenth bolder or thinner)
REDRAW_SIDE = 2 * BOX * WORK_SCALE


@dataclass(frozen=True, eq=False)
class Stages:
    """Every step of the preprocessing of one ink, in order; `image` is what the model sees."""

    crop: np.ndarray  # uint8: the canvas cut to the ink box
    work: np.ndarray  # uint8: crop scaled to a longer side of BOX * WORK_SCALE px
    stroke_px: float  # the stroke width in work, in 28x28 pixels
    thickened: np.ndarray  # uint8: work with thin strokes dilated, or bold ones eroded (max_pen); work if kept
    fitted: np.ndarray  # float32 in [0, 1]: thickened cut to its ink, longer side BOX px
    image: np.ndarray  # (SIZE, SIZE) float32 in [0, 1]: fitted with its center of mass at CENTER


def to_mnist(canvas: np.ndarray) -> np.ndarray | None:
    """Canvas (2-D, bright ink on dark; see ink_from_canvas) -> 28x28 float32 in [0, 1], or None
    if it has no ink: MNIST's own steps, as the training renders use them. Recognizer.predict
    also thins ink far bolder than MNIST's (grouping.INK_MAX_PEN); its Prediction.image is
    exactly what the model saw."""
    ink = ink_from_canvas(canvas)
    return None if ink.box is None else ink_to_mnist(ink)


def pair_image(mask: np.ndarray) -> np.ndarray:
    """A piece of two digits touching (its box's ink mask) as the digit-pair reader reads it
    (recognizer.train_pairs): stretched to fill PAIR_BOX x PAIR_BOX, centred in SIZE x SIZE, float32 in
    [0, 1]. Stretched, not fit: two digits side by side keep their full height."""
    pixels = np.asarray(mask, np.float32)
    out = np.zeros((SIZE, SIZE), np.float32)
    if pixels.ndim != 2 or not pixels.size:
        return out
    start = (SIZE - PAIR_BOX) // 2
    out[start : start + PAIR_BOX, start : start + PAIR_BOX] = cv2.resize(
        pixels, (PAIR_BOX, PAIR_BOX), interpolation=cv2.INTER_AREA
    )
    return out


def ink_to_mnist(ink: Ink, max_pen: float | None = None) -> np.ndarray:
    """The 28x28 float32 image in [0, 1] of an ink that has a box (ink.box is not None); max_pen:
    see stages."""
    return stages(ink, max_pen).image


def strokes_to_mnist(strokes: Sequence[Stroke], pen: float) -> np.ndarray:
    """The 28x28 image of one digit drawn again from its pen strokes (points in any unit, at least
    one point) with a round pen `pen` units wide: drawn at most REDRAW_SIDE px tall or wide, then
    ink_to_mnist, as if drawn on a canvas with that pen."""
    paths = [as_points(s) for s in strokes if len(s)]
    every = np.concatenate(paths)
    low = every.min(axis=0)
    side = float(np.ptp(every, axis=0).max()) + pen
    scale = min(1.0, REDRAW_SIDE / max(side, 1.0))
    even = 2 * round(pen * scale / 2)  # the round pen's width is even (strokes.draw_stroke)
    width = max(2, even)
    if scale < 1.0 and width == even:  # scaled down: by just as much as makes the pen's width exact
        scale = width / pen
    margin = width  # room for the round pen on every side
    shape = np.ceil(np.ptp(every, axis=0)[::-1] * scale).astype(int) + 2 * margin + 1
    drawn = [(p - low) * scale + margin for p in paths]
    return ink_to_mnist(ink_from_canvas(rasterize_quickly(drawn, (int(shape[0]), int(shape[1])), width)))


def stages(ink: Ink, max_pen: float | None = None) -> Stages:
    """MNIST's recipe step by step on an ink that has a box. Ink too sparse to survive the
    downscale (a few pixels far apart) gives an empty image rather than a division by zero.
    max_pen: strokes bolder than this share of the pen path's longer side are eroded to it first."""
    x, y, w, h = ink.box
    return crop_stages(ink.pixels[y : y + h, x : x + w], max_pen)


def crop_to_mnist(crop: np.ndarray, max_pen: float | None = None) -> np.ndarray:
    """ink_to_mnist of a uint8 crop already cut to its ink (its ink reaches all four edges): for a
    caller that has cut it, without making an Ink of it."""
    return crop_stages(crop, max_pen).image


def crop_stages(crop: np.ndarray, max_pen: float | None = None) -> Stages:
    """stages of a uint8 crop already cut to its ink."""
    work = _fit(crop, BOX * WORK_SCALE)
    stroke_px = stroke_width(work) / WORK_SCALE
    thinned = work if max_pen is None else _thin(work, stroke_px * WORK_SCALE, max_pen)
    thickened = _thicken(thinned, stroke_px)
    fitted = _fit(_crop(thickened), BOX).astype(np.float32)
    peak = fitted.max()
    if peak == 0:
        return Stages(crop, work, stroke_px, thickened, fitted, np.zeros((SIZE, SIZE), np.float32))
    fitted /= peak
    return Stages(crop, work, stroke_px, thickened, fitted, _center_by_mass(fitted))


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    """Scale so that the longer side is `side` px, keeping the aspect ratio."""
    h, w = image.shape
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interpolation)


def _crop(image: np.ndarray) -> np.ndarray:
    """The image cut to its ink (all of it if the downscale left no pixel bright enough to count as ink)."""
    box = ink_box(image)
    if box is None:
        return image
    x, y, w, h = box
    return image[y : y + h, x : x + w]


def _thin(digit: np.ndarray, stroke: float, max_pen: float) -> np.ndarray:
    """Erode strokes `stroke` px wide (digit's mean stroke width) that are bolder than max_pen of the
    pen path's longer side (the digit's less one stroke width) to about that width."""
    side = max(digit.shape) - stroke
    shrink = round((stroke - max_pen * side) / 2)
    if shrink < 1:
        return digit
    return cv2.erode(digit, _disc(shrink), borderType=cv2.BORDER_CONSTANT, borderValue=0)  # the ink reaches the edges


@functools.cache
def _disc(radius: int) -> np.ndarray:
    """An elliptic structuring element `radius` px round its centre (made once per radius)."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _thicken(digit: np.ndarray, stroke_px: float) -> np.ndarray:
    """Dilate strokes thinner than MIN_STROKE_PX (in 28x28 pixels) to about TARGET_STROKE_PX."""
    if stroke_px >= MIN_STROKE_PX:
        return digit
    grow = round((TARGET_STROKE_PX - stroke_px) * WORK_SCALE)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow + 1, grow + 1))
    return cv2.dilate(digit, kernel)


def _center_by_mass(digit: np.ndarray) -> np.ndarray:
    """Paste into SIZE x SIZE with the center of mass moved (to the nearest px) to CENTER."""
    mass = float(digit.sum())  # numpy, not cv2.moments: that reads an (n, 2) array as a contour
    com_y = float(digit.sum(axis=1) @ np.arange(digit.shape[0])) / mass
    com_x = float(digit.sum(axis=0) @ np.arange(digit.shape[1])) / mass
    left, top = round(CENTER - com_x), round(CENTER - com_y)
    out = np.zeros((SIZE, SIZE), np.float32)
    h, w = digit.shape
    # Clip the paste to the frame: only a shape whose mass sits far off its box's center loses ink.
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, SIZE), min(left + w, SIZE)
    if y1 > y0 and x1 > x0:
        out[y0:y1, x0:x1] = digit[y0 - top : y1 - top, x0 - left : x1 - left]
    return out
