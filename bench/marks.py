"""Marks between digits written by real people: "52.09", "3,14", "12:30", "555-12", "12/05/2026", and
a minus before a number, "-41" (recognizer/marks.py).

    python -m bench.marks --unipen ../shared/data/unipen_dev.npz [--numbers 150] [--json OUT]

Numbers of 2-5 real pen digits of one held-out person each ('test' people, nobody the models were
trained or the rules tuned on), written by recognizer.unipen.write_row as bench.real_numbers writes
them (its NUMBER_STYLE), with a mark written in a gap left for it (the next digits moved right by
MARK_ROOM of the digits' height):
  * point: that person's own pen dot, the dot of one of their i's or j's (scaled as write_row would
    write the letter in the row), or a click of the pen where they wrote none; on the baseline;
  * colon: two of those dots, one on the baseline, one half way up;
  * comma: a short stroke down from the baseline (made up: UNIPEN has no commas);
  * dash: a short flat stroke half way up, DASH_LONG long, a little aslant (made up: none in UNIPEN);
  * date: a date of that person's digits with two slashes (_date_text: 5/12/26, 12/05/2026,
    2026/12/05), each a straight stroke leaning SLASH_LEAN from upright (made up: none in UNIPEN);
  * minus: a dash as above before the first digit, written first (made up: none in UNIPEN);
  * brackets: "(" before the first digit, written first, and ")" after the last, each one stroke a
    little taller than the digits, bowed (made up: none in UNIPEN); no mark, they are left out;
and numbers with no mark: none at all, the dot above the row between two digits (a stray i-dot),
after the last digit (a full stop), and long numbers of LONG digits, as many as a date's (a 1 there
may lean like a slash). Each is read with its strokes (the app) and without (an image).
Figures per kind and path: the number exactly (its mark with it), the mark right whatever the
digits, missing, or wrong (another mark, or one where none was written).
UNIPEN: Guyon et al., ICPR 1994; Unipen Consortium 1999, doi:10.5281/zenodo.1195803; CC BY 4.0.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import numpy as np

from recognizer.data import PenCharacters
from recognizer.fileio import first_paragraph
from recognizer.marks import MARKS
from recognizer.predictor import Recognizer, number_text
from recognizer.strokes import rasterize
from recognizer.unipen import digits_by_person, people, person_split, write_row

from .common import accuracy_entry, md_table, without_marks, write_json
from .real_numbers import LENGTHS, PATHS, compose, style_for

SEED = 5353
NUMBERS = 150  # numbers of each kind per full run
QUICK_NUMBERS = 2
KINDS = ("point", "colon", "comma", "dash", "none", "stray", "full stop", "date", "long", "minus", "brackets")
MARKED = {"point": ".", "colon": ":", "comma": ",", "dash": "-", "date": "/", "minus": "-"}
MARK_ROOM = 0.5  # the gap left for a mark, shares of the digits' height (their strokes' height)
DOT_SHARE = 0.4  # an i's dot: a stroke of it no taller than this share of the letter, over its stem
LOWER_SHARE = 0.6  # write_row writes a lower-case letter without ascender this share of a digit's height
COMMA = ((0.05, -0.05), (0.0, 0.12), (-0.06, 0.22))  # a comma's pen path from the baseline, heights
DASH_LONG = (0.25, 0.6)  # a dash's length, shares of the digits' height ...
DASH_UP = (0.35, 0.6)  # ... its middle this high above the baseline ...
DASH_SLANT = 10.0  # ... and at most this many degrees from the horizontal
ISO_SHARE = 0.2  # dates written year first (2026/12/05); the others 12/5/26 or 12/05/2026
SLASH_LEAN = (15.0, 45.0)  # a date's slashes lean this many degrees from upright ...
SLASH_JITTER = 4.0  # ... each within this many of the other's ...
SLASH_SPAN = (0.9, 1.3)  # ... is this many of the digits' heights tall ...
SLASH_DROP = (-0.05, 0.15)  # ... and reaches this share of their height under their baseline
BRACKET_SPAN = (1.0, 1.3)  # a bracket is this many of the digits' heights tall ...
BRACKET_BOW = (0.06, 0.2)  # ... its middle this share of that further out than its ends ...
BRACKET_LEAN = 8.0  # ... leaning up to this many degrees either way
LONG = (6, 8)  # a long number's digits: as many as a date's, with no mark
YEARS = (1950, 2050)  # a date's year, from and below
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # a date's day at most, by its month


def pen_dots(chars: PenCharacters, split: str) -> dict[str, list[list[np.ndarray]]]:
    """Each `split` person's pen dots: the strokes of their i's and j's over the letter's longest
    stroke and no taller than DOT_SHARE of the letter, scaled to a digit height of 1 (as write_row
    writes the letter beside digits), their top left at (0, 0)."""
    who, where = people(chars), person_split(chars)
    out: dict[str, list[list[np.ndarray]]] = {}
    for i in np.flatnonzero(np.isin(chars.label, ["i", "j"]) & (where == split)):
        strokes = [np.asarray(s, dtype=np.float64) for s in chars.strokes(int(i))]
        every = np.concatenate(strokes)
        tall = max(float(np.ptp(every[:, 1])), 1.0)
        stem = max(strokes, key=lambda s: np.ptp(s[:, 1]))
        dot = [
            s
            for s in strokes
            if s is not stem and np.ptp(s[:, 1]) <= DOT_SHARE * tall and s[:, 1].max() <= stem[:, 1].min() + 0.1 * tall
        ]
        if dot:
            low = np.concatenate(dot).min(axis=0)
            out.setdefault(str(who[i]), []).append([(s - low) * LOWER_SHARE / tall for s in dot])
    return out


def _dot(dots: list[list[np.ndarray]], rng: np.random.Generator) -> list[np.ndarray]:
    """One of a person's dots (unit height), or a click where they wrote none."""
    return dots[rng.integers(len(dots))] if dots else [np.zeros((1, 2))]


def write_marked(
    chars: PenCharacters, digits_of: dict, dots: dict, kind: str, length: int, rng: np.random.Generator
) -> tuple[np.ndarray, list, str]:
    """One number of `kind` (KINDS): its canvas, its strokes in writing order and what it says. A
    date's length is its own (_date_text); a long number's is LONG."""
    date = _date_text(rng) if kind == "date" else ""
    groups = tuple(len(part) for part in date.split("/")) if date else ()
    length = sum(groups) if groups else int(rng.integers(LONG[0], LONG[1] + 1)) if kind == "long" else length
    if date:
        members = _persons_digits(chars, digits_of, date.replace("/", ""), rng)
        row = write_row(chars, members, rng, style_for(length))
    else:
        row, members = compose(chars, digits_of, length, rng)
    truth = "".join(chars.label[i] for i in members)
    person = next(str(p) for p, idx in digits_of.items() if members[0] in idx)  # people() takes 0.14 s
    own = [[np.asarray(s, dtype=np.float64) for s in row.strokes_of(k)] for k in range(length)]
    height = float(np.median([np.ptp(np.concatenate(d)[:, 1]) for d in own]))
    if groups:  # a slash after each of the first two groups
        places = [groups[0] - 1, groups[0] + groups[1] - 1]
    elif kind == "minus":  # before the first digit
        places = [-1]
    elif kind == "brackets":  # round the number
        places = [-1, length - 1]
    else:  # the mark goes after digit `at`
        places = [length - 1 if kind == "full stop" else int(rng.integers(length - 1))]
    lean = float(rng.uniform(*SLASH_LEAN)) if groups else 0.0  # one person's slashes lean alike
    marks = {}
    for at in places:
        own, marks[at] = _mark(kind, at, own, height, row.pen, dots.get(person, []), rng, lean)
    strokes = marks.get(-1, []) + [s for k, d in enumerate(own) for s in d + marks.get(k, [])]  # -1: a minus, first
    lists = [s.tolist() for s in strokes]
    every = np.concatenate(strokes)
    shape = (max(row.canvas.shape[0], int(every[:, 1].max() + 2 * row.pen)), int(every[:, 0].max() + 2 * row.pen))
    said = "-" * (kind == "minus") + "".join(
        c + (MARKED[kind] if kind in MARKED and k in places else "") for k, c in enumerate(truth)
    )
    return rasterize(lists, shape, row.pen), lists, said


def _date_text(rng: np.random.Generator) -> str:
    """A date as people write it: day and month either way round, each with a leading 0 or not, then
    a year of 2 or 4 digits (5/12/26, 12/05/2026); or year first, ISO_SHARE of them (2026/12/05)."""
    month, year = int(rng.integers(1, 13)), int(rng.integers(YEARS[0], YEARS[1]))
    day = int(rng.integers(1, MONTH_DAYS[month - 1] + 1))
    day_text, month_text = (f"{v:02d}" if v >= 10 or rng.random() < 0.5 else str(v) for v in (day, month))
    if rng.random() < ISO_SHARE:
        return f"{year}/{month_text}/{day_text}"
    first, second = (day_text, month_text) if rng.random() < 0.5 else (month_text, day_text)
    return f"{first}/{second}/{year if rng.random() < 0.5 else f'{year % 100:02d}'}"


def _persons_digits(chars: PenCharacters, digits_of: dict, text: str, rng: np.random.Generator) -> list[int]:
    """Digits (indices) of one person that write `text`, a different one of theirs for each place
    where they wrote enough of that digit: a person chosen at random among those who wrote them all."""
    persons = sorted(p for p, idx in digits_of.items() if set(text) <= set(chars.label[idx]))
    if not persons:
        raise ValueError(f"no person wrote every digit of {text}")
    person = digits_of[persons[rng.integers(len(persons))]]
    out = []
    for c in text:
        own = person[chars.label[person] == c]
        unused = np.setdiff1d(own, out)
        out.append(int(rng.choice(unused if len(unused) else own)))
    return out


def _mark(
    kind: str, at: int, own: list, height: float, pen: float, dots: list, rng: np.random.Generator, lean: float = 0.0
) -> tuple[list, list[np.ndarray]]:
    """A mark of `kind` written after digit `at` (-1: before the first) of the digits' strokes `own`:
    the digits after it moved right to make room for it (but for "none" and "long"), and its
    strokes; a date's slash leans about `lean` degrees (SLASH_JITTER)."""
    long = float(rng.uniform(*DASH_LONG)) if kind in ("dash", "minus") else 0.0
    if kind == "date":
        span = rng.uniform(*SLASH_SPAN)
        long = span * np.tan(np.radians(lean + rng.uniform(-SLASH_JITTER, SLASH_JITTER)))
    room = max(MARK_ROOM, long + MARK_ROOM / 2 + pen / height) if long else MARK_ROOM  # its ink, and room
    if kind not in ("none", "long"):  # room for the mark: the digits after it move right
        own = [d if k <= at else [s + (room * height, 0.0) for s in d] for k, d in enumerate(own)]
    if at < 0:  # before the first digit
        right = min(float(s[:, 0].min()) for s in own[0])
        left = right - room * height
    else:
        left = max(float(s[:, 0].max()) for s in own[at])
        right = min(float(s[:, 0].min()) for s in own[at + 1]) if at + 1 < len(own) else left + room * height
    baseline = max(float(s[:, 1].max()) for d in own[max(at, 0) : at + 2] for s in d)
    x = (left + right) / 2

    def placed(unit: list[np.ndarray], y_bottom: float) -> list[np.ndarray]:
        shape = [s * height for s in unit]
        every = np.concatenate(shape)
        centre = (every.min(axis=0) + every.max(axis=0)) / 2
        return [s + (x - centre[0], y_bottom - every[:, 1].max()) for s in shape]

    mark: list[np.ndarray] = []
    if kind in ("point", "full stop"):
        mark = placed(_dot(dots, rng), baseline)
    elif kind == "colon":
        mark = placed(_dot(dots, rng), baseline) + placed(_dot(dots, rng), baseline - 0.45 * height)
    elif kind == "comma":
        mark = [np.array(COMMA) * height + (x, baseline)]
    elif kind in ("dash", "minus"):
        slant = np.radians(rng.uniform(-DASH_SLANT, DASH_SLANT))
        along = np.linspace(-0.5, 0.5, int(rng.integers(2, 8)))[:, None] * long * height
        path = along * (np.cos(slant), -np.sin(slant)) + (x, baseline - rng.uniform(*DASH_UP) * height)
        mark = [path if rng.random() < 0.8 else path[::-1]]  # written left to right, mostly
    elif kind == "date":  # a straight stroke up to the right, from a little under the baseline
        bottom = baseline + rng.uniform(*SLASH_DROP) * height
        path = np.array([(x - long * height / 2, bottom), (x + long * height / 2, bottom - span * height)])
        mark = [path if rng.random() < 0.5 else path[::-1]]  # written up or down
    elif kind == "brackets":  # "(" before the first digit, ")" after the last: a bowed stroke, top down
        top = min(float(s[:, 1].min()) for d in own for s in d)
        span = rng.uniform(*BRACKET_SPAN) * (baseline - top)
        middle = (top + baseline) / 2 + rng.uniform(-0.05, 0.05) * height
        t = np.linspace(0.0, 1.0, int(rng.integers(12, 30)))[:, None]  # a pen's points, a few px apart
        bow = rng.uniform(*BRACKET_BOW) * span * 4 * t * (1 - t) * (1 if at < 0 else -1)  # out from the digits
        y = middle + (t - 0.5) * span
        lean = np.tan(np.radians(rng.uniform(-BRACKET_LEAN, BRACKET_LEAN))) * (middle - y)
        mark = [np.hstack([x - bow + lean, y])]
    elif kind == "stray":
        top = min(float(s[:, 1].min()) for d in own[at : at + 2] for s in d)
        mark = placed(_dot(dots, rng), top - 0.35 * height)
    return own, mark


@dataclasses.dataclass
class _Read:
    kind: str
    truth: str
    read: dict  # path -> number_text


def run(
    rec: Recognizer, chars: PenCharacters, n: int = NUMBERS, seed: int = SEED, quick: bool = False, split: str = "test"
) -> dict:
    """n numbers of each kind (KINDS) of `split` people, read both ways."""
    n = QUICK_NUMBERS if quick else n
    digits_of, dots = digits_by_person(chars, split), pen_dots(chars, split)
    rng = np.random.default_rng(seed)
    rows = []
    for kind in KINDS:
        for k in range(n):
            canvas, strokes, truth = write_marked(chars, digits_of, dots, kind, LENGTHS[k % len(LENGTHS)], rng)
            read = {"app": number_text(rec.read(canvas, strokes)), "image": number_text(rec.read(canvas))}
            rows.append(_Read(kind, truth, read))
    return {
        "split": split,
        "seed": seed,
        "numbers_per_kind": n,
        "people_with_dots": sum(1 for p in digits_of if dots.get(str(p))),
        "people": len(digits_of),
        "dots": sum(len(d) for d in dots.values()),
        "kinds": {kind: _by_path([r for r in rows if r.kind == kind]) for kind in KINDS},
        "examples": {path: _wrong(rows, path) for path in PATHS},
    }


def _by_path(rows: list[_Read]) -> dict:
    return {path: _figures(rows, path) for path in PATHS}


def _wrong(rows: list[_Read], path: str, most: int = 12) -> list[str]:
    """Some numbers read wrong: "truth -> read"."""
    return [f"{r.truth} -> {r.read[path]}" for r in rows if r.read[path] != r.truth][:most]


def _marks(text: str) -> list[tuple[int, str]]:
    """Each mark of a reading with the number of digits before it: "12.3" -> [(2, ".")]."""
    return [(len(without_marks(text[:k])), c) for k, c in enumerate(text) if c in MARKS]


def _figures(rows: list[_Read], path: str) -> dict:
    """Exact; the mark right (the same mark after the same digit), missing, or wrong (another mark,
    one elsewhere, or one where none was written); the digits exact, marks aside."""
    n = len(rows)
    marks = [(_marks(r.truth), _marks(r.read[path])) for r in rows]
    return {
        "exact": accuracy_entry(sum(r.read[path] == r.truth for r in rows), n),
        "mark_right": round(sum(bool(t) and t == m for t, m in marks) / n, 4),
        "mark_missing": round(sum(bool(t) and not m for t, m in marks) / n, 4),
        "mark_wrong": round(sum(bool(m) and t != m for t, m in marks) / n, 4),
        "digits_exact": round(sum(without_marks(r.read[path]) == without_marks(r.truth) for r in rows) / n, 4),
    }


def report(results: dict) -> str:
    """The figures as one Markdown table, kinds by path."""
    head = ["kind", "path", "numbers", "read exactly", "mark right", "mark missing", "mark wrong", "digits right"]
    body = []
    for kind, paths in results["kinds"].items():
        for path, f in paths.items():
            body.append(
                [
                    kind,
                    path,
                    str(f["exact"]["n"]),
                    f"{100 * f['exact']['accuracy']:.1f}%",
                    f"{100 * f['mark_right']:.1f}%" if kind in MARKED else "",
                    f"{100 * f['mark_missing']:.1f}%" if kind in MARKED else "",
                    f"{100 * f['mark_wrong']:.1f}%",
                    f"{100 * f['digits_exact']:.1f}%",
                ]
            )
    lines = [
        "Marks between digits: numbers of 2-5 real pen digits of one held-out person each "
        f"({results['numbers_per_kind']} of each kind, {results['people']} '{results['split']}' people, "
        f"{results['people_with_dots']} of them with {results['dots']} dots of their own i's and j's; "
        f"seed {results['seed']})",
        "",
        md_table(head, body),
    ]
    for path, examples in results["examples"].items():
        lines.append(f"\n{path} path, read wrong: {', '.join(examples)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from recognizer.data import load_unipen
    from recognizer.errors import RecognizerError

    parser = argparse.ArgumentParser(prog="python -m bench.marks", description=first_paragraph(__doc__))
    parser.add_argument("--unipen", required=True)
    parser.add_argument("--numbers", type=int, default=NUMBERS, help="numbers of each kind")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if args.numbers < 1:
        parser.exit(2, "error: --numbers must be at least 1\n")
    try:
        rec, chars = Recognizer.load(), load_unipen(args.unipen)
    except RecognizerError as exc:
        parser.exit(2, f"error: {exc}\n")
    results = run(rec, chars, args.numbers, args.seed)
    print(report(results))
    if args.json:
        write_json(args.json, results, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
