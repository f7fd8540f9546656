"""Handwritten digit recognition: MNIST-faithful preprocessing and a fast CNN.

from recognizer import Recognizer
rec = Recognizer.load()          # the shipped model
pred = rec.predict(canvas)       # canvas: 2-D uint8, bright ink on dark; None if blank
"""

from .errors import CanvasError, DataError, ImageError, ModelError, RecognizerError
from .predictor import Prediction, Recognizer
from .preprocess import to_mnist

__all__ = [
    "Recognizer",
    "Prediction",
    "to_mnist",
    "RecognizerError",
    "CanvasError",
    "ModelError",
    "DataError",
    "ImageError",
]
