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
from dataclasses import dataclass

import numpy as np

from .data import PenCharacters
from .preprocess import to_mnist
from .strokes import brush_width, rasterize

SPLIT_SALT = "unipen-person-split-v1"
TEST_SHARE = 0.25  # share of people whose characters are held out for reporting
VAL_SHARE = 0.15  # share of people held out on the training side (thresholds, calibration)
SPLITS = ("train", "val", "test")
# Letters that people also write as digits (O o -> 0, I l i -> 1, j -> 1 when dotless, S s -> 5, Z z -> 2,
# B -> 8, b -> 6, g q -> 9): neither a digit nor a clear non-digit, so they are left out of the
# detector's training and of the "not a digit" figures on both sides.
DIGIT_LIKE_LETTERS = "OoIliSsZzBbgqj"

# How the app draws: canvas side (the default window gives 560 px, the benchmarks 640 px), the
# brush (strokes.brush_width: canvas side / BRUSH_DIVISOR) times a pen factor (thinner and bolder pens, the web
# API's "pen"), and how tall people draw one character on it.
CANVAS_SIDES = (420, 700)
PEN_FACTOR = (0.5, 1.6)
HEIGHT_SHARE = (0.25, 0.85)
MAX_WIDTH_SHARE = 0.9


def person(writer: str) -> str:
    """The person behind a writer file: 'kai/kai1/hykim4.dat' -> 'kai/hykim', 'art/art01tst.dat'
    -> 'art/art01', 'syn/syn1/bek-dig2.dat' -> 'syn/bek'; other sites' files are one person each."""
    if "/" not in writer:  # not a UNIPEN site's path: the file is its own person
        return writer
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


def real_digits(chars: PenCharacters, split: np.ndarray, which: str) -> np.ndarray:
    """Indices of the digits in split `which`."""
    return np.flatnonzero((chars.kind == "digit") & (split == which))


def clear_letters(chars: PenCharacters, split: np.ndarray, which: str) -> np.ndarray:
    """Indices of the letters in split `which` that no one writes as a digit."""
    letter = chars.kind != "digit"
    return np.flatnonzero(letter & (split == which) & ~np.isin(chars.label, list(DIGIT_LIKE_LETTERS)))


def digits_by_person(chars: PenCharacters, split: str, most_strokes: int | None = None) -> dict[str, np.ndarray]:
    """The indices of each `split` person's digits (of at most most_strokes strokes; None: any)."""
    who, where = people(chars), person_split(chars)
    chosen = np.flatnonzero((chars.kind == "digit") & (where == split))
    if most_strokes is not None:
        chosen = np.array([i for i in chosen if len(chars.strokes(int(i))) <= most_strokes], dtype=np.int64)
    return {p: chosen[who[chosen] == p] for p in np.unique(who[chosen])}


def place(strokes: list[np.ndarray], rng: np.random.Generator) -> tuple[list[np.ndarray], int, int]:
    """A character's strokes scaled and moved onto a random app-like canvas: returns (strokes in
    canvas pixels, canvas side, pen width)."""
    side = int(rng.integers(*CANVAS_SIDES))
    pen = brush_width(side, rng.uniform(*PEN_FACTOR))
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


def draw_placed(strokes: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, list[list], int]:
    """A character placed on a random app-like canvas (place) and drawn as the app's canvas draws it:
    (canvas (side, side) uint8 white on black, the strokes as drawn in canvas pixels, pen width)."""
    placed, side, pen = place(strokes, rng)
    lists = [s.tolist() for s in placed]
    return rasterize(lists, (side, side), pen), lists, pen


def draw(strokes: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """A character drawn as the app's canvas would show it: (side, side) uint8, white on black."""
    return draw_placed(strokes, rng)[0]


def render(chars: PenCharacters, indices: np.ndarray, seed: int = 0) -> np.ndarray:
    """The characters at `indices` drawn on app-like canvases and preprocessed as the app does:
    (n, 28, 28) uint8. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    out = np.empty((len(indices), 28, 28), np.uint8)
    for k, i in enumerate(indices):
        image = to_mnist(draw(chars.strokes(int(i)), rng))
        out[k] = 0 if image is None else np.round(image * 255).astype(np.uint8)
    return out


@dataclass(frozen=True)
class RowStyle:
    """How one person writes a row of characters left to right on the app's canvas (write_row).

    Ranges are drawn uniformly per row or per character; a zero turns a variation off (and draws
    no random number for it, so rows written with the defaults never change)."""

    height: tuple[float, float] = (70.0, 130.0)  # px, a capital's or digit's height in the row
    pen: tuple[float, float] = (0.6, 1.2)  # times the app's brush on a 640 px canvas (brush_width(640))
    gap: tuple[float, float] = (0.25, 0.6)  # between characters' pen paths, share of the height ...
    ink_gaps: bool = False  # ... or, if True, between their ink (the pen's width added)
    size: float = 0.0  # each character's height varies by up to this share
    drift: float = 0.0  # the baseline drifts up or down by up to this share of the height over the row ...
    wobble: float = 0.0  # ... and each character sits up to this share above or below it
    slant: float = 0.0  # the row leans by up to this (x shift per unit of height above the baseline)
    touch: float = 0.0  # chance that a character comes closer to the one before: its ink touching or ...
    overlap: float = 0.1  # ... overlapping, and its pen path overlapping by up to this share of the height
    late: float = 0.0  # chance that a character's last stroke (of several) is written after the next character
    canvas: tuple[int, int] = (0, 0)  # the canvas is at least this (width, height), the row anywhere in it


@dataclass(frozen=True)
class Row:
    """A row written by write_row: the canvas, the strokes in writing order and whose they are."""

    canvas: np.ndarray  # (height, width) uint8, white on black
    strokes: list[list[tuple[float, float]]]  # in writing order, as the app records them
    owner: list[int]  # for each stroke, the position in the row of the character it belongs to
    pen: int  # px

    def strokes_of(self, k: int) -> list[list[tuple[float, float]]]:
        """The strokes of the row's k-th character, in writing order."""
        return [s for s, o in zip(self.strokes, self.owner) if o == k]

    def inks(self) -> list[np.ndarray]:
        """Each character drawn alone on the row's canvas, with its pen: whose ink is where."""
        return [rasterize(self.strokes_of(k), self.canvas.shape, self.pen) for k in range(max(self.owner) + 1)]


LETTERS_WITH_ASCENDERS = "bdfhklt"
MARGIN = 30.0  # px left and right of a row; 60 above and below (or more on a taller canvas)


def write_row(chars: PenCharacters, row: list[int], rng: np.random.Generator, style: RowStyle = RowStyle()) -> Row:
    """The characters at `row` of one person written left to right, drawn with the app's brush
    (a lower-case letter without an ascender is 0.6 as tall and sits on the baseline)."""
    height = float(rng.uniform(*style.height))
    pen = brush_width(640, rng.uniform(*style.pen))
    drift = rng.uniform(-style.drift, style.drift) * height if style.drift else 0.0
    slant = rng.uniform(-style.slant, style.slant) if style.slant else 0.0
    baseline = 60.0 + height
    x, gap, placed = MARGIN, 0.0, []
    for k, i in enumerate(row):
        strokes = chars.strokes(int(i))
        every = np.concatenate(strokes)
        low, size = every.min(axis=0), np.ptp(every, axis=0)
        tall = chars.kind[i] != "lower" or chars.label[i] in LETTERS_WITH_ASCENDERS
        grown = height * (1.0 + rng.uniform(-style.size, style.size)) if style.size else height
        nominal, own = height * (1.0 if tall else 0.6), grown * (1.0 if tall else 0.6)
        scale = min(own / max(size[1], 1.0), 1.5 * grown / max(size[0], 1.0))  # at most 1.5 as wide as tall
        top = 60.0 + (0.0 if tall else 0.4 * height) + (nominal - own) + drift * k / max(len(row) - 1, 1)
        if style.wobble:
            top += rng.uniform(-style.wobble, style.wobble) * height
        shape = [(s - low) * scale for s in strokes]  # top left at (0, 0)
        if slant:  # lean about the baseline: points above it move right for slant > 0
            shape = [s + np.stack([slant * (own - s[:, 1]), np.zeros(len(s))], axis=1) for s in shape]
            shape = [s - (min(float(t[:, 0].min()) for t in shape), 0.0) for s in shape]
        if k and style.touch and rng.random() < style.touch:  # closer than the gap drawn: touching or overlapping
            x += rng.uniform(-style.overlap * height, pen if style.ink_gaps else 0.0) - gap
        placed.append([s + (x, top) for s in shape])
        gap = rng.uniform(*style.gap) * height + (pen if style.ink_gaps else 0.0)
        x += max(float(s[:, 0].max()) for s in shape) + gap
    order = [(k, j) for k, strokes in enumerate(placed) for j in range(len(strokes))]
    if style.late:
        order = _late_strokes(order, [len(s) for s in placed], style.late, rng)
    every = np.concatenate([s for strokes in placed for s in strokes])
    (left, top), (right, bottom) = every.min(axis=0), every.max(axis=0)
    shift = np.array([0.0, max(0.0, 60.0 - top)])  # drift and wobble can lift a character above the margin
    width = max(int(x) + int(MARGIN), style.canvas[0])
    tall_px = max(int(max(bottom, baseline) + shift[1]) + 60, style.canvas[1])
    if style.canvas != (0, 0):  # room to spare on the canvas: the row goes anywhere in it
        room = np.array([width, tall_px]) - 2 * pen - (right - left, bottom - top)
        shift = pen + rng.uniform(0, 1, 2) * np.maximum(room, 0.0) - (left, top)
    lists = [(placed[k][j] + shift if shift.any() else placed[k][j]).tolist() for k, j in order]
    return Row(rasterize(lists, (tall_px, width), pen), lists, [k for k, _ in order], pen)


def _late_strokes(
    order: list[tuple[int, int]], counts: list[int], chance: float, rng: np.random.Generator
) -> list[tuple[int, int]]:
    """Writing order with, now and then, a character's last stroke put after the next character's
    strokes (a 7's bar or a 4's stem added once the next digit is written)."""
    out = list(order)
    for k in range(len(counts) - 1):
        if counts[k] > 1 and rng.random() < chance:
            out.remove((k, counts[k] - 1))
            out.insert(max(i for i, (c, _) in enumerate(out) if c == k + 1) + 1, (k, counts[k] - 1))
    return out
