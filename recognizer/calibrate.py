"""`python -m recognizer calibrate`: the temperature and "not sure" threshold of a model.

    python -m recognizer calibrate --data ../shared/data/mnist.npz [--model models/mnist_cnn.tflite]

Method. A fixed random sample of MNIST *training* images (never test images): half as MNIST has
them, half redrawn the way the app gets them (on a 400 px canvas at a random size, slant and
stroke width, then through to_mnist). On it we
  1. fit a temperature T (Guo et al. 2017): the T minimizing the negative log-likelihood of
     softmax(logits / T), with log p standing in for the logits;
  2. set the threshold to the `--reject-rate` quantile (default 0.5%) of the temperature-scaled top
     probability, at most MAX_THRESHOLD: about that share of digits reads "low confidence".
The shipped model was trained on all of MNIST's training images, so these are not unseen images:
the redrawn half is what keeps them from looking easier than new ones. The test set is only
reported (ECE, accuracy, share of "low confidence"), never used to choose T or the threshold.
Writes <model>.calibration.json (models/mnist_cnn.calibration.json for either file of the shipped
model) with the SHA-256 of the model files it holds for: Recognizer.load ignores it for any other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from pathlib import Path

import numpy as np

from .data import Mnist, load_mnist
from .errors import DataError
from .predictor import DEFAULT_MODEL, Recognizer
from .preprocess import to_mnist
from .reject import apply_temperature, calibration_path, expected_calibration_error, file_sha256
from .synthetic import redraw

CALIBRATION_IMAGES = 10_000
REJECT_RATE = 0.005
MAX_THRESHOLD = 0.99  # cap: where nearly every top probability is 1.0 (easy or few images), the quantile
# would be 1.0 itself and any hesitation at all would read "not sure"
SEED = 0
BATCH = 500


def draw_like_user(digit: np.ndarray, rng: np.random.Generator, canvas_size: int = 400) -> np.ndarray:
    """A 28x28 MNIST digit redrawn on a canvas as a user might draw it: random size (30-80% of
    the canvas height), place, slant and stroke (a quarter keep MNIST's own weight)."""
    height = rng.uniform(0.3, 0.8)
    margin = canvas_size * (height / 2 + 0.02)
    center = (rng.uniform(margin, canvas_size - margin), rng.uniform(margin, canvas_size - margin))
    stroke = None if rng.random() < 0.25 else rng.uniform(5, 24)
    return redraw(digit, canvas_size, height, stroke_px=stroke, slant=rng.uniform(-0.2, 0.2), center=center)


def calibration_set(x: np.ndarray, y: np.ndarray, n: int = CALIBRATION_IMAGES, seed: int = SEED):
    """n images from (x, y) in the model's input form, (n, 28, 28) float32, and their labels:
    the first half as they are, the second redrawn by draw_like_user."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(x), size=min(n, len(x)), replace=False)
    half = len(idx) // 2
    raw = x[idx[:half]].astype(np.float32) / 255.0
    drawn = np.stack([to_mnist(draw_like_user(x[i], rng)) for i in idx[half:]])
    return np.concatenate([raw, drawn.reshape(-1, 28, 28)]), y[idx]


def predict_all(rec: Recognizer, images: np.ndarray, calibrated: bool = False) -> np.ndarray:
    """(n, 10) probabilities in batches, float64 rows summing to 1."""
    probs = np.concatenate([rec.probabilities(images[i : i + BATCH], calibrated=calibrated)
                            for i in range(0, len(images), BATCH)]).astype(np.float64)
    return probs / probs.sum(axis=1, keepdims=True)


def fit_temperature(probs: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimizing the mean negative log-likelihood of the labels."""
    from scipy.optimize import minimize_scalar

    logits = np.log(np.clip(probs, 1e-12, None))
    rows = np.arange(len(labels))

    def nll(log_t: float) -> float:
        z = logits / np.exp(log_t)
        z -= z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[rows, labels]))

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def calibrate(rec: Recognizer, images: np.ndarray, labels: np.ndarray, reject_rate: float = REJECT_RATE) -> dict:
    """Fit temperature and threshold on (images, labels) with the model's raw probabilities."""
    raw = predict_all(rec, images, calibrated=False)
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
    raw = predict_all(rec, x_test.astype(np.float32) / 255.0, calibrated=False)
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


def model_hashes(model_path: str | Path) -> dict[str, str]:
    """SHA-256 of the model file and its .keras/.tflite sibling: the calibration holds for both."""
    model_path = Path(model_path)
    paths = {model_path, model_path.with_suffix(".keras"), model_path.with_suffix(".tflite")}
    return {p.name: file_sha256(p) for p in sorted(paths) if p.is_file()}


def run_calibration(model_path: str | Path, data: Mnist, out: str | Path | None = None, n: int = CALIBRATION_IMAGES,
                    reject_rate: float = REJECT_RATE, seed: int = SEED, command: str | None = None) -> dict:
    """Calibrate the model file on data's training images, write the JSON, return its payload."""
    from .train import write_json_atomic

    rec = Recognizer.load(model_path, calibrated=False)
    images, labels = calibration_set(data.x_train, data.y_train, n, seed)
    payload = {
        "model_sha256": model_hashes(model_path),
        "method": ("temperature: NLL-minimizing T on log-probabilities; threshold: the "
                   f"{reject_rate:.2%} quantile of the scaled top probability; both on {len(labels)} "
                   "MNIST training images (half as-is, half redrawn on a canvas and re-preprocessed), "
                   f"seed {seed}; test set only reported"),
        "reject_rate": reject_rate,
        **calibrate(rec, images, labels, reject_rate),
        "data_source": data.source,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command or "python -m recognizer calibrate",
    }
    if data.x_test is not None:
        payload["test_report_only"] = test_report(rec, data.x_test, data.y_test,
                                                  payload["temperature"], payload["threshold"])
    out = Path(out) if out is not None else calibration_path(model_path)
    write_json_atomic(out, payload)
    return payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recognizer calibrate",
                                     description="Fit the temperature and the 'not sure' threshold of a model on "
                                                 "MNIST training images; write <model>.calibration.json.")
    parser.add_argument("--data", help="mnist.npz or IDX folder (default: $MNIST_NPZ, else download)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="the .tflite or .keras model (default: shipped)")
    parser.add_argument("--out", help="where to write the JSON (default: <model>.calibration.json beside the model)")
    parser.add_argument("--images", type=int, default=CALIBRATION_IMAGES, help=f"training images used "
                        f"(default {CALIBRATION_IMAGES})")
    parser.add_argument("--reject-rate", type=float, default=REJECT_RATE,
                        help=f"share of calibration digits allowed to read 'not sure' (default {REJECT_RATE})")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    if not 0 < args.reject_rate < 0.5:
        raise DataError(f"--reject-rate must be between 0 and 0.5, got {args.reject_rate}")
    data = load_mnist(args.data)
    out = Path(args.out) if args.out else calibration_path(args.model)
    payload = run_calibration(args.model, data, out, args.images, args.reject_rate, args.seed,
                              command="python -m recognizer calibrate " + shlex.join(sys.argv[1:] if argv is None else argv))
    cal = payload["calibration_set"]
    print(f"wrote {out}")
    print(f"temperature {payload['temperature']:.3f}, threshold {payload['threshold']:.3f} "
          f"(on {cal['images']} training images: ECE {cal['ece_before']:.4f} -> {cal['ece_after']:.4f}, "
          f"{cal['low_confidence_rate']:.2%} low confidence)")
    test = payload.get("test_report_only")
    if test:
        print(f"MNIST test (report only): accuracy {test['accuracy']:.2%}, ECE {test['ece_before']:.4f} -> "
              f"{test['ece_after']:.4f}, low confidence {test['low_confidence_rate']:.2%} "
              f"(errors caught {test['errors_caught']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
