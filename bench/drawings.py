"""Drawings that are no digits, drawn with a mouse on the app's canvas: how many read as a sure digit.

    python -m bench.drawings [--per-kind N] [--seed S] [--json OUT]

Faces, a ring round a digit, hearts, stars, arrows, signs and doodles, each made up here (no data
set holds them: a proxy written by hand, like the letters of recognizer.synthetic) in a unit box,
then placed at a random size (DRAWN_SIZE of a CANVAS px canvas, the app's default window), place,
slant and turn, and drawn as a mouse reports it (points STEP px apart along the path, a hand's small
wobble) with the app's brush. Each is read both ways, as the app reads it (Recognizer.read with its
strokes, drawn=True as the app's worker passes) and as an image (no strokes, as the CLI and the web
API's photos); a reading with a sure digit in it (a digit not read "not sure", as "?3" has) is the
failure users mind, a confident digit for a doodle. The digits 0-9 drawn the same way are the
control: read right and sure.
"""

from __future__ import annotations

import argparse
import collections
import math
import sys
from collections.abc import Callable

import numpy as np

from recognizer.fileio import first_paragraph
from recognizer.predictor import Recognizer, number_text
from recognizer.strokes import brush_width, densify, rasterize
from recognizer.synthetic import DIGIT_STROKES

from .common import md_table, write_json

SEED = 62
PER_KIND = 20  # drawings of each kind
QUICK_PER_KIND = 2
MAX_PER_KIND = 10_000
CANVAS = 560  # px: the app's default canvas
DRAWN_SIZE = (0.27, 0.75)  # the drawing's longer side, share of the canvas
SLANT = 0.25  # x shift per unit of height, either way
TURN = 8.0  # degrees, either way
STEP = 4.0  # px between the points a mouse reports
WOBBLE = 0.8  # px: a hand's wobble about the path (a standard deviation, smoothed)
MARGIN = 20  # px kept clear at the canvas's edges

Strokes = list[np.ndarray]  # each (n, 2): x right, y down, in a unit box


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 40) -> np.ndarray:
    """Points on an ellipse from angle start to end (degrees; 0 right, 90 down)."""
    t = np.radians(np.linspace(start, end, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _line(*points: tuple[float, float]) -> np.ndarray:
    return np.asarray(points, np.float64)


def _ring(rng: np.random.Generator) -> np.ndarray:
    """A circle round the unit box in one stroke, closed a little past its start."""
    start = rng.uniform(-120, -60)
    return _arc(0.5, 0.5, 0.5, 0.5 * rng.uniform(0.9, 1.1), start, start + rng.choice([-1, 1]) * rng.uniform(365, 380))


def _eyes(rng: np.random.Generator) -> Strokes:
    y, dx = rng.uniform(0.3, 0.4), rng.uniform(0.14, 0.2)
    if rng.random() < 0.5:  # dashes
        return [_line((0.5 + s * dx, y - 0.05), (0.5 + s * dx, y + 0.05)) for s in (-1, 1)]
    return [_arc(0.5 + s * dx, y, 0.045, 0.05, -90, 290, 16) for s in (-1, 1)]  # small circles


def _mouth(rng: np.random.Generator) -> np.ndarray:
    return _arc(0.5, rng.uniform(0.52, 0.6), rng.uniform(0.2, 0.28), rng.uniform(0.1, 0.18), 160, 20)


def _circled_digit(rng: np.random.Generator) -> Strokes:
    inner = [np.asarray(s) * 0.5 + 0.25 for s in DIGIT_STROKES[int(rng.integers(10))]]
    ring = _ring(rng)
    return [ring, *inner] if rng.random() < 0.5 else [*inner, ring]


def _heart(rng: np.random.Generator) -> Strokes:
    t = np.linspace(0, 2 * np.pi, 90)
    x, y = 16 * np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    points = np.stack([(x + 17) / 34, (y + 17) / 34], axis=1)
    half = len(points) // 2
    return [points] if rng.random() < 0.5 else [points[: half + 1], points[::-1][: half + 1]]


def _star(rng: np.random.Generator) -> Strokes:
    a = np.radians(-90 + 144 * np.arange(6))
    return [np.stack([0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a)], axis=1)]


def _house(rng: np.random.Generator) -> Strokes:
    walls = _line((0.1, 0.45), (0.1, 1), (0.9, 1), (0.9, 0.45), (0.1, 0.45))
    return [walls, _line((0.02, 0.5), (0.5, 0.0), (0.98, 0.5)), _line((0.42, 1), (0.42, 0.72), (0.58, 0.72), (0.58, 1))]


def _arrow(rng: np.random.Generator) -> Strokes:
    angle = math.radians(rng.choice([0, 90, 180, 270, 45]))
    turn = np.array([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])
    shaft, head = _line((0, 0.5), (1, 0.5)), _line((0.75, 0.3), (1, 0.5), (0.75, 0.7))
    return [(s - 0.5) @ turn + 0.5 for s in (shaft, head)]


def _spiral(rng: np.random.Generator) -> Strokes:
    turns = rng.uniform(2.2, 3.5)
    t = np.linspace(0, turns * 2 * np.pi, int(turns * 50))
    r = 0.5 * t / t[-1]
    return [np.stack([0.5 + r * np.cos(t), 0.5 + r * np.sin(t)], axis=1)]


def _zigzag(rng: np.random.Generator) -> Strokes:
    n = int(rng.integers(4, 9))
    return [np.stack([np.linspace(0, 1, n + 1), 0.3 * (np.arange(n + 1) % 2)], axis=1)]


def _wave(rng: np.random.Generator) -> Strokes:
    x = np.linspace(0, 1, 160)
    return [np.stack([x, 0.12 * np.sin(2 * np.pi * rng.uniform(1.5, 3.5) * x)], axis=1)]


def _stick_figure(rng: np.random.Generator) -> Strokes:
    head = _arc(0.5, 0.13, 0.13, 0.13, -90, 275, 24)
    return [
        head,
        _line((0.5, 0.26), (0.5, 0.65)),
        _line((0.15, 0.4), (0.85, 0.4)),
        _line((0.25, 1), (0.5, 0.65), (0.75, 1)),
    ]


def _cloud(rng: np.random.Generator) -> Strokes:
    edges = np.linspace(0.05, 0.95, int(rng.integers(3, 6)) + 1)
    bumps = [
        _arc((a + b) / 2, 0.55, (b - a) / 2, (b - a) / 2 * rng.uniform(1.1, 1.6), 180, 360, 16)
        for a, b in zip(edges, edges[1:])
    ]
    return [
        np.concatenate(
            [
                *bumps,
                _arc(0.95, 0.7, 0.08, 0.15, -90, 90, 12),
                _line((0.9, 0.85), (0.1, 0.85)),
                _arc(0.05, 0.7, 0.08, 0.15, 90, 270, 12),
            ]
        )
    ]


def _tally(rng: np.random.Generator) -> Strokes:
    return [_line((0.1 + 0.22 * k, 0.05), (0.08 + 0.22 * k, 0.95)) for k in range(4)] + [_line((0, 0.8), (0.85, 0.2))]


def _question_mark(rng: np.random.Generator) -> Strokes:
    hook = np.concatenate([_arc(0.5, 0.27, 0.35, 0.27, 180, 400, 30), _line((0.5, 0.75))])
    return [hook, _line((0.5, 0.97))]


def _hash(rng: np.random.Generator) -> Strokes:
    return [
        _line((0.35, 0), (0.25, 1)),
        _line((0.75, 0), (0.65, 1)),
        _line((0, 0.33), (1, 0.33)),
        _line((0, 0.67), (1, 0.67)),
    ]


def _percent(rng: np.random.Generator) -> Strokes:
    return [
        _arc(0.2, 0.18, 0.15, 0.18, -90, 280, 24),
        _line((0.9, 0), (0.1, 1)),
        _arc(0.8, 0.82, 0.15, 0.18, -90, 280, 24),
    ]


def _sun(rng: np.random.Generator) -> Strokes:
    rays = [2 * np.pi * k / 8 for k in range(8)]
    return [_arc(0.5, 0.5, 0.25, 0.25, -90, 275)] + [
        _line((0.5 + 0.33 * math.cos(a), 0.5 + 0.33 * math.sin(a)), (0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a)))
        for a in rays
    ]


def _infinity(rng: np.random.Generator) -> Strokes:
    t = np.linspace(0, 2 * np.pi, 120)
    return [np.stack([0.5 + 0.5 * np.sin(t), 0.5 + 0.25 * np.sin(2 * t)], axis=1)]


# kind -> its strokes in a unit box, from a generator (each drawn several times, placed anew)
KINDS: dict[str, Callable[[np.random.Generator], Strokes]] = {
    "face": lambda rng: [_ring(rng), *_eyes(rng), _mouth(rng)],
    "ring and eyes": lambda rng: [_ring(rng), *_eyes(rng)],
    "ring and a mouth": lambda rng: [_ring(rng), _mouth(rng)],
    "a digit circled": _circled_digit,
    "heart": _heart,
    "star": _star,
    "house": _house,
    "arrow": _arrow,
    "check mark": lambda rng: [_line((0, 0.55), (0.33, 1), (1, 0))],
    "cross": lambda rng: [_line((0, 0), (1, 1)), _line((1, 0), (0, 1))],
    "spiral": _spiral,
    "zig-zag": _zigzag,
    "wave": _wave,
    "triangle": lambda rng: [_line((0.5, 0), (1, 1), (0, 1), (0.5, 0))],
    "square": lambda rng: [_line((0, 0), (1, 0), (1, 1), (0, 1), (0, 0))],
    "diamond": lambda rng: [_line((0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5), (0.5, 0))],
    "stick figure": _stick_figure,
    "cloud": _cloud,
    "tally of five": _tally,
    "question mark": _question_mark,
    "hash": _hash,
    "percent": _percent,
    "sun": _sun,
    "infinity": _infinity,
    "lightning": lambda rng: [_line((0.6, 0), (0.15, 0.55), (0.6, 0.5), (0.3, 1))],
}


def as_drawn(unit: Strokes, rng: np.random.Generator) -> list[list[tuple[float, float]]]:
    """Unit-box strokes as a mouse user draws them on the canvas: each control point moved a little,
    slanted, turned, scaled to a random size and placed at random, then the path as the mouse
    reports it (STEP px apart, wobbling WOBBLE px)."""
    slant, angle = rng.uniform(-SLANT, SLANT), math.radians(rng.uniform(-TURN, TURN))
    turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    shaped = [((s + rng.normal(0, 0.01, s.shape)) @ np.array([[1, 0], [-slant, 1]])) @ turn.T for s in unit]
    every = np.concatenate(shaped)
    low, high = every.min(axis=0), every.max(axis=0)
    scale = rng.uniform(*DRAWN_SIZE) * CANVAS / max(float((high - low).max()), 1e-6)
    room = np.maximum(CANVAS - 2 * MARGIN - (high - low) * scale, 0)
    origin = MARGIN + rng.uniform(0, 1, 2) * room
    strokes = []
    for s in shaped:
        path = densify([tuple(p) for p in (s - low) * scale + origin], STEP)
        wobble = np.cumsum(rng.normal(0, WOBBLE / 3, path.shape), axis=0)
        wobble -= np.linspace(0, 1, len(path))[:, None] * wobble[-1]  # wanders off the path and back
        strokes.append([(float(x), float(y)) for x, y in np.clip(path + wobble, 0, CANVAS - 1)])
    return strokes


def _read(rec: Recognizer, strokes: list) -> tuple[str, str]:
    """The readings with the strokes (as the app) and without (as an image)."""
    canvas = rasterize(strokes, (CANVAS, CANVAS), brush_width(CANVAS))
    return number_text(rec.read(canvas, strokes, drawn=True)), number_text(rec.read(canvas))


def _sure(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def run(rec: Recognizer, per_kind: int = PER_KIND, seed: int = SEED, quick: bool = False) -> dict:
    """Per kind: how many of per_kind drawings read with a sure digit on each path, and the
    commonest such readings; the control: digits drawn the same way read right and sure."""
    per_kind = QUICK_PER_KIND if quick else per_kind
    rng = np.random.default_rng(seed)
    kinds = {}
    for kind, make in KINDS.items():
        read = [_read(rec, as_drawn(make(rng), rng)) for _ in range(per_kind)]
        kinds[kind] = {
            path: {
                "sure": sum(_sure(r[k]) for r in read),
                "commonest": collections.Counter(r[k] for r in read if _sure(r[k])).most_common(3),
            }
            for k, path in enumerate(("app", "image"))
        }
    right = collections.Counter()
    for _ in range(per_kind):
        for digit, unit in DIGIT_STROKES.items():
            read = _read(rec, as_drawn([np.asarray(s) for s in unit], rng))
            right.update(path for path, text in zip(("app", "image"), read) if text == str(digit))
    return {
        "per_kind": per_kind,
        "canvas": CANVAS,
        "kinds": kinds,
        "digits": {"drawn": per_kind * len(DIGIT_STROKES), "right_and_sure": dict(right)},
    }


def report(results: dict) -> str:
    """A table: each kind's drawings read with a sure digit on each path, and the commonest readings."""
    n, kinds = results["per_kind"], results["kinds"]
    head = ["drawing (made up)", "a sure digit, app's path", "as an image", "commonest sure readings (app; image)"]

    def commonest(rows: list) -> str:
        return ", ".join(f'"{text}" {count}' for text, count in rows) or "-"

    body = [
        [
            kind,
            f"{p['app']['sure']} of {n}",
            f"{p['image']['sure']} of {n}",
            f"{commonest(p['app']['commonest'])}; {commonest(p['image']['commonest'])}",
        ]
        for kind, p in kinds.items()
    ]
    sure = {path: sum(k[path]["sure"] for k in kinds.values()) for path in ("app", "image")}
    body.append(
        [f"all {len(kinds)} kinds", f"{sure['app']} of {n * len(kinds)}", f"{sure['image']} of {n * len(kinds)}", ""]
    )
    digits = results["digits"]
    right = digits["right_and_sure"]
    return "\n".join(
        [
            md_table(head, body),
            "",
            f"Control: the digits 0-9 drawn the same way ({digits['drawn']}) read right and sure: "
            f"{right.get('app', 0)} with the strokes, {right.get('image', 0)} as images.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    from recognizer.errors import RecognizerError

    parser = argparse.ArgumentParser(prog="python -m bench.drawings", description=first_paragraph(__doc__))
    parser.add_argument("--per-kind", type=int, default=PER_KIND, help=f"drawings of each kind (default {PER_KIND})")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    if not 1 <= args.per_kind <= MAX_PER_KIND:
        parser.error(f"--per-kind must be 1-{MAX_PER_KIND}")
    try:
        rec = Recognizer.load()
    except RecognizerError as exc:
        parser.exit(2, f"error: {exc}\n")
    results = run(rec, args.per_kind, args.seed)
    print(report(results))
    if args.json:
        try:
            write_json(args.json, results)
        except OSError as exc:
            parser.exit(1, f"error: --json {args.json}: {exc.strerror or exc}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
