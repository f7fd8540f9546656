"""Batched prediction over many 28x28 images: evaluation, calibration, a Kaggle submission.

The model is called directly, one batch at a time: `model.predict` costs tens of milliseconds a
call, so in a loop it is a bug; a Keras model called on a batch runs in inference mode.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import CanvasError
from .preprocess import SIZE

PREDICT_BATCH = 500
# Float images above this are refused (to_input): [0, 1] with room for a resampling's overshoot, far
# under the 255 of images scaled as bytes
MAX_FLOAT = 1.5
# ... and below this: a resampling's undershoot, far above the -1 of images normalised to [-1, 1] (read
# as they were, every digit came out as a sure wrong one: a 7 as 3)
MIN_FLOAT = -0.5


def to_input(images: np.ndarray) -> np.ndarray:
    """28x28 images -> (n, 28, 28, 1) float32 in [0, 1], the models' input: one image or a stack,
    (n, 28, 28), with a channel axis either side ((n, 28, 28, 1), (n, 1, 28, 28)) or flattened to
    rows of 784 as a CSV holds them; uint8 scaled by 1/255 as MNIST stores them, other integers too
    when above 1 (a 0/1 mask is taken as it is), floats as they are. CanvasError, in one line, for
    another shape, values that are not finite numbers, integers outside 0-255, or floats far above
    1: 0-255 pixels as floats would each read as full ink, and the answer be confidently wrong."""
    images = np.asarray(images)
    if images.ndim in (1, 2) and images.shape[-1] == SIZE * SIZE:
        images = images.reshape(-1, SIZE, SIZE)
    elif images.ndim in (3, 4) and images.shape[-1] == 1 and images.shape[-3:-1] == (SIZE, SIZE):
        images = images[..., 0]
    elif images.ndim in (3, 4) and images.shape[-3] == 1 and images.shape[-2:] == (SIZE, SIZE):
        images = images.reshape(-1, SIZE, SIZE)
    if images.ndim not in (2, 3) or images.shape[-2:] != (SIZE, SIZE):
        raise CanvasError(
            f"images must be {SIZE}x{SIZE} (an array of shape (n, {SIZE}, {SIZE})), got shape {images.shape}"
        )
    if images.dtype == np.uint8:
        return (images.astype(np.float32) / 255.0).reshape(-1, SIZE, SIZE, 1)
    if np.issubdtype(images.dtype, np.integer) and images.size:
        low, high = int(images.min()), int(images.max())
        if low < 0 or high > 255:
            raise CanvasError(f"integer images are read as 0-255 pixels, and these run from {low} to {high}")
        scaled = images.astype(np.float32) / (255.0 if high > 1 else 1.0)
        return scaled.reshape(-1, SIZE, SIZE, 1)
    try:
        scaled = np.ascontiguousarray(images, dtype=np.float32)
    except (TypeError, ValueError):
        raise CanvasError(f"images must hold numbers, not {images.dtype}") from None
    if scaled.size and not np.isfinite(scaled).all():
        raise CanvasError("images hold NaN or infinite values")
    if scaled.size and scaled.max() > MAX_FLOAT:
        raise CanvasError(
            f"float images are read in [0, 1], and these go up to {scaled.max():g}: pass uint8 0-255, or divide by 255"
        )
    if scaled.size and scaled.min() < MIN_FLOAT:
        raise CanvasError(
            f"float images are read in [0, 1], and these go down to {scaled.min():g}: pass (x + 1) / 2 for [-1, 1]"
        )
    return scaled.reshape(-1, SIZE, SIZE, 1)


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
