"""Train the digit detector: is this ink a digit at all, or a letter, a sign, a squiggle?

    python -m recognizer train-detector --data ../shared/data/mnist.npz

The classifier's softmax must pick one of 10 digits, and a letter often gets one with high
confidence (an "A" reads 4), so a confidence threshold alone cannot say "not a digit". The
detector is a separate small CNN (a sigmoid, P(not a digit)) trained on MNIST's training digits,
a share of them redrawn as the app gets them, against synthetic non-digits
(recognizer.synthetic.non_digits: letters and signs in italic and script Hershey fonts, and
squiggles), as many of them redrawn with a pen as of the digits, with the same augmentation as the
classifier.

Its threshold is set on HOLDOUT training digits the detector never saw (half as MNIST has them,
half redrawn): about FALSE_REJECT of them read "not a digit". The MNIST test set is not used.
Writes models/digit_detector.keras, .tflite and .json (threshold, figures, command); checkpoints
every epoch under models/checkpoints/detector (rerun with --resume after a stop).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys
from pathlib import Path

import numpy as np

from .data import Mnist, file_sha256, load_mnist
from .errors import RecognizerError
from .predictor import MODELS_DIR
from .train import (data_sha256, fit_checkpointed, save_model, to_input, training_seconds, write_history,
                    write_json_atomic)

DEFAULT_OUT = str(MODELS_DIR / "digit_detector.keras")  # the shipped detector, which the app loads
EPOCHS = 20
SEED = 7
HOLDOUT = 10_000  # training digits kept out of the detector's training, for its threshold
DRAWN = 24_000  # training digits redrawn as a user draws them (stroke width, size, slant)
NON_DIGITS = 50_000  # synthetic non-digits to train on
FALSE_REJECT = 0.001  # share of held-out digits allowed to read "not a digit"


def detector_data(data: Mnist, seed: int = SEED, holdout: int = HOLDOUT, drawn: int = DRAWN,
                  non_digits: int = NON_DIGITS):
    """((x, y) to train on, (x, y) held out), x (n, 28, 28) uint8, y 1 = not a digit. The held-out
    digits are training images the detector never sees. A share of the digits and of the
    non-digits alike is redrawn as a user draws (a round pen of one width): were only digits
    redrawn, the detector would learn "even strokes mean a digit" and pass a drawn letter."""
    from .calibrate import draw_like_user
    from .preprocess import to_mnist
    from .synthetic import non_digits as make_non_digits

    rng = np.random.default_rng(seed)

    def redrawn(images: np.ndarray) -> np.ndarray:
        return np.stack([np.round(to_mnist(draw_like_user(image, rng)) * 255).astype(np.uint8)
                         for image in images]).reshape(-1, 28, 28)

    def half_redrawn(images: np.ndarray) -> np.ndarray:
        return np.concatenate([images[: len(images) // 2], redrawn(images[len(images) // 2 :])])

    order = rng.permutation(len(data.x_train))
    held, kept = data.x_train[order[:holdout]], data.x_train[order[holdout:]]
    digits = np.concatenate([kept, redrawn(kept[: min(drawn, len(kept))])])
    others = make_non_digits(non_digits + holdout, seed=seed + 1)
    share = round(non_digits * drawn / max(1, len(digits)))  # as large a share as the digits'
    others = np.concatenate([redrawn(others[:share]), others[share:non_digits], half_redrawn(others[non_digits:])])
    x = np.concatenate([digits, others[:non_digits]])
    y = np.concatenate([np.zeros(len(digits)), np.ones(non_digits)]).astype(np.float32)
    x_held = np.concatenate([half_redrawn(held), others[non_digits:]])
    y_held = np.concatenate([np.zeros(len(held)), np.ones(holdout)]).astype(np.float32)
    return (x, y), (x_held, y_held)


def train_detector(train_set, held_set, epochs: int = EPOCHS, work_dir: str | os.PathLike = "models/checkpoints/detector",
                   resume: bool = False, seed: int = SEED, verbose: int | str = "auto", callbacks: list | tuple = ()):
    """Fit the detector (or resume it from work_dir); return (model, history rows per epoch).
    callbacks: more Keras callbacks, run after the checkpointing and logging ones."""
    from .model import build_detector

    (x, y), (x_held, y_held) = train_set, held_set
    return fit_checkpointed(build_detector, "binary_crossentropy", to_input(x), y, (to_input(x_held), y_held),
                            epochs, work_dir, resume, seed=seed, verbose=verbose, callbacks=callbacks)


def choose_threshold(model, held_set, false_reject: float = FALSE_REJECT) -> dict:
    """The P(not a digit) above which ink reads "not a digit": the (1 - false_reject) quantile on
    the held-out digits; with the figures it gives on the held-out set."""
    x_held, y_held = held_set
    p = np.asarray(model.predict(to_input(x_held), batch_size=1000, verbose=0)).ravel()
    digit = y_held == 0
    threshold = float(np.quantile(p[digit], 1 - false_reject))
    half = int(digit.sum()) // 2  # detector_data puts the held-out digits as they are first, then redrawn
    rejected = p > threshold
    return {
        "threshold": round(threshold, 5),
        "false_reject_target": false_reject,
        "holdout_digits": int(digit.sum()),
        "holdout_false_reject": round(float(rejected[digit].mean()), 5),
        "holdout_false_reject_mnist": round(float(rejected[:half].mean()), 5),
        "holdout_false_reject_redrawn": round(float(rejected[half : int(digit.sum())].mean()), 5),
        "holdout_non_digits": int((~digit).sum()),
        "holdout_non_digits_rejected": round(float(rejected[~digit].mean()), 5),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recognizer train-detector", description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="mnist.npz, IDX folder or Kaggle train.csv (default: $MNIST_NPZ, else download)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs (default {EPOCHS})")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"where to write the .keras model (default {DEFAULT_OUT})")
    parser.add_argument("--limit", type=int, help="use the first N training digits and N non-digits (smoke runs)")
    parser.add_argument("--resume", action="store_true", help="continue from the last epoch checkpoint")
    parser.add_argument("--work-dir", help="checkpoints (default: <out dir>/checkpoints/detector)")
    args = parser.parse_args(argv)
    try:
        data = load_mnist(args.data)
        sizes = {}
        if args.limit:
            data = Mnist(data.x_train[: args.limit], data.y_train[: args.limit], None, None, data.source)
            sizes = {"holdout": max(2, args.limit // 5), "drawn": args.limit // 5, "non_digits": args.limit}
        train_set, held_set = detector_data(data, **sizes)
        work_dir = args.work_dir or Path(args.out).parent / "checkpoints" / "detector"
        model, history = train_detector(train_set, held_set, args.epochs, work_dir, resume=args.resume)
        figures = choose_threshold(model, held_set)
        keras_path, tflite_path = save_model(model, args.out)
        write_history(history, Path(args.out).with_suffix(".history.csv"))
        data_path = args.data or os.environ.get("MNIST_NPZ")
        card = {
            "model": model.name,
            "parameters": int(model.count_params()),
            "output": "P(not a digit); above `threshold`, ink reads 'not sure' (not a digit)",
            **figures,
            "model_sha256": {p.name: file_sha256(p) for p in (keras_path, tflite_path)},
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "command": "python -m recognizer train-detector " + shlex.join(argv if argv is not None else sys.argv[1:]),
            "epochs": args.epochs,
            "train_images": {"digits": int((train_set[1] == 0).sum()), "non_digits": int(train_set[1].sum())},
            "training_seconds": training_seconds(history),
            "data_source": data.source,
            "data_sha256": data_sha256(data_path),
        }
        write_json_atomic(Path(args.out).with_suffix(".json"), card)
    except RecognizerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"saved {keras_path} and {tflite_path}: threshold {card['threshold']:.4f}, held-out digits read "
          f"'not a digit' {card['holdout_false_reject']:.2%}, held-out non-digits {card['holdout_non_digits_rejected']:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
