"""One SHA-256 over what the recognizer says about a fixed set of canvases: a refactor that must not
change behaviour prints the same hash before and after.

    python -m bench.behaviour [--model models/mnist_cnn.tflite] [--verbose]

The canvases are made up on the spot from a seed (no data files): stroke digits, numbers with and
without their strokes, touching digits, letters, scribbles, a blank, a dot, stray pixels, and the
other dtypes a canvas may come in (float in [0, 1] and [0, 255], bool, int32). For each one the
hash covers Recognizer.predict and Recognizer.read (with the strokes, where known, and without):
digit, probabilities rounded to 1e-6, box, "not sure" reason and the bytes of the 28x28 image.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Iterator

import numpy as np

from recognizer.fileio import first_paragraph
from recognizer.predictor import Prediction, Recognizer
from recognizer.strokes import Stroke, rasterize
from recognizer.synthetic import (
    DIGIT_STROKES,
    LETTER_STROKES,
    compose_number,
    digit_strokes,
    font_digits,
    glyph,
    place_strokes,
)

SEED = 11
SIZE = 400

Case = tuple[str, np.ndarray, list[Stroke] | None]


def _stroke_number(digits: list[int], rng: np.random.Generator, overlap: float = 0.0) -> tuple[np.ndarray, list]:
    """A number drawn as strokes, digit boxes side by side (overlap > 0: they run into each other)."""
    side = 120.0
    step = side * (1.0 - overlap)
    width = int(40 + step * (len(digits) - 1) + side + 40)
    strokes: list = []
    for k, d in enumerate(digits):
        box = (40 + k * step, 40 + rng.uniform(-8, 8), side, side)
        strokes += place_strokes(DIGIT_STROKES[d], width, box, rng, jitter=0.02, slant=rng.uniform(-0.15, 0.15))
    return rasterize(strokes, (200, width), int(rng.uniform(6, 16))), strokes


def cases() -> Iterator[Case]:
    """The fixed set of canvases (name, canvas, strokes or None), the same on every run."""
    rng = np.random.default_rng(SEED)
    for d in range(10):  # each digit as strokes at two sizes and pen widths
        for box, width in (((60, 40, 280, 320), 14), ((150, 170, 90, 110), 5)):
            strokes = digit_strokes(d, SIZE, box=box, rng=rng, jitter=0.03)
            yield f"stroke digit {d} w{width}", rasterize(strokes, (SIZE, SIZE), width), strokes
    mnist_like, _ = font_digits(30, seed=SEED)
    for k in range(6):  # numbers of font digits, apart and touching (images: no strokes)
        digits = list(mnist_like[5 * k : 5 * k + 2 + k % 4])
        yield f"number {k}", compose_number(digits, rng)[0], None
        yield f"touching number {k}", compose_number(digits, rng, gap=(-0.12, -0.02), touching=True)[0], None
    for k, (digits, overlap) in enumerate((([4, 2], 0.0), ([1, 9, 7], 0.1), ([3, 8], 0.25), ([5, 0, 6, 2], 0.2))):
        canvas, strokes = _stroke_number(digits, rng, overlap)
        yield f"stroke number {k}", canvas, strokes
    for letter in ("A", "K", "X", "e", "h", "#"):
        strokes = place_strokes(LETTER_STROKES[letter], SIZE, (80, 70, 240, 250), rng, jitter=0.03)
        yield f"drawn letter {letter}", rasterize(strokes, (SIZE, SIZE), 12), strokes
    for text in ("M", "w", "ab"):
        yield f"glyph {text}", glyph(text, rng, 200), None
    for k in range(3):  # random zig-zags, one stroke each
        pts = [(float(x), float(y)) for x, y in rng.uniform(60, 340, (int(rng.integers(12, 30)), 2))]
        yield f"scribble {k}", rasterize([pts], (SIZE, SIZE), int(rng.uniform(6, 20))), [pts]
    strokes = digit_strokes(4, SIZE, rng=rng, jitter=0.03) + [[]]  # an undone stroke leaves an empty one
    yield "empty stroke", rasterize(strokes, (SIZE, SIZE), 12), strokes
    yield "blank", np.zeros((SIZE, SIZE), np.uint8), []
    yield "dot", rasterize([[(200.0, 210.0)]], (SIZE, SIZE), 10), [[(200.0, 210.0)]]
    stray = np.zeros((SIZE, SIZE), np.uint8)
    stray[[10, 200, 390], [20, 300, 5]] = 255
    yield "stray pixels", stray, None
    seven = rasterize(digit_strokes(7, SIZE), (SIZE, SIZE), 12)
    yield "float [0, 1]", seven.astype(np.float32) / 255.0, None
    yield "float [0, 255]", seven.astype(np.float64), None
    yield "bool", seven > 127, None
    yield "int32", seven.astype(np.int32), None
    yield "40x40", np.ascontiguousarray(seven[::10, ::10]), None


def _feed(h: hashlib._Hash, pred: Prediction | None) -> None:
    if pred is None:
        h.update(b"None;")
        return
    h.update(repr((pred.digit, pred.box, pred.unsure)).encode())
    h.update(np.round(np.asarray(pred.probabilities, np.float64), 6).tobytes())
    h.update(np.ascontiguousarray(pred.image, np.float32).tobytes())


def fingerprint(rec: Recognizer, verbose: bool = False) -> tuple[str, str]:
    """SHA-256 of the inputs (canvases and strokes) and over predict and read (with strokes where
    known, and without) on every case."""
    inputs, total = hashlib.sha256(), hashlib.sha256()
    for name, canvas, strokes in cases():
        inputs.update(repr((name, canvas.dtype.str, canvas.shape, strokes)).encode())
        inputs.update(np.ascontiguousarray(canvas).tobytes())
        h = hashlib.sha256()
        h.update(name.encode())
        _feed(h, rec.predict(canvas))
        if strokes is not None:
            _feed(h, rec.predict(canvas, strokes))
        runs = [rec.read(canvas)] + ([rec.read(canvas, strokes)] if strokes is not None else [])
        for preds in runs:
            h.update(f"[{len(preds)}]".encode())
            for pred in preds:
                _feed(h, pred)
        if verbose:
            said = " | ".join("".join("?" if p.unsure else str(p.digit) for p in preds) for preds in runs)
            print(f"{h.hexdigest()[:12]}  {name:24s} {said}")
        total.update(h.digest())
    return inputs.hexdigest(), total.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.behaviour", description=first_paragraph(__doc__))
    parser.add_argument("--model", help="a .tflite or .keras model (default: the shipped model)")
    parser.add_argument("--verbose", action="store_true", help="also print each case's own hash and reading")
    args = parser.parse_args(argv)
    inputs, outputs = fingerprint(Recognizer.load(args.model), args.verbose)
    print(f"inputs  {inputs}\noutputs {outputs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
