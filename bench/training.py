"""Training speed on this machine: seconds per epoch for the shipped architecture.

Real training steps of recognizer.train's one recipe (fit_checkpointed: build_model() behind the
drawn-digit augmenter, Adam, batch BATCH_SIZE) are timed after a warm-up that absorbs graph
tracing; the mean step time is extrapolated to one epoch of the shipped recipe (the model card's
training images: MNIST's 60,000 with the real pen digits and the style variants; 60,000 without a
card), plus the validation pass fit makes over the 10,000 test images, timed the same way (its
first batch, which traces, left out). The end-of-epoch checkpoint is not included. The model card's
figure, measured over a whole `make train` run, is reported beside it when present.
"""

from __future__ import annotations

import csv
import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from recognizer.train import BATCH_SIZE, EMA_MOMENTUM, fit_checkpointed

from .common import timing_stats

MNIST_TRAIN = 60_000
MNIST_TEST = 10_000
FULL = {"warmup": 10, "steps": 200}
QUICK = {"warmup": 2, "steps": 3}


def run(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray | None,
    y_val: np.ndarray | None,
    quick: bool,
    card_path: Path | None = None,
) -> dict:
    import keras

    from recognizer.model import build_model

    plan = QUICK if quick else FULL
    n_steps = plan["warmup"] + plan["steps"]
    take = np.arange(n_steps * BATCH_SIZE) % len(x_train)  # cycles a small data set
    validation = None
    if x_val is not None and len(x_val):
        take_val = np.arange(2 * BATCH_SIZE if quick else min(len(x_val), MNIST_TEST)) % len(x_val)
        validation = (x_val[take_val], y_val[take_val])

    train_ends: list[int] = []
    val_ends: list[int] = []

    class StepClock(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            train_ends.append(time.perf_counter_ns())

        def on_train_batch_end(self, batch, logs=None):
            train_ends.append(time.perf_counter_ns())

        def on_test_batch_end(self, batch, logs=None):
            val_ends.append(time.perf_counter_ns())

    with tempfile.TemporaryDirectory(prefix="bench-training-") as work_dir:
        fit_checkpointed(
            build_model,
            "sparse_categorical_crossentropy",
            x_train[take],
            y_train[take],
            validation,
            epochs=1,
            work_dir=work_dir,
            verbose=0,
            callbacks=[StepClock()],
            ema_momentum=EMA_MOMENTUM,
        )
    steps_ns = np.diff(train_ends[plan["warmup"] :])  # step k's time: end of k-1 to end of k
    step = timing_stats(steps_ns, 1)
    mean_step_s = float(steps_ns.mean()) / 1e9
    card = model_card_figure(card_path)
    # an epoch of the recipe the card records: the shipped model trains on more than MNIST (81,827 images)
    epoch_images = (card or {}).get("train_images") or MNIST_TRAIN
    steps_per_epoch = math.ceil(epoch_images / BATCH_SIZE)

    validation_s = None
    if len(val_ends) > 1:  # from the end of the first batch: the first one traces the graph
        val_step_s = float(np.diff(val_ends).mean()) / 1e9
        validation_s = val_step_s * MNIST_TEST / BATCH_SIZE

    return {
        "batch_size": BATCH_SIZE,
        "warmup_steps": plan["warmup"],
        "timed_steps": plan["steps"],
        "step": step,
        "epoch_images": epoch_images,
        "steps_per_epoch": steps_per_epoch,
        "train_seconds_per_epoch": round(mean_step_s * steps_per_epoch, 1),
        "validation_seconds": None if validation_s is None else round(validation_s, 1),
        "seconds_per_epoch_extrapolated": round(mean_step_s * steps_per_epoch + (validation_s or 0.0), 1),
        "first_steps_s": round((train_ends[plan["warmup"]] - train_ends[0]) / 1e9, 2),  # tracing + warm-up
        "model_card": card,
    }


def model_card_figure(card_path: Path | None) -> dict | None:
    """Seconds per epoch measured by the real training run: the model card's total over its epochs,
    and the per-epoch spread from the history CSV that training keeps beside the model."""
    if card_path is None:
        return None
    out: dict = {}
    try:
        card = json.loads(card_path.read_text())
        members = int(card.get("members", 1))  # networks trained one after another, card["epochs"] each
        seconds, epochs = float(card["training_seconds"]), int(card["epochs"]) * members
        out.update(
            {
                "seconds_per_epoch": round(seconds / epochs, 1) if epochs else None,
                "training_seconds": seconds,
                "epochs": epochs,
                "members": members,
                "date": card.get("date"),
                "machine": card.get("machine"),
                "train_images": card.get("train_images"),
                "run_seconds": card.get("run_seconds"),  # the whole command (cards from December 6 on)
                "code": card.get("code"),
                "path": str(card_path),
            }
        )
    except (ValueError, KeyError, TypeError, OSError):
        pass
    history = card_path.with_suffix(".history.csv")
    try:
        with open(history, newline="") as f:
            epoch_s = [float(row["epoch_seconds"]) for row in csv.DictReader(f) if row.get("epoch_seconds")]
    except (OSError, ValueError, KeyError):
        epoch_s = []
    if epoch_s:
        out["history_epoch_seconds"] = {
            "median": round(float(np.median(epoch_s)), 1),
            "min": round(min(epoch_s), 1),
            "max": round(max(epoch_s), 1),
            "epochs": len(epoch_s),
            "path": str(history),
        }
    return out or None
