"""Dev figures for scanned forms on training-side data only: numbers of MNIST *training* digits
(or, with --unipen, real pen digits of the UNIPEN 'val' people, one person's to a number) written
one digit to a box of a printed field (comb boxes), inside one frame, or on a fill-in line, as a
clean scan; read as the CLI reads a file (recognizer.photo.ink_canvases, then
Recognizer.read_picture), against the same numbers without the printed lines.

    python -m bench.form_dev (--data ../shared/data/mnist.npz | --unipen ../shared/data/unipen_dev.npz)
                             [--numbers 200] [--seed 6] [--tilt DEG] [--json OUT]

The forms are bench.forms' (`make bench` reads them for held-out people); --tilt turns every scan
by that many degrees (a sheet fed a little askew).
"""

from __future__ import annotations

import argparse
import sys

from recognizer.fileio import first_paragraph
from recognizer.predictor import Recognizer

from .common import write_json
from .forms import run
from .photos import mnist_numbers, pen_numbers

DEV_SEED = 6


def main(argv: list[str] | None = None) -> int:
    from recognizer.data import load_mnist, load_unipen
    from recognizer.errors import RecognizerError

    parser = argparse.ArgumentParser(prog="python -m bench.form_dev", description=first_paragraph(__doc__))
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", help="mnist.npz (default: $MNIST_NPZ)")
    source.add_argument("--unipen", help="unipen_dev.npz: numbers of the 'val' people's real digits instead")
    parser.add_argument("--numbers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=DEV_SEED)
    parser.add_argument("--tilt", type=float, default=0.0, help="turn every scan by this many degrees")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if args.numbers < 1 or not abs(args.tilt) <= 45:
        parser.exit(2, "error: --numbers must be at least 1 and --tilt within 45 degrees\n")
    try:
        rec = Recognizer.load()
        if args.unipen:
            numbers = pen_numbers(load_unipen(args.unipen), "val")
        else:
            mnist = load_mnist(args.data)
            numbers = mnist_numbers(mnist.x_train, mnist.y_train, replace=True)  # as this tool always drew them
    except RecognizerError as exc:
        parser.exit(2, f"error: {exc}\n")
    out = run(rec, numbers, args.numbers, args.seed, args.tilt)
    print(out)
    if args.json:
        write_json(args.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
