"""Fast single-image inference: preprocessing + the LiteRT interpreter (or the Keras model).

The .tflite file runs in ai-edge-litert's interpreter without importing TensorFlow (0.1 s to load
instead of ~4 s) and answers in well under a millisecond; the .keras file is called directly,
never through model.predict, which costs tens of milliseconds a call. The digit detector
(models/digit_detector.tflite, see recognizer/train_detector.py) runs beside the classifier and
says when ink is not a digit at all; the touching-digits model (models/touching_digits.tflite, see
recognizer/train_touching.py) says, in an image, whether a piece of ink is several digits touching
or one character, which decides whether it is cut; the digit-pair reader (models/digit_pairs.tflite,
see recognizer/train_pairs.py) reads a piece of two digits touching whole.

    rec = Recognizer.load()                   # + models/mnist_cnn.calibration.json if present
    pred = rec.predict(canvas)                # one digit; pred.unsure: None or why "not sure"
    preds = rec.read(canvas, strokes)         # several digits, in reading order, each with .box
    number_text(preds)                        # "42?7": "?" where a digit is not sure

A reading is one path of small public steps: canvas -> ink (ink.ink_from_canvas) -> segments
(grouping.group_digits: candidate digits' inks -> 28x28 images (preprocess.ink_to_mnist, or for a
candidate drawn with a bold pen its strokes drawn again thinner, preprocess.strokes_to_mnist) ->
the classifier and the detector, both on the candidates that could be chosen only -> the best
sequence of candidates) -> verdict (reject.ink_reason,
reject.model_reason). Recognizer.recognize runs images, model and verdicts for a list of inks.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Self

import numpy as np

from .batch import to_input
from .calibration import Calibration, apply_temperature, load_calibration
from .errors import CanvasError, ModelError
from .fileio import file_sha256, name_too_long
from .grouping import INK_MAX_PEN, Group, group_digits
from .ink import MAX_INK_SHARE, Box, Ink, ink_from_canvas
from .marks import Marks, find_marks
from .preprocess import SIZE, ink_to_mnist
from .reject import (
    BLANK,
    MAX_THICKNESS,
    NOT_A_DIGIT,
    dots_in_rows,
    ink_reason,
    ink_stats,
    letters_in_words,
    model_reason,
    picture_shape,
    text_lines,
    too_little_ink,
)
from .segment import row_strokes, text_rows
from .strokes import Stroke, checked_strokes, clipped_strokes

if TYPE_CHECKING:  # photo imports scipy, which the app's window must not wait for (tests/test_app.py)
    import keras

    from .photo import Frame

MODELS_DIR = Path(__file__).resolve().parent / "models"  # package data: shipped with `pip install .`
DEFAULT_MODEL = MODELS_DIR / "mnist_cnn.tflite"
DEFAULT_DETECTOR = MODELS_DIR / "digit_detector.tflite"
DEFAULT_TOUCHING = MODELS_DIR / "touching_digits.tflite"
DEFAULT_PAIRS = MODELS_DIR / "digit_pairs.tflite"
NUM_CLASSES = 10
Backend = Callable[[np.ndarray], np.ndarray]  # a loaded model: (n, 28, 28, 1) float32 images -> (n, outputs)
PROBABILITY_TOLERANCE = 1e-3  # float32 softmax outputs sum to 1 within ~1e-6; logits miss by far more
# LiteRT runs batches of these sizes only: n images as chunks of the largest that fit (5 as 4 + 1), not
# padded up to the next (5 to 8 computed 3 blank images: the image path reads 2 or 5 candidates a round
# more often than any other number). Each size is an interpreter of its own: the size 2 added 7 MB for
# the two models, and with grouping's pairs priced once, the image path read 150 'val' people's numbers
# of 5 digits 10% faster at p50 and 14-24% at p99 (a slow 2-core host, side by side, 3 runs each).
BATCH_SIZES = (1, 2, 4, 8, 16)
# LiteRT threads per model call: on an idle 2-core machine two halve a batch's time (16 images 2.2 ->
# 1.1 ms; the image path reads some 30 candidates a number) and cut one image's by a third (0.14 ->
# 0.09 ms). Not more: measured on 2 cores only, and the app's drawing loop needs a core too. A busy
# server does better with one (web.server). Counted in the cores this process may run on (its CPU
# affinity: a cpuset or taskset; a CPU quota such as docker --cpus is not seen).
THREADS = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
MAX_THREADS = 64  # LiteRT threads per call at most (a million tied up 2.4 GB and never answered)
SIDEWAYS = (1, 3)  # np.rot90's quarter turns a picture's canvas is read in besides as it is (read_picture) ...
TURNED_SURER = 0.1  # ... the reading turned taken where surer by this much (nats: log-probability) ...
ON_END = 2.0  # ... tried where a reading has a digit not sure, or this many digits a row at most
MAX_CAUGHT_BYTES = 64 * 2**10  # quiet_stderr passes on at most this much of what a failed block wrote
IMAGE_LEVELS = 255  # Prediction.as_dict gives the 28x28 model input as ints 0..255
PROBABILITY_PLACES = 6  # ... and confidences and probabilities to this many decimal places
PAPER_LEVEL = 128  # a canvas mostly ink whose median pixel is at least this is white paper (refuse_paper) ...
CORNER_PART = 8  # ... its corners being the corner boxes of this share of its sides (1/8) ...
PAPER_CORNERS = 0.5  # ... more than this share of them ink
MAX_KERAS_BYTES = 512 * 2**20  # a .keras archive unpacking to more is refused (the shipped one: 1.4 MB)


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one digit, with the 28x28 image it saw."""

    digit: int
    confidence: float
    probabilities: np.ndarray = field(repr=False)  # (10,), sums to 1
    image: np.ndarray = field(repr=False)  # (28, 28) float32, what the model saw
    box: Box | None = None  # (x, y, w, h) on the canvas, where known
    # Why the app should say "not sure" instead of the digit (reject.REASONS: "blank", "too small",
    # "scribble", "not a digit", "low confidence"), or None when the digit stands. Set by predict()
    # and read().
    unsure: str | None = None
    row: int = 0  # the line of writing it was read in, 0 for the top one (read)
    after: str = ""  # a mark written between it and the next digit, or "" (recognizer.marks.MARKS)
    before: str = ""  # a minus written before it, the first digit of its line ("-5"), or ""

    def __eq__(self, other: object) -> bool:  # the generated one compared arrays: "truth value... ambiguous"
        if not isinstance(other, Prediction):
            return NotImplemented
        return self._key() == other._key() and all(
            np.array_equal(a, b, equal_nan=True)
            for a, b in ((self.probabilities, other.probabilities), (self.image, other.image))
        )

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple:
        return (self.digit, self.confidence, self.box, self.unsure, self.row, self.after, self.before)

    def as_dict(self, image: bool = False, scale: float = 1.0) -> dict:
        """The prediction as JSON takes it (the web API's answer for a digit): probabilities to
        PROBABILITY_PLACES, its box times `scale` (None where unknown), its line as "line"; image=True
        adds the 28x28 model input as 784 ints 0-255, row by row."""
        digit = {
            "digit": self.digit,
            "confidence": rounded_probability(self.confidence),
            "probabilities": [rounded_probability(v) for v in self.probabilities],
            "box": None if self.box is None else [round(v * scale) for v in self.box],
            "unsure": self.unsure,
            "line": self.row,  # the line of writing, 0 for the top one
            "after": self.after,  # a mark written between it and the next digit (recognizer.marks.MARKS) or ""
            "before": self.before,  # a minus written before it, the first digit of its line, or ""
        }
        if image:
            digit["image"] = np.rint(np.clip(self.image, 0, 1) * IMAGE_LEVELS).astype(np.uint8).ravel().tolist()
        return digit


def rounded_probability(p: float) -> float:
    """A probability to PROBABILITY_PLACES, never rounded up to a certainty the model does not have:
    0.9999996 is 0.999999, not 1.0 (which the page shows as "100.0%", the app as ">99.9%")."""
    rounded = round(float(p), PROBABILITY_PLACES)
    return min(rounded, 1 - 10**-PROBABILITY_PLACES) if p < 1 else rounded


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence output written straight to file descriptor 2 (native code's logs) for the block; if
    the block raises, what was written is passed on, as it may say why."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            caught.seek(0)
            os.write(2, caught.read()[-MAX_CAUGHT_BYTES:])
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class _Unusable(Exception):
    """A model file that loads but is not a model this program can use; the message says why."""


def in_shipped_folder(path: str | os.PathLike) -> bool:
    """Whether a path lies in the shipped models' folder, recognizer/models/ (the app's defaults)."""
    return Path(path).resolve().is_relative_to(MODELS_DIR.resolve())


def _plain(shape: Sequence) -> tuple:
    """A shape as plain ints (LiteRT gives NumPy's: "np.int32(28)"), None where unknown."""
    return tuple(None if d is None else int(d) for d in shape)


def _check_signature(input_shape: Sequence, input_dtype: np.dtype, output_shape: Sequence, outputs: int) -> None:
    """The model must take (batch, 28, 28, 1) float32 images and give (batch, outputs)."""
    if tuple(input_shape[1:]) != (SIZE, SIZE, 1) or tuple(output_shape[1:]) != (outputs,):
        raise _Unusable(
            f"it takes input {_plain(input_shape)} and gives {_plain(output_shape)}; "
            f"expected (n, {SIZE}, {SIZE}, 1) images in, (n, {outputs}) out"
        )
    if input_dtype != np.float32:
        raise _Unusable(f"its input is {input_dtype}, expected float32 images in [0, 1] (a quantized model?)")


class _LiteRT:
    """The exported .tflite model in the LiteRT interpreter, on `threads` threads (THREADS by default).

    A batch runs in chunks of the sizes in BATCH_SIZES, the largest that fits first, on one
    interpreter per size, all made at load: no interpreter is ever made or resized later, for
    resizing LiteRT's tensors to every new batch size (segmentation reads a different number of
    candidates on each update while the user draws) made the app's memory grow by tens of MB."""

    def __init__(self, path: Path, outputs: int = NUM_CLASSES, threads: int = THREADS) -> None:
        self.path = path
        self.threads = threads
        self._interpreters: dict[int, tuple] = {}
        # LiteRT's interpreter is not thread-safe: threads sharing one Recognizer raised "at least 1
        # reference to internal data" in most calls and read some digits wrong (a library user's
        # trial, 4 threads); their calls take turns (an uncontended lock costs well under a microsecond)
        self._lock = threading.Lock()
        _, self.input, self.output = self._interpreter(1)
        _check_signature(self.input["shape"], np.dtype(self.input["dtype"]), self.output["shape"], outputs)
        for size in BATCH_SIZES[1:]:
            self._interpreter(size)

    def _interpreter(self, size: int) -> tuple:
        """The interpreter for batches of `size` images, with its input and output details (made once)."""
        if size not in self._interpreters:
            from ai_edge_litert.interpreter import Interpreter

            with quiet_stderr():  # LiteRT's C++ logs an INFO line about XNNPACK on every load
                interpreter = Interpreter(model_path=str(self.path), num_threads=self.threads)
                if size != 1:
                    index = interpreter.get_input_details()[0]["index"]
                    interpreter.resize_tensor_input(index, [size, SIZE, SIZE, 1])
                interpreter.allocate_tensors()
            details = (interpreter.get_input_details()[0], interpreter.get_output_details()[0])
            self._interpreters[size] = (interpreter, *details)
        return self._interpreters[size]

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) in self._interpreters:  # one call (a digit read alone: its cost is this wrapper's too)
            return self._invoke(batch)
        out, start = [], 0
        while start < len(batch):
            size = max(s for s in BATCH_SIZES if s <= len(batch) - start)
            out.append(self._invoke(batch[start : start + size]))
            start += size
        return np.concatenate(out) if out else np.zeros((0, *self.output["shape"][1:]), np.float32)

    def _invoke(self, chunk: np.ndarray) -> np.ndarray:
        """The model's answer for a chunk of one of BATCH_SIZES images, on that size's interpreter."""
        interpreter, given, taken = self._interpreter(len(chunk))
        with self._lock:
            interpreter.set_tensor(given["index"], chunk)
            interpreter.invoke()
            return interpreter.get_tensor(taken["index"])  # a copy: the next call cannot change it


class _Keras:
    """The .keras model, loaded safely and called directly (no model.predict per call)."""

    def __init__(self, path: Path, outputs: int = NUM_CLASSES, threads: int = THREADS) -> None:
        # threads: unused, taken as _LiteRT takes it (_load_backend builds either alike)
        if not zipfile.is_zipfile(path):  # Keras would say "File not found" for a damaged file
            raise ValueError(
                "not a Keras model: the file is not a .keras zip archive (damaged, truncated or another format)"
            )
        with zipfile.ZipFile(path) as archive:  # declared sizes: zipfile never inflates a member past its own
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_KERAS_BYTES:  # a 2 MB file inflating to gigabytes took 5 GB to refuse
            raise _Unusable(f"it would unpack to {unpacked:,} bytes, over the {MAX_KERAS_BYTES:,} a model may take")
        with quiet_stderr():  # TensorFlow's C++ logs INFO lines on import, whatever TF_CPP_MIN_LOG_LEVEL says
            import keras

            self.model = keras.saving.load_model(path, safe_mode=True, compile=False)
        if len(self.model.inputs) != 1 or len(self.model.outputs) != 1:
            raise _Unusable(f"{len(self.model.inputs)} inputs and {len(self.model.outputs)} outputs, expected one each")
        _check_signature(self.model.input_shape, np.dtype(self.model.inputs[0].dtype), self.model.output_shape, outputs)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self.model(batch, training=False))


def _probe_image() -> np.ndarray:
    """A fixed 28x28 stroke (a "1" with a foot), shaped as one batch: what a load checks the model on."""
    image = np.zeros((1, SIZE, SIZE, 1), np.float32)
    image[0, 5:23, 13:16, 0] = 1.0
    image[0, 20:23, 9:20, 0] = 1.0
    return image


def _check_outputs(backend: Backend, outputs: int) -> None:
    """Run the model once: it must answer probabilities (finite, in [0, 1]; a classifier's summing
    to 1), not logits or NaN, which would read as nonsense or "nan%" at the first prediction."""
    out = np.asarray(backend(_probe_image()), dtype=np.float64)
    if out.shape != (1, outputs):
        raise _Unusable(f"it answered an array of shape {out.shape}, expected (1, {outputs})")
    if not np.isfinite(out).all():
        raise _Unusable("it answers NaN or infinite values, not probabilities")
    if out.min() < -PROBABILITY_TOLERANCE or out.max() > 1 + PROBABILITY_TOLERANCE:
        raise _Unusable(f"it answers values from {out.min():.3g} to {out.max():.3g}, not probabilities (logits?)")
    if outputs > 1 and abs(out.sum() - 1) > PROBABILITY_TOLERANCE:
        raise _Unusable(f"its {outputs} outputs sum to {out.sum():.3g}, not 1 (no softmax at the end?)")


def check_model_file(path: Path, kinds: str = ".tflite or .keras", missing: str = "") -> None:
    """ModelError in one line unless path names a regular file: a name too long for the file system,
    a folder, a device or a pipe ("not found" was untrue for /dev/zero), or nothing (`missing`
    added: how to make one)."""
    if name_too_long(path):
        raise ModelError(f"model file name too long: {path}")
    if path.is_dir():
        raise ModelError(f"model {path} is a folder; pass the {kinds} file")
    if path.exists() and not path.is_file():
        raise ModelError(f"model {path} is not a regular file (a device or a pipe?); pass the {kinds} file")
    if not path.is_file():
        raise ModelError(f"model file not found: {path}{missing}")


def _load_backend(
    path: Path, outputs: int = NUM_CLASSES, make: str = "make train", threads: int = THREADS
) -> _LiteRT | _Keras:
    """The .tflite (LiteRT, on `threads` threads) or .keras (safe_mode) model at path, checked on
    a probe image; ModelError in one line if unusable."""
    # --model is the classifier's option, and worth naming only where the default was not found
    other = ", or pass --model" if make == "make train" and in_shipped_folder(path) else ""
    check_model_file(path, missing=f" (train one with `{make}`{other})")
    backend_type = {".tflite": _LiteRT, ".keras": _Keras}.get(path.suffix)
    if backend_type is None:
        raise ModelError(f"unsupported model file {path}: expected a .tflite or .keras file")
    try:
        backend = backend_type(path, outputs, threads)
        _check_outputs(backend, outputs)
    except _Unusable as exc:
        raise ModelError(f"unusable model {path}: {exc}") from None
    except Exception as exc:  # corrupt or foreign file: the loaders raise many kinds
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else exc.__class__.__name__
        raise ModelError(f"cannot load model {path}: {reason}") from None
    return backend


def load_keras_model(path: str | os.PathLike, outputs: int = NUM_CLASSES) -> keras.Model:
    """The .keras model at path, loaded safely (safe_mode) and checked on a probe image as the app
    checks its models: one to build on (train-detector --average-with); ModelError in one line."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ModelError(f"{path}: expected a .keras model file")
    return _load_backend(path, outputs).model


class Detector:
    """The digit detector: P(not a digit) for 28x28 images, and the threshold above which ink
    reads "not a digit" (from the card <model>.json written with it; see recognizer.train_detector)."""

    def __init__(self, backend: Backend, path: Path, threshold: float) -> None:
        self._backend = backend
        self.path = path
        self.threshold = threshold

    @classmethod
    def load(cls, path: str | os.PathLike = DEFAULT_DETECTOR, threads: int = THREADS) -> Detector:
        """The detector at path (.tflite or .keras, checked as the classifier is) with the threshold
        its card gives, the card written for this very file; ModelError in one line otherwise."""
        path = Path(path)
        backend = _load_backend(path, outputs=1, make="make train-detector", threads=threads)
        unreadable = f"detector {path} has no readable card {path.with_suffix('.json')} with its threshold"
        payload = _card(path, unreadable, "train-detector")
        try:
            threshold = float(payload["threshold"])
        except (ValueError, KeyError, TypeError, OverflowError):  # OverflowError: a 400-digit whole number
            raise ModelError(unreadable) from None
        if not 0.0 <= threshold <= 1.0:  # NaN included: above 1, nothing would ever read "not a digit"
            raise ModelError(f"{path.with_suffix('.json')}: the threshold {threshold} is not a probability (0 to 1)")
        return cls(backend, path, threshold)

    def not_digit(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) images, floats in [0, 1] or uint8 (batch.to_input) -> (n,) P(not a digit)."""
        return self._backend(to_input(images)).reshape(-1).astype(np.float64)


def _card(path: Path, unreadable: str, trainer: str) -> dict:
    """The card <model>.json beside a model file (the detector's, the touching-digits model's),
    written for this very file (its model_sha256); ModelError in one line otherwise: `unreadable`,
    or which command trains the model again."""
    card = path.with_suffix(".json")
    try:
        payload = json.loads(card.read_text())
        made_for = payload["model_sha256"].values()
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise ModelError(unreadable) from None
    if file_sha256(path) not in made_for:
        raise ModelError(
            f"{card} was written for another {path.name} (train it again: `python -m recognizer {trainer}`)"
        )
    return payload


class _CardedModel:
    """A small model beside the classifier, loaded from a .tflite or .keras file checked as the
    classifier is, whose card (<model>.json) was written for this very file: the touching-digits
    model and the digit-pair reader. Each subclass names its file, outputs and trainer."""

    default: Path
    outputs: int
    what: str  # the model, as its errors name it
    trainer: str  # the command that trains it again

    def __init__(self, backend: Backend, path: Path) -> None:
        self._backend = backend
        self.path = path

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, threads: int = THREADS) -> Self:
        """The model at path (default: the shipped one); ModelError in one line otherwise."""
        path = Path(path) if path is not None else cls.default
        backend = _load_backend(path, outputs=cls.outputs, make=f"make {cls.trainer}", threads=threads)
        _card(path, f"{cls.what} {path} has no readable card {path.with_suffix('.json')}", cls.trainer)
        return cls(backend, path)


class TouchingDigits(_CardedModel):
    """The touching-digits model: P(several digits touching) of a whole piece of ink that an image's
    reading may cut, against one character, a digit or a letter (see recognizer.train_touching)."""

    default, outputs, what, trainer = DEFAULT_TOUCHING, 1, "touching-digits model", "train-touching"

    def several(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) images of whole pieces (batch.to_input) -> (n,) P(several digits touching)."""
        return self._backend(to_input(images)).reshape(-1).astype(np.float64)


class DigitPairs(_CardedModel):
    """The digit-pair reader: P(left digit, right digit) of a piece of two digits touching, read
    whole (see recognizer.train_pairs)."""

    default, outputs, what, trainer = DEFAULT_PAIRS, 100, "digit-pair reader", "train-pairs"

    def pairs(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) pair images (preprocess.pair_image) -> (n, 100) P(10 * left + right)."""
        return self._backend(to_input(images)).astype(np.float64)


def own_strokes(ink: Ink, strokes: Sequence[Stroke] | None) -> list[Stroke] | None:
    """A reader's strokes, checked (strokes.checked_strokes: CanvasError for points that are no
    points) and cut to the canvas (strokes.clipped_strokes: a mouse slip past its edge), or None
    when they did not draw the canvas's ink (Ink.drawn_by: some of a drawing's strokes, strokes
    scaled or elsewhere): read by them, a digit outside them was lost, or merged with its
    neighbour, without a word; read as an image, the canvas reads as it shows."""
    strokes = checked_strokes(strokes)
    if strokes is None:
        return None
    strokes, points = clipped_strokes(strokes, ink.pixels.shape, ink.stroke_width / 2)
    return strokes if ink.drawn_by(points) else None


class Recognizer:
    """Load once with Recognizer.load(); then predict(canvas) costs about a millisecond. One may be
    shared by threads: their model calls take turns (for calls side by side, one per process)."""

    def __init__(
        self,
        backend: Backend,
        path: Path,
        calibration: Calibration | None = None,
        detector: Detector | None = None,
        touching: TouchingDigits | None = None,
        pairs: DigitPairs | None = None,
    ) -> None:
        self._backend = backend
        self.path = path
        self.calibration = calibration or Calibration()
        self.detector = detector
        self.touching = touching
        self.pairs = pairs

    @classmethod
    def load(
        cls,
        path: str | os.PathLike | None = None,
        calibrated: bool = True,
        detector: str | os.PathLike | None = DEFAULT_DETECTOR,
        threads: int = THREADS,
        touching: str | os.PathLike | None = DEFAULT_TOUCHING,
        pairs: str | os.PathLike | None = DEFAULT_PAIRS,
    ) -> Recognizer:
        """Load a .tflite (fast, no TensorFlow) or .keras model; default: the shipped model.

        With calibrated=True the model's calibration file (<model>.calibration.json, if present
        and made for this very file) sets the temperature of the probabilities and the "not sure"
        threshold; calibrated=False gives the raw probabilities and the default threshold.
        detector: the digit detector's .tflite or .keras file (default: the shipped one, skipped
        if absent); None: no detector, only ink checks and confidence say "not sure".
        touching: the touching-digits model's file (default: the shipped one, skipped if absent);
        None: an image's pieces are cut and read without it (recognizer.grouping, TOUCHING_WEIGHT).
        pairs: the digit-pair reader's file (default: the shipped one, skipped if absent); loaded
        and used with the touching-digits model only; None: two digits touching are read in their
        slices.
        threads: LiteRT threads per model call (THREADS; 1 for a server answering many at once; a
        .keras model runs on the threads TensorFlow chooses)."""
        if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= MAX_THREADS:
            raise ValueError(f"threads must be a whole number from 1 to {MAX_THREADS}, got {threads!r}")
        if path is not None and not isinstance(path, str | os.PathLike):  # Recognizer.load(123): TypeError
            raise ModelError(f"the model path is a file's name or path, not {type(path).__name__}")
        if path is not None and not os.fspath(path):  # Path("") is ".": "model . is a folder" said nothing
            raise ModelError("the model path is empty: pass a .tflite or .keras file")
        path = Path(path) if path is not None else DEFAULT_MODEL
        backend = _load_backend(path, threads=threads)
        wanted = detector is not None and (Path(detector) != DEFAULT_DETECTOR or DEFAULT_DETECTOR.is_file())
        calibration = load_calibration(path) if calibrated else None
        # grouping imports scipy.ndimage at its first reading, so that importing it (the app does,
        # before its window opens) need not wait: loading pays for it, not the first reading (0.45 s)
        import scipy.ndimage  # noqa: F401

        touching_wanted = touching is not None and (Path(touching) != DEFAULT_TOUCHING or DEFAULT_TOUCHING.is_file())
        pairs_wanted = pairs is not None and (Path(pairs) != DEFAULT_PAIRS or DEFAULT_PAIRS.is_file())
        pairs_wanted = pairs_wanted and touching_wanted  # read with the touching-digits model only
        return cls(
            backend,
            path,
            calibration,
            Detector.load(detector, threads) if wanted else None,
            TouchingDigits.load(touching, threads) if touching_wanted else None,
            DigitPairs.load(pairs, threads) if pairs_wanted else None,
        )

    @property
    def threshold(self) -> float:
        """Top probability below which a digit reads "not sure" (reason "low confidence")."""
        return self.calibration.threshold

    def probabilities(self, images: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """(n, 28, 28) images, floats in [0, 1] or uint8 0-255 (batch.to_input: CanvasError for
        anything else) -> (n, 10) class probabilities, temperature-scaled when the model has a
        calibration file (calibrated=False: the model's own output)."""
        probs = self._backend(to_input(images))
        return apply_temperature(probs, self.calibration.temperature) if calibrated else probs

    def classify(self, image: np.ndarray) -> Prediction:
        """Classify one already-preprocessed 28x28 image, floats in [0, 1] or uint8 0-255 as MNIST
        stores it (no "not sure" checks); its .image is the float one the model read."""
        batch = to_input(image)
        if len(batch) != 1:
            raise CanvasError(f"classify reads one 28x28 image, got {len(batch)} (rec.probabilities reads a batch)")
        probs = self.probabilities(batch)[0].astype(np.float64)
        probs /= probs.sum()
        digit = int(probs.argmax())
        return Prediction(digit, float(probs[digit]), probs, batch[0, ..., 0])

    def predict(self, canvas: np.ndarray, strokes: Sequence[Stroke] | None = None) -> Prediction | None:
        """Canvas (2-D, bright ink on dark; see ink_from_canvas) holding one digit -> Prediction,
        or None when there is no ink. .unsure says why the app should show "not sure" (None: the
        digit stands); strokes (the app's point lists), if given, also let scribbles be told from
        digits (strokes that did not draw the canvas's ink are left out: own_strokes). Read as an
        image, a canvas that is paper (refuse_paper) raises CanvasError."""
        ink = ink_from_canvas(canvas)
        strokes = own_strokes(ink, strokes)
        if ink.box is None:
            return None
        if strokes is None:
            refuse_paper(ink)
        return self.recognize([ink], ink.pixels.shape, [strokes])[0]

    def read(
        self, canvas: np.ndarray, strokes: Sequence[Stroke] | None = None, *, picture: bool = False, drawn: bool = False
    ) -> list[Prediction]:
        """All the digits on the canvas in reading order, left to right and row by row from the top
        ([] when blank), each with its .box (x, y, w, h on the canvas) and .unsure. strokes: the
        point lists the canvas was drawn from, if known, in writing order; they keep a digit drawn
        in several strokes together and part digits that touch. Which ink makes each digit is
        chosen by reading the candidates (recognizer.grouping): the classifier and the detector
        read only the candidates that could be chosen, in a round or two of small batches.
        picture: the canvas of a photo or a scan (read_picture), where a digit is too small to read
        only below reject.MIN_PICTURE_PX (or the share of a drawing, on a smaller picture:
        reject.picture_shape), not below a share of the canvas as on a drawing (a page's
        handwriting is 2-4% of its side), and lines of writing apart are rows even side by side
        (segment.text_rows), and a line of text among them (print around the number, a table's
        header: reject.text_lines) is left out, its rows numbered from 0 again. A mark written
        between two digits (a decimal point, a comma, a colon, a dash, a date's slash:
        recognizer.marks) is each digit's .after, and a minus before a line's first digit its
        .before; one that was read as a digit is left out, and one read as part of one is read again
        without it. Strokes that did not draw the canvas's ink are left out (own_strokes): the
        canvas is read as an image. A canvas read without strokes that is paper (mostly ink, its
        corners too: refuse_paper) is refused (CanvasError), unless drawn: a drawing, bright ink on
        black whatever its strokes (the app's canvas, after more strokes than it keeps: a scribble)."""
        ink = ink_from_canvas(canvas)
        strokes = own_strokes(ink, strokes)
        if strokes is None and not drawn and ink.box is not None:
            refuse_paper(ink)
        read = self._read_ink(ink, strokes, picture)

        def marks_of(read: list[Prediction]) -> Marks:
            boxes, rows = [p.box for p in read], [p.row for p in read]
            return find_marks(ink, boxes, rows, strokes, [p.unsure for p in read], [p.digit for p in read])

        found = marks_of(read)
        if found.joined is not None:
            kept = None if strokes is None else [s for i, s in enumerate(strokes) if i not in found.strokes]
            read = self._read_ink(ink_from_canvas(np.where(found.joined, 0, ink.pixels)), kept, picture)
            found = marks_of(read)
        return [
            replace(p, after=a, before=b, unsure=p.unsure or (NOT_A_DIGIT if k in found.questions else None))
            for k, (p, a, b) in enumerate(zip(read, found.after, found.before))
            if k not in found.readings
        ]

    def _read_ink(self, ink: Ink, strokes: list[Stroke] | None, picture: bool) -> list[Prediction]:
        """read() of a canvas's ink, its marks aside."""
        if ink.box is None:
            return []
        checks = picture_shape(ink.pixels.shape) if picture else ink.pixels.shape  # what the ink checks measure against
        if too_little_ink(ink.count, checks):  # stray pixels: one "not sure" for them all
            return [replace(self.recognize([ink], ink.pixels.shape)[0], box=ink.box, unsure=BLANK)]
        in_rows = self._groups_in_rows(ink, strokes, picture)
        if not in_rows:
            return []
        groups = [g for _, g in in_rows]
        own_strokes = [[strokes[i] for i in g.segment.strokes] for g in groups]
        predictions = self._verdicts(
            [g.ink for g in groups],
            [g.image for g in groups],
            [g.probabilities for g in groups],
            [g.not_digit for g in groups],
            checks,
            own_strokes,
            [ink.mask[y : y + h, x : x + w] for x, y, w, h in (g.segment.box for g in groups)],
        )
        boxes, row_of = [g.segment.box for g in groups], [k for k, _ in in_rows]
        blobs = [
            bool(own) and ink_stats(g.ink, checks).thickness > MAX_THICKNESS for g, own in zip(groups, own_strokes)
        ]
        unsure = letters_in_words(
            dots_in_rows([p.unsure for p in predictions], blobs, boxes, row_of),
            [g.not_digit for g in groups],
            [p.confidence for p in predictions],
            boxes,
            row_of,
        )
        read = [replace(p, box=b, row=k, unsure=u) for p, b, k, u in zip(predictions, boxes, row_of, unsure)]
        if picture:
            read = [p for p, text in zip(read, text_lines(unsure, boxes, row_of)) if not text]
            renumbered = {row: k for k, row in enumerate(sorted({p.row for p in read}))}
            read = [replace(p, row=renumbered[p.row]) for p in read]
        return read

    def _groups_in_rows(self, ink: Ink, strokes: Sequence[Stroke] | None, picture: bool) -> list[tuple[int, Group]]:
        """The digits' Groups (recognizer.grouping), each with its row: the lines of writing
        (segment.text_rows) read one at a time from the top, each left to right, or row 0 alone."""
        detect = self.detector.not_digit if self.detector else None
        touching = self.touching.several if self.touching else None
        pairs = self.pairs.pairs if self.pairs else None
        rows = text_rows(ink, picture)
        if not rows:
            return [(0, g) for g in group_digits(ink, strokes, self.batch_probabilities, detect, touching, pairs)]
        per_row = [None] * len(rows) if strokes is None else row_strokes(strokes, rows)
        return [
            (k, g)
            for k, ((top, bottom), own) in enumerate(zip(rows, per_row))
            for g in group_digits(ink.band(top, bottom), own, self.batch_probabilities, detect, touching, pairs)
        ]

    def read_picture(self, canvases: Sequence[np.ndarray], frames: Sequence[Frame] | None = None) -> list[Prediction]:
        """The reading of a photo or scan from its canvases (photo.ink_canvases: one, or both
        polarities' when bold ink may have fooled the polarity check), read as a picture (see
        read): the one whose tallest digit read surely is the tallest, then whose tallest digit is,
        the first on a tie (both read without the touching-digits model, then the chosen one with
        it). The wrong polarity reads the paper between the strokes, whose pieces are
        shorter than the writing (bold close-ups and bold print with a letter, training-side:
        docs/measurements.md), or, around marker-bold digits, one "?" as tall as them all. That
        reading may then be taken turned a quarter (_sideways: a page photographed or scanned on
        its side, with no EXIF tag to turn it). frames: each canvas's photo.Frame
        (photo.framed_canvases), to give the boxes on the picture itself rather than on the canvas
        (scaled down, maybe turned straight). One canvas given as itself (a 2-D array) is read as
        [canvas]: it read as a list of its rows, each "not a 2-D grayscale array"."""
        if isinstance(canvases, np.ndarray):  # an RGB array was read as a list of (w, 3) canvases
            if canvases.ndim != 2:
                raise CanvasError(
                    f"read_picture takes a 2-D canvas or a list of them, got an array of shape {canvases.shape}"
                )
            canvases = [canvases]
        chooser = self
        if len(canvases) > 1 and self.touching is not None:
            chooser = copy.copy(self)  # both polarities read without the touching-digits model, as the
            chooser.touching = None  # rule was tuned: it cut the paper's blobs into sure digits ("62" read "?13")
            chooser.pairs = None
        readings = [chooser.read(canvas, picture=True) for canvas in canvases]
        if not readings:
            return []
        tallest = [
            (
                max((p.box[3] for p in reading if p.unsure is None), default=-1),
                max((p.box[3] for p in reading), default=-1),
            )
            for reading in readings
        ]
        best = tallest.index(max(tallest))  # the first of equals
        reading = readings[best] if chooser is self else self.read(canvases[best], picture=True)
        reading = self._sideways(canvases[best], reading)
        if frames is None:
            return reading
        return [replace(p, box=frames[best].to_picture(p.box)) for p in reading]

    def _sideways(self, canvas: np.ndarray, reading: list[Prediction]) -> list[Prediction]:
        """The reading of a canvas (`reading`: as it is), or of the canvas turned a quarter either
        way (boxes given on the canvas as it is) where that reading is one row of digits, every one
        sure, not all 1s, and surer by TURNED_SURER (the log of the product of its digits'
        confidence; of both ways, the surer): a number on its side stands on end, and its digits
        read as "?"s and 1s in rows, each less sure. Tried only where the reading as it is has
        more than one row, and a digit not sure or ON_END digits a row at most: two readings more
        cost 3-10 times as much as the first, not to be spent on every page of numbers. Turned, a
        number beside a word has read as sure digits in two rows, and printed lines or a window's
        frame as rows of 1s (their uprights). Not turned half way: a 6 upside down reads as a sure 9."""
        rows = 1 + max((p.row for p in reading), default=0)
        if rows == 1 or (len(reading) > ON_END * rows and all(p.unsure is None for p in reading)):
            return reading

        def sureness(predictions: list[Prediction]) -> float:
            return float(sum(np.log(p.confidence) for p in predictions))

        best, surest = reading, sureness(reading) + TURNED_SURER
        for turns in SIDEWAYS:
            turned = self.read(np.ascontiguousarray(np.rot90(canvas, turns)), picture=True)
            if (
                turned
                and all(p.unsure is None and p.row == 0 for p in turned)
                and any(p.digit != 1 for p in turned)
                and sureness(turned) > surest
            ):
                best = [replace(p, box=_turned_back(p.box, turns, canvas.shape)) for p in turned]
                surest = sureness(turned)
        return best

    def recognize(
        self, inks: list[Ink], canvas_shape: tuple[int, int], strokes: Sequence[Sequence[Stroke] | None] | None = None
    ) -> list[Prediction]:
        """Digits' inks (each with a box) on a canvas of canvas_shape, and each one's strokes if
        known -> their 28x28 images -> the model -> a Prediction for each (without .box), .unsure
        from the ink checks first, then from the detector and the confidence. An ink without its
        strokes is eroded where bolder than INK_MAX_PEN of its size, as read() reads one."""
        if not inks:
            return []
        own = strokes or [None] * len(inks)
        images = np.stack([ink_to_mnist(ink, None if s else INK_MAX_PEN) for ink, s in zip(inks, own)])
        probs, not_digit = self.scores(images)
        return self._verdicts(
            inks, images, probs, [None] * len(inks) if not_digit is None else not_digit, canvas_shape, strokes
        )

    def scores(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(n, 10) probabilities (rows summing to 1) and (n,) P(not a digit) (None without a
        detector) of a batch of 28x28 images: one call of each model."""
        return self.batch_probabilities(images), self.detector.not_digit(images) if self.detector else None

    def batch_probabilities(self, images: np.ndarray) -> np.ndarray:
        """(n, 10) calibrated probabilities of a batch of 28x28 images, float64, rows summing to 1:
        what segmentation and the verdicts read."""
        probs = self.probabilities(images).astype(np.float64)
        return probs / probs.sum(axis=1, keepdims=True)

    def _verdicts(
        self,
        inks: list[Ink],
        images: Sequence[np.ndarray],
        probs: Sequence[np.ndarray],
        not_digit: Sequence[float | None],
        canvas_shape: tuple[int, int],
        strokes: Sequence[Sequence[Stroke] | None] | None = None,
        around: Sequence[np.ndarray] | None = None,
    ) -> list[Prediction]:
        """A Prediction (without .box) for each ink from its 28x28 image and the models' answers
        (probabilities, P(not a digit)): .unsure from the ink checks first (around: each one's
        box on the canvas's ink mask, see reject.ink_reason), then the models."""
        threshold = self.detector.threshold if self.detector else 1.0
        out = []
        rows = zip(inks, images, probs, not_digit, strokes or [None] * len(inks), around or [None] * len(inks))
        for ink, image, p, nd, own, ink_around in rows:
            digit = int(p.argmax())
            reason = model_reason(nd, threshold, float(p[digit]), self.threshold)
            if not image.any():  # ink too sparse to survive the downscale: the model saw nothing
                reason = BLANK
            unsure = ink_reason(ink, canvas_shape, own, ink_around) or reason
            out.append(Prediction(digit, float(p[digit]), p, image, unsure=unsure))
        return out


def refuse_paper(ink: Ink) -> None:
    """CanvasError when a canvas read as an image is paper: mostly ink (MAX_INK_SHARE), its corners
    too (PAPER_CORNERS). Dark ink on light paper, or bright ink on a background lighter than
    INK_LEVEL, read the background between the strokes as sure digits (predict read a dark "2" on
    white as a sure 4). A digit cut out to its own ink box, a bold one or a scribble may be mostly
    ink, but its corners are dark (a review: of 3,000 MNIST test digits cut so, 173 are over 60% ink,
    10 with inked corners; of their 2,689 negatives over 60%, 2,686)."""
    share = ink.count / ink.mask.size  # counted already: mask.mean() took 0.13 ms of a 640 px canvas
    if share <= MAX_INK_SHARE:
        return
    h, w = ink.mask.shape
    a, b = max(1, h // CORNER_PART), max(1, w // CORNER_PART)
    corners = [
        ink.mask[rows, cols] for rows in (slice(0, a), slice(h - a, h)) for cols in (slice(0, b), slice(w - b, w))
    ]
    if sum(int(c.sum()) for c in corners) <= PAPER_CORNERS * 4 * a * b:
        return
    background = int(np.median(ink.pixels))
    darker = background - int(ink.pixels.min()) > int(ink.pixels.max()) - background  # the strokes darker than it
    fix = "dark ink on white paper: pass 255 - canvas, " if darker and background >= PAPER_LEVEL else ""
    raise CanvasError(
        f"{share:.0%} of the canvas is ink, its corners too: bright ink on a black canvas is read ({fix}any "
        f"other background, here {background}: pass the array through recognizer.images.load_image, or a "
        "photo's file through load_canvases)"
    )


def _turned_back(box: Box, turns: int, shape: tuple[int, int]) -> Box:
    """A box (x, y, w, h) on np.rot90(canvas, turns) (turns: 1 or 3) -> the box on the canvas
    (shape: its (rows, columns))."""
    x, y, w, h = box
    rows, columns = shape
    if turns == 1:  # a quarter anticlockwise: column x of the turned canvas was row x
        return columns - y - h, x, h, w
    return y, rows - x - w, h, w


def percent(p: float) -> str:
    """A probability as a percentage with one decimal that never claims a certainty it is not
    (0.99996 is '>99.9%', not '100.0%'), as the app, the web page (app.js) and the CLI show it."""
    return ">99.9%" if 0.9995 <= p < 1.0 else f"{p:.1%}"


def number_text(predictions: list[Prediction], unsure: str = "?", between_rows: str = " ") -> str:
    """The digits read, in reading order, as a string, with `unsure` where a digit is not sure, the
    marks written between digits ("52.09") and before them ("-5"), and `between_rows` between
    lines of writing ("12 34", as the app, the web page and the CLI show them: a page's numbers
    stay apart, and a number read as two lines is no longer the number)."""
    text = []
    for k, p in enumerate(predictions):
        if k and p.row != predictions[k - 1].row:
            text.append(between_rows)
        text.append(p.before + (unsure if p.unsure else str(p.digit)) + p.after)
    return "".join(text)
