"""Batched prediction (recognizer.batch): one call per batch, order kept, any model form."""

from functools import partial

import numpy as np
import pytest

from recognizer import Recognizer
from recognizer.batch import predict_batches, to_input
from recognizer.errors import CanvasError
from recognizer.predictor import DEFAULT_MODEL
from recognizer.synthetic import font_digits


class Recorder:
    """A stand-in model that answers each image's mean pixel (so order shows) and counts its calls."""

    def __init__(self):
        self.batches: list[int] = []

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        assert batch.dtype == np.float32 and batch.shape[1:] == (28, 28, 1)
        self.batches.append(len(batch))
        return batch.reshape(len(batch), -1).mean(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def digits():
    return font_digits(130, seed=4)


@pytest.mark.parametrize("batch_size, calls", [(1, 130), (32, 5), (130, 1), (500, 1)])
def test_batches_cover_every_image_in_order(digits, batch_size, calls):
    x, _ = digits
    model = Recorder()
    out = predict_batches(model, x, batch_size)
    assert model.batches == [batch_size] * (calls - 1) + [130 - batch_size * (calls - 1)]
    np.testing.assert_allclose(out[:, 0], x.reshape(130, -1).mean(axis=1) / 255, rtol=1e-6)


def test_uint8_and_unit_float_images_are_the_same_input(digits):
    x, _ = digits
    np.testing.assert_array_equal(to_input(x), to_input(x / np.float32(255)))
    np.testing.assert_array_equal(to_input(x)[..., 0] * 255, x)
    assert predict_batches(Recorder(), x[:0]).shape == (0, 10)


def test_recognizer_and_detector_outputs(shipped, digits):
    x, y = digits
    probs = predict_batches(shipped.probabilities, x, 50)
    np.testing.assert_allclose(probs, shipped.probabilities(x / np.float32(255)), atol=1e-5)
    assert (probs.argmax(axis=1) == y).mean() > 0.9
    raw = predict_batches(partial(shipped.probabilities, calibrated=False), x, 50)
    np.testing.assert_array_equal(raw.argmax(axis=1), probs.argmax(axis=1))
    not_digit = predict_batches(shipped.detector.not_digit, x, 50)
    assert not_digit.shape == (130,) and (not_digit < shipped.detector.threshold).mean() > 0.9


def test_uint8_images_read_as_mnist_stores_them(shipped, digits):
    """MNIST's own uint8 arrays, straight into probabilities and classify: before, they were read
    as values up to 255 (every pixel full ink) and came out confidently wrong."""
    x, y = digits
    np.testing.assert_allclose(shipped.probabilities(x), shipped.probabilities(x / np.float32(255)), atol=1e-6)
    one = shipped.classify(x[0])
    assert one.digit == shipped.classify(x[0] / 255.0).digit == y[0] and one.image.max() <= 1.0
    np.testing.assert_allclose(shipped.detector.not_digit(x[:5]), shipped.detector.not_digit(x[:5] / 255.0), atol=1e-6)


@pytest.mark.parametrize(
    "images, says",
    [
        (np.full((2, 28, 28), 255.0), "divide by 255"),
        (np.full((2, 28, 28), np.nan, np.float32), "NaN"),
        (np.zeros((2, 20, 20)), "28x28"),
        (np.zeros(783), "28x28"),
        (np.full((2, 28, 28), 300), "0-255 pixels, and these run from 300 to 300"),
        (np.full((2, 28, 28), -1.0), r"go down to -1: pass \(x \+ 1\) / 2"),  # [-1, 1]: every digit a sure 3
        (np.array([["a"] * 28] * 28), "numbers"),
    ],
)
def test_images_the_models_cannot_read_are_refused_in_one_line(shipped, images, says):
    for read in (shipped.probabilities, shipped.classify, shipped.detector.not_digit, to_input):
        with pytest.raises(CanvasError, match=says):
            read(images if read is not shipped.classify or images.ndim != 3 else images[0])


def test_images_in_the_other_common_layouts_read_alike(digits):
    """One image with a channel axis, channels first, rows of 784 as a CSV holds them, and 0-255
    integers of another type (MNIST read through pandas: int64) are the same input."""
    x, _ = digits
    want = to_input(x[:3])
    for same in (x[:3, :, :, None], x[:3, None], x[:3].reshape(3, 784), x[:3].astype(np.int64)):
        np.testing.assert_array_equal(to_input(same), want)
    np.testing.assert_array_equal(to_input(x[0, :, :, None]), want[:1])
    np.testing.assert_array_equal(to_input(x[0].reshape(784)), want[:1])
    mask = (x[:3] > 127).astype(np.int64)  # 0/1 integers: taken as they are
    np.testing.assert_array_equal(to_input(mask)[..., 0], mask)


def test_classify_reads_one_image(shipped, digits):
    with pytest.raises(CanvasError, match="one 28x28 image"):
        shipped.classify(digits[0][:2])


def test_a_keras_model_is_called_in_inference_mode(digits):
    """Dropout and BatchNorm in training mode would make the outputs random and batch-dependent."""
    import keras

    x, _ = digits
    model = keras.saving.load_model(DEFAULT_MODEL.with_suffix(".keras"), safe_mode=True, compile=False)
    expected = Recognizer.load(DEFAULT_MODEL.with_suffix(".keras"), calibrated=False, detector=None).probabilities(
        x / np.float32(255)
    )
    np.testing.assert_allclose(predict_batches(model, x, 16), expected, atol=1e-5)
