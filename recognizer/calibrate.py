"""`python -m recognizer calibrate`: the temperature and "not sure" threshold of a model.

    python -m recognizer calibrate --data ../shared/data/mnist.npz --model my.keras

(`make calibrate` refits the shipped model's: --unipen ../shared/data/unipen_dev.npz --overwrite-shipped.)

Method. A fixed random sample of MNIST *training* images (never test images): half as MNIST has
them, half redrawn the way the app gets them (on a 400 px canvas at a random size, slant and
stroke width, then through to_mnist). On it we
  1. fit a temperature T (Guo et al. 2017): the T minimizing the negative log-likelihood of
     softmax(logits / T), with log p standing in for the logits;
  2. set the threshold to the `--reject-rate` quantile (default 0.5%) of the temperature-scaled top
     probability, at most MAX_THRESHOLD: about that share of digits reads "low confidence".
The shipped model was trained on all of MNIST's training images, so these are not unseen images:
the redrawn half is what keeps them from looking easier than new ones. With --unipen, the real pen
digits of the UNIPEN "val" people (never trained on; drawn REAL_RENDERS times as the app draws
them) join the set: they are what new writers look like. The test set and "test" people are only
reported (ECE, accuracy, share of "low confidence"), never used to choose T or the threshold.
Writes <model>.calibration.json (models/mnist_cnn.calibration.json for either file of the shipped
model, only with --overwrite-shipped: the app reads it) with the SHA-256 of the model files it holds
for: Recognizer.load ignores it for any other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys
from collections.abc import Iterable
from functools import partial
from pathlib import Path

import numpy as np

from .batch import predict_batches
from .calibration import apply_temperature, calibration_path, expected_calibration_error, fit_temperature
from .data import ENV_VAR as MNIST_ENV_VAR
from .data import UNIPEN_ENV_VAR, Mnist, PenCharacters, load_mnist, load_unipen
from .errors import DataError
from .fileio import check_writable, command_prog, file_sha256, path_arg
from .predictor import DEFAULT_MODEL, Recognizer, in_shipped_folder
from .preprocess import to_mnist
from .synthetic import draw_like_user

CALIBRATION_IMAGES = 10_000
MIN_CALIBRATION_IMAGES = 300  # fewer, and the temperature and the 0.5% quantile are mostly noise
REJECT_RATE = 0.005
MAX_THRESHOLD = 0.99  # cap: where nearly every top probability is 1.0 (easy or few images), the quantile
# would be 1.0 itself and any hesitation at all would read "not sure"
SEED = 0
REAL_RENDERS = 2


def calibration_set(
    x: np.ndarray, y: np.ndarray, n: int = CALIBRATION_IMAGES, seed: int = SEED, chars: PenCharacters | None = None
):
    """n images from (x, y) in the model's input form, (n, 28, 28) float32, and their labels:
    the first half as they are, the second redrawn by draw_like_user; then, with chars, the real
    digits of the "val" people, each drawn REAL_RENDERS times."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(x), size=min(n, len(x)), replace=False)
    half = len(idx) // 2
    images = [
        x[idx[:half]].astype(np.float32) / 255.0,
        np.stack([to_mnist(draw_like_user(x[i], rng)) for i in idx[half:]]).reshape(-1, 28, 28),
    ]
    labels = [y[idx]]
    if chars is not None:
        from .unipen import person_split, real_digits, render

        real = real_digits(chars, person_split(chars), "val")
        for r in range(REAL_RENDERS):
            images.append(render(chars, real, seed + 1 + r).astype(np.float32) / 255.0)
            labels.append(chars.label[real].astype(np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def _raw_probabilities(rec: Recognizer, images: np.ndarray) -> np.ndarray:
    """The model's own (n, 10) probabilities, float64 rows summing to 1, for the log-likelihoods."""
    probs = predict_batches(partial(rec.probabilities, calibrated=False), images).astype(np.float64)
    return probs / probs.sum(axis=1, keepdims=True)


def calibrate(rec: Recognizer, images: np.ndarray, labels: np.ndarray, reject_rate: float = REJECT_RATE) -> dict:
    """Fit temperature and threshold on (images, labels) with the model's raw probabilities."""
    raw = _raw_probabilities(rec, images)
    temperature = fit_temperature(raw, labels)
    scaled = apply_temperature(raw, temperature)
    confidence = scaled.max(axis=1)
    threshold = min(float(np.quantile(confidence, reject_rate)), MAX_THRESHOLD)
    return {
        "temperature": round(temperature, 5),
        "threshold": round(threshold, 5),
        "calibration_set": {
            "images": int(len(labels)),
            "accuracy": round(float((raw.argmax(1) == labels).mean()), 5),
            "ece_before": round(expected_calibration_error(raw, labels), 5),
            "ece_after": round(expected_calibration_error(scaled, labels), 5),
            "low_confidence_rate": round(float((confidence < threshold).mean()), 5),
        },
    }


def test_report(rec: Recognizer, x_test: np.ndarray, y_test: np.ndarray, temperature: float, threshold: float) -> dict:
    """Figures on the test set for the report (never used to fit anything)."""
    raw = _raw_probabilities(rec, x_test)
    scaled = apply_temperature(raw, temperature)
    low = scaled.max(axis=1) < threshold
    correct = scaled.argmax(1) == y_test
    return {
        "images": int(len(y_test)),
        "accuracy": round(float(correct.mean()), 5),
        "ece_before": round(expected_calibration_error(raw, y_test), 5),
        "ece_after": round(expected_calibration_error(scaled, y_test), 5),
        "low_confidence_rate": round(float(low.mean()), 5),
        "accuracy_when_sure": round(float(correct[~low].mean()), 5) if (~low).any() else None,
        "errors_caught": f"{int((low & ~correct).sum())} of {int((~correct).sum())}",
    }


def file_hashes(paths: Iterable[str | Path | None]) -> dict[str, str]:
    """SHA-256 of each of these files that exists, by its name."""
    return {Path(p).name: file_sha256(p) for p in paths if p is not None and Path(p).is_file()}


def model_hashes(model_path: str | Path) -> dict[str, str]:
    """SHA-256 of the model file and its .keras/.tflite sibling: the calibration holds for both."""
    model_path = Path(model_path)
    return file_hashes(sorted({model_path, model_path.with_suffix(".keras"), model_path.with_suffix(".tflite")}))


def run_calibration(
    model_path: str | Path,
    data: Mnist,
    out: str | Path | None = None,
    n: int = CALIBRATION_IMAGES,
    reject_rate: float = REJECT_RATE,
    seed: int = SEED,
    command: str | None = None,
    chars: PenCharacters | None = None,
    report_test: bool = True,
) -> dict:
    """Calibrate the model file on data's training images, write the JSON, return its payload.
    report_test: also read data's test set for the report (never fitted on); a personal model skips
    it, its guard having read MNIST test already (10,000 images: a third of learning's time)."""
    from .train import write_json_atomic

    available = min(n, len(data.x_train))
    if available < MIN_CALIBRATION_IMAGES:
        raise DataError(
            f"{data.source}: calibration needs at least {MIN_CALIBRATION_IMAGES} training images, "
            f"got {available}; a temperature and threshold fitted on fewer would be noise"
        )
    rec = Recognizer.load(model_path, calibrated=False)
    images, labels = calibration_set(data.x_train, data.y_train, n, seed, chars)
    payload = {
        "model_sha256": model_hashes(model_path),
        "method": (
            "temperature: NLL-minimizing T on log-probabilities; threshold: the "
            f"{reject_rate:.2%} quantile of the scaled top probability; both on {len(labels)} "
            f"images: {min(n, len(data.x_train))} MNIST training images (half as-is, half redrawn on a "
            "canvas and re-preprocessed)"
            + (
                f", and the real pen digits of the UNIPEN 'val' people drawn {REAL_RENDERS} times as the app draws them"
                if chars is not None
                else ""
            )
            + f"; seed {seed}; test set only reported"
        ),
        "reject_rate": reject_rate,
        **calibrate(rec, images, labels, reject_rate),
        "data_source": Path(data.source).name + (f" + {Path(chars.source).name}" if chars is not None else ""),
        # which files exactly, as a model card records them (a data file named only by its name could
        # be any copy of any version)
        "data_sha256": file_hashes((data.source, chars.source if chars is not None else None)),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command or "python -m recognizer calibrate",
    }
    if report_test and data.x_test is not None:
        payload["test_report_only"] = test_report(
            rec, data.x_test, data.y_test, payload["temperature"], payload["threshold"]
        )
    out = Path(out) if out is not None else calibration_path(model_path)
    write_json_atomic(out, payload)
    return payload


def calibrate_command(argv: list[str], data: str | None, unipen: str | None) -> str:
    """The command as typed (data, unipen: its --data and --unipen), with the data files that
    $MNIST_NPZ and $UNIPEN_NPZ named written out (`make calibrate` with the variables set recorded
    a command naming no data)."""
    from .train import data_arguments

    given, extra = data_arguments(data, unipen), []
    for flag, path in zip(given[::2], given[1::2]):
        if flag not in argv and not any(a.startswith(flag + "=") for a in argv):  # typed: already there
            extra += [flag, path]
    return "python -m recognizer calibrate " + shlex.join([*argv, *extra])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=command_prog("calibrate"),
        description="Fit the temperature and the 'not sure' threshold of a model on "
        "MNIST training images; write <model>.calibration.json.",
    )
    parser.add_argument("--data", help="mnist.npz or IDX folder (default: $MNIST_NPZ, else download)")
    parser.add_argument(
        "--model", type=path_arg, default=str(DEFAULT_MODEL), help="the .tflite or .keras model (default: shipped)"
    )
    parser.add_argument(
        "--out", type=path_arg, help="where to write the JSON (default: <model>.calibration.json beside the model)"
    )
    parser.add_argument(
        "--images", type=int, default=CALIBRATION_IMAGES, help=f"training images used (default {CALIBRATION_IMAGES})"
    )
    parser.add_argument(
        "--reject-rate",
        type=float,
        default=REJECT_RATE,
        help=f"share of calibration digits allowed to read 'not sure' (default {REJECT_RATE})",
    )
    parser.add_argument(
        "--unipen",
        help="unipen_dev.npz: add the real digits of the 'val' people "
        "(default: $UNIPEN_NPZ; without either, MNIST alone)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--overwrite-shipped",
        action="store_true",
        help="allow writing into recognizer/models/: the shipped calibration, which the app uses (make calibrate)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.reject_rate < 0.5:
        raise DataError(f"--reject-rate must be between 0 and 0.5, got {args.reject_rate}")
    if args.seed < 0:
        raise DataError(f"--seed must be 0 or more, got {args.seed}")
    if args.images < MIN_CALIBRATION_IMAGES:
        raise DataError(
            f"--images must be at least {MIN_CALIBRATION_IMAGES}, got {args.images}: "
            "a temperature and threshold fitted on fewer would be noise"
        )
    unipen_path = args.unipen or os.environ.get(UNIPEN_ENV_VAR)
    model = Path(args.model)
    if not model.name or model.is_dir():  # "/" or ".": no file name to put a suffix on
        raise DataError(f"--model {model} is a folder; pass the .tflite or .keras file")
    inputs = {
        "--model": model,
        "--model's .keras": model.with_suffix(".keras"),
        "--model's .tflite": model.with_suffix(".tflite"),
        "--data": args.data or os.environ.get(MNIST_ENV_VAR),
        "--unipen": unipen_path,
    }
    out = Path(args.out) if args.out else calibration_path(args.model)
    if in_shipped_folder(out) and not args.overwrite_shipped:
        raise DataError(
            f"{out} is the shipped calibration, which the app reads: pass --overwrite-shipped to replace it "
            "(make calibrate does, with --unipen), or --out for another file"
        )
    out = check_writable(out, "--out", inputs=inputs)
    data = load_mnist(args.data)
    chars = load_unipen(unipen_path) if unipen_path else None
    payload = run_calibration(
        args.model,
        data,
        out,
        args.images,
        args.reject_rate,
        args.seed,
        command=calibrate_command(sys.argv[1:] if argv is None else argv, args.data, args.unipen),
        chars=chars,
    )
    cal = payload["calibration_set"]
    print(f"wrote {out}")
    print(
        f"temperature {payload['temperature']:.3f}, threshold {payload['threshold']:.3f} "
        f"(on {cal['images']} training images: ECE {cal['ece_before']:.4f} -> {cal['ece_after']:.4f}, "
        f"{cal['low_confidence_rate']:.2%} low confidence)"
    )
    test = payload.get("test_report_only")
    if test:
        print(
            f"MNIST test (report only): accuracy {test['accuracy']:.2%}, ECE {test['ece_before']:.4f} -> "
            f"{test['ece_after']:.4f}, low confidence {test['low_confidence_rate']:.2%} "
            f"(errors caught {test['errors_caught']})"
        )
    return 0


if __name__ == "__main__":  # as `python -m recognizer calibrate`: its errors in one line, not a traceback
    from recognizer.__main__ import main as cli

    sys.exit(cli(["calibrate", *sys.argv[1:]]))
