"""`python -m recognizer finetune`: adapt the shipped model to the user's saved samples.

    python -m recognizer finetune --data ../shared/data/mnist.npz [--samples PATH] [--epochs 3]

Starts from the shipped model (never from an earlier personal model, so runs do not drift) and
trains for a few epochs at a low learning rate on the user's samples, repeated so that they make
up USER_SHARE of each epoch, mixed with a random subset of MNIST's training images so that the
model does not forget MNIST. BatchNorm statistics stay frozen, and the same drawn-digit
augmentation as in training keeps the repeated samples from being memorized. HOLDOUT of the
user's samples are held out, for a before/after figure on handwriting the fine-tuning never saw.
Prints MNIST test accuracy before/after; if it drops by more than --max-drop points (default
0.1) the personal model is not written. Otherwise writes personal.keras + personal.tflite (and
their calibration and a card, personal.json) in ~/.local/share/digit-recognizer/ (or --out).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np

from . import personal
from .batch import predict_batches
from .data import Mnist, load_mnist, require_test_set
from .errors import DataError
from .fileio import command_prog, path_arg
from .predictor import load_keras_model
from .samples import ONE_DIGIT, Samples, app_note, load_at_least

MIN_SAMPLES = 10
HOLDOUT = 0.2
EPOCHS = 3
MAX_EPOCHS = 100  # 5 times a training from scratch's; more is a typo (accepted, it ran until killed)
LEARNING_RATE = 3e-5  # about where training's cosine schedule was in its last epochs: 1e-4 forgot too much
BATCH_SIZE = 64
MNIST_MIX = 6000
USER_SHARE = 0.25
MAX_DROP_POINTS = 0.1
SEED = 0


@dataclass(frozen=True)
class Result:
    mnist_before: float
    mnist_after: float
    user_before: float | None  # on the held-out samples; None when none are held out
    user_after: float | None
    train_samples: int
    held_out: int
    seconds: float

    @property
    def drop_points(self) -> float:
        return 100.0 * (self.mnist_before - self.mnist_after)


def split_samples(samples: Samples, holdout: float = HOLDOUT, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held out): a random `holdout` share held out, at least one sample."""
    order = np.random.default_rng(seed).permutation(len(samples))
    n_held = max(1, int(round(holdout * len(samples)))) if holdout > 0 else 0
    return np.sort(order[n_held:]), np.sort(order[:n_held])


def accuracy(model, images: np.ndarray, labels: np.ndarray) -> float | None:
    """Share of the (n, 28, 28) images the Keras model gets right; None when there are none."""
    return float((predict_batches(model, images).argmax(axis=1) == labels).mean()) if len(labels) else None


def finetune(
    model,
    samples: Samples,
    data: Mnist,
    epochs: int = EPOCHS,
    learning_rate: float = LEARNING_RATE,
    mnist_mix: int = MNIST_MIX,
    user_share: float = USER_SHARE,
    holdout: float = HOLDOUT,
    seed: int = SEED,
    verbose: int | str = 0,
) -> Result:
    """Fine-tune the Keras model in place on the samples mixed with MNIST; return the figures."""
    import keras

    from .train import fit_checkpointed

    start = time.perf_counter()
    train_idx, held_idx = split_samples(samples, holdout, seed)
    x_user, y_user = samples.images[train_idx], samples.labels[train_idx]
    x_held, y_held = samples.images[held_idx], samples.labels[held_idx]
    mnist_before = accuracy(model, data.x_test, data.y_test)
    user_before = accuracy(model, x_held, y_held)

    rng = np.random.default_rng(seed)
    pick = rng.choice(len(data.x_train), size=min(mnist_mix, len(data.x_train)), replace=False)
    repeats = max(1, math.ceil(user_share / (1 - user_share) * len(pick) / max(1, len(y_user))))
    x = np.concatenate([data.x_train[pick], np.tile(x_user, (repeats, 1, 1))])
    y = np.concatenate([data.y_train[pick], np.tile(y_user, repeats)]).astype(np.int64)

    for layer in model.layers:  # keep MNIST's normalization statistics: a small mix would skew them
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    with tempfile.TemporaryDirectory(prefix="finetune-") as work_dir:  # a few epochs: no run to resume
        fit_checkpointed(
            lambda: model,
            "sparse_categorical_crossentropy",
            x,
            y,
            None,
            epochs,
            work_dir,
            batch_size=BATCH_SIZE,
            seed=seed,
            verbose=verbose,
            schedule=lambda *_: learning_rate,
        )

    return Result(
        mnist_before,
        accuracy(model, data.x_test, data.y_test),
        user_before,
        accuracy(model, x_held, y_held),
        len(y_user),
        len(y_held),
        time.perf_counter() - start,
    )


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=command_prog("finetune"),
        description="Fine-tune the shipped model on your saved handwriting samples.",
    )
    parser.add_argument(
        "--samples",
        type=path_arg,
        help="your samples file (default: the app's, $XDG_DATA_HOME/digit-recognizer/samples.npz)",
    )
    parser.add_argument("--data", help="mnist.npz or IDX folder (default: $MNIST_NPZ, else download)")
    parser.add_argument(
        "--model",
        type=path_arg,
        default=str(personal.DEFAULT_BASE),
        help="the .keras model to start from (default: shipped)",
    )
    parser.add_argument(
        "--out",
        type=path_arg,
        help="the personal .keras model to write, with its .tflite beside it "
        "(default: $XDG_DATA_HOME/digit-recognizer/personal.keras)",
    )
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"default {EPOCHS}")
    parser.add_argument("--learning-rate", type=float, default=LEARNING_RATE, help=f"default {LEARNING_RATE}")
    parser.add_argument(
        "--mnist", type=int, default=MNIST_MIX, help=f"MNIST training images mixed in (default {MNIST_MIX})"
    )
    parser.add_argument(
        "--max-drop",
        type=float,
        default=MAX_DROP_POINTS,
        help=f"refuse to write the model if MNIST test accuracy drops by more points (default {MAX_DROP_POINTS})",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    if not 1 <= args.epochs <= MAX_EPOCHS:
        raise DataError(f"--epochs must be 1 to {MAX_EPOCHS}, e.g. {EPOCHS}, got {args.epochs}")
    if not 0 < args.learning_rate < 1:  # NaN too
        raise DataError(f"--learning-rate must be between 0 and 1, e.g. {LEARNING_RATE}, got {args.learning_rate}")
    if args.mnist < 0:
        raise DataError(f"--mnist must be 0 or more, got {args.mnist}")
    if not 0 <= args.seed < 2**32:  # Keras seeds NumPy's generator: 32 bits
        raise DataError(f"--seed must be 0 to {2**32 - 1}, got {args.seed}")
    args.max_drop = personal.check_max_drop(args.max_drop)

    store, samples = load_at_least(args.samples, MIN_SAMPLES, "samples to fine-tune")
    if len(np.unique(samples.labels)) < 2:  # as learn and the app's L refuse: every digit would read as it
        raise DataError(ONE_DIGIT)
    base = personal.base_model(args.model, "fine-tuning")
    data = require_test_set(load_mnist(args.data))
    out = personal.personal_out(base, store, args)

    model = load_keras_model(base)  # safely, checked as the app checks its models
    held = split_samples(samples, HOLDOUT, args.seed)[1].size
    print(
        f"fine-tuning {base} on {len(samples)} samples from {store.path} "
        f"({len(samples) - held} for training, {held} held out), "
        f"mixed with {min(args.mnist, len(data.x_train))} MNIST training images, "
        f"{args.epochs} epoch{'' if args.epochs == 1 else 's'}"
    )
    result = finetune(model, samples, data, args.epochs, args.learning_rate, args.mnist, seed=args.seed)
    print(
        f"MNIST test accuracy: {result.mnist_before:.2%} -> {result.mnist_after:.2%} "
        f"({round(-result.drop_points, 2) + 0.0:+.2f} points, {len(data.y_test)} images)"  # never "-0.00"
    )
    print(
        f"held-out user samples: {_percent(result.user_before)} -> {_percent(result.user_after)} "
        f"({result.held_out} samples)"
    )
    if result.drop_points > args.max_drop:
        print(
            f"MNIST accuracy dropped by {result.drop_points:.2f} points (more than {args.max_drop}): "
            "personal model NOT written; try fewer --epochs or a lower --learning-rate",
            file=sys.stderr,
        )
        return 1
    saved = personal.write_model(
        model,
        out,
        base,
        samples,
        store.path,
        data,
        seed=args.seed,
        train_samples=result.train_samples,
        held_out_samples=result.held_out,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        mnist_mix=min(args.mnist, len(data.x_train)),
        mnist_test_accuracy_before=round(result.mnist_before, 5),
        mnist_test_accuracy_after=round(result.mnist_after, 5),
        user_held_out_accuracy_before=None if result.user_before is None else round(result.user_before, 4),
        user_held_out_accuracy_after=None if result.user_after is None else round(result.user_after, 4),
        seconds=round(result.seconds, 1),
    )
    print(f"wrote {saved[0]}, {saved[1]} and {out.with_suffix('.json').name}: {app_note(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
