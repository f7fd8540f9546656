"""Scanned forms (a `make bench` section): numbers of 2-5 digits written one digit to a box of a
printed field (comb boxes), inside one frame, or on a fill-in line (the lowest digit standing on
it, the others as high as they fell in their boxes), as a clean scan, straight and fed TILTS degrees
askew; read as the CLI reads a file (recognizer.photo.ink_canvases, then Recognizer.read_picture), against
the same numbers without the printed lines. `make bench` runs it on the held-out UNIPEN 'test'
people's real pen digits (bench.photos.pen_numbers) and on MNIST test digits (the proxy);
`python -m bench.form_dev` on training-side data.

Each number's digits are drawn with a round pen 6-12% of the digit's height wide (bench.photos'
digit_ink: an MNIST digit along its centerline, real strokes as written) at a random place in its
box, made smaller if it would not fit; boxes are 70-130 px, lines 1-3 px, dark grey on light paper,
the whole scan turned by the tilt (a sheet fed a little askew). Figures: the share of numbers read
exactly in each layout, and in boxes by line width.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from recognizer.errors import ImageError
from recognizer.photo import ink_canvases
from recognizer.predictor import Recognizer, number_text

from .photos import DIGITS, Digit, Numbers, digit_ink

PAPER, LINE_GREY = 235, 60
INKED = 0.1  # ink at least this dark (0-1) is the digits' own: where the lowest one ends
BOX_PX = (70, 131)
LINE_PX = (1, 4)
LAYOUTS = ("boxes", "frame", "line", "bare")
LAYOUT_NAMES = {
    "boxes": "one digit to a box",
    "frame": "in one frame",
    "line": "on a fill-in line",
    "bare": "no printed lines",
}
TILTS = (0.0, 1.0)  # degrees askew, in make bench
SEED = 0  # make bench's forms
REAL_DIGITS = "real pen digits of held-out 'test' people"  # make bench's sources, as the table names them
MNIST_DIGITS = "MNIST test digits (proxy)"
NOT_SOURCES = ("measured", "skipped")  # beside the sources in the results: a merged run's record, why one is missing


def form(digits: Sequence[Digit], rng: np.random.Generator, tilt: float = 0.0) -> tuple[dict[str, np.ndarray], int]:
    """({layout: grey scan}, line width px) of digits (bench.photos.Digit: 28x28 images or pen
    strokes) one to a box, the scans turned by `tilt` degrees."""
    n, box, line = len(digits), int(rng.integers(*BOX_PX)), int(rng.integers(*LINE_PX))
    height, x0, y0 = int(box * rng.uniform(0.55, 0.85)), 60, 80
    ink = np.zeros((box + 160, 2 * x0 + n * box), np.float32)
    for k, digit in enumerate(digits):
        pen = max(2, round(height * rng.uniform(0.06, 0.12)))
        drawn = digit_ink(digit, height, pen, rng)
        ys, xs = np.nonzero(drawn > 25)
        piece = drawn[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        if piece.shape[1] > box - 4:  # a wide digit: written smaller, to fit its box
            scale = (box - 4) / piece.shape[1]
            piece = cv2.resize(piece, (box - 4, max(1, round(piece.shape[0] * scale))), interpolation=cv2.INTER_AREA)
        piece = piece[: box - 4] / np.float32(255)
        h, w = piece.shape
        x = x0 + k * box + int(rng.integers(2, max(3, box - w - 1)))
        y = y0 + int(rng.integers(2, max(3, box - h - 1)))
        ink[y : y + h, x : x + w] = np.maximum(ink[y : y + h, x : x + w], piece)
    bare = (PAPER - (PAPER - 35) * ink).astype(np.uint8)
    right, bottom = x0 + n * box, y0 + box
    scans = {"bare": bare, "frame": bare.copy(), "boxes": bare.copy(), "line": bare.copy()}
    for layout in ("frame", "boxes"):
        cv2.rectangle(scans[layout], (x0, y0), (right, bottom), LINE_GREY, line)
    for k in range(1, n):
        cv2.line(scans["boxes"], (x0 + k * box, y0), (x0 + k * box, bottom), LINE_GREY, line)
    feet = int(np.flatnonzero((ink > INKED).any(axis=1))[-1])  # the lowest digit stands on the line
    cv2.line(scans["line"], (x0, feet), (right, feet), LINE_GREY, line)
    scans = {name: np.minimum(scan, bare) for name, scan in scans.items()}
    if tilt:
        h, w = bare.shape
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), tilt, 1.0)
        scans = {name: cv2.warpAffine(scan, turn, (w, h), borderValue=PAPER) for name, scan in scans.items()}
    return scans, line


def run(rec: Recognizer, numbers: Numbers, n: int, seed: int, tilt: float = 0.0) -> dict:
    """Read `n` forms of `numbers` (bench.photos' mnist_numbers, pen_numbers) in each layout: the
    figures of the docstring."""
    rng = np.random.default_rng(seed)
    right = {layout: 0 for layout in LAYOUTS}
    by_line: dict[int, list[bool]] = {}
    wrong = []
    for _ in range(n):
        truth, digits = numbers(rng)
        scans, line = form(digits, rng, tilt)
        for layout in LAYOUTS:
            try:
                read = number_text(rec.read_picture(ink_canvases(scans[layout])))
            except ImageError as exc:  # "no ink found": a miss, as a wrong reading is
                read = f"({exc})"
            right[layout] += read == truth
            if layout == "boxes":
                by_line.setdefault(line, []).append(read == truth)
                if read != truth:
                    wrong.append(f"{truth}->{read}")
    return {
        "numbers": n,
        "seed": seed,
        "tilt_degrees": tilt,
        "exact": {layout: round(right[layout] / n, 4) for layout in LAYOUTS},
        "boxes_by_line_px": {str(k): round(float(np.mean(v)), 4) for k, v in sorted(by_line.items())},
        "examples_wrong": wrong[:20],
    }


def section(rec: Recognizer, sources: dict[str, Numbers], n: int, seed: int = SEED) -> dict:
    """make bench's forms: {source name: {tilt: run}} for each source of numbers (its name is the
    report's column title) at each of TILTS."""
    return {name: {str(tilt): run(rec, numbers, n, seed, tilt) for tilt in TILTS} for name, numbers in sources.items()}


def report(results: dict) -> str:
    """Markdown: the share of numbers read exactly, per layout and tilt, for each source; then
    the sources not measured, and why."""
    names = [name for name in results if name not in NOT_SOURCES]
    skipped = "".join(f"\n\nNot measured: {name}: {why}." for name, why in (results.get("skipped") or {}).items())
    if not names:
        return "Not measured." + skipped
    head = "| layout | " + " | ".join(f"{name}, {_askew(tilt)}" for name in names for tilt in results[name]) + " |"
    rows = [head, "|" + "---|" * (1 + sum(len(results[name]) for name in names))]
    for layout in LAYOUTS:
        cells = [_share(results[name][tilt]["exact"].get(layout)) for name in names for tilt in results[name]]
        rows.append(f"| {LAYOUT_NAMES[layout]} | " + " | ".join(cells) + " |")
    first = next(iter(results[names[0]].values()))
    n = first["numbers"]
    title = (
        f"{n} scan{'s' if n != 1 else ''} per column, numbers of {DIGITS[0]}-{DIGITS[1]} digits, seed {first['seed']}"
    )
    return f"{title}; read exactly:\n\n" + "\n".join(rows) + skipped


def _share(exact: float | None) -> str:
    """A share read exactly as the table shows it; "-" for a layout a run did not have."""
    return "-" if exact is None else f"{100 * exact:.1f}%"


def _askew(tilt: str) -> str:
    """A column's tilt (degrees, as the results store it) in words."""
    degrees = float(tilt)
    return "straight" if degrees == 0 else f"{degrees:g} degree{'s' if degrees != 1 else ''} askew"
