"""Images made up on the spot: digits for tests, smoke runs and demos where MNIST is not at hand;
MNIST digits redrawn the way people draw them (one at a time, or several side by side as a
number), for calibration, the detector and measuring preprocessing and segmentation on drawings;
digits and letters as mouse strokes; and non-digits (letters, signs, squiggles) for the digit
detector."""

from __future__ import annotations

import cv2
import numpy as np

from .ink import INK_LEVEL, Box
from .strokes import Point

# Upright Hershey fonts: digits are drawn in them (and a script one); the digit detector's letters
# never are, so that letters in these fonts measure how its training carries over (bench/numbers.py).
UPRIGHT_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX)
FONTS = UPRIGHT_FONTS + (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,)


def font_digit(digit: int, size: int = 280, rng: np.random.Generator | None = None) -> np.ndarray:
    """A canvas (size x size uint8, white on black) with one digit in a random Hershey font,
    stroke width, slant and position."""
    rng = rng or np.random.default_rng()
    canvas = np.zeros((size, size), np.uint8)
    font = FONTS[rng.integers(len(FONTS))]
    scale = size / 40 * rng.uniform(0.6, 1.0)
    thickness = max(1, int(scale * rng.uniform(1.5, 4.0)))
    (w, h), _ = cv2.getTextSize(str(digit), font, scale, thickness)
    x = int(rng.uniform(0, max(1, size - w)))
    y = int(rng.uniform(h, size))
    cv2.putText(canvas, str(digit), (x, y), font, scale, 255, thickness, cv2.LINE_AA)
    slant = rng.uniform(-0.25, 0.25)
    shear = np.float32([[1, -slant, slant * size / 2], [0, 1, 0]])
    return cv2.warpAffine(canvas, shear, (size, size))


def font_digits(n: int, seed: int = 0, size: int = 280) -> tuple[np.ndarray, np.ndarray]:
    """n synthetic digits already in MNIST form: (n, 28, 28) uint8 and (n,) uint8 labels."""
    from .preprocess import to_mnist

    rng = np.random.default_rng(seed)
    labels = np.arange(n, dtype=np.uint8) % 10
    images = np.stack([(to_mnist(font_digit(int(d), size, rng)) * 255).astype(np.uint8) for d in labels])
    return images, labels


WORK_UPSCALE = 4  # MNIST digits are thinned to a centerline at 4x their resolution
CENTERLINE_LEVEL = 100  # ink level (of 255) that counts as stroke when finding the centerline


def redraw(
    digit: np.ndarray,
    canvas_size: int = 640,
    height_frac: float = 0.5,
    stroke_px: float | None = None,
    slant: float = 0.0,
    center: tuple[float, float] | None = None,
    canvas: np.ndarray | None = None,
) -> np.ndarray:
    """Draw a 28x28 MNIST digit onto a large canvas as a user would: at any size (the ink's height
    as a fraction of the canvas), position (`center` of the ink box, (x, y); default the middle,
    moved inside the canvas if needed), slant (x shift per unit of height, top to the right for
    slant > 0), and with a round pen `stroke_px` canvas pixels wide (None keeps the digit's own
    weight, scaled). Returns the canvas (uint8, white on black, anti-aliased).

    With a pen width, the digit is thinned to its centerline (Zhang-Suen at 4x MNIST resolution),
    the centerline is scaled, slanted and drawn 1 px wide, and every pixel within stroke_px / 2
    of it is inked (a distance transform), so the stroke has the same width everywhere."""
    digit = np.asarray(digit)
    ys, xs = np.nonzero(digit > 64)
    if ys.size == 0:
        raise ValueError("digit has no ink")
    crop = digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    target_h = max(4, int(round(canvas_size * height_frac)))
    if stroke_px is None:
        sheared = _scaled_mask(crop, target_h, slant)
    else:
        sheared = _pen_drawing(crop, target_h, float(stroke_px), slant)
    out = np.zeros((canvas_size, canvas_size), np.uint8) if canvas is None else canvas
    h, w = sheared.shape
    cx, cy = center if center is not None else (canvas_size / 2, canvas_size / 2)
    x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
    x0 = min(max(x0, 0), max(0, canvas_size - w))
    y0 = min(max(y0, 0), max(0, canvas_size - h))
    region = out[y0 : y0 + h, x0 : x0 + w]
    np.maximum(region, sheared[: region.shape[0], : region.shape[1]], out=region)
    return out


def _scaled_mask(crop: np.ndarray, target_h: int, slant: float) -> np.ndarray:
    """The digit itself, scaled to target_h, thresholded and slanted (its own stroke weight)."""
    scale = target_h / crop.shape[0]
    big = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), target_h), interpolation=cv2.INTER_LINEAR)
    mask = (big > 127).astype(np.uint8) * 255
    h, w = mask.shape
    pad = int(abs(slant) * h) + 1
    return cv2.warpAffine(mask, np.float32([[1, -slant, pad + slant * h / 2], [0, 1, 0]]), (w + 2 * pad, h))


def _pen_drawing(crop: np.ndarray, target_h: int, stroke_px: float, slant: float) -> np.ndarray:
    """The digit's centerline drawn with a round pen stroke_px wide; the ink is target_h tall."""
    up = cv2.resize(crop, (crop.shape[1] * WORK_UPSCALE, crop.shape[0] * WORK_UPSCALE), interpolation=cv2.INTER_LINEAR)
    skeleton = thin(up > CENTERLINE_LEVEL)
    rows, cols = np.nonzero(skeleton)
    if rows.size == 0:  # cannot happen for a digit with ink, but draw a dot rather than nothing
        rows, cols = np.array([0]), np.array([0])
    stroke_px = min(max(stroke_px, 1.0), target_h / 2)
    radius = stroke_px / 2
    span = max(float(rows.max() - rows.min()), 1.0)
    scale = max(target_h - stroke_px, 1.0) / span
    # Centerline pixels -> canvas coordinates: scaled, then slanted about the middle row.
    y = (rows - rows.min()) * scale
    x = (cols - cols.min()) * scale - slant * (y - y.max() / 2)
    margin = radius + 2
    x += margin - x.min()
    y += margin
    h = int(np.ceil(y.max() + margin)) + 1
    w = int(np.ceil(x.max() + margin)) + 1
    line = np.full((h, w), 255, np.uint8)
    shift = 4  # sub-pixel precision of the centerline's end points
    pts = np.round(np.stack([x, y], axis=1) * (1 << shift)).astype(np.int32)
    i, j = _neighbour_pairs(rows, cols)
    if i.size:
        cv2.polylines(line, list(np.stack([pts[i], pts[j]], axis=1)), False, 0, 1, cv2.LINE_8, shift)
    line[np.round(y).astype(int), np.round(x).astype(int)] = 0  # isolated pixels (dots) too
    return pen_ink(line, stroke_px)


def pen_ink(centerline: np.ndarray, stroke_px: float) -> np.ndarray:
    """The ink (uint8) of a round pen stroke_px wide drawn along a centerline (a uint8 canvas: 0 on
    the line, 255 elsewhere): every pixel within stroke_px / 2 of it, with a 1-px anti-aliased edge,
    so the stroke is as wide everywhere, whatever the line's angle."""
    dist = cv2.distanceTransform(centerline, cv2.DIST_L2, cv2.DIST_MASK_5)
    ink = np.clip(stroke_px / 2 + 0.5 - dist, 0.0, 1.0)
    return (ink * 255).astype(np.uint8)


def _neighbour_pairs(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j) of 8-connected centerline pixels, each pair once."""
    index = np.full((rows.max() + 3, cols.max() + 3), -1, np.int64)
    index[rows + 1, cols + 1] = np.arange(rows.size)
    first, second = [], []
    for dr, dc in ((0, 1), (1, -1), (1, 0), (1, 1)):
        j = index[rows + 1 + dr, cols + 1 + dc]
        found = j >= 0
        first.append(np.flatnonzero(found))
        second.append(j[found])
    return np.concatenate(first), np.concatenate(second)


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a boolean image to 1-px-wide centerlines (vectorized, both passes
    of each iteration); returns a boolean image of the same shape."""
    img = np.pad(np.asarray(mask, dtype=bool), 1).astype(np.uint8)
    while True:
        changed = False
        for first in (True, False):
            p = img
            # Neighbours P2..P9, clockwise from north.
            n = [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:], p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]
            center = p[1:-1, 1:-1]
            b = sum(q.astype(np.int8) for q in n)
            a = sum(((n[k] == 0) & (n[(k + 1) % 8] == 1)).astype(np.int8) for k in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if first:
                c1, c2 = p2 & p4 & p6, p4 & p6 & p8
            else:
                c1, c2 = p2 & p4 & p8, p2 & p6 & p8
            remove = (center == 1) & (b >= 2) & (b <= 6) & (a == 1) & (c1 == 0) & (c2 == 0)
            if remove.any():
                center[remove] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def draw_like_user(digit: np.ndarray, rng: np.random.Generator, canvas_size: int = 400) -> np.ndarray:
    """A 28x28 MNIST digit redrawn on a canvas as a user might draw it: random size (30-80% of
    the canvas height), place, slant and stroke (a quarter keep MNIST's own weight)."""
    height = rng.uniform(0.3, 0.8)
    margin = canvas_size * (height / 2 + 0.02)
    center = (rng.uniform(margin, canvas_size - margin), rng.uniform(margin, canvas_size - margin))
    stroke = None if rng.random() < 0.25 else rng.uniform(5, 24)
    return redraw(digit, canvas_size, height, stroke_px=stroke, slant=rng.uniform(-0.2, 0.2), center=center)


NUMBER_GAP = (-0.06, 0.35)  # space between a number's digit boxes, as a share of the digit height


def compose_number(
    digits: list[np.ndarray],
    rng: np.random.Generator,
    height: int | None = None,
    gap: tuple[float, float] = NUMBER_GAP,
    touching: bool = False,
) -> tuple[np.ndarray, list[Box]]:
    """Draw 28x28 digit images side by side on one canvas, as a number: each digit 80-100% of
    `height` px (random if None), baselines moved by up to 10% of it, gaps of gap[0]..gap[1] times
    it between boxes (negative: the boxes overlap), a margin around. Unless `touching`, a digit
    whose ink would touch its neighbour's is moved right until it does not (boxes still overlap).
    Returns the canvas (uint8, white on black) and each digit's true box (x, y, w, h)."""
    height = height or int(rng.uniform(50, 140))
    inks = [_number_digit(d, int(height * rng.uniform(0.8, 1.0)), rng) for d in digits]
    margin = int(0.4 * height)
    offsets = [int(rng.uniform(-0.1, 0.1) * height) for _ in inks]
    gaps = [0] + [int(rng.uniform(*gap) * height) for _ in inks[1:]]
    tallest, lift = max(i.shape[0] for i in inks), max(abs(o) for o in offsets)
    width = 2 * margin + sum(i.shape[1] for i in inks) + sum(max(g, 0) for g in gaps) + len(inks) * height
    canvas = np.zeros((2 * margin + tallest + 2 * lift, width), np.uint8)
    baseline = margin + lift + tallest
    x = margin
    boxes = []
    for ink, offset, g in zip(inks, offsets, gaps):
        x += g
        h, w = ink.shape
        y = baseline + offset - h
        if not touching:  # 8-connected contact counts as touching: compare with the ink grown by 1 px
            grown = cv2.dilate((canvas > INK_LEVEL).astype(np.uint8), np.ones((3, 3), np.uint8))
            while (grown[y : y + h, x : x + w] & (ink > INK_LEVEL)).any():
                x += 1
        region = canvas[y : y + h, x : x + w]
        np.maximum(region, ink, out=region)
        boxes.append((x, y, w, h))
        x += w
    return canvas[:, : x + margin], boxes


def _number_digit(digit: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 MNIST digit scaled to `height` px with its own stroke (scaled with it) and a
    slight random slant, cropped to its ink. (Other stroke widths are the drawn-digit benchmark's
    subject: in a number they would only mix preprocessing losses into the segmentation figures.)"""
    side = int(height * 2.2)
    canvas = redraw(digit, side, height / side, stroke_px=None, slant=rng.uniform(-0.15, 0.15))
    ys, xs = np.nonzero(canvas)
    return canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _loop(cx: float, cy: float, rx: float, ry: float, start: float = 0.0, turns: float = 1.0, n: int = 24):
    t = start + np.linspace(0, 2 * np.pi * turns, n)
    return [(cx + rx * np.sin(a), cy - ry * np.cos(a)) for a in t]


# Each digit as a person draws it with a mouse: strokes of points in a unit box (x right, y down).
DIGIT_STROKES: dict[int, list[list[Point]]] = {
    0: [_loop(0.5, 0.5, 0.28, 0.4, start=-0.3, turns=1.05)],
    1: [[(0.46, 0.2), (0.55, 0.1), (0.55, 0.9)]],
    2: [[(0.25, 0.3), (0.33, 0.16), (0.5, 0.1), (0.67, 0.15), (0.73, 0.3), (0.65, 0.48), (0.25, 0.9), (0.8, 0.9)]],
    3: [
        [
            (0.25, 0.17),
            (0.45, 0.1),
            (0.65, 0.14),
            (0.7, 0.3),
            (0.45, 0.47),
            (0.7, 0.6),
            (0.72, 0.78),
            (0.55, 0.9),
            (0.25, 0.86),
        ]
    ],
    4: [[(0.58, 0.1), (0.22, 0.62), (0.8, 0.62)], [(0.62, 0.32), (0.62, 0.92)]],
    5: [
        [
            (0.72, 0.12),
            (0.33, 0.12),
            (0.29, 0.45),
            (0.5, 0.4),
            (0.68, 0.5),
            (0.72, 0.7),
            (0.6, 0.87),
            (0.42, 0.9),
            (0.25, 0.82),
        ]
    ],
    6: [
        [
            (0.66, 0.1),
            (0.45, 0.28),
            (0.3, 0.55),
            (0.3, 0.78),
            (0.45, 0.9),
            (0.63, 0.85),
            (0.7, 0.7),
            (0.62, 0.55),
            (0.45, 0.52),
            (0.31, 0.62),
        ]
    ],
    7: [[(0.22, 0.12), (0.78, 0.12), (0.42, 0.9)]],
    8: [[(0.5 + 0.2 * np.sin(2 * t), 0.5 - 0.4 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]],
    9: [_loop(0.5, 0.3, 0.2, 0.2, start=1.6, turns=1.0), [(0.7, 0.3), (0.66, 0.9)]],
}


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 16):
    """Points on an ellipse from angle start to end (radians; 0 is right, counter-clockwise)."""
    return [(cx + rx * np.cos(t), cy - ry * np.sin(t)) for t in np.linspace(start, end, n)]


# Letters and signs as a person draws them with a mouse, in a unit box (x right, y down), like
# DIGIT_STROKES. Never used in training: the detector learns from font glyphs only, so these
# measure how well it carries over to drawings (bench/numbers.py, tests).
_P = [(0.25, 0.95), (0.25, 0.05), (0.6, 0.05), (0.75, 0.15), (0.75, 0.38), (0.6, 0.5), (0.25, 0.5)]
LETTER_STROKES: dict[str, list[list[Point]]] = {
    "A": [[(0.15, 0.95), (0.5, 0.05), (0.85, 0.95)], [(0.3, 0.6), (0.7, 0.6)]],
    "C": [_arc(0.5, 0.5, 0.35, 0.45, 0.3 * np.pi, 1.75 * np.pi)],
    "E": [[(0.75, 0.08), (0.25, 0.08), (0.25, 0.92), (0.75, 0.92)], [(0.25, 0.5), (0.65, 0.5)]],
    "F": [[(0.75, 0.08), (0.25, 0.08), (0.25, 0.92)], [(0.25, 0.5), (0.65, 0.5)]],
    "H": [[(0.2, 0.05), (0.2, 0.95)], [(0.8, 0.05), (0.8, 0.95)], [(0.2, 0.5), (0.8, 0.5)]],
    "K": [[(0.25, 0.05), (0.25, 0.95)], [(0.75, 0.05), (0.25, 0.55)], [(0.4, 0.42), (0.78, 0.95)]],
    "M": [[(0.1, 0.95), (0.15, 0.05), (0.5, 0.6), (0.85, 0.05), (0.9, 0.95)]],
    "N": [[(0.2, 0.95), (0.2, 0.05), (0.8, 0.95), (0.8, 0.05)]],
    "P": [_P],
    "R": [_P, [(0.45, 0.5), (0.78, 0.95)]],
    "T": [[(0.1, 0.08), (0.9, 0.08)], [(0.5, 0.08), (0.5, 0.95)]],
    "U": [[(0.2, 0.05), (0.2, 0.7), (0.3, 0.9), (0.5, 0.95), (0.7, 0.9), (0.8, 0.7), (0.8, 0.05)]],
    "V": [[(0.15, 0.05), (0.5, 0.95), (0.85, 0.05)]],
    "W": [[(0.05, 0.05), (0.25, 0.95), (0.5, 0.35), (0.75, 0.95), (0.95, 0.05)]],
    "X": [[(0.2, 0.05), (0.8, 0.95)], [(0.8, 0.05), (0.2, 0.95)]],
    "Y": [[(0.2, 0.05), (0.5, 0.5), (0.8, 0.05)], [(0.5, 0.5), (0.5, 0.95)]],
    "e": [
        [
            (0.2, 0.55),
            (0.8, 0.55),
            (0.75, 0.35),
            (0.5, 0.25),
            (0.25, 0.35),
            (0.18, 0.6),
            (0.3, 0.85),
            (0.55, 0.92),
            (0.78, 0.82),
        ]
    ],
    "h": [[(0.25, 0.0), (0.25, 1.0)], [(0.25, 0.6), (0.4, 0.45), (0.6, 0.45), (0.72, 0.6), (0.72, 1.0)]],
    "+": [[(0.5, 0.1), (0.5, 0.9)], [(0.1, 0.5), (0.9, 0.5)]],
    "#": [
        [(0.38, 0.05), (0.32, 0.95)],
        [(0.7, 0.05), (0.64, 0.95)],
        [(0.1, 0.35), (0.9, 0.35)],
        [(0.1, 0.65), (0.9, 0.65)],
    ],
}


def digit_strokes(
    digit: int,
    size: int = 400,
    box: tuple[float, float, float, float] | None = None,
    rng: np.random.Generator | None = None,
    jitter: float = 0.0,
) -> list[list[Point]]:
    """The strokes of DIGIT_STROKES[digit] placed on a size x size canvas (see place_strokes)."""
    return place_strokes(DIGIT_STROKES[digit], size, box, rng, jitter)


def place_strokes(
    unit_strokes: list[list[Point]],
    size: int = 400,
    box: tuple[float, float, float, float] | None = None,
    rng: np.random.Generator | None = None,
    jitter: float = 0.0,
    slant: float = 0.0,
) -> list[list[Point]]:
    """Strokes drawn in a unit box (DIGIT_STROKES, LETTER_STROKES) placed in box (x, y, w, h) on a
    size x size canvas (default: the middle 60%), each point moved by up to `jitter` of the box for
    variety, and slanted (x shift per unit of height, top to the right for slant > 0)."""
    x0, y0, w, h = box or (0.2 * size, 0.2 * size, 0.6 * size, 0.6 * size)
    rng = rng or np.random.default_rng(0)
    strokes = []
    for stroke in unit_strokes:
        pts = np.asarray(stroke) + (rng.uniform(-jitter, jitter, (len(stroke), 2)) if jitter else 0)
        strokes.append([(float(x0 + (px + slant * (0.5 - py)) * w), float(y0 + py * h)) for px, py in pts])
    return strokes


# Things that are not digits, for teaching the digit detector what to reject. Letters and signs
# that look like digits (O o D Q I l i j S s Z z B G b g q / ! ?) are left out: rejecting those shapes
# would reject real digits too.
NON_DIGIT_LETTERS = "ACEFHJKLMNPRTUVWXYacdefhkmnprtuvwxy"
NON_DIGIT_GLYPHS = NON_DIGIT_LETTERS + "#%&@*+=<>"
# Hershey fonts for training only: italic and script designs. The UPRIGHT_FONTS glyphs are kept
# apart for measuring (bench/numbers.py), with hand-drawn letter strokes.
NON_DIGIT_FONTS = (
    cv2.FONT_HERSHEY_PLAIN | cv2.FONT_ITALIC,
    cv2.FONT_HERSHEY_COMPLEX | cv2.FONT_ITALIC,
    cv2.FONT_HERSHEY_TRIPLEX | cv2.FONT_ITALIC,
    cv2.FONT_HERSHEY_COMPLEX_SMALL | cv2.FONT_ITALIC,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
)
PAIR_SHARE = 0.15  # share of glyph images that are two glyphs joined (cursive "ab")
SQUIGGLE_SHARE = 0.15  # share of images that are random smooth curves of many turns
MIN_SQUIGGLE_TURNS = 8  # fewer turns could draw a digit by chance


def glyph(text: str, rng: np.random.Generator, size: int = 160, font: int | None = None) -> np.ndarray:
    """A canvas (size x size uint8, white on black) with `text` in a Hershey font at a random
    stroke width, slant and rotation."""
    canvas = np.zeros((size, size), np.uint8)
    font = NON_DIGIT_FONTS[rng.integers(len(NON_DIGIT_FONTS))] if font is None else font
    scale = size / 30 / max(1, len(text)) * rng.uniform(0.6, 0.9)
    thickness = max(1, int(scale * rng.uniform(1.0, 5.0)))
    (w, h), _ = cv2.getTextSize(text, font, scale, thickness)
    cv2.putText(canvas, text, ((size - w) // 2, (size + h) // 2), font, scale, 255, thickness, cv2.LINE_AA)
    turn = cv2.getRotationMatrix2D((size / 2, size / 2), rng.uniform(-15, 15), 1.0)
    turn[0, 1] -= rng.uniform(-0.3, 0.3)  # slant
    return cv2.warpAffine(canvas, turn, (size, size))


def squiggle(rng: np.random.Generator, size: int = 160) -> np.ndarray:
    """A canvas with one smooth random curve of MIN_SQUIGGLE_TURNS-15 turns, at a random pen width."""
    from .strokes import rasterize

    turns = int(rng.integers(MIN_SQUIGGLE_TURNS, 16))
    knots = rng.uniform(0.15, 0.85, (turns, 2)) * size
    t = np.linspace(0, 1, turns)
    fine = np.linspace(0, 1, turns * 12)
    path = np.stack([np.interp(fine, t, knots[:, 0]), np.interp(fine, t, knots[:, 1])], axis=1)
    path = cv2.blur(path.reshape(-1, 1, 2), (1, 7)).reshape(-1, 2)  # round the corners
    return rasterize([[tuple(p) for p in path]], (size, size), int(rng.uniform(2, 14)))


def non_digits(n: int, seed: int = 0, size: int = 160) -> np.ndarray:
    """n images of things that are not digits, in MNIST form: (n, 28, 28) uint8 (letters and signs
    of NON_DIGIT_GLYPHS in NON_DIGIT_FONTS, pairs of them, and squiggles)."""
    from .preprocess import to_mnist

    rng = np.random.default_rng(seed)
    images = np.empty((n, 28, 28), np.uint8)
    for i in range(n):
        image = None
        while image is None:  # a glyph rotated out of the canvas has no ink: draw another
            kind = rng.random()
            if kind < SQUIGGLE_SHARE:
                canvas = squiggle(rng, size)
            else:
                count = 2 if kind < SQUIGGLE_SHARE + PAIR_SHARE else 1
                canvas = glyph("".join(rng.choice(list(NON_DIGIT_GLYPHS), count)), rng, size)
            image = to_mnist(canvas)
        images[i] = np.round(image * 255).astype(np.uint8)
    return images
