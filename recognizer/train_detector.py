"""Train the digit detector: is this ink a digit at all, or a letter, a sign, a squiggle?

    python -m recognizer train-detector --data ../shared/data/mnist.npz --out my_detector.keras

(`make train-detector` replaces the shipped one: --out recognizer/models/digit_detector.keras --overwrite-shipped.)

The classifier's softmax must pick one of 10 digits, and a letter often gets one with high
confidence (an "A" reads 4), so a confidence threshold alone cannot say "not a digit". The
detector is a separate small CNN (a sigmoid, P(not a digit)) trained on MNIST's training digits,
a share of them redrawn as the app gets them, against synthetic non-digits
(recognizer.synthetic.non_digits: letters and signs in italic and script Hershey fonts, and
squiggles), as many of them redrawn with a pen as of the digits, with the same augmentation as the
classifier.

With --unipen, real pen digits and real letters (UNIPEN people of the "train" split, drawn as the
app draws them; letters people also write as digits left out) join both sides, and so does what
segmentation shows it in an image (segment_samples): digits cut from a touching neighbour (digits)
and candidates holding two digits (not a digit).
Its threshold is set on held-out training-side data the detector never saw: HOLDOUT MNIST training
digits (half as MNIST has them, half redrawn; at most FALSE_REJECT of them read "not a digit") and
the real digits of the "val" people (at most REAL_FALSE_REJECT). The MNIST test set and the "test"
people are not used.
Writes models/digit_detector.keras, .tflite and .json (threshold, figures, command); checkpoints
every epoch under models/checkpoints/detector (rerun with --resume after a stop).

--letter-slices also trains on slices cut from real letters, --cut-width sets how wide a piece must
be to be cut in all the segmentation samples (letters' and numbers', held out too; both need
--unipen), and --average-with saves one graph averaging an earlier detector and the new one
(model.build_detector_ensemble), its threshold set for the average by the same rule. Such a pair was
measured and not shipped: it caught more letters but flagged more real digits and MNIST test
digits, at twice the cost (docs/measurements.md, "The digit detector").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from .batch import predict_batches
from .data import UNIPEN_ENV_VAR, Mnist, PenCharacters, load_mnist, load_unipen
from .errors import DataError, RecognizerError
from .fileio import check_writable, command_prog, file_sha256, first_paragraph, path_arg
from .grouping import CUT_WIDTH
from .predictor import MODELS_DIR, load_keras_model
from .train import (
    BACKUP,
    check_counts,
    check_out,
    end_run,
    fit_checkpointed,
    fit_once,
    refuse_old_layout,
    say_if_nothing_to_resume,
    ship_model,
    training_parser,
)
from .unipen import RowStyle

DEFAULT_OUT = str(MODELS_DIR / "digit_detector.keras")  # the shipped detector, which the app loads
EPOCHS = 15
RUN_FOLDER = "detector"  # inside --work-dir: the run's checkpoints (a fresh run empties it, never the rest)
SEED = 7
HOLDOUT = 10_000  # training digits kept out of the detector's training, for its threshold ...
HOLDOUT_SHARE = 0.25  # ... at most this share of them, when there are few
MIN_DIGITS = 50  # training digits below which there is nothing to learn from, or to set a threshold on
DRAWN = 24_000  # training digits redrawn as a user draws them (stroke width, size, slant)
NON_DIGITS = 50_000  # synthetic non-digits to train on
FALSE_REJECT = 0.002  # share of held-out MNIST digits (half redrawn) allowed to read "not a digit" ...
REAL_FALSE_REJECT = 0.004  # ... and of held-out real pen digits (the threshold meets both)
REAL_RENDERS = 2  # drawings of each real training digit (UNIPEN "train" people)
LETTER_RENDERS = 6  # ... and of each clear letter: the negatives that look most like what users write
STYLED = 600  # training digits per writing style (recognizer.styles) on the digit side: a slashed zero is a 0
NON_DIGIT_GROUPS = ("made-up non-digits", "real letters", "merged digits", "letter slices")
# With letter_slices (--letter-slices), clear letters of the "train" people drawn alone and read as
# the image path reads them: the slices it cuts from them (a cut "m", "w", "k" shows "1"s and "7"s)
# join the non-digits, that many at most; those of the "val" people, the held-out set ("letter
# slices"). Cut from pieces LETTER_CUT_WIDTH heights wide (--cut-width), narrower than the reader
# cuts (grouping.CUT_WIDTH), numbers too, so that the detector learns slices the reader may make.
LETTER_SLICES = 43_000
LETTER_CUT_WIDTH = 0.5
MIN_CUT_WIDTH, MAX_CUT_WIDTH = 0.2, 5.0  # --cut-width's sensible range, in heights
FITTED = "detector.keras"  # in the work dir: the fitted detector, until the run's files are saved
# Numbers of real people's digits written with neighbours touching (SLICE_STYLE: most of them touch),
# read as the image path reads them: the candidates cut from a touching neighbour that hold one
# digit's ink (CUT_COVER of it, and at least CUT_PURITY of theirs: a cut through overlapping ink
# leaves a bit of the neighbour) join the digits; those holding most of two digits (MERGED of
# each), the non-digits. SLICE_NUMBERS from "train" people, VAL_SLICE_NUMBERS from "val" people
# held out.
SLICE_NUMBERS = 6_000
VAL_SLICE_NUMBERS = 1_000
CUT_COVER = 0.85
CUT_PURITY = 0.8
MERGED = 0.6
SLICE_STYLE = RowStyle(
    height=(80.0, 160.0),
    gap=(0.08, 0.5),
    ink_gaps=True,
    size=0.1,
    drift=0.15,
    wobble=0.05,
    slant=0.15,
    touch=0.6,
    overlap=0.1,
)


def detector_data(
    data: Mnist,
    seed: int = SEED,
    holdout: int = HOLDOUT,
    drawn: int = DRAWN,
    non_digits: int = NON_DIGITS,
    chars: PenCharacters | None = None,
    styled: int = STYLED,
    slice_numbers: int = SLICE_NUMBERS,
    val_slice_numbers: int = VAL_SLICE_NUMBERS,
    letter_slices: int = 0,
    cut_width: float = CUT_WIDTH,
):
    """((x, y) to train on, (x, y, group) held out), x (n, 28, 28) uint8, y 1 = not a digit, group
    names each held-out image's kind (those in NON_DIGIT_GROUPS are not digits). The held-out
    digits are training images the detector never sees: `holdout` of them, at most HOLDOUT_SHARE
    of data's. A share of the digits and of the non-digits alike is redrawn as a user draws (a
    round pen of one width): were only digits redrawn, the detector would learn "even strokes
    mean a digit" and pass a drawn letter.
    With chars (UNIPEN), real pen digits and real clear letters of the "train" people join both
    sides (REAL_RENDERS and LETTER_RENDERS drawings), and those of the "val" people join the
    held-out set, and so do the candidates of slice_numbers and val_slice_numbers numbers written
    touching (segment_samples), and with letter_slices, slices of letters (cut_letters: at most
    that many of the "train" people's, all of the "val" people's); pieces at least cut_width
    heights wide are cut. The writing styles MNIST lacks (slashed zeros, crossed sevens...) join
    the digits, so that an extra stroke alone never means "a letter"."""
    from .dataset import style_set
    from .preprocess import to_mnist
    from .synthetic import draw_like_user
    from .synthetic import non_digits as make_non_digits

    rng = np.random.default_rng(seed)

    def redrawn(images: np.ndarray) -> np.ndarray:
        drawings = [np.round(to_mnist(draw_like_user(image, rng)) * 255).astype(np.uint8) for image in images]
        return np.stack(drawings).reshape(-1, 28, 28) if drawings else np.empty((0, 28, 28), np.uint8)

    def half_redrawn(images: np.ndarray) -> np.ndarray:
        return np.concatenate([images[: len(images) // 2], redrawn(images[len(images) // 2 :])])

    if len(data.x_train) < MIN_DIGITS:
        raise DataError(
            f"{data.source}: the detector needs at least {MIN_DIGITS} training digits, got {len(data.x_train)}"
        )
    holdout = min(holdout, int(len(data.x_train) * HOLDOUT_SHARE))
    order = rng.permutation(len(data.x_train))
    held, kept = data.x_train[order[:holdout]], data.x_train[order[holdout:]]
    drawn = min(drawn, len(kept))
    digits = np.concatenate([kept, redrawn(kept[:drawn])])
    others = make_non_digits(non_digits + holdout, seed=seed + 1)
    share = round(non_digits * drawn / len(digits))  # as large a share as the digits'
    others = np.concatenate([redrawn(others[:share]), others[share:non_digits], half_redrawn(others[non_digits:])])
    x_parts, y_parts = [digits, others[:non_digits]], [np.zeros(len(digits)), np.ones(non_digits)]
    held_parts = [(half_redrawn(held), "mnist digits"), (others[non_digits:], "made-up non-digits")]
    real_train = np.array([], np.int64)
    if chars is not None:
        from .unipen import clear_letters, person_split, real_digits, render

        split = person_split(chars)
        real_train = real_digits(chars, split, "train")
        for which, renders, letter_renders in (("train", REAL_RENDERS, LETTER_RENDERS), ("val", 1, 1)):
            digits_of = real_digits(chars, split, which)
            letters = clear_letters(chars, split, which)
            drawn_digits = np.concatenate([render(chars, digits_of, seed + 10 + r) for r in range(renders)])
            drawn_letters = np.concatenate([render(chars, letters, seed + 20 + r) for r in range(letter_renders)])
            numbers = slice_numbers if which == "train" else val_slice_numbers
            slices, merged = segment_samples(chars, which, numbers, seed + {"train": 40, "val": 41}[which], cut_width)
            if which == "train":
                x_parts += [drawn_digits, drawn_letters, slices]
                y_parts += [np.zeros(len(drawn_digits)), np.ones(len(drawn_letters)), merged]
            else:
                held_parts += [(drawn_digits, "real digits"), (drawn_letters, "real letters")]
                held_parts += [(slices[merged == 0], "cut digits"), (slices[merged == 1], "merged digits")]
        if letter_slices:
            cut = cut_letters(chars, clear_letters(chars, split, "train"), seed + 50, cut_width)
            x_parts.append(cut[rng.permutation(len(cut))[:letter_slices]])
            y_parts.append(np.ones(len(x_parts[-1])))
            val_slices = cut_letters(chars, clear_letters(chars, split, "val"), seed + 51, cut_width)
            held_parts.append((val_slices, "letter slices"))
    if styled:
        kept_labels = data.y_train[order[holdout:]]
        x_styled = style_set(kept, kept_labels, chars, real_train, styled, seed + 30)[0]
        x_parts.append(x_styled)
        y_parts.append(np.zeros(len(x_styled)))
    x = np.concatenate(x_parts)
    y = np.concatenate(y_parts).astype(np.float32)
    x_held = np.concatenate([images for images, _ in held_parts])
    group = np.concatenate([np.full(len(images), name) for images, name in held_parts])
    y_held = np.isin(group, NON_DIGIT_GROUPS).astype(np.float32)
    return (x, y), (x_held, y_held, group)


def segment_samples(
    chars: PenCharacters, which: str, numbers: int, seed: int, cut_width: float = CUT_WIDTH
) -> tuple[np.ndarray, np.ndarray]:
    """Candidates the image path reads (grouping.read_candidates, pieces cut from cut_width heights)
    in `numbers` numbers of 2-5 digits of one `which` person each, written with SLICE_STYLE:
    (x (n, 28, 28) uint8, y) where y is sample_label's: 0 a slice cut from a touching neighbour
    holding one digit's ink, 1 a candidate holding most of two digits; candidates that are neither
    (a whole digit, part of one) are left out. The detector never saw cut edges: it called true
    slices "not a digit" and passed touching digits read as one."""
    from .grouping import read_candidates
    from .ink import INK_LEVEL, ink_from_canvas
    from .unipen import digits_by_person, write_row

    rng = np.random.default_rng(seed)
    digits_of = digits_by_person(chars, which)
    persons = sorted(p for p, idx in digits_of.items() if len(idx) >= 2)
    images, labels = [], []
    for _ in range(numbers if persons else 0):
        person = persons[rng.integers(len(persons))]
        length = min(int(rng.integers(2, 6)), len(digits_of[person]))
        written = write_row(chars, list(rng.choice(digits_of[person], length, replace=False)), rng, SLICE_STYLE)
        inks = [ink > INK_LEVEL for ink in written.inks()]
        totals = np.array([max(int(ink.sum()), 1) for ink in inks])
        for segment, image, cut in read_candidates(ink_from_canvas(written.canvas), cut_width):
            x, y, w, h = segment.box
            shared = np.array([(ink[y : y + h, x : x + w] & segment.mask).sum() for ink in inks])
            label = sample_label(shared / totals, shared / max(int(segment.mask.sum()), 1), cut)
            if label is not None:
                images.append(np.round(image * 255).astype(np.uint8))
                labels.append(label)
    if not images:
        return np.empty((0, 28, 28), np.uint8), np.empty(0, np.float32)
    return np.stack(images), np.array(labels, np.float32)


def cut_letters(chars: PenCharacters, indices: np.ndarray, seed: int, cut_width: float = CUT_WIDTH) -> np.ndarray:
    """The slices the image path cuts (pieces from cut_width heights) from the letters at `indices`,
    each drawn alone on an app-like canvas (unipen.draw_placed): the candidates
    grouping.read_candidates marks as cut, (n, 28, 28) uint8."""
    from .grouping import read_candidates
    from .ink import ink_from_canvas
    from .unipen import draw_placed

    rng = np.random.default_rng(seed)
    images = [
        np.round(image * 255).astype(np.uint8)
        for i in indices
        for _, image, cut in read_candidates(ink_from_canvas(draw_placed(chars.strokes(int(i)), rng)[0]), cut_width)
        if cut
    ]
    return np.stack(images) if images else np.empty((0, 28, 28), np.uint8)


def sample_label(cover: np.ndarray, purity: np.ndarray, cut: bool) -> float | None:
    """segment_samples' label of a candidate from each digit's share of ink in it: cover (of the
    digit's ink) and purity (of the candidate's). 0.0: a slice cut from a neighbour that holds one
    digit (CUT_COVER, CUT_PURITY); 1.0: it holds MERGED of two digits or more; None: neither. A
    slice that is both (a bold digit with most of a thin neighbour) counts as a digit, as the
    shipped detector was trained."""
    if cut and ((cover >= CUT_COVER) & (purity >= CUT_PURITY)).any():
        return 0.0
    return 1.0 if (cover >= MERGED).sum() >= 2 else None


def train_detector(
    train_set,
    held_set,
    epochs: int = EPOCHS,
    work_dir: str | os.PathLike = "models/checkpoints/detector",
    resume: bool = False,
    seed: int = SEED,
    verbose: int | str = "auto",
    callbacks: list | tuple = (),
):
    """Fit the detector (or resume it from work_dir); return (model, history rows per epoch).
    callbacks: more Keras callbacks, run after the checkpointing and logging ones."""
    from .model import build_detector

    (x, y), held = train_set, held_set[:2]
    return fit_checkpointed(
        build_detector,
        "binary_crossentropy",
        x,
        y,
        held,
        epochs,
        work_dir,
        resume,
        seed=seed,
        verbose=verbose,
        callbacks=callbacks,
    )


def choose_threshold(
    model, held_set, false_reject: float = FALSE_REJECT, real_false_reject: float = REAL_FALSE_REJECT
) -> dict:
    """The P(not a digit) above which ink reads "not a digit": the lowest that lets at most
    false_reject of the held-out MNIST digits and real_false_reject of the held-out real pen digits
    read "not a digit"; with the figures it gives on each held-out group."""
    x_held, _, group = held_set
    p = predict_batches(model, x_held).ravel()
    threshold = float(np.quantile(p[group == "mnist digits"], 1 - false_reject))
    if (group == "real digits").any():
        threshold = max(threshold, float(np.quantile(p[group == "real digits"], 1 - real_false_reject)))
    rejected = p > threshold
    return {
        "threshold": round(threshold, 5),
        "false_reject_target": {"mnist digits": false_reject, "real digits": real_false_reject},
        "holdout": {
            name: {
                "images": int((group == name).sum()),
                "read_not_a_digit": round(float(rejected[group == name].mean()), 5),
            }
            for name in dict.fromkeys(group)
        },
    }


def build_parser() -> argparse.ArgumentParser:
    parser = training_parser(
        command_prog("train-detector"),
        first_paragraph(__doc__),
        unipen="real pen digits and letters of the training people "
        "(default: $UNIPEN_NPZ; without either, MNIST and made-up non-digits alone)",
        epochs=EPOCHS,
        out=DEFAULT_OUT,
        limit="use the first N MNIST training digits and N non-digits (with --unipen, its characters are all used)",
        work_dir="<out dir>/checkpoints",
    )
    parser.add_argument(
        "--letter-slices",
        type=int,
        default=0,
        help="with --unipen, train on up to N slices cut from real letters as non-digits "
        f"(docs/measurements.md's pair: {LETTER_SLICES}; default 0)",
    )
    parser.add_argument(
        "--cut-width",
        type=float,
        default=CUT_WIDTH,
        help=f"cut touching digits and letters from pieces this many heights wide in the training data "
        f"(default {CUT_WIDTH}, as the reader cuts; docs/measurements.md's pair: {LETTER_CUT_WIDTH})",
    )
    parser.add_argument(
        "--average-with",
        type=path_arg,
        metavar="DETECTOR.keras",
        help="save one detector averaging this trained one and the new one (threshold set for the average)",
    )
    return parser


def check_options(args: argparse.Namespace) -> None:
    """Refuse absurd detector options, options that need --unipen without it, and a missing
    --average-with file, before anything loads."""
    if args.letter_slices < 0:
        raise DataError(f"--letter-slices must be 0 or more, got {args.letter_slices}")
    if not MIN_CUT_WIDTH <= args.cut_width <= MAX_CUT_WIDTH:
        raise DataError(f"--cut-width must be {MIN_CUT_WIDTH} to {MAX_CUT_WIDTH} heights, got {args.cut_width}")
    if (args.letter_slices or args.cut_width != CUT_WIDTH) and not (args.unipen or os.environ.get(UNIPEN_ENV_VAR)):
        raise DataError("--letter-slices and --cut-width cut real people's writing: give --unipen")
    if args.average_with and not Path(args.average_with).is_file():
        raise DataError(f"--average-with {args.average_with}: no such detector file")


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_counts(args.epochs, args.limit)
        check_out(args.out, args.overwrite_shipped, inputs={"--average-with": args.average_with})
        if args.work_dir:
            check_writable(args.work_dir, "--work-dir", folder=True)
            if args.resume:
                refuse_old_layout(args.work_dir, RUN_FOLDER, (BACKUP, "history.csv", FITTED))
        check_options(args)
        pair = {}
        if args.average_with:
            other = load_keras_model(args.average_with, outputs=1)
            check_detector(other, args.average_with)
            pair["average_with"] = other_card(args.average_with)  # now: the file may change while training
        data = load_mnist(args.data)
        mnist_source = data.source
        sizes = {"letter_slices": args.letter_slices}
        if args.limit:
            data = Mnist(data.x_train[: args.limit], data.y_train[: args.limit], None, None, data.source)
            sizes = {
                "holdout": max(2, args.limit // 5),
                "drawn": args.limit // 5,
                "non_digits": args.limit,
                "styled": args.limit // 50,
                "slice_numbers": max(1, args.limit // 50),
                "val_slice_numbers": max(1, args.limit // 300),
                "letter_slices": min(args.letter_slices, args.limit // 10),
            }
        unipen_path = args.unipen or os.environ.get(UNIPEN_ENV_VAR)
        chars = load_unipen(unipen_path) if unipen_path else None
        train_set, held_set = detector_data(data, **sizes, chars=chars, cut_width=args.cut_width)
        work_dir = Path(args.work_dir or Path(args.out).parent / "checkpoints") / RUN_FOLDER
        if args.resume:
            say_if_nothing_to_resume(work_dir)
        model, history = fit_once(  # kept until the run's files are saved, for --resume after a stop
            work_dir / FITTED,
            work_dir / "history.csv",
            args.resume,
            lambda: train_detector(train_set, held_set, args.epochs, work_dir, resume=args.resume),
            outputs=1,
        )
        if pair:
            from .model import build_detector_ensemble

            pair["second_alone"] = choose_threshold(model, held_set)
            model = build_detector_ensemble([other, model])
        figures = choose_threshold(model, held_set)
        keras_path, tflite_path, card = ship_model(
            model,
            history,
            parser,
            args,
            started,
            {"mnist": mnist_source, "unipen": unipen_path},
            output="P(not a digit); above `threshold`, ink reads 'not sure' (not a digit)",
            **figures,
            train_images={"digits": int((train_set[1] == 0).sum()), "non_digits": int(train_set[1].sum())},
            **pair,
        )
        end_run(work_dir, FITTED, made=not args.work_dir)  # saved: nothing left for --resume to pick up
    except (RecognizerError, OSError) as exc:  # OSError: a disk full or a folder gone while it ran
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shares = ", ".join(f"{name} {v['read_not_a_digit']:.2%}" for name, v in card["holdout"].items())
    print(
        f"saved {keras_path} and {tflite_path}: threshold {card['threshold']:.4f}; "
        f"held out, read 'not a digit': {shares}"
    )
    return 0


def check_detector(model, path: str | os.PathLike) -> None:
    """Refuse, before any training, a model to average with that build_detector did not make (a
    saved pair, another network): its weights could not be copied into the pair."""
    from .model import build_detector

    if [tuple(w.shape) for w in model.weights] != [tuple(w.shape) for w in build_detector().weights]:
        raise DataError(f"--average-with {path}: not a single detector as train-detector makes (model.build_detector)")


def other_card(path: str | os.PathLike) -> dict:
    """What the card of an averaged pair says of the detector it was averaged with: the file, its
    hash and, from the card beside it where there is one, the command that trained it and how long."""
    path = Path(path)
    about = {"file": path.name, "sha256": file_sha256(path)}
    try:
        card = json.loads(path.with_suffix(".json").read_text())
        about |= {key: card[key] for key in ("command", "epochs", "training_seconds", "threshold") if key in card}
    except (OSError, ValueError, TypeError, RecursionError):
        pass  # no card: the file and its hash say which detector it was
    return about


if __name__ == "__main__":
    sys.exit(main())
