"""Kaggle's Digit Recognizer: train on Kaggle's train.csv only, write submission.csv for test.csv.

    python -m recognizer kaggle --train train.csv --test test.csv --out submission.csv

Kaggle's test images are MNIST images, so a model trained on all of MNIST has seen the answers:
this command (and the notebook) trains on train.csv alone, with the shipped model's recipe.
Both CSVs are checked before training starts, so a bad file fails in seconds, not after an hour.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .batch import predict_batches
from .data import KAGGLE_PIXELS, Mnist, read_kaggle_csv
from .errors import DataError, RecognizerError
from .fileio import atomic_write, check_writable, command_prog, path_arg
from .train import BACKUP, DEFAULT_EPOCHS, SEED, check_counts, check_out, refuse_old_layout, say_if_nothing_to_resume

KAGGLE_TRAIN_IMAGES = 42_000  # rows of Kaggle's train.csv
MAX_HOLDOUT = 0.5  # more kept aside than trained on, and the figure says little about the model
MIN_SPLIT_IMAGES = 10  # fewest images on either side of a --holdout split
RUN_FOLDER = "kaggle"  # inside --work-dir: the run's checkpoints (a fresh run empties it, never the rest)


def write_kaggle_csv(path: str | os.PathLike, images: np.ndarray, labels: np.ndarray | None = None) -> Path:
    """Write (n, 28, 28) uint8 images in Kaggle's format: train.csv with labels, test.csv without."""
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"images must be (n, 28, 28), got {images.shape}")
    table = images.reshape(len(images), -1).astype(np.int64)
    header = KAGGLE_PIXELS
    if labels is not None:
        table = np.column_stack([np.asarray(labels, dtype=np.int64), table])
        header = ["label", *KAGGLE_PIXELS]
    return _write_atomic(path, header, table)


def _write_atomic(path: str | os.PathLike, header: list[str], table: np.ndarray) -> Path:
    path = Path(path)
    with atomic_write(path, "w", newline="") as f:
        f.write(",".join(header) + "\n")
        np.savetxt(f, table, fmt="%d", delimiter=",")
    return path


def write_standins(
    data: Mnist, folder: str | os.PathLike, n_train: int = KAGGLE_TRAIN_IMAGES, n_test: int | None = None
) -> tuple[Path, Path, np.ndarray]:
    """Stand-ins for Kaggle's files, in their exact format, for when the real ones are absent:
    train.csv from the first n_train MNIST training images, test.csv from the MNIST test split
    (its first n_test). Returns (train.csv, test.csv, the test labels Kaggle would keep secret)."""
    if data.x_test is None:
        raise DataError(f"{data.source}: stand-in Kaggle files need a test split (mnist.npz or the IDX folder)")
    folder = Path(folder)
    n_test = len(data.x_test) if n_test is None else n_test
    train_csv = write_kaggle_csv(folder / "train.csv", data.x_train[:n_train], data.y_train[:n_train])
    test_csv = write_kaggle_csv(folder / "test.csv", data.x_test[:n_test])
    return train_csv, test_csv, np.asarray(data.y_test[:n_test])


def holdout_split(x: np.ndarray, y: np.ndarray, fraction: float, seed: int = SEED) -> Mnist:
    """A random `fraction` of (x, y) as the test (validation) split, the rest as training; each
    side at least MIN_SPLIT_IMAGES (fraction 0: no validation split)."""
    if not 0 <= fraction <= MAX_HOLDOUT:
        raise DataError(f"--holdout must be a fraction from 0 to {MAX_HOLDOUT}, e.g. 0.1, got {fraction}")
    if fraction == 0:
        return Mnist(x, y)
    n_val = int(round(len(x) * fraction))
    if min(n_val, len(x) - n_val) < MIN_SPLIT_IMAGES:
        raise DataError(
            f"--holdout {fraction} of {len(x)} images keeps {n_val} to validate on and {len(x) - n_val} to "
            f"train on; each needs at least {MIN_SPLIT_IMAGES} (use more rows, or --holdout 0)"
        )
    order = np.random.default_rng(seed).permutation(len(x))
    val, tr = order[:n_val], order[n_val:]
    return Mnist(x[tr], y[tr], x[val], y[val])


def train_kaggle(
    train_csv: str | os.PathLike,
    epochs: int = DEFAULT_EPOCHS,
    work_dir: str | os.PathLike | None = None,
    holdout: float = 0.0,
    limit: int | None = None,
    resume: bool = False,
    verbose: int | str = "auto",
):
    """Train the shipped model's recipe on Kaggle's train.csv alone; returns (model, history rows).
    With holdout > 0 that fraction of train.csv is kept aside and reported as validation."""
    from .train import train

    x, y = read_kaggle_csv(train_csv, labeled=True)
    if limit:
        x, y = x[:limit], y[:limit]
    data = holdout_split(x, y, holdout)
    data = Mnist(data.x_train, data.y_train, data.x_test, data.y_test, source=str(train_csv))
    with tempfile.TemporaryDirectory(prefix="kaggle-train-") as tmp:  # a folder of its own: a fresh run empties it
        return train(data, epochs, Path(work_dir) / RUN_FOLDER if work_dir else tmp, resume=resume, verbose=verbose)


def write_submission(model, x_test: np.ndarray, path: str | os.PathLike) -> np.ndarray:
    """Predict every test image with model (a Keras model or rec.probabilities, see
    batch.predict_batches) and write Kaggle's submission.csv (ImageId from 1, Label) atomically;
    returns the labels."""
    labels = predict_batches(model, x_test).argmax(axis=1)
    table = np.column_stack([np.arange(1, len(labels) + 1), labels])
    _write_atomic(path, ["ImageId", "Label"], table)
    return labels


def read_submission(path: str | os.PathLike) -> np.ndarray:
    """The labels of a submission.csv, checked: header ImageId,Label and ImageId 1..n in order."""
    import pandas as pd

    frame = pd.read_csv(path)
    if frame.columns.tolist() != ["ImageId", "Label"]:
        raise DataError(f"{path}: expected columns ImageId,Label, got {','.join(map(str, frame.columns))}")
    if not np.array_equal(frame["ImageId"].to_numpy(), np.arange(1, len(frame) + 1)):
        raise DataError(f"{path}: ImageId must run 1..{len(frame)} in order")
    return frame["Label"].to_numpy()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=command_prog("kaggle"),
        description="Train on Kaggle's Digit Recognizer train.csv (only) and write submission.csv for test.csv.",
    )
    parser.add_argument("--train", required=True, help="Kaggle's train.csv (label,pixel0..pixel783)")
    parser.add_argument("--test", required=True, help="Kaggle's test.csv (pixel0..pixel783)")
    parser.add_argument("--out", default="submission.csv", help="where to write ImageId,Label (default submission.csv)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help=f"epochs (default {DEFAULT_EPOCHS})")
    parser.add_argument(
        "--holdout",
        type=float,
        default=0.0,
        help=f"fraction of train.csv kept aside to report validation accuracy (default 0, at most {MAX_HOLDOUT})",
    )
    parser.add_argument("--limit", type=int, help="train on the first N rows only (smoke runs)")
    parser.add_argument(
        "--save-model", type=path_arg, metavar="PATH.keras", help="also save the trained model (and its .tflite)"
    )
    parser.add_argument(
        "--work-dir",
        type=path_arg,
        help=f"keep checkpoints here (in a folder '{RUN_FOLDER}' inside), to continue a stopped run with --resume",
    )
    parser.add_argument("--resume", action="store_true", help="continue from the last epoch saved in --work-dir")
    args = parser.parse_args(argv)
    try:
        _check_args(args)
        # Read test.csv first: a broken file must fail now, not after the training.
        x_test, _ = read_kaggle_csv(args.test, labeled=False)
        start = time.perf_counter()
        model, history = train_kaggle(args.train, args.epochs, args.work_dir, args.holdout, args.limit, args.resume)
        seconds = time.perf_counter() - start
        if args.save_model:
            from .train import save_model

            save_model(model, args.save_model)
        labels = write_submission(model, x_test, args.out)
    except (RecognizerError, OSError) as exc:  # OSError: a disk full or a folder gone while it ran
        print(f"error: {exc}", file=sys.stderr)
        return 2
    last = history[-1] if history else {}
    summary = f"trained {args.epochs} epoch{'s' * (args.epochs != 1)} in {seconds:.0f} s"
    if "val_accuracy" in last:
        summary += f", holdout accuracy {last['val_accuracy']:.2%}"
    print(summary)
    if args.save_model:
        print(f"saved {args.save_model}")
    print(f"wrote {args.out}: {len(labels):,} predictions (ImageId,Label)")
    return 0


def _check_args(args) -> None:
    """Problems that would otherwise surface only after the training."""
    for flag, path in (("--train", args.train), ("--test", args.test)):
        if Path(path).is_dir():
            raise DataError(f"{flag} {path}: is a folder; give the CSV file in it (train.csv, test.csv)")
        if not Path(path).is_file():
            raise DataError(f"{flag} {path}: file not found; download it from kaggle.com/c/digit-recognizer/data")
    inputs = {"--train": args.train, "--test": args.test}
    check_writable(args.out, "--out", inputs=inputs)
    if args.save_model:
        for path in (Path(args.save_model), Path(args.save_model).with_suffix(".tflite")):
            check_writable(path, "--save-model", inputs=inputs, outputs={"--out": args.out})
    if args.work_dir:
        check_writable(args.work_dir, "--work-dir", folder=True)
        if args.resume:
            refuse_old_layout(args.work_dir, RUN_FOLDER, (BACKUP, "history.csv"))
    check_counts(args.epochs, args.limit)  # train's own bounds, in its words
    if not 0 <= args.holdout <= MAX_HOLDOUT:
        raise DataError(f"--holdout must be a fraction from 0 to {MAX_HOLDOUT}, e.g. 0.1, got {args.holdout}")
    if args.resume and not args.work_dir:
        raise DataError("--resume needs the --work-dir of the stopped run")
    if args.resume:  # it trained again from the first epoch without a word, as train once did
        say_if_nothing_to_resume(Path(args.work_dir) / RUN_FOLDER)
    if args.save_model:
        check_out(args.save_model, flag="--save-model")


if __name__ == "__main__":
    sys.exit(main())
