"""The shipped model: loads fast without TensorFlow, reads drawn digits, agrees across formats."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recognizer import ModelError, Recognizer
from recognizer.images import load_image
from recognizer.predictor import DEFAULT_MODEL
from recognizer.strokes import rasterize
from recognizer.synthetic import digit_strokes

DIGITS = Path(__file__).resolve().parent / "fixtures" / "digits"


@pytest.mark.parametrize("digit", range(10))
def test_shipped_model_reads_committed_sample_digits(shipped, digit):
    pred = shipped.predict(load_image(DIGITS / f"{digit}.png"))
    assert pred.digit == digit, f"read {pred.digit} ({pred.confidence:.0%}) for a drawn {digit}"


def test_prediction_fields(shipped):
    pred = shipped.predict(rasterize(digit_strokes(4, 640), (640, 640), 28))
    assert pred.probabilities.shape == (10,) and pred.probabilities.sum() == pytest.approx(1.0)
    assert pred.confidence == pytest.approx(pred.probabilities.max())
    assert pred.image.shape == (28, 28)


def test_blank_canvas_gives_no_prediction(shipped):
    assert shipped.predict(np.zeros((640, 640), np.uint8)) is None


def test_keras_and_litert_give_the_same_probabilities(shipped):
    keras_rec = Recognizer.load(DEFAULT_MODEL.with_suffix(".keras"))
    for digit in range(10):
        canvas = rasterize(digit_strokes(digit, 300), (300, 300), 14)
        a, b = shipped.predict(canvas), keras_rec.predict(canvas)
        assert np.allclose(a.probabilities, b.probabilities, atol=1e-5)


def test_default_path_does_not_import_tensorflow():
    code = (
        "import sys, numpy as np; from recognizer import Recognizer; r = Recognizer.load(); "
        "r.predict(np.eye(50, dtype=np.uint8) * 255); print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert out.stdout.split() == ["False", "False"]


def test_missing_model(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        Recognizer.load(tmp_path / "nope.tflite")


@pytest.mark.parametrize("name", ["broken.tflite", "broken.keras"])
def test_corrupt_model(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(ModelError, match="cannot load model"):
        Recognizer.load(path)


def test_unsupported_model_format(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(b"x")
    with pytest.raises(ModelError, match="expected a .tflite or .keras"):
        Recognizer.load(path)
