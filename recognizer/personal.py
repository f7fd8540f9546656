"""Learn the user's handwriting in seconds: class means (prototypes) of the user's saved samples on
the shipped network's penultimate features, blended with its softmax and folded into its last layer.

The shipped classifier ends in features f (the input of its last Dense layer) -> Dense -> softmax.
A nearest-class-mean reader on the same features scores class c by -||f - m_c||^2, where m_c is
the mean of the user's samples of digit c; the term -||f||^2 is the same for every class, so that
score is linear in f: 2 f.m_c - ||m_c||^2. Adding `blend` times it (scaled by the spread of the
user's features, so that the blend does not depend on the weights) to the Dense layer's logits is
therefore one new Dense layer: the personal model has the shipped architecture, exports to the same
LiteRT file and predicts exactly as fast. No training; a digit with no sample gets the average of the
others' scores (it is neither favoured nor pushed away).

The guard (`judge`) keeps the personal model only when, leaving each saved sample out in turn and
building the prototypes from the others, it reads the user's samples at least as well as the shipped model
and reads MNIST's test set at most MAX_DROP_POINTS
worse. The blend was chosen on the UNIPEN `val` people (bench/personal.py).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .batch import predict_batches
from .errors import DataError, ModelError, RecognizerError
from .predictor import MODELS_DIR, NUM_CLASSES

# Weight of the prototype scores against the shipped logits, chosen on the UNIPEN val people
# (bench/personal.py --split val, blends 1-8): 4 gained most at K=3 and 5 with no try losing and
# MNIST at most 0.16 points lower; 8 gained a little more at K=3 but cost MNIST 0.67 points at K=1.
BLEND = 4.0
MAX_DROP_POINTS = 0.5  # MNIST test accuracy may drop this much (issue 14's budget)
MIN_PER_DIGIT = 1
DEFAULT_BASE = MODELS_DIR / "mnist_cnn.keras"  # the model a personal one starts from (learn, finetune)
CALIBRATION_IMAGES = 4000  # MNIST training images a personal model is calibrated on


@dataclass(frozen=True)
class Head:
    """A last layer: logits = features @ kernel + bias, (features, 10) and (10,)."""

    kernel: np.ndarray
    bias: np.ndarray

    def logits(self, features: np.ndarray) -> np.ndarray:
        return features @ self.kernel + self.bias

    def predict(self, features: np.ndarray) -> np.ndarray:
        """The digit read for each row of features."""
        return self.logits(features).argmax(axis=1)


@dataclass(frozen=True)
class Verdict:
    """What the guard measured, and whether the personal model is kept (reason: why, in a line)."""

    kept: bool
    reason: str
    samples: int
    own_before: float  # the user's samples read by the shipped model (each as if unseen)
    own_after: float  # ... by the personal model built without that sample
    mnist_before: float | None
    mnist_after: float | None

    @property
    def mnist_drop_points(self) -> float | None:
        if self.mnist_before is None or self.mnist_after is None:
            return None
        return 100.0 * (self.mnist_before - self.mnist_after)


def last_dense(model):
    """The classifier's last layer: a Dense with softmax over 10 classes (ModelError otherwise)."""
    import keras

    layer = model.layers[-1]
    if (
        not isinstance(layer, keras.layers.Dense)
        or layer.units != NUM_CLASSES
        or keras.activations.serialize(layer.activation) != "softmax"
    ):
        raise ModelError("personalizing needs a classifier ending in Dense(10, softmax)")
    return layer


def shipped_head(model) -> Head:
    """The model's own last layer as a Head."""
    kernel, bias = last_dense(model).get_weights()
    return Head(kernel.astype(np.float64), bias.astype(np.float64))


def feature_model(model):
    """A Keras model sharing the classifier's layers that outputs the features its last layer reads."""
    import keras

    return keras.Model(model.inputs[0], last_dense(model).input)  # a single model or an ensemble


def features(extractor, images: np.ndarray) -> np.ndarray:
    """(n, 28, 28) images (uint8 or floats in [0, 1]) -> (n, d) float64 features, in batches."""
    if len(images) == 0:
        return np.zeros((0, extractor.output_shape[-1]))
    return predict_batches(extractor, images).astype(np.float64)


def prototype_head(base: Head, feats: np.ndarray, labels: np.ndarray, blend: float = BLEND) -> Head:
    """`base` plus `blend` times the class-mean scores of the samples' features (see the module's
    docstring); labels (n,) in 0-9, at least two samples."""
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) < 2:
        raise DataError("need at least two samples to learn from")
    present = np.bincount(labels, minlength=NUM_CLASSES) > 0
    means = np.zeros((NUM_CLASSES, feats.shape[1]))
    for c in np.flatnonzero(present):
        means[c] = feats[labels == c].mean(axis=0)
    means[~present] = means[present].mean(axis=0)  # its score: the average of the others'
    sq = (means**2).sum(axis=1)
    sq[~present] = sq[present].mean()
    spread = float(((feats - feats.mean(axis=0)) ** 2).sum(axis=1).mean()) or 1.0
    scale = blend / spread
    return Head(base.kernel + 2 * scale * means.T, base.bias - scale * sq)


def leave_one_out(base: Head, feats: np.ndarray, labels: np.ndarray, blend: float = BLEND) -> np.ndarray:
    """For each sample, the digit the personal model built from all the other samples reads."""
    keep = np.ones(len(labels), bool)
    out = np.empty(len(labels), np.int64)
    for i in range(len(labels)):
        keep[i] = False
        out[i] = prototype_head(base, feats[keep], labels[keep], blend).predict(feats[i : i + 1])[0]
        keep[i] = True
    return out


def judge(
    base: Head,
    feats: np.ndarray,
    labels: np.ndarray,
    mnist_feats: np.ndarray | None,
    mnist_labels: np.ndarray | None,
    blend: float = BLEND,
    max_drop: float = MAX_DROP_POINTS,
) -> Verdict:
    """Keep the personal model built from all the samples when it reads the held-out samples (each
    left out in turn) at least as well as the shipped model, and MNIST (if given) at most max_drop points
    worse."""
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    before = float((base.predict(feats) == labels).mean())
    after = float((leave_one_out(base, feats, labels, blend) == labels).mean())
    mnist_before = mnist_after = None
    if mnist_feats is not None:
        mnist_before = float((base.predict(mnist_feats) == mnist_labels).mean())
        mnist_after = float((prototype_head(base, feats, labels, blend).predict(mnist_feats) == mnist_labels).mean())

    def verdict(kept: bool, reason: str) -> Verdict:
        return Verdict(kept, reason, n, before, after, mnist_before, mnist_after)

    own = f"your {n} samples, each read as if unseen: shipped {before:.0%}, personal {after:.0%}"
    if len(np.unique(labels)) < 2:  # one digit's prototype alone scores every class alike: nothing learned
        return verdict(False, "not kept: your samples are all of one digit; save samples of other digits too")
    if after < before:
        counts = np.bincount(labels, minlength=NUM_CLASSES)
        few = [str(d) for d in range(NUM_CLASSES) if counts[d] < 2]
        advice = f"; save 2 or more samples of each digit (fewer of {', '.join(few)})" if few else ""
        return verdict(False, f"not kept: it reads your samples worse ({own}){advice}")
    if mnist_before is not None and 100.0 * (mnist_before - mnist_after) > max_drop:
        drop = 100.0 * (mnist_before - mnist_after)
        return verdict(False, f"not kept: MNIST test accuracy would drop {drop:.2f} points (limit {max_drop}) ({own})")
    return verdict(True, f"kept: {own}")


def set_head(model, head: Head) -> None:
    """Put `head` into the model's last layer (in place)."""
    layer = last_dense(model)
    kernel, bias = layer.get_weights()
    layer.set_weights([head.kernel.astype(kernel.dtype), head.bias.astype(bias.dtype)])


def base_model(path: str | os.PathLike, job: str) -> Path:
    """The .keras model a personal one starts from (learn, finetune), checked: ModelError otherwise."""
    base = Path(path)
    if base.suffix != ".keras":
        raise ModelError(f"{job} needs a .keras model, got {base}")
    if not base.is_file():
        raise ModelError(f"model file not found: {base}")
    return base


def load_model(base: Path):
    """The Keras model at `base` (see base_model), loaded safely; ModelError in one line otherwise."""
    import keras

    try:
        return keras.saving.load_model(base, safe_mode=True, compile=False)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else exc.__class__.__name__
        raise ModelError(f"cannot load model {base}: {reason}") from None


def write_model(model, out: Path, base: Path, samples, samples_file: Path, data, seed: int = 0, **figures) -> tuple:
    """Write a personal model (learn's or finetune's): .keras + .tflite, its calibration (skipped
    with a warning if it cannot be made: the model then reads "not sure" with default settings)
    and its card with the figures given. Returns the (.keras, .tflite) paths."""
    from .calibrate import run_calibration
    from .card import command_line, model_card
    from .train import save_model, write_json_atomic

    saved = save_model(model, out)
    try:
        run_calibration(saved[1], data, n=min(CALIBRATION_IMAGES, len(data.x_train)), seed=seed, command=command_line())
    except RecognizerError as exc:
        print(f"warning: calibration skipped ({exc})", file=sys.stderr)
    card = model_card(
        model,
        saved,
        {"mnist": data.source, "samples": samples_file},
        base_model=str(base),
        samples=len(samples),
        samples_per_digit=np.bincount(samples.labels, minlength=NUM_CLASSES).tolist(),
        **figures,
    )
    write_json_atomic(Path(out).with_suffix(".json"), card)
    return saved
