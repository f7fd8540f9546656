"""Train the CNN on MNIST with drawn-digit augmentation; write .keras, .tflite and a model card.

    python -m recognizer.train --data ../shared/data/mnist.npz --epochs 30 --out models/mnist_cnn.keras

Checkpoints every epoch (keras.callbacks.BackupAndRestore); rerun with --resume after a stop.
The learning-rate schedule is fixed and the last epoch ships: the test set is only reported.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .data import Mnist, file_sha256, load_mnist
from .errors import RecognizerError
from .fileio import atomic_write
from .predictor import MODELS_DIR

DEFAULT_EPOCHS = 30
BATCH_SIZE = 128
PEAK_LR = 1e-3
SEED = 42


def learning_rate(epoch: int, epochs: int) -> float:
    """Cosine decay from PEAK_LR to ~0 over the run, per epoch (so a resumed run gets the same)."""
    return PEAK_LR * 0.5 * (1 + math.cos(math.pi * epoch / epochs))


def to_input(images: np.ndarray) -> np.ndarray:
    """(n, 28, 28) uint8 -> (n, 28, 28, 1) float32 in [0, 1], the model's input."""
    return (images.astype(np.float32) / 255.0)[..., None]


def train(
    data: Mnist,
    epochs: int = DEFAULT_EPOCHS,
    work_dir: str | os.PathLike = "models/checkpoints",
    resume: bool = False,
    batch_size: int = BATCH_SIZE,
    seed: int = SEED,
    verbose: int | str = "auto",
    callbacks: list | tuple = (),
):
    """Fit a fresh model (or resume one from work_dir) and return (model, history rows per epoch).
    callbacks: more Keras callbacks, run after the checkpointing and logging ones."""
    from .model import build_model

    validation = (to_input(data.x_test), data.y_test) if data.x_test is not None else None
    return fit_checkpointed(build_model, "sparse_categorical_crossentropy", to_input(data.x_train), data.y_train,
                            validation, epochs, work_dir, resume, batch_size, seed, verbose, callbacks)


def fit_checkpointed(build, loss: str, x: np.ndarray, y: np.ndarray, validation, epochs: int,
                     work_dir: str | os.PathLike, resume: bool = False, batch_size: int = BATCH_SIZE,
                     seed: int = SEED, verbose: int | str = "auto", callbacks: list | tuple = ()):
    """The training recipe both models share: build() after seeding, fit behind the augmenter with
    Adam and the cosine schedule, a checkpoint every epoch in work_dir (resume=True continues an
    interrupted run; otherwise old checkpoints are cleared) and history.csv there.
    Returns (model, history rows per epoch)."""
    import keras

    from .augment import build_augmenter
    from .model import INPUT_SHAPE

    work_dir = Path(work_dir)
    log_path = work_dir / "history.csv"
    if not resume:
        clear_checkpoints(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)

    keras.utils.set_random_seed(seed)
    model = build()
    trainer = keras.Sequential([keras.Input(INPUT_SHAPE), build_augmenter(seed), model], name="trainer")
    trainer.compile(optimizer=keras.optimizers.Adam(PEAK_LR), loss=loss, metrics=["accuracy"])
    trainer.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=epochs,
        shuffle=True,
        validation_data=validation,
        callbacks=[
            keras.callbacks.BackupAndRestore(str(work_dir / "backup")),
            keras.callbacks.LearningRateScheduler(lambda epoch: learning_rate(epoch, epochs)),
            EpochTimer(),
            keras.callbacks.CSVLogger(str(log_path), append=True),
            *callbacks,
        ],
        verbose=verbose,
    )
    return model, read_history(log_path)


class EpochTimer:
    """Adds each epoch's wall time to the logs (hence to history.csv), so resumed runs add up."""

    def __new__(cls):
        import keras

        class _EpochTimer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                if logs is not None:
                    logs["epoch_seconds"] = time.perf_counter() - self.start

        return _EpochTimer()


def read_history(log_path: str | os.PathLike) -> list[dict[str, float]]:
    """Per-epoch metrics as written by CSVLogger (one row per epoch, across resumes)."""
    path = Path(log_path)
    if not path.exists():
        return []
    with open(path, newline="") as f:
        # CSVLogger writes "NA" in the val_* columns of a run without validation data.
        rows = [{k: float(v) for k, v in row.items() if v not in ("", "NA")} for row in csv.DictReader(f)]
    # A run stopped mid-epoch and resumed can log an epoch twice: keep the last of each.
    return list({int(r["epoch"]): r for r in rows}.values())


def write_history(history: list[dict[str, float]], path: str | os.PathLike) -> None:
    """Keep the per-epoch metrics beside the model (atomically), for curves in the notebook."""
    with atomic_write(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]) if history else ["epoch"])
        writer.writeheader()
        writer.writerows(history)


def clear_checkpoints(work_dir: Path) -> None:
    """Remove a previous run's checkpoints and history, so that a fresh run starts at epoch 0."""
    import shutil

    for name in ("backup", "history.csv"):
        target = work_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def save_model(model, out: str | os.PathLike) -> tuple[Path, Path]:
    """Write the .keras file and its .tflite export atomically (temporary file, then rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tflite_path = out.with_suffix(".tflite")
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        tmp_keras = Path(tmp) / out.name
        model.save(tmp_keras)
        tmp_tflite = Path(tmp) / tflite_path.name
        model.export(str(tmp_tflite), format="litert", verbose=False)
        os.replace(tmp_keras, out)
        os.replace(tmp_tflite, tflite_path)
    return out, tflite_path


def write_json_atomic(path: str | os.PathLike, payload: dict) -> None:
    """Write JSON via a temporary file and rename, so a crash never leaves half a file."""
    with atomic_write(path) as f:
        json.dump(payload, f, indent=2)
        f.write("\n")


def training_seconds(history: list[dict]) -> float:
    """Wall time of all epochs in the history, resumed runs included (EpochTimer's figures)."""
    return round(sum(r.get("epoch_seconds", 0.0) for r in history), 1)


def data_sha256(data_path: str | None) -> str | None:
    """Hash of the data file a model was trained on, for its card (None when downloaded by Keras
    or a folder)."""
    return file_sha256(data_path) if data_path and Path(data_path).is_file() else None


def model_card(model, data: Mnist, history: list[dict], data_path: str | None, epochs: int) -> dict:
    """The facts a user needs to trust the model: accuracy, data, time, command."""
    import keras
    import tensorflow as tf

    card = {
        "model": model.name,
        "parameters": int(model.count_params()),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m recognizer.train " + shlex.join(sys.argv[1:]),
        "epochs": epochs,
        "batch_size": BATCH_SIZE,
        "train_images": int(len(data.x_train)),
        "training_seconds": training_seconds(history),
        "data_source": data.source,
        "data_sha256": data_sha256(data_path),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "machine": f"{os.cpu_count()} CPU cores",
    }
    if data.x_test is not None:
        probs = model.predict(to_input(data.x_test), batch_size=1000, verbose=0)
        card["test_images"] = int(len(data.x_test))
        card["test_accuracy"] = round(float((probs.argmax(1) == data.y_test).mean()), 5)
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recognizer.train", description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="mnist.npz, IDX folder or Kaggle train.csv (default: $MNIST_NPZ, else download)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help=f"epochs (default {DEFAULT_EPOCHS})")
    parser.add_argument("--out", default=str(MODELS_DIR / "mnist_cnn.keras"),
                        help="where to write the .keras model (default: the shipped one, which the app loads)")
    parser.add_argument("--limit", type=int, help="train on the first N images only (smoke runs)")
    parser.add_argument("--resume", action="store_true", help="continue from the last epoch checkpoint")
    parser.add_argument("--work-dir", help="checkpoints and history.csv (default: <out dir>/checkpoints)")
    args = parser.parse_args(argv)
    try:
        data = load_mnist(args.data)
        if args.limit:
            data = Mnist(data.x_train[: args.limit], data.y_train[: args.limit], data.x_test, data.y_test, data.source)
        work_dir = args.work_dir or Path(args.out).parent / "checkpoints"
        model, history = train(data, args.epochs, work_dir, resume=args.resume)
        keras_path, tflite_path = save_model(model, args.out)
        write_history(history, Path(args.out).with_suffix(".history.csv"))
        card = model_card(model, data, history, args.data or os.environ.get("MNIST_NPZ"), args.epochs)
        write_json_atomic(Path(args.out).with_suffix(".json"), card)
    except RecognizerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"saved {keras_path} and {tflite_path}")
    if "test_accuracy" in card:
        print(f"test accuracy {card['test_accuracy']:.2%} on {card['test_images']} images, "
              f"training {card['training_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
