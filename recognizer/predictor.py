"""Fast single-image inference: preprocessing + the LiteRT interpreter (or the Keras model).

The .tflite file runs in ai-edge-litert's interpreter without importing TensorFlow (0.1 s to load
instead of ~4 s) and answers in well under a millisecond; the .keras file is called directly,
never through model.predict, which costs tens of milliseconds a call. The digit detector
(models/digit_detector.tflite, see recognizer/train_detector.py) runs beside the classifier and
says when ink is not a digit at all.

    rec = Recognizer.load()                   # + models/mnist_cnn.calibration.json if present
    pred = rec.predict(canvas)                # one digit; pred.unsure: None or why "not sure"
    preds = rec.read(canvas, strokes)         # several digits, left to right, each with .box
    number_text(preds)                        # "42?7": "?" where a digit is not sure
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .data import file_sha256
from .errors import ModelError
from .grouping import group_digits
from .preprocess import INK_LEVEL, SIZE, _as_uint8, box_to_mnist, ink_box
from .reject import (BLANK, Calibration, apply_temperature, ink_reason, load_calibration, model_reason,
                     too_little_ink)

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MODEL = MODELS_DIR / "mnist_cnn.tflite"
DEFAULT_DETECTOR = MODELS_DIR / "digit_detector.tflite"
NUM_CLASSES = 10


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one digit, with the 28x28 image it saw."""

    digit: int
    confidence: float
    probabilities: np.ndarray = field(repr=False)  # (10,), sums to 1
    image: np.ndarray = field(repr=False)  # (28, 28) float32, what the model saw
    box: tuple[int, int, int, int] | None = None  # (x, y, w, h) on the canvas, where known
    # Why the app should say "not sure" instead of the digit (reject.REASONS: "blank", "too small",
    # "scribble", "not a digit", "low confidence"), or None when the digit stands. Set by predict()
    # and read().
    unsure: str | None = None


@contextlib.contextmanager
def _quiet_stderr():
    """Silence output written straight to file descriptor 2 (native code) for the block."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class _LiteRT:
    """The exported .tflite model in the LiteRT interpreter (single thread: predictable latency)."""

    def __init__(self, path: Path, outputs: int = NUM_CLASSES):
        from ai_edge_litert.interpreter import Interpreter

        with _quiet_stderr():  # LiteRT's C++ logs an INFO line about XNNPACK on every load
            self.interpreter = Interpreter(model_path=str(path), num_threads=1)
            self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.batch_size = 1
        if tuple(self.input["shape"][1:]) != (SIZE, SIZE, 1) or self.output["shape"][-1] != outputs:
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

    def __init__(self, path: Path, outputs: int = NUM_CLASSES):
        import keras

        self.model = keras.saving.load_model(path, safe_mode=True, compile=False)
        if tuple(self.model.input_shape[1:]) != (SIZE, SIZE, 1) or self.model.output_shape[-1] != outputs:
            raise ValueError(f"input {self.model.input_shape}, output {self.model.output_shape}")

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self.model(batch, training=False))


def _load_backend(path: Path, outputs: int = NUM_CLASSES, make: str = "make train"):
    """The .tflite (LiteRT) or .keras (safe_mode) model at path; ModelError in one line if unusable."""
    if not path.is_file():
        raise ModelError(f"model file not found: {path} (train one with `{make}`, or pass --model)")
    backend_type = {".tflite": _LiteRT, ".keras": _Keras}.get(path.suffix)
    if backend_type is None:
        raise ModelError(f"unsupported model file {path}: expected a .tflite or .keras file")
    try:
        return backend_type(path, outputs)
    except Exception as exc:  # corrupt or foreign file: the loaders raise many kinds
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else exc.__class__.__name__
        raise ModelError(f"cannot load model {path}: {reason}") from None


class Detector:
    """The digit detector: P(not a digit) for 28x28 images, and the threshold above which ink
    reads "not a digit" (from the card <model>.json written with it; see recognizer.train_detector)."""

    def __init__(self, backend, path: Path, threshold: float):
        self._backend = backend
        self.path = path
        self.threshold = threshold

    @classmethod
    def load(cls, path: str | os.PathLike = DEFAULT_DETECTOR) -> "Detector":
        path = Path(path)
        backend = _load_backend(path, outputs=1, make="make train-detector")
        card = path.with_suffix(".json")
        try:
            payload = json.loads(card.read_text())
            threshold = float(payload["threshold"])
            made_for = payload["model_sha256"].values()
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise ModelError(f"detector {path} has no readable card {card} with its threshold") from None
        if file_sha256(path) not in made_for:
            raise ModelError(f"{card} was written for another {path.name} (train it again: "
                             "`python -m recognizer train-detector`)")
        return cls(backend, path, threshold)

    def not_digit(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) float32 images in [0, 1] -> (n,) P(not a digit)."""
        batch = np.ascontiguousarray(images, dtype=np.float32).reshape(-1, SIZE, SIZE, 1)
        return self._backend(batch).reshape(-1).astype(np.float64)


class Recognizer:
    """Load once with Recognizer.load(); then predict(canvas) costs about a millisecond."""

    def __init__(self, backend, path: Path, calibration: Calibration | None = None, detector: Detector | None = None):
        self._backend = backend
        self.path = path
        self.calibration = calibration or Calibration()
        self.detector = detector

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, calibrated: bool = True,
             detector: str | os.PathLike | None = DEFAULT_DETECTOR) -> "Recognizer":
        """Load a .tflite (fast, no TensorFlow) or .keras model; default: the shipped model.

        With calibrated=True the model's calibration file (<model>.calibration.json, if present
        and made for this very file) sets the temperature of the probabilities and the "not sure"
        threshold; calibrated=False gives the raw probabilities and the default threshold.
        detector: the digit detector's .tflite or .keras file (default: the shipped one, skipped
        if absent); None: no detector, only ink checks and confidence say "not sure"."""
        path = Path(path) if path is not None else DEFAULT_MODEL
        backend = _load_backend(path)
        wanted = detector is not None and (Path(detector) != DEFAULT_DETECTOR or DEFAULT_DETECTOR.is_file())
        return cls(backend, path, load_calibration(path) if calibrated else None,
                   Detector.load(detector) if wanted else None)

    @property
    def threshold(self) -> float:
        """Top probability below which a digit reads "not sure" (reason "low confidence")."""
        return self.calibration.threshold

    def probabilities(self, images: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """(n, 28, 28) float32 images in [0, 1] -> (n, 10) class probabilities, temperature-scaled
        when the model has a calibration file (calibrated=False: the model's own output)."""
        batch = np.ascontiguousarray(images, dtype=np.float32).reshape(-1, SIZE, SIZE, 1)
        probs = self._backend(batch)
        return apply_temperature(probs, self.calibration.temperature) if calibrated else probs

    def classify(self, image: np.ndarray, box: tuple[int, int, int, int] | None = None) -> Prediction:
        """Classify one already-preprocessed 28x28 image."""
        probs = self.probabilities(image[None])[0].astype(np.float64)
        probs /= probs.sum()
        digit = int(probs.argmax())
        return Prediction(digit, float(probs[digit]), probs, image, box)

    def predict(self, canvas: np.ndarray, strokes=None) -> Prediction | None:
        """Canvas (2-D uint8, bright ink on dark) holding one digit -> Prediction, or None when
        there is no ink. .unsure says why the app should show "not sure" (None: the digit stands);
        strokes (the app's point lists), if given, also let scribbles be told from digits."""
        canvas = _as_uint8(canvas)
        box = ink_box(canvas)  # found once, for the preprocessing and the ink checks
        if box is None:
            return None
        image = box_to_mnist(canvas, box)
        pred = self.classify(image)
        unsure = ink_reason(canvas, canvas.shape, strokes, box) or self._model_reason(image[None], [pred.confidence])[0]
        return Prediction(pred.digit, pred.confidence, pred.probabilities, image, None, unsure)

    def read(self, canvas: np.ndarray, strokes=None) -> list[Prediction]:
        """All the digits on the canvas, left to right ([] when blank), each with its .box
        (x, y, w, h on the canvas) and .unsure. strokes: the point lists the canvas was drawn
        from, if known, in writing order; they keep a digit drawn in several strokes together and
        part digits that touch. Which ink makes each digit is chosen by reading the candidates
        (see recognizer.grouping): one batched call of the classifier and the detector per read."""
        canvas = _as_uint8(canvas)
        if ink_box(canvas) is None:
            return []
        if too_little_ink(int((canvas > INK_LEVEL).sum()), canvas.shape):  # stray pixels: one "not sure"
            pred = self.predict(canvas)
            return [Prediction(pred.digit, pred.confidence, pred.probabilities, pred.image, ink_box(canvas), BLANK)]
        threshold = self.detector.threshold if self.detector else 1.0
        out = []
        for group in group_digits(canvas, strokes, self._read_batch):
            seg, p = group.segment, group.probabilities
            digit = int(p.argmax())
            ink = seg.ink(canvas)
            own_strokes = [strokes[i] for i in seg.strokes]
            unsure = (ink_reason(ink, canvas.shape, own_strokes, ink_box(ink))
                      or model_reason(group.not_digit, threshold, float(p[digit]), self.threshold))
            out.append(Prediction(digit, float(p[digit]), p, group.image, seg.box, unsure))
        return out

    def _read_batch(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(n, 10) probabilities (rows summing to 1) and (n,) P(not a digit) (None without a
        detector) of a batch of 28x28 images: one call of each model."""
        probs = self.probabilities(images).astype(np.float64)
        probs /= probs.sum(axis=1, keepdims=True)
        return probs, self.detector.not_digit(images) if self.detector else None

    def _model_reason(self, images: np.ndarray, confidences) -> list[str | None]:
        """For each image: "not a digit" (detector), "low confidence" (classifier) or None."""
        not_digit = self.detector.not_digit(images) if self.detector else [None] * len(images)
        threshold = self.detector.threshold if self.detector else 1.0
        return [model_reason(n, threshold, float(c), self.threshold) for n, c in zip(not_digit, confidences)]



def number_text(predictions: list[Prediction], unsure: str = "?") -> str:
    """The digits read left to right as a string, with `unsure` where a digit is not sure."""
    return "".join(unsure if p.unsure else str(p.digit) for p in predictions)
