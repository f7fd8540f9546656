"""The ink on a canvas, measured once: the first step of every reading.

A canvas comes in as any 2-D array (uint8 from the app, float or bool from a notebook or a scan);
ink_from_canvas turns it into an Ink, which segmentation, preprocessing and the "not sure" checks
all take, so none of them converts the canvas or finds the ink's box or stroke width again.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from .errors import CanvasError
from .strokes import Stroke, as_points

Box = tuple[int, int, int, int]  # x, y, w, h in pixels

INK_LEVEL = 64  # canvas values above this count as ink
# A float canvas no brighter than this is on a 0-1 scale, not 0-255: resizing a 0-1 image with cubic
# or Lanczos interpolation overshoots 1 a little. (A 0-255 canvas this faint, all its ink invisible,
# is read on the 0-1 scale too: its faint marks as ink, where on its own scale it is blank.)
UNIT_MAX = 2.0
# A canvas read as an image (no strokes) with more than this share of it ink is refused: it is paper
# with dark ink on it (a scan passed in as it is), whose paper between the strokes read as sure digits
# ("7" read "17"); a bold digit filling a canvas is under half ink.
MAX_INK_SHARE = 0.6
WIDTH_SIDE = 160  # px: stroke width is measured on the ink scaled down to at most this side
DRAWN_SLACK = 1.0  # pens: strokes drew a canvas's ink when their box is the ink's within this (Ink.drawn_by)


@dataclass(frozen=True, eq=False)
class Ink:
    """A canvas as uint8 pixels (bright ink on dark) with its ink mask, box and pixel count."""

    pixels: np.ndarray  # (h, w) uint8
    mask: np.ndarray  # (h, w) bool: pixels > INK_LEVEL
    box: Box | None  # the ink's bounding box, None when there is no ink
    count: int  # ink pixels

    @cached_property
    def stroke_width(self) -> float:
        """Mean stroke width in px (at least 1; 0 without ink), measured on a copy of the ink box
        scaled down to at most WIDTH_SIDE px: the width relative to the size does not change with
        the scale, and findContours on a full-size crop would cost more than the model does."""
        if self.box is None:
            return 0.0
        x, y, w, h = self.box
        crop = self.pixels[y : y + h, x : x + w]
        scale = min(1.0, WIDTH_SIDE / max(w, h))
        if scale < 1.0:
            crop = cv2.resize(
                crop, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_NEAREST
            )
        return max(stroke_width(crop) / scale, 1.0)

    def drawn_by(self, strokes: Sequence[Stroke]) -> bool:
        """Whether these strokes (point lists, or their as_points arrays) drew this ink: their box,
        grown by half the pen and cut to the canvas, is the ink's within DRAWN_SLACK pens (and 2 px)
        on every side. Strokes of another drawing, some of a drawing's strokes, or strokes scaled or
        off the canvas are not: read by them, ink outside them was lost or merged with a neighbour."""
        drawn = [as_points(s) for s in strokes if len(s)]
        if self.box is None or not drawn:
            return self.box is None and not drawn
        points = np.concatenate(drawn)
        pen = self.stroke_width
        top = np.array(self.pixels.shape[::-1], np.float64) - 1
        low = np.clip(points.min(axis=0) - pen / 2, 0, top)
        high = np.clip(points.max(axis=0) + pen / 2, 0, top)
        x, y, w, h = self.box
        slack = DRAWN_SLACK * pen + 2
        return bool(np.abs(low - (x, y)).max() <= slack and np.abs(high - (x + w - 1, y + h - 1)).max() <= slack)

    def cut(self, box: Box, mask: np.ndarray) -> Ink:
        """The part of this ink in box (x, y, w, h) that mask (h, w) keeps (one digit's ink, its
        neighbours' blanked out), as an Ink of its own."""
        x, y, w, h = box
        return _ink(np.where(mask, self.pixels[y : y + h, x : x + w], 0).astype(np.uint8), mask)

    def band(self, top: int, bottom: int, left: int = 0, right: int | None = None) -> Ink:
        """The ink of rows top..bottom-1 (and columns left..right-1) alone, on a canvas as large as
        this one (one row of writing, or a stretch of it, the rest blanked out): boxes found in it
        are boxes on the whole canvas."""
        mask = np.zeros_like(self.mask)
        mask[top:bottom, left:right] = self.mask[top:bottom, left:right]
        return _ink(np.where(mask, self.pixels, 0).astype(np.uint8), mask)


def ink_from_canvas(canvas: np.ndarray) -> Ink:
    """Any 2-D canvas (uint8 or another integer type 0-255 or a 0/1 mask, bool, or float on a 0-1
    scale, up to UNIT_MAX, or 0-255; bright ink on dark) -> its Ink. CanvasError (a ValueError)
    for another shape, a NaN or infinite value, integers outside 0-255, or floats around a negative
    background (a tensor normalized by a mean and deviation, which read as blank)."""
    if isinstance(canvas, str | bytes | os.PathLike):
        raise CanvasError("a canvas is an array, not a file: load one with recognizer.images.load_image")
    try:
        canvas = np.asarray(canvas)
    except ValueError:  # rows of different lengths
        raise CanvasError("canvas must be a 2-D grayscale array, got rows of different lengths") from None
    if canvas.ndim == 3 and canvas.shape[2] in (3, 4):  # a colour picture as an image library holds it
        raise CanvasError(
            f"canvas must be a 2-D grayscale array, got a colour picture of shape {canvas.shape}: "
            "recognizer.images.load_image turns it into one"
        )
    if canvas.ndim != 2:
        raise CanvasError(f"canvas must be a 2-D grayscale array, got shape {canvas.shape}")
    if canvas.dtype == bool:
        pixels = canvas.astype(np.uint8) * 255
    elif canvas.dtype == np.uint8:
        pixels = canvas
    elif np.issubdtype(canvas.dtype, np.integer):
        low, high = (int(canvas.min()), int(canvas.max())) if canvas.size else (0, 0)
        if low < 0 or high > 255:  # clipped, a 16-bit scan's paper (3,000 of 65,535) all read as ink
            raise CanvasError(f"integer canvases are read as 0-255 pixels, and this one runs from {low} to {high}")
        pixels = canvas.astype(np.uint8)
    elif np.issubdtype(canvas.dtype, np.floating):
        if not np.isfinite(canvas).all():
            raise CanvasError("canvas has NaN or infinite values")
        if canvas.size and canvas.max() > UNIT_MAX and np.median(canvas) < 0:  # read as blank: "nothing drawn"
            # (a normalized tensor's background is negative; a cubic resize's overshoot is a few edge pixels)
            raise CanvasError(
                f"float canvases are read on a 0-1 or a 0-255 scale, and this one runs from {canvas.min():.3g} "
                f"to {canvas.max():.3g} (normalized by a mean and deviation? undo that first)"
            )
        if canvas.size and canvas.max() <= UNIT_MAX:
            canvas = canvas * 255.0
        pixels = np.clip(canvas, 0, 255).astype(np.uint8)
    else:
        raise CanvasError(f"canvas must hold numbers, got {canvas.dtype}")
    ink = _ink(pixels, pixels > INK_LEVEL)
    if ink.box is None and pixels.size and pixels.max() == 1:  # a 0/1 mask (`(a > t).astype(np.uint8)`)
        pixels = pixels * np.uint8(255)
        ink = _ink(pixels, pixels > INK_LEVEL)
    return ink


def ink_box(image: np.ndarray) -> Box | None:
    """Bounding box (x, y, w, h) of an image's ink (pixels above INK_LEVEL), or None if it has none."""
    return _mask_box(image > INK_LEVEL)


def _ink(pixels: np.ndarray, mask: np.ndarray) -> Ink:
    return Ink(pixels, mask, _mask_box(mask), int(np.count_nonzero(mask)))


def _mask_box(mask: np.ndarray) -> Box | None:
    """Bounding box (x, y, w, h) of the True pixels, or None when there are none."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def stroke_width(image: np.ndarray) -> float:
    """Mean stroke width in px of an image's ink: twice its area over its outline length (a band
    of length L and width w has area L*w and outline ~2L)."""
    ink = (image > INK_LEVEL).astype(np.uint8)
    contours, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    outline = sum(cv2.arcLength(c, closed=True) for c in contours)
    return 2.0 * float(ink.sum()) / max(outline, 1.0)
