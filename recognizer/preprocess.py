"""Turn a drawing into the 28x28 image MNIST would have made of it.

MNIST's recipe (LeCun et al.): crop to the ink, scale so the longer side is 20 px keeping the
aspect ratio (anti-aliased), paste into 28x28 so that the center of mass sits at the center.
One addition for drawings: a stroke much thinner than MNIST's (a big digit drawn with a thin pen)
is thickened first, because after a 20-px downscale it would otherwise fade to a faint hairline.
Knows nothing about pygame or Keras: canvas in, array out.
"""

from __future__ import annotations

import cv2
import numpy as np

SIZE = 28  # output side
BOX = 20  # the digit's longer side inside the output, as in MNIST
CENTER = 14.0  # where MNIST puts the center of mass (row, col), measured on its training set
INK_LEVEL = 64  # canvas values above this count as ink when cropping
WORK_SCALE = 4  # stroke width is measured and fixed at 4x the output resolution
MIN_STROKE_PX = 1.6  # thinner than this (in output px) gets thickened ...
TARGET_STROKE_PX = 2.2  # ... to about this; MNIST's median stroke is ~2.3 px


def ink_box(canvas: np.ndarray) -> tuple[int, int, int, int] | None:
    """Bounding box (x, y, w, h) of the ink, or None for a blank canvas."""
    ink = canvas > INK_LEVEL
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def to_mnist(canvas: np.ndarray) -> np.ndarray | None:
    """Canvas (2-D uint8, bright ink on dark) -> 28x28 float32 in [0, 1], or None if it has no ink."""
    canvas = _as_uint8(canvas)
    box = ink_box(canvas)
    return None if box is None else box_to_mnist(canvas, box)


def box_to_mnist(canvas: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """to_mnist for a uint8 canvas whose ink box (x, y, w, h) is already known."""
    x, y, w, h = box
    digit = _fit(canvas[y : y + h, x : x + w], BOX * WORK_SCALE)
    digit = _thicken_thin_strokes(digit)
    digit = _fit(_crop(digit), BOX).astype(np.float32)
    digit /= digit.max()
    return _center_by_mass(digit)


def _as_uint8(canvas: np.ndarray) -> np.ndarray:
    canvas = np.asarray(canvas)
    if canvas.ndim != 2:
        raise ValueError(f"canvas must be a 2-D grayscale array, got shape {canvas.shape}")
    if canvas.dtype == np.uint8:
        return canvas
    if canvas.dtype == bool:
        return canvas.astype(np.uint8) * 255
    if np.issubdtype(canvas.dtype, np.floating) and canvas.size and canvas.max() <= 1.0:
        canvas = canvas * 255.0
    return np.clip(canvas, 0, 255).astype(np.uint8)


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    """Scale so that the longer side is `side` px, keeping the aspect ratio."""
    h, w = image.shape
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interpolation)


def _crop(image: np.ndarray) -> np.ndarray:
    box = ink_box(image)
    if box is None:  # cannot happen for an image that had ink, but never crop to nothing
        return image
    x, y, w, h = box
    return image[y : y + h, x : x + w]


def stroke_width(image: np.ndarray) -> float:
    """Mean stroke width in px: twice the ink area over its outline length (a band of length L
    and width w has area L*w and outline ~2L)."""
    ink = (image > INK_LEVEL).astype(np.uint8)
    contours, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    outline = sum(cv2.arcLength(c, closed=True) for c in contours)
    return 2.0 * float(ink.sum()) / max(outline, 1.0)


def _thicken_thin_strokes(digit: np.ndarray) -> np.ndarray:
    """Dilate strokes that would come out thinner than MIN_STROKE_PX in the 28x28 image."""
    width = stroke_width(digit) / WORK_SCALE
    if width >= MIN_STROKE_PX:
        return digit
    grow = round((TARGET_STROKE_PX - width) * WORK_SCALE)
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
