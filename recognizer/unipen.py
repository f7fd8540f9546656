"""Real pen handwriting (UNIPEN) as the app sees it: who wrote what, and each character drawn on a canvas.

The characters come from `data.load_unipen` (UNIPEN train_r01_v07, CC BY 4.0: Guyon et al., ICPR 1994;
Unipen Consortium 1999, doi:10.5281/zenodo.1195803; we selected sections 1a/1b/1c of seven sites,
kept the pen-down strokes, flipped y and shifted each character). Two jobs live here:

* Splitting by person, never by sample: some people wrote several files (kai's hykim0..5, art's
  art01trn/art01tst, syn's bek-dig2 ...) and two files share characters (gmd alek/kast), so files
  are grouped into people first. Each person goes to "train", "val" (training-side held-out data,
  for thresholds and calibration) or "test" (held-out writers, for reporting only) by a fixed hash
  of their name, so the split never depends on results and is the same on every machine.
* Drawing a character exactly as the app's canvas draws strokes (recognizer.strokes: round pen,
  anti-aliased) at a random canvas size, character size, position and pen width, then the same
  `to_mnist` the app uses.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from .data import PenCharacters
from .preprocess import to_mnist
from .strokes import rasterize

SPLIT_SALT = "unipen-person-split-v1"
TEST_SHARE = 0.25  # share of people whose characters are held out for reporting
VAL_SHARE = 0.15  # share of people held out on the training side (thresholds, calibration)
SPLITS = ("train", "val", "test")
# Letters that people also write as digits (O o -> 0, I l i -> 1, j -> 1 when dotless, S s -> 5, Z z -> 2,
# B -> 8, b -> 6, g q -> 9): neither a digit nor a clear non-digit, so they are left out of the
# detector's training and of the "not a digit" figures on both sides.
DIGIT_LIKE_LETTERS = "OoIliSsZzBbgqj"

# How the app draws: canvas side (the default window gives 560 px, the benchmarks 640 px), the
# brush (canvas side / ui.canvas.BRUSH_DIVISOR) times a pen factor (thinner and bolder pens, the web
# API's "pen"), and how tall people draw one character on it.
CANVAS_SIDES = (420, 700)
BRUSH_DIVISOR = 22  # ui.canvas.BRUSH_DIVISOR (not imported: the library does not import the UI)
PEN_FACTOR = (0.5, 1.6)
HEIGHT_SHARE = (0.25, 0.85)
MAX_WIDTH_SHARE = 0.9


def person(writer: str) -> str:
    """The person behind a writer file: 'kai/kai1/hykim4.dat' -> 'kai/hykim', 'art/art01tst.dat'
    -> 'art/art01', 'syn/syn1/bek-dig2.dat' -> 'syn/bek'; other sites' files are one person each."""
    site, *_, name = writer.split("/")
    stem = name.rsplit(".", 1)[0]
    if site in ("kai", "mot", "syn", "art"):
        stem = re.sub(r"(-dig\d+|trn|tst|\d+)$", "", stem)
    return f"{site}/{stem}"


def people(chars: PenCharacters) -> np.ndarray:
    """The person of every character, with people who share identical characters (gmd alek and
    kast) joined into one, so no duplicate crosses the split."""
    names = np.array([person(w) for w in chars.writer])
    parent = {n: n for n in np.unique(names)}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    starts = np.concatenate([[0], chars.stroke_end])
    first_stroke = np.concatenate([[0], chars.char_end[:-1]])
    seen: dict[bytes, str] = {}
    for i in range(len(chars)):
        a, b = starts[first_stroke[i]], starts[chars.char_end[i]]
        key = chars.label[i].encode() + chars.points[a:b].tobytes()
        other = seen.setdefault(key, names[i])
        ra, rb = root(other), root(names[i])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([root(n) for n in names])


def split_of(person_name: str) -> str:
    """'train', 'val' or 'test' for a person, by a fixed hash of the name."""
    value = int(hashlib.sha256(f"{SPLIT_SALT}:{person_name}".encode()).hexdigest()[:8], 16) / 2**32
    return "test" if value < TEST_SHARE else "val" if value < TEST_SHARE + VAL_SHARE else "train"


def person_split(chars: PenCharacters) -> np.ndarray:
    """The split ('train', 'val', 'test') of every character, by its writer's person."""
    by_person = people(chars)
    lookup = {p: split_of(p) for p in np.unique(by_person)}
    return np.array([lookup[p] for p in by_person])


def clear_letters(chars: PenCharacters, split: np.ndarray, which: str) -> np.ndarray:
    """Indices of the letters in split `which` that no one writes as a digit."""
    letter = chars.kind != "digit"
    return np.flatnonzero(letter & (split == which) & ~np.isin(chars.label, list(DIGIT_LIKE_LETTERS)))


def place(strokes: list[np.ndarray], rng: np.random.Generator) -> tuple[list[np.ndarray], int, int]:
    """A character's strokes scaled and moved onto a random app-like canvas: returns (strokes in
    canvas pixels, canvas side, pen width)."""
    side = int(rng.integers(*CANVAS_SIDES))
    pen = max(3, round(side / BRUSH_DIVISOR * rng.uniform(*PEN_FACTOR)))
    every = np.concatenate(strokes)
    w, h = np.ptp(every[:, 0]), np.ptp(every[:, 1])
    scale = rng.uniform(*HEIGHT_SHARE) * side / max(h, 1.0)
    if w * scale > MAX_WIDTH_SHARE * side:
        scale = MAX_WIDTH_SHARE * side / w
    scale = max(scale, 4.0 / max(w, h, 1.0))  # a dot-sized character still gets a few pixels
    margin = pen
    free_x, free_y = side - w * scale - 2 * margin, side - h * scale - 2 * margin
    x0 = margin + rng.uniform(0, max(free_x, 0.0))
    y0 = margin + rng.uniform(0, max(free_y, 0.0))
    low = every.min(axis=0)
    return [(s - low) * scale + (x0, y0) for s in strokes], side, pen


def draw(strokes: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """A character drawn as the app's canvas would show it: (side, side) uint8, white on black."""
    placed, side, pen = place(strokes, rng)
    return rasterize([s.tolist() for s in placed], (side, side), pen)


def render(chars: PenCharacters, indices: np.ndarray, seed: int = 0) -> np.ndarray:
    """The characters at `indices` drawn on app-like canvases and preprocessed as the app does:
    (n, 28, 28) uint8. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    out = np.empty((len(indices), 28, 28), np.uint8)
    for k, i in enumerate(indices):
        image = to_mnist(draw(chars.strokes(int(i)), rng))
        out[k] = 0 if image is None else np.round(image * 255).astype(np.uint8)
    return out
