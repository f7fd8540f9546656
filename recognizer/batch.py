"""Batched prediction over many 28x28 images: evaluation, calibration, a Kaggle submission.

The model is called directly, one batch at a time: `model.predict` costs tens of milliseconds a
call, so in a loop it is a bug; a Keras model called on a batch runs in inference mode.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

PREDICT_BATCH = 500


def to_input(images: np.ndarray) -> np.ndarray:
    """(n, 28, 28) images, uint8 0-255 or float in [0, 1] -> (n, 28, 28, 1) float32 in [0, 1], the
    models' input (uint8 is scaled by 1/255, floats are taken as they are)."""
    images = np.asarray(images)
    scaled = images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images.astype(np.float32)
    return scaled.reshape(-1, 28, 28, 1)


def predict_batches(
    model: Callable[[np.ndarray], np.ndarray], images: np.ndarray, batch_size: int = PREDICT_BATCH
) -> np.ndarray:
    """The outputs of `model` for (n, 28, 28) images (see to_input), batch_size images a call:
    (n, 10) probabilities from a classifier, (n,) or (n, 1) from the detector. model: a Keras
    model, or any callable on a (b, 28, 28, 1) float32 batch, e.g. `rec.probabilities` (or
    `functools.partial(rec.probabilities, calibrated=False)`) and `rec.detector.not_digit`.
    No images give (0, 10)."""
    batch = to_input(images)
    if len(batch) == 0:
        return np.zeros((0, 10), np.float32)
    return np.concatenate([np.asarray(model(batch[i : i + batch_size])) for i in range(0, len(batch), batch_size)])
