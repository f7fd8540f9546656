"""Learn the user's handwriting in seconds: a new last layer for the shipped network, made from the
user's saved samples and judged on them before it is kept.

The shipped classifier ends in features f (the input of its last Dense layer) -> Dense -> softmax.
Both methods change only that Dense layer, so the personal model has the shipped architecture,
exports to the same LiteRT file and predicts exactly as fast:

- the fine-tuned last layer (`finetune_head`): the Dense layer trained further as a softmax
  regression on the samples' features, mixed with MNIST training images' so that it keeps what it
  knew (full batch, Adam; a learning fits it once per fold and once on all the samples, about
  1.2 s in all on 2 cores);
- the class means (`prototype_head`): a nearest-class-mean reader on the same features scores class
  c by -||f - m_c||^2, m_c the mean of the user's samples of digit c; the term -||f||^2 is the same
  for every class, so that score is linear in f: 2 f.m_c - ||m_c||^2. Adding `blend` times it
  (scaled by the spread of the user's features) to the logits is one new Dense layer; no training;
  a digit with no sample takes, as `learn` makes it, the mean features of MNIST training images of
  that digit (`learn_head`; with the average of the others' scores, as before, the digits saved
  gained on every digit not saved: three 0s and a 1 saved, a 7 then read 1).

The guard (`judge`) splits the samples into FOLDS folds and reads each fold with the layer made from
the others: a layer is kept when it reads them so at least as well as the shipped model, and MNIST's
test set at most MAX_DROP_POINTS worse. `learn_head` tries the fine-tuned layer when the shipped
model misreads some of the samples, else (or when refused) the class means. Chosen with
bench/personal.py: on writers the base reads below 97% (the `train` people, with the MNIST-only
model to which they are unseen) the fine-tuned layer gained most; on writers the shipped model reads
well (the `val` people) it lost up to 1.2 points where the class means did not, always where the
shipped model read every saved sample right.
"""

from __future__ import annotations

import dataclasses
import glob
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .batch import predict_batches
from .calibration import calibration_path
from .errors import DataError, ModelError, RecognizerError
from .fileio import StopCleanly, exclusive_lock, replace_files
from .predictor import MODELS_DIR, NUM_CLASSES, check_model_file
from .samples import ONE_DIGIT, app_gone, app_gone_message, personal_model_path

# Weight of the prototype scores against the shipped logits, chosen on the UNIPEN val people
# (bench/personal.py --split val --blends 1,2,4,8, an option until December 4): 4 gained most at
# K=3 and 5 with no try losing and MNIST at most 0.16 points lower; 8 gained a little more at K=3
# but cost MNIST 0.67 points at K=1.
BLEND = 4.0
# The fine-tuned last layer (learn_head tries it first): the user's samples weigh USER_SHARE of the
# loss, MIX_IMAGES MNIST training images (drawn with MIX_SEED) the rest; FINETUNE_STEPS full-batch
# Adam steps of FINETUNE_RATE.
USER_SHARE = 0.5
FINETUNE_STEPS = 150
FINETUNE_RATE = 0.01
MIX_IMAGES = 3000
MIX_SEED = 0
FINETUNE_MIN_PER_DIGIT = 2  # fewer samples of some digit: the class means only
FOLDS = 5  # the guard reads each fold of the samples with the head made from the others
MAX_DROP_POINTS = 0.5  # MNIST test accuracy may drop this much (issue 14's budget)
DEFAULT_BASE = MODELS_DIR / "mnist_cnn.keras"  # the model a personal one starts from (learn, finetune)
SHIPPED_NAME = "shipped"  # the verdict's name for DEFAULT_BASE; another base is the "base model"
CALIBRATION_IMAGES = 4000  # MNIST training images a personal model is calibrated on
WRITING = ".writing"  # ends the name of the folder a personal model is written in before it moves into place
NO_TRAINING_IMAGES = (
    "learning needs MNIST's training images (mixed in with your samples, and to calibrate); the file has none"
)


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
    own_before: float  # the user's samples read by the base model (the shipped one unless --model)
    own_after: float  # ... each by the personal layer made without its fold (held_out_reads)
    mnist_before: float | None
    mnist_after: float | None
    head: Head | None = None  # the personal head judged (made from all the samples)

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


Fit = Callable[[np.ndarray, np.ndarray], Head]  # (the samples' features, their labels) -> a personal head


def mix_set(extractor, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The features and labels of MIX_IMAGES of MNIST's training images (drawn with MIX_SEED), the
    ones the fine-tuned layer is mixed with; DataError when there are none."""
    if len(images) == 0:
        raise DataError(NO_TRAINING_IMAGES)
    pick = np.random.default_rng(MIX_SEED).choice(len(images), min(MIX_IMAGES, len(images)), replace=False)
    return features(extractor, images[pick]), np.asarray(labels)[pick].astype(np.int64)


def digit_means(feats: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(10, d) the mean features of each digit's images (NaN for a digit with none)."""
    labels = np.asarray(labels, dtype=np.int64)
    means = np.full((NUM_CLASSES, feats.shape[1]), np.nan)
    for c in np.unique(labels):
        means[c] = feats[labels == c].mean(axis=0)
    return means


def prototype_head(
    base: Head, feats: np.ndarray, labels: np.ndarray, blend: float = BLEND, fill: np.ndarray | None = None
) -> Head:
    """`base` plus `blend` times the class-mean scores of the samples' features (see the module's
    docstring); labels (n,) in 0-9, at least two samples. A digit without samples is scored with
    fill's mean for it ((10, d), MNIST training images' digit_means) where fill has one, else with
    the average of the samples' digits' scores."""
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) < 2:
        raise DataError("need at least two samples to learn from")
    present = np.bincount(labels, minlength=NUM_CLASSES) > 0
    means = digit_means(feats, labels)
    filled = ~present & (np.isfinite(fill).all(axis=1) if fill is not None else False)
    if fill is not None:
        means[filled] = fill[filled]
    rest = ~present & ~filled
    means[rest] = means[present].mean(axis=0)  # its score: the average of the others'
    sq = (means**2).sum(axis=1)
    sq[rest] = sq[present].mean()
    spread = float(((feats - feats.mean(axis=0)) ** 2).sum(axis=1).mean()) or 1.0
    scale = blend / spread
    return Head(base.kernel + 2 * scale * means.T, base.bias - scale * sq)


def finetune_head(
    base: Head,
    feats: np.ndarray,
    labels: np.ndarray,
    mix_feats: np.ndarray,
    mix_labels: np.ndarray,
    user_share: float = USER_SHARE,
    steps: int = FINETUNE_STEPS,
    rate: float = FINETUNE_RATE,
) -> Head:
    """`base` trained further as a softmax regression on the samples' features (full batch, Adam):
    the samples weigh `user_share` of the loss, the MNIST training images' features (`mix_*`) the
    rest, so that what the network knew is kept."""
    if len(feats) == 0 or len(mix_feats) == 0:
        raise DataError("fine-tuning needs samples and MNIST training images to mix in")
    x = np.concatenate([feats, mix_feats])
    y = np.concatenate([np.asarray(labels, np.int64), np.asarray(mix_labels, np.int64)])
    weight = np.concatenate(
        [np.full(len(feats), user_share / len(feats)), np.full(len(mix_feats), (1 - user_share) / len(mix_feats))]
    )
    onehot = np.eye(NUM_CLASSES)[y]
    params = [base.kernel.copy(), base.bias.copy()]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    beta1, beta2 = 0.9, 0.999
    for t in range(1, steps + 1):
        z = x @ params[0] + params[1]
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) * weight[:, None]  # the gradient of the weighted cross-entropy wrt the logits
        for i, grad in enumerate((x.T @ g, g.sum(axis=0))):
            m[i] = beta1 * m[i] + (1 - beta1) * grad
            v[i] = beta2 * v[i] + (1 - beta2) * grad**2
            step = rate * (m[i] / (1 - beta1**t)) / (np.sqrt(v[i] / (1 - beta2**t)) + 1e-8)
            params[i] = params[i] - step
    return Head(*params)


def prototypes(base: Head, blend: float = BLEND, fill: np.ndarray | None = None) -> Fit:
    """The class-means method as a Fit (see prototype_head)."""
    return lambda feats, labels: prototype_head(base, feats, labels, blend, fill)


def last_layer(base: Head, mix_feats: np.ndarray, mix_labels: np.ndarray) -> Fit:
    """The fine-tuned last layer as a Fit (see finetune_head): what learn_head tries first."""
    return lambda feats, labels: finetune_head(base, feats, labels, mix_feats, mix_labels)


def learn_head(
    base: Head,
    feats: np.ndarray,
    labels: np.ndarray,
    mix: Callable[[], tuple[np.ndarray, np.ndarray]],
    mnist: tuple[np.ndarray, np.ndarray] | None,
    max_drop: float = MAX_DROP_POINTS,
    base_name: str = SHIPPED_NAME,
) -> tuple[str, Verdict]:
    """The personal last layer `learn` keeps, named, with its verdict: when `base` misreads some of
    the samples and every digit has FINETUNE_MIN_PER_DIGIT of them, the fine-tuned last layer if the
    guard keeps it; else the class means (a base that reads every sample right gives no evidence to
    retrain on), a digit not saved (or, in the guard's folds, left out with its only sample) scored
    by MNIST training images of it. Not kept at all where some digit has no sample and `base` reads
    every sample right: no evidence (on the `train` people, with the MNIST-only base, 5 of 96 such
    tries lost over a point; docs/measurements.md). `mix()`: MNIST training images' features and
    labels (finetune_head, digit_means), called only when the fine-tuning is tried or some digit has
    fewer than 2 samples (mix_set takes seconds); `mnist`: the test set's, for the MNIST check;
    base_name: what the verdict calls `base`."""
    labels = np.asarray(labels, dtype=np.int64)
    mnist_feats, mnist_labels = mnist if mnist is not None else (None, None)
    counts = np.bincount(labels, minlength=NUM_CLASSES)
    enough = counts.min() >= FINETUNE_MIN_PER_DIGIT
    tuned = None
    if enough and (base.predict(feats) != labels).any():
        tuned = judge(base, feats, labels, last_layer(base, *mix()), mnist_feats, mnist_labels, max_drop, base_name)
        if tuned.kept:
            return "last layer", tuned
    # MNIST's means for a digit not saved, and for one the guard's fold holding its only sample leaves
    # out (with the others' average there, the guard judged another rule than the one kept)
    fill = digit_means(*mix()) if counts.min() < 2 else None
    means = judge(base, feats, labels, prototypes(base, fill=fill), mnist_feats, mnist_labels, max_drop, base_name)
    if means.kept and counts.min() == 0 and means.own_before == 1.0:  # no evidence, and digits unseen
        missing = ", ".join(str(d) for d in np.flatnonzero(counts == 0))
        reason = (
            f"not kept: you saved no {missing}, and the {base_name.removesuffix(' model')} model reads all your "
            "samples right; save every digit, or ones it misreads"
        )
        means = dataclasses.replace(means, kept=False, reason=reason)
    if tuned is not None and not means.kept:  # say why neither layer was kept
        first = tuned.reason.removeprefix("not kept: ")
        means = dataclasses.replace(means, reason=f"{means.reason}; the fine-tuned layer was not kept either: {first}")
    return "class means", means


def folds(labels: np.ndarray, n: int = FOLDS, seed: int = 0) -> np.ndarray:
    """A fold number in 0..n-1 for each sample, stratified: sorted by digit (in random order within
    one), the samples are dealt to the folds in turn, so each digit is spread as evenly as it can be."""
    labels = np.asarray(labels, dtype=np.int64)
    order = np.lexsort((np.random.default_rng(seed).random(len(labels)), labels))
    out = np.empty(len(labels), np.int64)
    out[order] = np.arange(len(labels)) % min(n, len(labels))
    return out


def held_out_reads(fit: Fit, feats: np.ndarray, labels: np.ndarray, n: int = FOLDS) -> np.ndarray:
    """For each sample, the digit read by the head that `fit` makes from the other folds' samples."""
    labels = np.asarray(labels, dtype=np.int64)
    fold = folds(labels, n)
    out = np.empty(len(labels), np.int64)
    for j in np.unique(fold):
        out_of = fold == j
        out[out_of] = fit(feats[~out_of], labels[~out_of]).predict(feats[out_of])
    return out


def judge(
    base: Head,
    feats: np.ndarray,
    labels: np.ndarray,
    fit: Fit,
    mnist_feats: np.ndarray | None,
    mnist_labels: np.ndarray | None,
    max_drop: float = MAX_DROP_POINTS,
    base_name: str = SHIPPED_NAME,
) -> Verdict:
    """Keep the personal head `fit` makes from all the samples when the heads made without each fold
    read that fold's samples at least as well as `base`, and MNIST (if given) at most max_drop points
    worse. The verdict carries the head, and calls `base` base_name."""
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    if n < 2:
        raise DataError("need at least two samples to learn from")
    before = float((base.predict(feats) == labels).mean())
    after = float((held_out_reads(fit, feats, labels) == labels).mean())
    head = fit(feats, labels)
    mnist_before = mnist_after = None
    if mnist_feats is not None:
        mnist_before = float((base.predict(mnist_feats) == mnist_labels).mean())
        mnist_after = float((head.predict(mnist_feats) == mnist_labels).mean())

    def verdict(kept: bool, reason: str) -> Verdict:
        return Verdict(kept, reason, n, before, after, mnist_before, mnist_after, head)

    own = f"your {n} samples, each read as if unseen: {base_name} {before:.0%}, personal {after:.0%}"
    if len(np.unique(labels)) < 2:  # nothing tells one digit from another: nothing to learn
        return verdict(False, f"not kept: {ONE_DIGIT}")
    if after < before:
        counts = np.bincount(labels, minlength=NUM_CLASSES)
        few = [str(d) for d in range(NUM_CLASSES) if counts[d] < 2]
        advice = f"; save 2 or more samples of each digit (fewer of {', '.join(few)})" if few else ""
        return verdict(False, f"not kept: it reads your samples worse ({own}){advice}")
    if mnist_before is not None and 100.0 * (mnist_before - mnist_after) > max_drop:
        drop = 100.0 * (mnist_before - mnist_after)
        return verdict(False, f"not kept: MNIST test accuracy would drop {drop:.2f} points (limit {max_drop}) ({own})")
    mnist = "" if mnist_before is None else f"; MNIST test {mnist_before:.2%} -> {mnist_after:.2%}"
    return verdict(True, f"kept: {own}{mnist}")  # what it costs, said with what it gains


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
    check_model_file(base, ".keras")
    return base


def inputs(base: Path, store, args) -> dict[str, Path | str | None]:
    """The files learn and finetune read (what each is -> path), for check_out: --out must name none
    of them (it replaced the base model learned from)."""
    return {"base model": base, "samples": store.path, "MNIST data": args.data}


def personal_out(base: Path, store, args) -> Path:
    """Where learn or finetune writes the personal model, checked (train.check_out): --out, else the
    app's own place, which errors name as "the personal model" (the app's L passes no --out, and
    its pane said "--out ...: cannot write there")."""
    from .train import check_out

    if args.out:
        return check_out(args.out, inputs=inputs(base, store, args))
    return check_out(personal_model_path(".keras"), flag="the personal model", inputs=inputs(base, store, args))


def base_name(base: Path) -> str:
    """What the verdict calls the model a personal one starts from: "shipped" only when it is."""
    return SHIPPED_NAME if Path(base).resolve() == DEFAULT_BASE.resolve() else "base model"


def check_max_drop(points: float) -> float:
    """--max-drop (learn, finetune): a number of points, 0 or more (NaN would turn the MNIST check
    off), returned with -0 as 0 (printed "limit --0.0")."""
    if not (math.isfinite(points) and points >= 0):
        raise DataError(f"--max-drop must be a number of points, 0 or more, got {points}")
    return abs(points)


def drop_limit(points: float) -> str:
    """The MNIST limit as learn prints it: a drop of `points` (-0.5), or 0."""
    return f"-{points}" if points else "0"


def write_model(model, out: Path, base: Path, samples, samples_file: Path, data, seed: int = 0, **figures) -> tuple:
    """Write a personal model (learn's or finetune's): .keras + .tflite, its calibration (skipped
    with a warning if it cannot be made: the model then reads "not sure" with default settings)
    and its card with the figures given. All are written in a folder of their own beside `out`
    and moved into place together, the .tflite (the file the app looks for) last: stopped at any
    moment (SIGTERM: the app closing), it leaves the model that was there before, whole, and no
    folder behind. Returns the (.keras, .tflite) paths."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_writing(out)
    with (
        StopCleanly() as stop,
        tempfile.TemporaryDirectory(dir=out.parent, prefix=writing_prefix(out), suffix=WRITING) as tmp,
    ):
        staged = _write_staged(model, Path(tmp) / out.name, base, samples, samples_file, data, seed, **figures)
        with stop.held():
            stop.check()  # a stop raised where its exception was lost (a finalizer) still stops here
            if app_gone():  # the app's L ran this and was killed while it wrote (4 s of a 10 s run)
                raise DataError(app_gone_message())
            _move_into_place(staged, out)
    return out, out.with_suffix(".tflite")


def _write_staged(model, out: Path, base: Path, samples, samples_file: Path, data, seed: int, **figures) -> list[Path]:
    """write_model's files, written at `out` (in its temporary folder): the files, .tflite last."""
    from .calibrate import run_calibration
    from .card import command_line, model_card
    from .train import save_model, write_json_atomic

    saved = save_model(model, out)
    try:
        run_calibration(
            saved[1],
            data,
            n=min(CALIBRATION_IMAGES, len(data.x_train)),
            seed=seed,
            command=command_line(),
            report_test=False,  # the card has MNIST test before and after: the guard read it
        )
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
    write_json_atomic(out.with_suffix(".json"), card)
    return [saved[0], calibration_path(saved[1]), out.with_suffix(".json"), saved[1]]


def _move_into_place(staged: list[Path], out: Path) -> None:
    """Rename the staged files beside `out`, in order; a calibration not made removes the old one
    (made for the model replaced, it would only be ignored with a warning). Under a lock on
    .<out stem>.lock, hidden: two writers finishing at once (the app's L and `learn` in a shell) leave one's
    files, not a mix of both."""
    moves = [(path, out.with_name(path.name)) for path in staged if path.exists()]
    with exclusive_lock(out.with_name(f".{out.stem}.lock")):
        for path in staged:
            if not path.exists():
                out.with_name(path.name).unlink(missing_ok=True)
        replace_files(moves)


def writing_prefix(out: Path) -> str:
    """The start of the name of the folder write_model writes `out` in: hidden, with this process's id."""
    return f".{out.stem}.{os.getpid()}."


def remove_stale_writing(out: Path) -> None:
    """Remove the folders that write_model left beside `out` in a process that no longer runs (one
    killed outright, which could not remove its own)."""
    for folder in out.parent.glob(glob.escape(f".{out.stem}.") + f"*{WRITING}"):
        pid = folder.name.removeprefix(f".{out.stem}.").split(".")[0]
        if folder.is_dir() and pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    """Whether a process with this id runs (assumed so where that cannot be asked safely)."""
    if os.name != "posix":  # os.kill would end it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's
        return True
    return True
