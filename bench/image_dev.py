"""Dev figures for the image path (Recognizer.read(canvas), no strokes) on training-side data only.

    python -m bench.image_dev --unipen ../shared/data/unipen_dev.npz --data ../shared/data/mnist.npz
        [--split val] [--numbers 400] [--mnist 300] [--json OUT]

The same numbers as bench.real_numbers (one writer per number, NUMBER_STYLE, 640 px canvas), but of
'val' (or 'train') people and another seed, so that the image path's priors and cuts can be tuned
without ever looking at the 'test' people the bench reports on; and numbers of MNIST *training*
digits (bench.numbers' composition, apart and touching) in place of its MNIST test digits.
Each wrong number is put in one failure class from where the digits' true ink fell in the boxes read:
  * split: a digit's ink spread over two boxes or more (a 4 or 5 whose pieces do not touch);
  * merged: one box holding most of the ink of two digits or more (touching neighbours);
  * cut wrong: the count right but some box holding the wrong ink (a cut through a digit);
  * false mark: the digits right, with a mark (recognizer.marks) where none was written;
  * not sure / wrong digit: segmented right, read wrong.
The figures and failure classes are also given for the numbers whose neighbours' ink touches
(bench.real_numbers' test), where the cuts matter.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from collections.abc import Iterable, Iterator

import numpy as np

from recognizer.fileio import first_paragraph
from recognizer.ink import INK_LEVEL
from recognizer.predictor import Recognizer, number_text
from recognizer.unipen import digits_by_person

from .common import digits_in, without_marks, write_json
from .numbers import lcs_length, numbers_benchmark
from .real_numbers import LENGTHS, number_rows, read_alone, touching

DEV_SEED = 4242  # not the bench's seed
SHARE = 0.5  # a box "holds" a digit when it covers more than this share of the digit's ink
SPREAD = 0.2  # a digit is split when two boxes or more each hold more than this share of its ink


def compose_numbers(chars, split: str, n: int, seed: int) -> Iterator[tuple[np.ndarray, str, list[np.ndarray]]]:
    """n numbers of `split` people (equal shares of each length): (canvas, truth, each digit's ink
    drawn alone), one at a time (a number and its digits' inks take about 2 MB)."""
    for written, truth in number_rows(chars, digits_by_person(chars, split), n, np.random.default_rng(seed)):
        yield written.canvas, truth, written.inks()


def failure_class(truth: str, read: str, boxes: list, inks: list[np.ndarray]) -> str:
    """Why a number was read wrong (see the module docstring); "right" when it was not."""
    if read == truth:
        return "right"
    inks = [ink > INK_LEVEL for ink in inks]
    totals = [max(int(ink.sum()), 1) for ink in inks]
    share = np.array([[ink[y : y + h, x : x + w].sum() / t for ink, t in zip(inks, totals)] for x, y, w, h in boxes])
    if len(boxes) and ((share > SHARE).sum(axis=1) >= 2).any():
        return "merged"
    if len(boxes) and ((share > SPREAD).sum(axis=0) >= 2).any() and digits_in(read) > len(truth):
        return "split"
    if digits_in(read) != len(truth):
        return "too many" if digits_in(read) > len(truth) else "too few"
    if len(boxes) and not all(share[k, k] > SHARE for k in range(len(truth))):
        return "cut wrong"
    if without_marks(read) == truth:
        return "false mark"
    return "not sure" if "?" in read else "wrong digit"


def real_figures(rec: Recognizer, numbers: Iterable[tuple[np.ndarray, str, list[np.ndarray]]]) -> dict:
    """Whole, count, per digit, bound p^n (p: each digit read alone, read_alone), by length,
    failure classes and read() CPU times; each number is let go once read."""
    rows = []
    for canvas, truth, inks in numbers:
        ok = read_alone(rec, inks, truth)
        cpu = time.process_time_ns()
        preds = rec.read(canvas)
        ms = (time.process_time_ns() - cpu) / 1e6
        read = number_text(preds)
        rows.append((truth, read, ms, failure_class(truth, read, [p.box for p in preds], inks), ok, touching(inks)))

    def summary(sel: list) -> dict | None:
        if not sel:  # few numbers: some lengths, or touching ones, may have none
            return None
        p = np.mean([o for r in sel for o in r[4]])
        return {
            "n": len(sel),
            "whole": round(np.mean([r[0] == r[1] for r in sel]), 4),
            "count": round(np.mean([len(r[0]) == len(r[1]) for r in sel]), 4),
            "per_digit": round(sum(lcs_length(r[0], r[1]) for r in sel) / sum(len(r[0]) for r in sel), 4),
            "bound": round(float(np.mean([p ** len(r[0]) for r in sel])), 4),
        }

    five = np.array([r[2] for r in rows if len(r[0]) == 5])
    return {
        "all": summary(rows),
        "by_length": {k: summary([r for r in rows if len(r[0]) == k]) for k in LENGTHS},
        "touching": summary([r for r in rows if r[5]]),
        "touching_failures": dict(collections.Counter(r[3] for r in rows if r[5] and r[3] != "right").most_common()),
        "failures": dict(collections.Counter(r[3] for r in rows if r[3] != "right").most_common()),
        "examples": [f"{r[0]}->{r[1]} ({r[3]})" for r in rows if r[3] != "right"][:40],
        "cpu_ms_5": {"p50": round(float(np.percentile(five, 50)), 2), "p99": round(float(np.percentile(five, 99)), 2)}
        if len(five)
        else None,
    }


def main(argv: list[str] | None = None) -> int:
    from recognizer.data import load_mnist, load_unipen
    from recognizer.errors import RecognizerError

    parser = argparse.ArgumentParser(prog="python -m bench.image_dev", description=first_paragraph(__doc__))
    parser.add_argument("--unipen", required=True)
    parser.add_argument("--data", help="mnist.npz: also numbers of MNIST training digits")
    parser.add_argument("--split", choices=("val", "train"), default="val")
    parser.add_argument("--numbers", type=int, default=400)
    parser.add_argument("--mnist", type=int, default=300, help="MNIST numbers, apart and touching each")
    parser.add_argument("--seed", type=int, default=DEV_SEED)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if args.numbers < 1 or args.mnist < 0:
        parser.exit(2, "error: --numbers must be at least 1 and --mnist at least 0\n")
    try:
        rec, chars = Recognizer.load(), load_unipen(args.unipen)
        mnist = load_mnist(args.data) if args.data and args.mnist else None
    except RecognizerError as exc:
        parser.exit(2, f"error: {exc}\n")
    numbers = compose_numbers(chars, args.split, args.numbers, args.seed)
    out = {"split": args.split, "seed": args.seed, "real": real_figures(rec, numbers)}
    if mnist is not None:
        x_train, y_train = mnist.x_train, mnist.y_train
        for touch in (False, True):
            fig = numbers_benchmark(rec, x_train, y_train, args.mnist, args.seed, touching=touch)
            out["mnist_touching" if touch else "mnist_apart"] = {
                k: fig[k] for k in ("whole_number_accuracy", "digit_count_right", "per_digit_accuracy")
            }
    print(json.dumps(out, indent=1))
    if args.json:
        write_json(args.json, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
