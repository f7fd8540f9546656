"""Train the touching-digits model: is a piece of ink that an image's reading may cut several digits
touching, or one character, a digit or a letter?

    python -m recognizer train-touching --unipen ../shared/data/unipen_dev.npz --data ../shared/data/mnist.npz \
        --out my_touching.keras

(`make train-touching` replaces the shipped one: --overwrite-shipped.)

Without strokes (a scan, a photo, the CLI), digits that touch are one piece of ink, and the reader
cuts wide pieces into slices (recognizer.grouping). A letter cut so reads as digits: an "e" as 12,
an "M" as 11, a "u" as 61. The classifier and the detector read one candidate at a time, and the
detector calls a letter and two digits touching alike "not a digit"; this small CNN reads the whole
piece and answers P(several digits), which prices the piece whole against its slices
(grouping.TOUCHING_WEIGHT).

It learns from real pen writing (UNIPEN, CC BY 4.0; required), drawn as images and cut as the
reader cuts them (grouping.cut_pieces): the pieces of numbers of 2-5 digits of one "train" person
each, half of them written with neighbours touching often (ROW_STYLES), labelled by whose ink they
hold (piece_label: several digits 1; one digit, one letter or letters touching 0); letters and
digits drawn alone; rows of a digit, 1-3 letters and a digit. With --data, also numbers of MNIST
training digits, apart and touching (mnist_pieces). The "val" people's, and numbers of the first
MNIST_HELD MNIST training digits, made the same way, are held out: the card gives the share of each
kind read as several digits (P above 0.5). The "test" people and MNIST's test set are not used.
Writes models/touching_digits.keras, .tflite and .json; checkpoints every epoch under
models/checkpoints/touching (rerun with --resume after a stop).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from .batch import predict_batches
from .data import ENV_VAR as MNIST_ENV_VAR
from .data import UNIPEN_ENV_VAR, PenCharacters, load_mnist, load_unipen
from .errors import DataError, RecognizerError
from .fileio import check_writable, command_prog, first_paragraph
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
from .train_detector import CUT_COVER, CUT_PURITY, MERGED, SLICE_STYLE
from .unipen import RowStyle

DEFAULT_OUT = str(MODELS_DIR / "touching_digits.keras")  # the shipped model, which the app loads
EPOCHS = 12
RUN_FOLDER = "touching"  # inside --work-dir: the run's checkpoints (a fresh run empties it, never the rest)
SEED = 11
NUMBERS = 12_000  # numbers of "train" people ...
VAL_NUMBERS = 2_000  # ... and of "val" people, held out; half as many rows of a digit, letters and a digit
MAX_NUMBERS = 10 * NUMBERS  # --numbers at most: a few GB of images; more is a typo
# Numbers written touching often (train_detector's segmentation samples) and as people mostly write them.
ROW_STYLES = (SLICE_STYLE, replace(SLICE_STYLE, touch=0.12))
WORD_STYLES = (RowStyle(), RowStyle(touch=0.3))  # rows with letters: apart, and touching now and then
# With MNIST, numbers of its training digits (synthetic.compose_number), apart and touching: as many as
# NUMBERS // 2, of the digits after the first MNIST_HELD (those of VAL_NUMBERS // 2, held out).
MNIST_HELD = 10_000
MNIST_LENGTHS = (2, 6)  # digits in such a number, fewest and most
MNIST_TOUCH_GAP = (-0.15, 0.0)  # the touching numbers' gaps between digit boxes, in heights: most touch
KINDS = (
    "merged digits",
    "one digit",
    "digit alone",
    "letter alone",
    "one letter",
    "merged letters",
    "mnist merged digits",
    "mnist one digit",
)
SEVERAL = 0.5  # a piece reads as several digits above this P (the card's figures)


def piece_label(cover: np.ndarray, purity: np.ndarray, is_digit: list[bool]) -> tuple[float, str] | None:
    """A whole piece's label and kind from each character's share of ink in it: cover (of the
    character's ink) and purity (of the piece's). Several characters hold MERGED of their ink in it:
    1.0 "merged digits" when all are digits, 0.0 "merged letters" when none is (a word's letters
    touching: cut into digits, they read as digits too); one character (CUT_COVER, CUT_PURITY): 0.0
    "one digit" or "one letter"; None otherwise (a digit with a letter, a part of one)."""
    held = np.flatnonzero(cover >= MERGED)
    if len(held) >= 2:
        digits = [is_digit[k] for k in held]
        return (1.0, "merged digits") if all(digits) else (0.0, "merged letters") if not any(digits) else None
    one = np.flatnonzero((cover >= CUT_COVER) & (purity >= CUT_PURITY))
    if len(one):
        return 0.0, "one digit" if is_digit[one[0]] else "one letter"
    return None


def touching_data(
    chars: PenCharacters, which: str, numbers: int, seed: int, letters: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x (n, 28, 28) uint8, y 1 = several digits, kind) of the `which` people's writing drawn as
    images: the pieces grouping.cut_pieces cuts, whole, in `numbers` numbers, numbers // 2 rows of a
    digit, letters and a digit, and their clear letters and digits drawn alone (at most `letters`
    of each; None: all). Deterministic for a seed."""
    from .grouping import cut_pieces
    from .ink import INK_LEVEL, ink_from_canvas
    from .unipen import clear_letters, digits_by_person, draw_placed, people, person_split, real_digits, write_row

    rng = np.random.default_rng(seed)
    x, y, kinds = [], [], []

    def add(image: np.ndarray, label: float, kind: str) -> None:
        x.append(np.round(image * 255).astype(np.uint8))
        y.append(label)
        kinds.append(kind)

    def pieces_of(row: list[int], style: RowStyle) -> None:
        written = write_row(chars, row, rng, style)
        inks = [ink > INK_LEVEL for ink in written.inks()]
        totals = np.array([max(int(ink.sum()), 1) for ink in inks])
        is_digit = [chars.kind[i] == "digit" for i in row]
        for segment, image in cut_pieces(ink_from_canvas(written.canvas)):
            bx, by, bw, bh = segment.box
            shared = np.array([(ink[by : by + bh, bx : bx + bw] & segment.mask).sum() for ink in inks])
            found = piece_label(shared / totals, shared / max(int(segment.mask.sum()), 1), is_digit)
            if found is not None:
                add(image, *found)

    split = person_split(chars)
    digits_of = digits_by_person(chars, which)
    persons = sorted(p for p, idx in digits_of.items() if len(idx) >= 2)
    for n in range(numbers if persons else 0):
        person = persons[rng.integers(len(persons))]
        length = min(int(rng.integers(2, 6)), len(digits_of[person]))
        pieces_of(list(rng.choice(digits_of[person], length, replace=False)), ROW_STYLES[n % 2])
    alone = [(clear_letters(chars, split, which), "letter alone"), (real_digits(chars, split, which), "digit alone")]
    for indices, kind in alone:
        for i in indices[:letters]:
            for _, image in cut_pieces(ink_from_canvas(draw_placed(chars.strokes(int(i)), rng)[0])):
                add(image, 0.0, kind)
    who, letters_of, with_letters = people(chars), defaultdict(list), defaultdict(list)
    for i in clear_letters(chars, split, which):
        letters_of[who[i]].append(i)
    for i in real_digits(chars, split, which):
        if len(letters_of[who[i]]) >= 3:
            with_letters[who[i]].append(i)
    writers = sorted(with_letters)
    for n in range(numbers // 2 if writers else 0):
        person = writers[rng.integers(len(writers))]
        between = list(rng.choice(letters_of[person], int(rng.integers(1, 4)), replace=False))
        ends = rng.choice(with_letters[person], 2)
        pieces_of([int(ends[0]), *between, int(ends[1])], WORD_STYLES[n % 2])
    if not x:
        return np.empty((0, 28, 28), np.uint8), np.empty(0, np.float32), np.empty(0, str)
    return np.stack(x), np.array(y, np.float32), np.array(kinds)


def mnist_pieces(images: np.ndarray, numbers: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, kind) as touching_data's, of `numbers` numbers of 2-6 of these MNIST digits, every other
    one written touching (synthetic.compose_number): a piece spanning two digits' box centres or
    more holds several ("mnist merged digits"), one spanning one centre one digit ("mnist one digit";
    a piece spanning none, a part of a broken digit, is left out). MNIST's pens and shapes are not
    UNIPEN's: without them, a bold MNIST 8 read as two digits and was cut."""
    from .grouping import cut_pieces
    from .ink import ink_from_canvas
    from .synthetic import NUMBER_GAP, compose_number

    rng = np.random.default_rng(seed)
    x, y, kinds = [], [], []
    for n in range(numbers if len(images) >= MNIST_LENGTHS[1] else 0):
        length = int(rng.integers(MNIST_LENGTHS[0], MNIST_LENGTHS[1] + 1))
        chosen = list(images[rng.choice(len(images), length, replace=False)])
        touching = n % 2 == 1
        canvas, boxes = compose_number(chosen, rng, gap=MNIST_TOUCH_GAP if touching else NUMBER_GAP, touching=touching)
        centres = np.array([bx + bw / 2 for bx, _, bw, _ in boxes])
        for segment, image in cut_pieces(ink_from_canvas(canvas)):
            left, width = segment.box[0], segment.box[2]
            held = int(((centres >= left) & (centres < left + width)).sum())
            if held:
                x.append(np.round(image * 255).astype(np.uint8))
                y.append(float(held >= 2))
                kinds.append("mnist merged digits" if held >= 2 else "mnist one digit")
    if not x:
        return np.empty((0, 28, 28), np.uint8), np.empty(0, np.float32), np.empty(0, str)
    return np.stack(x), np.array(y, np.float32), np.array(kinds)


def balanced(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The samples with the rarer label's repeated (whole copies, then a random share) until both
    labels are as many: touching digits are a few pieces among many characters, and the model must
    not learn that "one" is the safe answer. The augmenter draws each copy differently."""
    rng = np.random.default_rng(seed)
    ones, zeros = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    rare, common = (ones, zeros) if len(ones) < len(zeros) else (zeros, ones)
    if not len(rare):
        return x, y
    extra = np.concatenate([np.tile(rare, len(common) // len(rare) - 1), rng.choice(rare, len(common) % len(rare))])
    keep = np.concatenate([np.arange(len(y)), extra.astype(np.int64)])
    return x[keep], y[keep]


def held_out_figures(model, x: np.ndarray, kinds: np.ndarray) -> dict:
    """The card's figures: per kind of held-out piece, how many and the share read as several digits."""
    several = predict_batches(model, x).reshape(-1) > SEVERAL
    return {
        kind: {"pieces": int((kinds == kind).sum()), "read_several": round(float(several[kinds == kind].mean()), 4)}
        for kind in KINDS
        if (kinds == kind).any()
    }


def build_parser() -> argparse.ArgumentParser:
    parser = training_parser(
        command_prog("train-touching"),
        first_paragraph(__doc__),
        unipen="real pen digits and letters (default: $UNIPEN_NPZ; required: MNIST has no letters)",
        epochs=EPOCHS,
        out=DEFAULT_OUT,
        limit="use N numbers of the training people and N of their letters and digits drawn alone",
        work_dir="<out dir>/checkpoints",
        mnist="mnist.npz, IDX folder or Kaggle train.csv: also numbers of MNIST training digits "
        "(default: $MNIST_NPZ; without either, UNIPEN alone)",
    )
    parser.add_argument(
        "--numbers", type=int, default=NUMBERS, help=f"numbers of the training people to cut (default {NUMBERS})"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_counts(args.epochs, args.limit)
        check_count("--numbers", args.numbers, MAX_NUMBERS)
        unipen_path = args.unipen or os.environ.get(UNIPEN_ENV_VAR)
        if not unipen_path:
            raise DataError("train-touching learns from real pen writing: give --unipen PATH (or set $UNIPEN_NPZ)")
        check_out(args.out, args.overwrite_shipped)
        if args.work_dir:
            check_writable(args.work_dir, "--work-dir", folder=True)
        chars = load_unipen(unipen_path)
        numbers = min(args.numbers, args.limit) if args.limit else args.numbers
        val_numbers = max(1, numbers * VAL_NUMBERS // NUMBERS)
        x, y, kinds = touching_data(chars, "train", numbers, SEED, args.limit)
        x_held, y_held, held_kinds = touching_data(chars, "val", val_numbers, SEED + 1, args.limit)
        mnist_path = args.data or os.environ.get(MNIST_ENV_VAR)
        if mnist_path:
            digits = load_mnist(mnist_path).x_train
            held = min(MNIST_HELD, len(digits) // 6)
            parts = [(x, y, kinds), mnist_pieces(digits[held:], numbers // 2, SEED + 2)]
            x, y, kinds = (np.concatenate(arrays) for arrays in zip(*parts))
            parts = [(x_held, y_held, held_kinds), mnist_pieces(digits[:held], val_numbers // 2, SEED + 3)]
            x_held, y_held, held_kinds = (np.concatenate(arrays) for arrays in zip(*parts))
        if not (y == 1).any() or not (y == 0).any():
            raise DataError(f"{unipen_path}: its training people's writing gave no pieces of both kinds to learn from")
        x_fit, y_fit = balanced(x, y, SEED)
        work_dir = Path(args.work_dir or Path(args.out).parent / "checkpoints") / RUN_FOLDER
        if args.resume:
            say_if_nothing_to_resume(work_dir)
        from .model import build_touching

        model, history = fit_once(  # kept until the run's files are saved, for --resume after a stop
            work_dir / "touching.keras",
            work_dir / "history.csv",
            args.resume,
            lambda: fit_checkpointed(
                build_touching,
                "binary_crossentropy",
                x_fit,
                y_fit,
                (x_held, y_held) if len(y_held) else None,
                args.epochs,
                work_dir,
                args.resume,
                seed=SEED,
            ),
            outputs=1,
        )
        figures = held_out_figures(model, x_held, held_kinds) if len(y_held) else {}
        keras_path, tflite_path, _ = ship_model(
            model,
            history,
            parser,
            args,
            started,
            {"mnist": mnist_path, "unipen": unipen_path},
            output="P(several digits touching) of a whole piece an image's reading may cut",
            holdout=figures,
            several_above=SEVERAL,
            train_pieces={"several": int((y == 1).sum()), "one": int((y == 0).sum())},
        )
        end_run(work_dir, "touching.keras", made=not args.work_dir)  # saved: nothing left for --resume to pick up
    except (RecognizerError, OSError) as exc:  # OSError: a disk full or a folder gone while it ran
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shares = ", ".join(f"{kind} {v['read_several']:.2%}" for kind, v in figures.items())
    print(f"saved {keras_path} and {tflite_path}; held out, read as several digits: {shares or 'none held out'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
