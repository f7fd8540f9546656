"""Fast single-image inference: preprocessing + the LiteRT interpreter (or the Keras model).

The .tflite file runs in ai-edge-litert's interpreter without importing TensorFlow (0.1 s to load
instead of ~4 s) and answers in well under a millisecond; the .keras file is called directly,
never through model.predict, which costs tens of milliseconds a call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ModelError
from .preprocess import SIZE, to_mnist

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MODEL = MODELS_DIR / "mnist_cnn.tflite"
NUM_CLASSES = 10


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one digit, with the 28x28 image it saw."""

    digit: int
    confidence: float
    probabilities: np.ndarray = field(repr=False)  # (10,), sums to 1
    image: np.ndarray = field(repr=False)  # (28, 28) float32, what the model saw
    box: tuple[int, int, int, int] | None = None  # (x, y, w, h) on the canvas, where known


class _LiteRT:
    """The exported .tflite model in the LiteRT interpreter (single thread: predictable latency)."""

    def __init__(self, path: Path):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(path), num_threads=1)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.batch_size = 1
        if tuple(self.input["shape"][1:]) != (SIZE, SIZE, 1) or self.output["shape"][-1] != NUM_CLASSES:
            raise ValueError(f"input {self.input['shape']}, output {self.output['shape']}")

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) != self.batch_size:
            self.interpreter.resize_tensor_input(self.input["index"], [len(batch), SIZE, SIZE, 1])
            self.interpreter.allocate_tensors()
            self.batch_size = len(batch)
        self.interpreter.set_tensor(self.input["index"], batch)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output["index"])


class _Keras:
    """The .keras model, loaded safely and called directly (no model.predict per call)."""

    def __init__(self, path: Path):
        import keras

        self.model = keras.saving.load_model(path, safe_mode=True, compile=False)
        if tuple(self.model.input_shape[1:]) != (SIZE, SIZE, 1) or self.model.output_shape[-1] != NUM_CLASSES:
            raise ValueError(f"input {self.model.input_shape}, output {self.model.output_shape}")

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self.model(batch, training=False))


class Recognizer:
    """Load once with Recognizer.load(); then predict(canvas) costs about a millisecond."""

    def __init__(self, backend, path: Path):
        self._backend = backend
        self.path = path

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "Recognizer":
        """Load a .tflite (fast, no TensorFlow) or .keras model; default: the shipped model."""
        path = Path(path) if path is not None else DEFAULT_MODEL
        if not path.is_file():
            raise ModelError(f"model file not found: {path} (train one with `make train`, or pass --model)")
        backend_type = {".tflite": _LiteRT, ".keras": _Keras}.get(path.suffix)
        if backend_type is None:
            raise ModelError(f"unsupported model file {path}: expected a .tflite or .keras file")
        try:
            backend = backend_type(path)
        except Exception as exc:  # corrupt or foreign file: the loaders raise many kinds
            reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else exc.__class__.__name__
            raise ModelError(f"cannot load model {path}: {reason}") from None
        return cls(backend, path)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) float32 images in [0, 1] -> (n, 10) class probabilities."""
        batch = np.ascontiguousarray(images, dtype=np.float32).reshape(-1, SIZE, SIZE, 1)
        return self._backend(batch)

    def classify(self, image: np.ndarray, box: tuple[int, int, int, int] | None = None) -> Prediction:
        """Classify one already-preprocessed 28x28 image."""
        probs = self.probabilities(image[None])[0].astype(np.float64)
        probs /= probs.sum()
        digit = int(probs.argmax())
        return Prediction(digit, float(probs[digit]), probs, image, box)

    def predict(self, canvas: np.ndarray) -> Prediction | None:
        """Canvas (2-D uint8, bright ink on dark) -> Prediction, or None when there is no ink."""
        image = to_mnist(canvas)
        return None if image is None else self.classify(image)
