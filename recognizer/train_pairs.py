"""Train the digit-pair reader: which two digits a piece of two digits touching holds, read whole.

    python -m recognizer train-pairs --unipen ../shared/data/unipen_dev.npz --out my_pairs.keras

(`make train-pairs` replaces the shipped one: --overwrite-shipped.)

Without strokes (a scan, a photo, the CLI), two digits that touch are one piece of ink, which the
reader cuts into slices (recognizer.grouping); where bold digits overlap, no cut parts them well,
and the slices read as other digits ("93" as "81") or the piece stays whole as one. This CNN reads
the whole piece (preprocess.pair_image: stretched to fill 24x24 of a 28x28 image, the two digits
side by side) and answers P(left digit, right digit) over the 100 pairs, "00" to "99": the reading
keeps its cut, or its one piece, and takes the pair's digits where the reader is sure of them
(grouping.PAIR_SURE).

It learns from real pen writing (UNIPEN, CC BY 4.0; required): two digits of one "train" person
written touching or overlapping with the app's brush (pair_data), cut as an image's reading cuts
them (grouping.cut_pieces), each piece holding most of both digits' ink kept. The "val" people's,
made the same way, are held out: the card gives the pairs read right, all and those read sure. The
"test" people and MNIST are not used. Writes models/digit_pairs.keras, .tflite and .json;
checkpoints every epoch under models/checkpoints/pairs (rerun with --resume after a stop).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .batch import predict_batches
from .data import UNIPEN_ENV_VAR, PenCharacters, load_unipen
from .errors import DataError, RecognizerError
from .fileio import check_writable, command_prog, first_paragraph
from .grouping import PAIR_SURE
from .predictor import MODELS_DIR
from .train import (
    check_count,
    check_counts,
    check_out,
    end_run,
    fit_checkpointed,
    fit_once,
    say_if_nothing_to_resume,
    ship_model,
    training_parser,
)
from .train_detector import MERGED, SLICE_STYLE

DEFAULT_OUT = str(MODELS_DIR / "digit_pairs.keras")  # the shipped model, which the app loads
EPOCHS = 30
RUN_FOLDER = "pairs"  # inside --work-dir: the run's checkpoints (a fresh run empties it, never the rest)
SEED = 13
PAIRS = 30_000  # pairs of "train" people written ...
VAL_PAIRS = 4_000  # ... and of "val" people, held out
MAX_PAIRS = 10 * PAIRS  # --pairs at most: about 1 GB of images; more is a typo
# Two digits touching: the second comes up to OVERLAP heights over the first (RowStyle.overlap).
PAIR_STYLES = tuple(replace(SLICE_STYLE, touch=1.0, overlap=overlap) for overlap in (0.1, 0.2))


def pair_data(chars: PenCharacters, which: str, pairs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(x (n, 28, 28) uint8 pair images, y (n,) 10 * left digit + right digit) of `pairs` pairs of
    two digits of one `which` person each, written touching (PAIR_STYLES) and cut as an image's
    reading cuts them: every piece holding MERGED of both digits' ink. Deterministic for a seed."""
    from .grouping import cut_pieces
    from .ink import INK_LEVEL, ink_from_canvas
    from .preprocess import pair_image
    from .unipen import digits_by_person, write_row

    rng = np.random.default_rng(seed)
    digits_of = digits_by_person(chars, which)
    persons = sorted(p for p, idx in digits_of.items() if len(idx) >= 2)
    x, y = [], []
    for n in range(pairs if persons else 0):
        person = persons[rng.integers(len(persons))]
        row = [int(i) for i in rng.choice(digits_of[person], 2, replace=False)]
        written = write_row(chars, row, rng, PAIR_STYLES[n % len(PAIR_STYLES)])
        inks = [ink > INK_LEVEL for ink in written.inks()]
        totals = np.array([max(int(ink.sum()), 1) for ink in inks])
        for segment, _ in cut_pieces(ink_from_canvas(written.canvas)):
            bx, by, bw, bh = segment.box
            held = np.array([(ink[by : by + bh, bx : bx + bw] & segment.mask).sum() for ink in inks]) / totals
            if (held >= MERGED).all():
                x.append(np.round(pair_image(segment.mask) * 255).astype(np.uint8))
                y.append(10 * int(chars.label[row[0]]) + int(chars.label[row[1]]))
    if not x:
        return np.empty((0, 28, 28), np.uint8), np.empty(0, np.int64)
    return np.stack(x), np.array(y, np.int64)


def held_out_figures(model, x: np.ndarray, y: np.ndarray) -> dict:
    """The card's figures: the held-out pairs read right, all and those read sure (top P at least
    PAIR_SURE, where the reader takes them), and the share read sure."""
    probs = predict_batches(model, x)
    right = probs.argmax(axis=1) == y
    sure = probs.max(axis=1) >= PAIR_SURE
    return {
        "pairs": len(y),
        "read_right": round(float(right.mean()), 4),
        "read_sure": round(float(sure.mean()), 4),
        "right_when_sure": round(float(right[sure].mean()), 4) if sure.any() else None,
    }


def build_parser() -> argparse.ArgumentParser:
    parser = training_parser(
        command_prog("train-pairs"),
        first_paragraph(__doc__),
        unipen="real pen digits (default: $UNIPEN_NPZ; required)",
        epochs=EPOCHS,
        out=DEFAULT_OUT,
        limit="use N pairs of the training people",
        work_dir="<out dir>/checkpoints",
        mnist="not taken: the pairs are real pen writing alone",
    )
    parser.add_argument(
        "--pairs", type=int, default=PAIRS, help=f"pairs of the training people to write (default {PAIRS})"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_counts(args.epochs, args.limit)
        if args.data:
            raise DataError("train-pairs learns from real pen writing alone: leave out --data")
        check_count("--pairs", args.pairs, MAX_PAIRS)
        unipen_path = args.unipen or os.environ.get(UNIPEN_ENV_VAR)
        if not unipen_path:
            raise DataError("train-pairs learns from real pen writing: give --unipen PATH (or set $UNIPEN_NPZ)")
        check_out(args.out, args.overwrite_shipped)
        if args.work_dir:
            check_writable(args.work_dir, "--work-dir", folder=True)
        chars = load_unipen(unipen_path)
        pairs = min(args.pairs, args.limit) if args.limit else args.pairs
        x, y = pair_data(chars, "train", pairs, SEED)
        x_held, y_held = pair_data(chars, "val", max(1, pairs * VAL_PAIRS // PAIRS), SEED + 1)
        if not len(y):
            raise DataError(f"{unipen_path}: its training people's digits gave no pieces of two digits to learn from")
        work_dir = Path(args.work_dir or Path(args.out).parent / "checkpoints") / RUN_FOLDER
        if args.resume:
            say_if_nothing_to_resume(work_dir)
        from .model import build_pair_reader

        model, history = fit_once(  # kept until the run's files are saved, for --resume after a stop
            work_dir / "pairs.keras",
            work_dir / "history.csv",
            args.resume,
            lambda: fit_checkpointed(
                build_pair_reader,
                "sparse_categorical_crossentropy",
                x,
                y,
                (x_held, y_held) if len(y_held) else None,
                args.epochs,
                work_dir,
                args.resume,
                seed=SEED,
            ),
            outputs=100,
        )
        figures = held_out_figures(model, x_held, y_held) if len(y_held) else {}
        keras_path, tflite_path, _ = ship_model(
            model,
            history,
            parser,
            args,
            started,
            {"unipen": unipen_path},
            output="P(left digit, right digit) of a piece of two digits touching, 10 * left + right",
            holdout=figures,
            sure_above=PAIR_SURE,
            train_pieces=len(y),
        )
        end_run(work_dir, "pairs.keras", made=not args.work_dir)  # saved: nothing left for --resume to pick up
    except (RecognizerError, OSError) as exc:  # OSError: a disk full or a folder gone while it ran
        print(f"error: {exc}", file=sys.stderr)
        return 2
    said = f"{figures['pairs']} held-out pairs, {figures['read_right']:.2%} read right" if figures else "none held out"
    print(f"saved {keras_path} and {tflite_path}; {said}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
