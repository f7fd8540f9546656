"""Real handwriting from people the models never saw: UNIPEN's held-out ("test") people on the app's canvas.

    python -m bench.real --unipen ../shared/data/unipen_dev.npz [--data mnist.npz] [--model M] [--json OUT]

Every character is drawn from its pen strokes as the app's canvas draws them (recognizer.unipen.draw:
random canvas size, character size, place and pen width) and read with the strokes, as the app
reads (Recognizer.predict for one character, Recognizer.read for a row of them). The people are
split by a fixed hash of their name (recognizer.unipen.split_of): no "test" person's writing was
trained on or chose anything. Figures:
* digits: accuracy (the top digit, "not sure" or not), the share read "not sure" and the accuracy
  of the rest, per site and per digit, and the most frequent confusions; and each digit once more,
  gone over again (gone_over: every stroke drawn a second time, a little off, as a digit made bolder);
* writing styles: held-out real digits tagged by their strokes (real_style), and MNIST *test*
  digits redrawn with a pen plus the style's stroke drawn by bench.style_proxy, a generator written
  apart from the training one (recognizer.styles): a proxy, reported beside the real ones;
* letters (issue 13): the share of clear non-digit letters that read "not a digit" (and "not sure"
  for any reason), per letter; letters people also write as digits (unipen.DIGIT_LIKE_LETTERS)
  are counted apart, against neither side;
* letters between digits: a digit, 1-3 letters and a digit of one person in a row, read with
  Recognizer.read; right when every letter reads "?" and both digits are read.
UNIPEN: Guyon et al., ICPR 1994; Unipen Consortium 1999, doi:10.5281/zenodo.1195803; CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/); drawn from the strokes, i.e. modified.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from collections.abc import Callable

import cv2
import numpy as np

from recognizer.data import PenCharacters
from recognizer.fileio import first_paragraph
from recognizer.ink import ink_box
from recognizer.predictor import Recognizer, number_text
from recognizer.reject import NOT_A_DIGIT
from recognizer.unipen import DIGIT_LIKE_LETTERS, draw_placed, person_split, real_digits, write_row

from .common import accuracy_entry, write_png

SEED = 2026
RENDERS = 2  # drawings of each held-out digit (random size, place, pen)
MNIST_STYLED = 300  # MNIST test digits per style
WORDS = 300  # rows "digit letters digit"
# gone_over: each stroke drawn again, moved up to GONE_OVER_SHIFT of the digit's height one way and
# wavering about that by GONE_OVER_WAVER (a standard deviation, per point), on draws of its own seed
GONE_OVER_SHIFT = 0.05
GONE_OVER_WAVER = 0.005
GONE_OVER_SEED = 7
STRAIGHT = 1.12  # a stroke is straight when its path is at most this times its end-to-end length
SHEET_WIDTH = 1200  # px: --unsure's picture
SHEET_HEIGHT = 110  # px: each drawing's height in it


def _straight(stroke: np.ndarray) -> tuple[float, float] | None:
    """(length, angle from the horizontal in degrees) of a nearly straight stroke, else None."""
    if len(stroke) < 2:
        return None
    path = float(np.linalg.norm(np.diff(stroke, axis=0), axis=1).sum())
    dx, dy = stroke[-1] - stroke[0]
    chord = float(np.hypot(dx, dy))
    if chord == 0 or path > STRAIGHT * chord:
        return None
    return chord, float(np.degrees(np.arctan2(abs(dy), abs(dx))))


def real_style(strokes: list[np.ndarray], label: str) -> str | None:
    """The writing style of a real digit, from its strokes (a heuristic for reporting only):
    a 0 with a long straight diagonal stroke is slashed, a 7 with a short straight near-horizontal
    stroke across its middle is crossed, a 1 more than 0.35 as wide as tall is flagged (with a
    base when its bottom is wide too), a 4 drawn in one stroke has a closed top."""
    every = np.concatenate(strokes)
    (x0, y0), (x1, y1) = every.min(axis=0), every.max(axis=0)
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    if label == "0" and len(strokes) >= 2:
        for s in strokes:
            line = _straight(s)
            if line and line[0] >= 0.6 * h and 25 <= line[1] <= 85:
                return "slashed zero"
    if label == "7" and len(strokes) >= 2:
        for s in strokes:
            line = _straight(s)
            mid = (s[:, 1].mean() - y0) / h
            if line and line[1] <= 30 and 0.3 <= mid <= 0.8:
                return "crossed seven"
    if label == "1" and w / h > 0.35:
        bottom = every[every[:, 1] >= y1 - 0.1 * h]
        return "flag and base one" if np.ptp(bottom[:, 0]) > 0.25 * h else "flagged one"
    if label == "4" and len(strokes) == 1:
        return "closed four"
    return None


def digits(
    rec: Recognizer,
    chars: PenCharacters,
    indices: np.ndarray,
    renders: int,
    rng,
    on_unsure: Callable[[np.ndarray, str], object] | None = None,
) -> dict:
    """Held-out real digits read one by one: overall, per site, per digit, per style, confusions,
    and whose digits read "not sure" (drawings per writer file, and the share averaged over writer
    files, each counted once). on_unsure, if given, is handed each drawing read "not sure" (the
    canvas cropped to its ink) and "label -> digit (reason)"."""
    rows = []
    for _ in range(renders):
        for i in indices:
            strokes = chars.strokes(int(i))
            canvas, lists, _ = draw_placed(strokes, rng)
            pred = rec.predict(canvas, lists)
            label = chars.label[i]
            style, writer = real_style(strokes, label), str(chars.writer[i])
            rows.append((chars.site[i], label, style, str(pred.digit), pred.unsure, writer))
            if pred.unsure and on_unsure is not None and (box := ink_box(canvas)) is not None:
                x, y, w, h = box
                on_unsure(canvas[y : y + h, x : x + w], f"{label} -> {pred.digit} ({pred.unsure})")

    confusions = collections.Counter(f"{r[1]}->{r[3]}" for r in rows if r[1] != r[3])
    drawn = collections.Counter(r[5] for r in rows)
    unsure_by = collections.Counter(r[5] for r in rows if r[4])
    return {
        "digits": len(indices),
        "renders": renders,
        "all": _summary(rows),
        "per_site": {s: _summary([r for r in rows if r[0] == s]) for s in sorted({r[0] for r in rows})},
        "per_digit": {d: _summary([r for r in rows if r[1] == d]) for d in "0123456789"},
        "per_style": {s: _summary([r for r in rows if r[2] == s]) for s in sorted({r[2] for r in rows if r[2]})},
        "confusions": dict(confusions.most_common(12)),
        "writers": len(drawn),
        "unsure_drawings": sum(unsure_by.values()),
        "unsure_by_writer": dict(unsure_by.most_common()),  # writer files with any drawing read "not sure"
        # the share read "not sure" with each writer file counted once, however many digits it holds
        "unsure_writer_mean": round(float(np.mean([unsure_by[w] / n for w, n in drawn.items()])), 5) if drawn else None,
    }


def _summary(rows: list[tuple]) -> dict:
    """Readings (site, label, style, digit read, unsure, writer) summed up: accuracy, the shares read
    "not sure" and "not a digit", and the accuracy of the sure ones."""
    n = len(rows)
    sure = [r for r in rows if not r[4]]
    entry = accuracy_entry(sum(r[1] == r[3] for r in rows), n)
    entry["unsure"] = round((n - len(sure)) / n, 5) if n else None
    entry["not_a_digit"] = round(sum(r[4] == NOT_A_DIGIT for r in rows) / n, 5) if n else None
    entry["sure_accuracy"] = round(sum(r[1] == r[3] for r in sure) / len(sure), 5) if sure else None
    return entry


def gone_over(rec: Recognizer, chars: PenCharacters, indices: np.ndarray, rng) -> dict:
    """Held-out real digits drawn once each on app-like canvases, then every stroke drawn a second
    time with the same pen (GONE_OVER_SHIFT, GONE_OVER_WAVER), as someone goes over a digit to make
    it bolder, read with all the strokes as the app reads them: the digits' summary, and the share
    read "scribble" (a digit's pen path counted twice over read so, December 7)."""
    from recognizer.reject import SCRIBBLE
    from recognizer.strokes import rasterize

    rows = []
    for i in indices:
        canvas, lists, pen = draw_placed(chars.strokes(int(i)), rng)
        height = max(1.0, float(np.ptp(np.concatenate([np.asarray(s) for s in lists])[:, 1])))
        shift = rng.uniform(-1, 1, 2) * rng.uniform(0, GONE_OVER_SHIFT) * height
        again = [np.asarray(s) + shift + rng.normal(0, GONE_OVER_WAVER * height, (len(s), 2)) for s in lists]
        strokes = lists + [a.tolist() for a in again]
        pred = rec.predict(rasterize(strokes, canvas.shape, pen), strokes)
        rows.append((chars.site[i], chars.label[i], None, str(pred.digit), pred.unsure, str(chars.writer[i])))
    entry = _summary(rows)
    entry["scribble"] = round(sum(r[4] == SCRIBBLE for r in rows) / len(rows), 5) if rows else None
    return entry


def mnist_styles(rec: Recognizer, x_test: np.ndarray, y_test: np.ndarray, per_style: int, rng) -> dict:
    """MNIST test digits redrawn with a pen plus each style's stroke drawn by bench.style_proxy (a
    generator that never made a training image), read with predict."""
    from .style_proxy import proxy_canvases

    out = {}
    for style, digit, canvases in proxy_canvases(x_test, y_test, per_style, rng):
        preds = [rec.predict(canvas) for canvas in canvases]
        entry = accuracy_entry(sum(p.digit == digit for p in preds), len(preds))
        entry["unsure"] = round(sum(bool(p.unsure) for p in preds) / len(preds), 5)
        out[style] = entry
    return out


def letters(rec: Recognizer, chars: PenCharacters, indices: np.ndarray, rng) -> dict:
    """Held-out real letters read one by one: how many read "not a digit" / "not sure", per letter;
    and how many read only "?" on the image path (read(canvas), the CLI's and photos'), which may
    cut a letter into pieces that read as digits."""
    by_letter: dict[str, list] = collections.defaultdict(list)
    for i in indices:
        canvas, lists, _ = draw_placed(chars.strokes(int(i)), rng)
        pred = rec.predict(canvas, lists)
        image = number_text(rec.read(canvas))
        by_letter[chars.label[i]].append((pred.unsure, pred.digit, bool(image) and set(image) == {"?"}))

    def share(rows, test) -> float:
        return round(sum(test(row) for row in rows) / len(rows), 5) if rows else None

    def summary(rows) -> dict:
        return {
            "n": len(rows),
            "not_a_digit": share(rows, lambda row: row[0] == NOT_A_DIGIT),
            "not_sure": share(rows, lambda row: row[0] is not None),
            "image_only_unsure": share(rows, lambda row: row[2]),
        }

    clear = [r for k, rows in by_letter.items() if k not in DIGIT_LIKE_LETTERS for r in rows]
    alike = [r for k, rows in by_letter.items() if k in DIGIT_LIKE_LETTERS for r in rows]
    return {
        "clear": summary(clear),
        "digit_like": summary(alike),
        "per_letter": {
            k: {
                **summary(rows),
                "read_as": collections.Counter(str(d) for u, d, _ in rows if u is None).most_common(1)[0][0]
                if any(u is None for u, _, _ in rows)
                else None,
            }
            for k, rows in sorted(by_letter.items())
        },
    }


def words(rec: Recognizer, chars: PenCharacters, digit_idx: np.ndarray, letter_idx: np.ndarray, n: int, rng) -> dict:
    """Rows "digit, 1-3 clear letters, digit" of one person, read with Recognizer.read(canvas, strokes),
    and the same rows as images (read(canvas): the CLI's and photos' path, where a letter may be cut
    into pieces that read as digits)."""
    from recognizer.unipen import people

    who = people(chars)
    letters_of = collections.defaultdict(list)
    for i in letter_idx:
        letters_of[who[i]].append(i)
    candidates = [i for i in digit_idx if len(letters_of[who[i]]) >= 3]
    digits_of = collections.defaultdict(list)
    for i in candidates:
        digits_of[who[i]].append(i)
    persons = sorted(digits_of)
    right = count_right = image_right = image_count = 0
    for _ in range(n):
        p = persons[rng.integers(len(persons))]
        row = [
            rng.choice(digits_of[p]),
            *rng.choice(letters_of[p], int(rng.integers(1, 4)), replace=False),
            rng.choice(digits_of[p]),
        ]
        written = write_row(chars, row, rng)
        preds = rec.read(written.canvas, written.strokes)
        expected = chars.label[row[0]] + "?" * (len(row) - 2) + chars.label[row[-1]]
        right += number_text(preds) == expected
        count_right += len(preds) == len(row)
        image = rec.read(written.canvas)
        image_right += number_text(image) == expected
        image_count += len(image) == len(row)
    return {
        "rows": n,
        "exact": accuracy_entry(right, n),
        "count_right": accuracy_entry(count_right, n),
        "image": {"exact": accuracy_entry(image_right, n), "count_right": accuracy_entry(image_count, n)},
    }


def run(
    rec: Recognizer,
    chars: PenCharacters,
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    quick: bool = False,
    seed: int = SEED,
    on_unsure: Callable[[np.ndarray, str], object] | None = None,
) -> dict:
    """Every figure of this module as one dict (quick: a few of each, for tests of the bench);
    on_unsure: as digits'."""
    rng = np.random.default_rng(seed)
    split = person_split(chars)
    test_digits = real_digits(chars, split, "test")
    test_letters = np.flatnonzero((chars.kind != "digit") & (split == "test"))
    clear = test_letters[~np.isin(chars.label[test_letters], list(DIGIT_LIKE_LETTERS))]
    few = (lambda idx: rng.permutation(idx)[:40]) if quick else (lambda idx: idx)
    out = {
        "digits": digits(rec, chars, few(test_digits), 1 if quick else RENDERS, rng, on_unsure),
        "gone_over": gone_over(rec, chars, few(test_digits), np.random.default_rng(seed + GONE_OVER_SEED)),
        "letters": letters(rec, chars, few(test_letters), rng),
        "letters_between_digits": words(rec, chars, test_digits, clear, 5 if quick else WORDS, rng),
    }
    if x_test is not None:
        out["mnist_styles"] = mnist_styles(rec, x_test, y_test, 5 if quick else MNIST_STYLED, rng)
    return out


def unsure_sheet(drawings: list[tuple[np.ndarray, str]]) -> np.ndarray:
    """The drawings read "not sure" (as digits' on_unsure gets them), SHEET_HEIGHT px tall in rows SHEET_WIDTH px
    wide, each captioned "label -> digit (reason)": dark ink on white, uint8."""
    rows, row, used = [], [], 0
    for ink, caption in drawings:
        scale = (SHEET_HEIGHT - 30) / max(ink.shape[0], 1)
        ink = cv2.resize(ink, (max(1, round(ink.shape[1] * scale)), SHEET_HEIGHT - 30), interpolation=cv2.INTER_AREA)
        (text_w, _), _ = cv2.getTextSize(caption, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)
        tile = np.full((SHEET_HEIGHT, min(SHEET_WIDTH, max(ink.shape[1], text_w) + 12)), 255, np.uint8)
        tile[24 : 24 + ink.shape[0], 6 : 6 + min(ink.shape[1], tile.shape[1] - 6)] = 255 - ink[:, : tile.shape[1] - 6]
        cv2.putText(tile, caption, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 0, 1, cv2.LINE_AA)
        if used + tile.shape[1] > SHEET_WIDTH:
            rows.append(row)
            row, used = [], 0
        row.append(tile)
        used += tile.shape[1]
    rows.append(row)
    blank = [np.full((SHEET_HEIGHT, SHEET_WIDTH - sum(t.shape[1] for t in r)), 255, np.uint8) for r in rows]
    return np.vstack([np.hstack([*r, b]) for r, b in zip(rows, blank)])


def main(argv: list[str] | None = None) -> int:
    from recognizer.data import load_mnist, load_unipen
    from recognizer.errors import RecognizerError
    from recognizer.fileio import atomic_write
    from recognizer.predictor import DEFAULT_MODEL

    parser = argparse.ArgumentParser(prog="python -m bench.real", description=first_paragraph(__doc__))
    parser.add_argument("--unipen", help="unipen_dev.npz (default: $UNIPEN_NPZ)")
    parser.add_argument(
        "--data", help="mnist.npz, for the styled MNIST test digits (default: $MNIST_NPZ; none: skipped)"
    )
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="the .tflite or .keras model (default: shipped)")
    parser.add_argument("--quick", action="store_true", help="a few characters of each kind")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--unsure", help='also draw the held-out digits read "not sure" into this PNG')
    args = parser.parse_args(argv)
    try:
        rec = Recognizer.load(args.model)
        chars = load_unipen(args.unipen)
        mnist = load_mnist(args.data) if args.data else None
    except RecognizerError as exc:
        parser.exit(2, f"error: {exc}\n")
    drawings: list[tuple[np.ndarray, str]] = []
    x_test, y_test = (mnist.x_test, mnist.y_test) if mnist else (None, None)
    on_unsure = (lambda ink, caption: drawings.append((ink, caption))) if args.unsure else None
    figures = run(rec, chars, x_test, y_test, args.quick, on_unsure=on_unsure)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        with atomic_write(args.json, "w") as f:
            f.write(text + "\n")
    if args.unsure:
        try:
            write_png(args.unsure, unsure_sheet(drawings))
        except OSError as exc:
            parser.exit(1, f"error: {exc}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
