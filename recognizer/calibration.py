"""A model's calibration: the temperature for its probabilities and the "not sure" threshold.

Temperature scaling (Guo et al. 2017) divides the logits by T so that a top probability of 0.9 is
right about 90% of the time; below the threshold on that probability a digit reads "low
confidence". Both live in <model>.calibration.json beside the model, written by `python -m
recognizer calibrate` (recognizer/calibrate.py: the method) together with the SHA-256 of the model
files they were fitted for; without a matching file, DEFAULT_THRESHOLD and no scaling apply.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .fileio import file_sha256

DEFAULT_THRESHOLD = 0.5  # top probability below this is "low confidence" when no calibration file
CALIBRATION_SUFFIX = ".calibration.json"


@dataclass(frozen=True)
class Calibration:
    """Temperature for the model's probabilities and the "not sure" threshold on the top one."""

    temperature: float = 1.0
    threshold: float = DEFAULT_THRESHOLD
    source: str = "default"  # the JSON file it came from, or "default"


def calibration_path(model_path: str | os.PathLike) -> Path:
    """models/mnist_cnn.tflite (or .keras) -> models/mnist_cnn.calibration.json"""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + CALIBRATION_SUFFIX)


def load_calibration(model_path: str | os.PathLike) -> Calibration:
    """The calibration written for this model file, or the defaults (with a warning when the file
    exists but is unreadable or was made for another model, e.g. before a retrain)."""
    path = calibration_path(model_path)
    if not path.is_file():
        return Calibration()
    try:
        payload = json.loads(path.read_text())
        temperature, threshold = float(payload["temperature"]), float(payload["threshold"])
        hashes = payload.get("model_sha256", {})
        if not (0.01 <= temperature <= 100 and 0.0 <= threshold <= 1.0):
            raise ValueError("temperature or threshold out of range")
        if not isinstance(hashes, dict):
            raise TypeError(f"model_sha256 must be an object of file name: SHA-256, got {type(hashes).__name__}")
    # RecursionError: JSON nested deep; OverflowError: a whole number too long for a float (10**400)
    except (OSError, ValueError, KeyError, TypeError, RecursionError, OverflowError) as exc:
        warnings.warn(f"ignoring {path}: unreadable ({exc.__class__.__name__}: {exc})", stacklevel=2)
        return Calibration()
    if file_sha256(model_path) not in hashes.values():
        warnings.warn(
            f"ignoring {path}: made for another version of {Path(model_path).name} "
            "(run `python -m recognizer calibrate` again)",
            stacklevel=2,
        )
        return Calibration()
    return Calibration(temperature, threshold, str(path))


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax(logits / T) from softmax outputs: log p equals the logits up to a constant."""
    if temperature == 1.0:
        return probabilities
    logits = np.log(np.clip(probabilities, 1e-12, None)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    scaled = np.exp(logits)
    return (scaled / scaled.sum(axis=-1, keepdims=True)).astype(probabilities.dtype)


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


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins
    weighted by how many predictions fall in each (Guo et al. 2017)."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        in_bin = which == b
        if in_bin.any():
            ece += in_bin.mean() * abs(confidence[in_bin].mean() - correct[in_bin].mean())
    return float(ece)
