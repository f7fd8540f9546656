"""Numbers written by real people (issue 17): 2-5 pen digits of one held-out UNIPEN writer in a row.

    python -m bench.real_numbers --unipen ../shared/data/unipen_dev.npz [--numbers 800] [--json OUT]

Each number is the digits of one "test" person (recognizer.unipen.person_split: nobody the models
were trained or tuned on) written left to right by recognizer.unipen.write_row with NUMBER_STYLE:
realistic gaps, baseline drift, size changes, slant, now and then touching or overlapping
neighbours and a digit's last stroke added after the next digit; strokes in writing order, drawn
with the app's brush on a 640x640 canvas (wider when the number needs it). Each is read twice:
  * app path: Recognizer.read(canvas, strokes), as the app reads while drawing;
  * image path: Recognizer.read(canvas), as the CLI reads a picture.
Figures per path and by length: whole numbers read exactly (a digit read "not sure" is wrong),
digit count right, per-digit accuracy (true digits matched in order, by the longest common
subsequence), and the bound p^n: p is the accuracy of the same digits each read alone on the
same canvas as read() reads them (read_alone), so p^n is what a perfect segmenter would reach; "alone, all
right" is the share of numbers whose digits all read right alone (the same bound, measured).
Time per read() for 5-digit numbers, p50 and p99 (the app reads up to 30 times a second). And the
app path once more for every number with a digit of two strokes or more, those digits' later strokes
written after the whole number (late_order: as people cross their 7s and flag their 5s at the end).
UNIPEN: Guyon et al., ICPR 1994; Unipen Consortium 1999, doi:10.5281/zenodo.1195803; CC BY 4.0.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import sys
import time
from collections.abc import Iterator, Sequence

import cv2
import numpy as np

from recognizer.data import PenCharacters
from recognizer.fileio import first_paragraph
from recognizer.ink import INK_LEVEL, ink_box
from recognizer.predictor import Recognizer, number_text
from recognizer.strokes import Stroke
from recognizer.unipen import Row, RowStyle, digits_by_person, write_row

from .common import accuracy_entry, digits_in, md_table, timing_stats, without_marks, write_json, write_png
from .numbers import lcs_length

SEED = 1717
NUMBERS = 800  # numbers per full run (200 of each length)
QUICK_NUMBERS = 8
LENGTHS = (2, 3, 4, 5)
CANVAS = 640  # px, the canvas side (the app's default canvas is 560)
MAX_HEIGHT = 200.0  # px; people write a long number smaller, to fit it on the canvas: a digit and
# its gap take about the digit's height, and half a digit's height is left for the margins
NUMBER_STYLE = RowStyle(
    height=(80.0, MAX_HEIGHT),
    pen=(0.6, 1.2),
    gap=(0.08, 0.5),
    ink_gaps=True,
    size=0.1,
    drift=0.15,
    wobble=0.05,
    slant=0.15,
    touch=0.12,
    overlap=0.1,
    late=0.05,
    canvas=(CANVAS, CANVAS),
)
PATHS = ("app", "image")


@dataclasses.dataclass
class _Number:
    length: int
    truth: str
    touching: bool  # some neighbours' ink touches or overlaps
    read: dict  # path -> text read (number_text: "?" where not sure)
    alone: dict  # path -> per digit: read right alone
    ms: dict  # path -> read() time, wall clock
    cpu_ms: dict  # path -> read() time, CPU of this process (all its threads added up: LiteRT's too)
    boxes: dict  # path -> each digit's box as read
    late: str | None = None  # the app path's reading with later strokes written last (late_order); None: no such digit


def style_for(length: int) -> RowStyle:
    """NUMBER_STYLE with the height capped so that a number of `length` digits mostly fits 640 px."""
    top = max(min(MAX_HEIGHT, CANVAS / (length + 0.5)), NUMBER_STYLE.height[0])
    return dataclasses.replace(NUMBER_STYLE, height=(NUMBER_STYLE.height[0], top))


def one_persons_digits(digits_of: dict[str, np.ndarray], length: int, rng: np.random.Generator) -> list[int]:
    """`length` distinct digits (indices) of one person, chosen at random, each person equally often,
    among those with that many (digits_of: unipen.digits_by_person), as a person writes a number."""
    persons = sorted(p for p, idx in digits_of.items() if len(idx) >= length)
    person = persons[rng.integers(len(persons))]
    return list(rng.choice(digits_of[person], length, replace=False))


def compose(chars: PenCharacters, digits_of: dict[str, np.ndarray], length: int, rng: np.random.Generator):
    """A number of `length` digits of one person (one_persons_digits): its row and its digits' indices."""
    row = one_persons_digits(digits_of, length, rng)
    return write_row(chars, row, rng, style_for(length)), row


def number_rows(
    chars: PenCharacters, digits_of: dict[str, np.ndarray], n: int, rng: np.random.Generator
) -> Iterator[tuple[Row, str]]:
    """n numbers, lengths taking turns through LENGTHS, each of one person's digits (compose): the
    row written and the digits it holds. One at a time: a canvas takes 400 KB or more."""
    for k in range(n):
        written, row = compose(chars, digits_of, LENGTHS[k % len(LENGTHS)], rng)
        yield written, "".join(chars.label[i] for i in row)


def _read(rec: Recognizer, canvas: np.ndarray, strokes) -> tuple[str, float, float, list]:
    """The number read, the wall and CPU time of read() in ms, and the boxes read."""
    wall, cpu = time.perf_counter_ns(), time.process_time_ns()
    preds = rec.read(canvas, strokes)
    cpu, wall = time.process_time_ns() - cpu, time.perf_counter_ns() - wall
    return number_text(preds), wall / 1e6, cpu / 1e6, [p.box for p in preds]


def read_alone(
    rec: Recognizer,
    canvases: Sequence[np.ndarray],
    labels: Sequence[str],
    strokes: Sequence[Sequence[Stroke]] | None = None,
) -> list[bool]:
    """Whether each digit, drawn alone on a canvas of its own (strokes: its own, if known), reads as
    its label and nothing else, not "not sure", as read() reads it, the path the number is read
    by: with strokes, a digit drawn bolder than MNIST's is drawn again thinner there (predict reads
    it as drawn, which made the bound p^n lower than the numbers' own reading on the app's path)."""
    return [
        number_text(rec.read(canvas, None if strokes is None else strokes[k])) == labels[k]
        for k, canvas in enumerate(canvases)
    ]


def touching(inks: list[np.ndarray]) -> bool:
    """Whether the ink of any two neighbouring digits touches (8-connected) or overlaps."""
    grown = [cv2.dilate((ink > INK_LEVEL).astype(np.uint8), np.ones((3, 3), np.uint8)) for ink in inks]
    return any((a & (b > INK_LEVEL)).any() for a, b in zip(grown, inks[1:]))


def run(
    rec: Recognizer,
    chars: PenCharacters,
    n: int = NUMBERS,
    seed: int = SEED,
    quick: bool = False,
    split: str = "test",
    keep_failures: int = 0,
) -> dict:
    """Compose n numbers (equal shares of each length) of `split` people and read them both ways.
    keep_failures: keep the canvases of up to this many numbers read with too many or too few digits
    per path (for pictures: failure_sheet), under the key "failed" (not JSON)."""
    n = QUICK_NUMBERS if quick else n
    digits_of = digits_by_person(chars, split)
    rows, failed = [], {path: [] for path in PATHS}
    for written, truth in number_rows(chars, digits_of, n, np.random.default_rng(seed)):
        length, inks = len(truth), written.inks()
        number = _Number(length, truth, touching(inks), {}, {}, {}, {}, {})
        for path, strokes in (("app", written.strokes), ("image", None)):
            number.read[path], number.ms[path], number.cpu_ms[path], number.boxes[path] = _read(
                rec, written.canvas, strokes
            )
            own = [written.strokes_of(d) for d in range(length)] if strokes is not None else None
            number.alone[path] = read_alone(rec, inks, truth, own)
            if len(number.read[path]) != length and len(failed[path]) < keep_failures:
                failed[path].append((written.canvas, number.truth, number.read[path], number.boxes[path]))
        late = late_order(written.strokes, written.owner)
        if late != written.strokes:
            number.late = number_text(rec.read(written.canvas, late))
        rows.append(number)
    out = {
        "split": split,
        "seed": seed,
        "numbers": n,
        "people": len(digits_of),
        "touching": round(float(np.mean([r.touching for r in rows])), 4),
        "style": dataclasses.asdict(NUMBER_STYLE) | {"height": f"80 to min({MAX_HEIGHT}, {CANVAS} / (length + 0.5))"},
        "paths": {path: _figures(rows, path) for path in PATHS},
        "failures": {path: _failures(rows, path) for path in PATHS},
        "alone_read_by": "read",  # since December 6 (read_alone); before, predict
        "late_strokes": _late_figures(rows),
    }
    if keep_failures:
        out["failed"] = failed
    return out


def late_order(strokes: Sequence[Stroke], owner: Sequence[int]) -> list[Stroke]:
    """The strokes with every digit's first stroke in writing order, then the later strokes of the
    digits of two or more, in writing order: written after the whole number."""
    seen: set[int] = set()
    first, later = [], []
    for stroke, digit in zip(strokes, owner):
        (later if digit in seen else first).append(stroke)
        seen.add(digit)
    return first + later


def _late_figures(rows: list[_Number]) -> dict:
    """The numbers whose order late_order changes (a digit of two strokes or more before the last):
    read whole in writing order and with those later strokes written last, on the app path."""
    late = [r for r in rows if r.late is not None]
    return {
        "numbers": len(late),
        "whole_in_order": accuracy_entry(sum(r.read["app"] == r.truth for r in late), len(late)),
        "whole_late": accuracy_entry(sum(r.late == r.truth for r in late), len(late)),
    }


def _figures(rows: list[_Number], path: str) -> dict:
    """Accuracy figures of one path, over all numbers and by length, and its read() times."""

    def summary(selected: list[_Number]) -> dict:
        digits = sum(r.length for r in selected)
        alone = [ok for r in selected for ok in r.alone[path]]
        p = sum(alone) / len(alone)
        return {
            "whole": accuracy_entry(sum(r.read[path] == r.truth for r in selected), len(selected)),
            "count_right": accuracy_entry(sum(digits_in(r.read[path]) == r.length for r in selected), len(selected)),
            "per_digit": round(sum(lcs_length(r.truth, r.read[path]) for r in selected) / digits, 5),
            "alone_per_digit": round(p, 5),
            "bound": round(float(np.mean([p**r.length for r in selected])), 5),
            "alone_all_right": round(float(np.mean([all(r.alone[path]) for r in selected])), 5),
        }

    by_length = {
        str(k): summary([r for r in rows if r.length == k]) for k in LENGTHS if any(r.length == k for r in rows)
    }
    five = [r for r in rows if r.length == max(LENGTHS)]

    def ms(selected: list[_Number], key: str) -> dict:
        return timing_stats(np.array([getattr(r, key)[path] for r in selected]) * 1e6)

    return {
        "all": summary(rows),
        "by_length": by_length,
        "apart": summary([r for r in rows if not r.touching]) if any(not r.touching for r in rows) else None,
        "touching": summary([r for r in rows if r.touching]) if any(r.touching for r in rows) else None,
        "read_ms_5_digits": ms(five, "ms") if five else None,
        "read_cpu_ms_5_digits": ms(five, "cpu_ms") if five else None,
        "read_ms_all": ms(rows, "ms"),
    }


def _failures(rows: list[_Number], path: str, most: int = 12) -> dict:
    """What went wrong most often: wrong count (more or fewer digits), a mark (recognizer.marks)
    where none was written, "not sure", a wrong digit."""
    kinds = collections.Counter()
    examples = []
    for r in rows:
        text = r.read[path]
        if text == r.truth:
            continue
        kind = (
            "too many digits"
            if digits_in(text) > r.length
            else "too few digits"
            if digits_in(text) < r.length
            else "a mark where none was written"
            if without_marks(text) == r.truth
            else "not sure"
            if "?" in text
            else "wrong digit"
        )
        kinds[kind] += 1
        if len(examples) < most:
            examples.append(f"{r.truth} -> {text}")
    return {"kinds": dict(kinds.most_common()), "examples": examples}


def report(results: dict) -> str:
    """The figures as a Markdown table per path, by length, with the p^n bound beside them."""
    title = (
        f"Numbers of 2-5 real pen digits, one held-out writer each ({results['numbers']} numbers, "
        f"{results['people']} '{results['split']}' people; seed {results['seed']}; "
        f"{results['touching']:.0%} with neighbours' ink touching)"
    )
    lines = [title, ""]
    header = [
        "path",
        "digits",
        "numbers",
        "whole number",
        "bound p^n",
        "alone, all right",
        "count right",
        "per digit",
        "alone p",
    ]
    table = []
    for path in PATHS:
        fig = results["paths"][path]
        extra = [(f"all, {key}", fig[key]) for key in ("apart", "touching") if fig[key]]
        for key, entry in [*fig["by_length"].items(), ("all", fig["all"]), *extra]:
            table.append(
                [
                    path,
                    key,
                    str(entry["whole"]["n"]),
                    f"{entry['whole']['accuracy']:.1%}",
                    f"{entry['bound']:.1%}",
                    f"{entry['alone_all_right']:.1%}",
                    f"{entry['count_right']['accuracy']:.1%}",
                    f"{entry['per_digit']:.1%}",
                    f"{entry['alone_per_digit']:.1%}",
                ]
            )
    lines.append(md_table(header, table))
    lines.append("")
    if results.get("alone_read_by") == "read":
        lines.append('"bound p^n": p is "alone p", the same digits each read alone with `read`, as the number is.')
    else:  # results from before December 6
        lines.append(
            '"bound p^n": p is "alone p", the same digits each read alone with `predict`. On the app path they '
            "are read as drawn, with the number's bold brush, while `read` reads a bold candidate redrawn with a "
            "thinner pen, so whole numbers can read above the bound there (`bench.real_numbers` now reads them "
            "with `read`, the number's own path: the app path's bound will be higher in the next run)."
        )
    lines.append("")
    for path in PATHS:
        fig, fail = results["paths"][path], results["failures"][path]
        t, c = fig["read_ms_5_digits"], fig["read_cpu_ms_5_digits"]
        if t:
            lines.append(
                f"{path} path: read() of 5 digits p50 {t['p50_ms']:.1f} ms, p99 {t['p99_ms']:.1f} ms wall clock "
                f"(CPU time, all threads added up: p50 {c['p50_ms']:.1f}, p99 {c['p99_ms']:.1f} ms; "
                f"{t['n']} numbers)"
            )
        lines.append(f"  failures: {fail['kinds']}; e.g. {', '.join(fail['examples'][:8])}")
    if (late := results.get("late_strokes")) and late["numbers"]:  # since December 7
        lines.append(
            f"app path, the {late['numbers']} numbers with a digit of two strokes or more before the last, their "
            f"later strokes written after the whole number: {late['whole_late']['accuracy']:.1%} read whole "
            f"({late['whole_in_order']['accuracy']:.1%} in writing order)"
        )
    return "\n".join(lines)


def failure_sheet(failed: dict, per_path: int = 6, width: int = 900) -> np.ndarray:
    """A picture of numbers split or merged wrong, per path: the canvas cropped to the ink, the boxes
    read, and "truth -> read" (uint8, dark ink on white)."""
    tiles = []
    for path, cases in failed.items():
        for canvas, truth, read, boxes in cases[:per_path]:
            x, y, w, h = ink_box(canvas)
            pad = 20
            crop = cv2.cvtColor(255 - canvas, cv2.COLOR_GRAY2BGR)
            for bx, by, bw, bh in boxes:
                cv2.rectangle(crop, (bx, by), (bx + bw - 1, by + bh - 1), (40, 40, 220), 2)
            crop = crop[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad]
            scale = min(1.0, (width - 10) / crop.shape[1], 160 / crop.shape[0])
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            tile = np.full((crop.shape[0] + 36, width, 3), 255, np.uint8)
            tile[36:, : crop.shape[1]] = crop
            cv2.putText(
                tile,
                f"{path} path: {truth} -> {read or '(nothing)'}",
                (6, 26),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.7,
                (0, 0, 0),
                2,
                cv2.LINE_AA,
            )
            tiles.append(cv2.copyMakeBorder(tile, 0, 4, 0, 0, cv2.BORDER_CONSTANT, value=(200, 200, 200)))
    return np.vstack(tiles) if tiles else np.full((40, width, 3), 255, np.uint8)


def main(argv: list[str] | None = None) -> int:
    from recognizer.data import load_unipen
    from recognizer.errors import RecognizerError
    from recognizer.predictor import DEFAULT_MODEL

    parser = argparse.ArgumentParser(prog="python -m bench.real_numbers", description=first_paragraph(__doc__))
    parser.add_argument("--unipen", help="unipen_dev.npz (default: $UNIPEN_NPZ)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="the .tflite or .keras model (default: shipped)")
    parser.add_argument("--numbers", type=int, default=NUMBERS, help=f"numbers to compose (default {NUMBERS})")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--split",
        choices=("test", "val"),
        default="test",
        help="whose digits: held-out 'test' people (the figures) or 'val' people (tuning)",
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_NUMBERS} numbers, for tests of the bench")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--failures", help="also draw some numbers read with a wrong digit count into this PNG")
    args = parser.parse_args(argv)
    if args.numbers < 1:
        parser.exit(2, "error: --numbers must be at least 1\n")
    try:
        rec = Recognizer.load(args.model)
        chars = load_unipen(args.unipen)
    except RecognizerError as exc:
        parser.exit(2, f"error: {exc}\n")
    results = run(rec, chars, args.numbers, args.seed, args.quick, args.split, keep_failures=6 if args.failures else 0)
    if args.failures:
        try:
            write_png(args.failures, failure_sheet(results.pop("failed")))
        except OSError as exc:
            parser.exit(1, f"error: {exc}\n")
    print(report(results))
    if args.json:
        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
