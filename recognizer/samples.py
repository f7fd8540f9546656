"""The user's own handwriting samples: 28x28 images with their labels and strokes, in one .npz.

    store = UserSamples()                     # ~/.local/share/digit-recognizer/samples.npz
    store.add(pred.image, 7, strokes)         # after the user presses 7 on a prediction
    samples = store.load()                    # .images (n, 28, 28) uint8, .labels, .strokes

Every change rewrites the whole file atomically: a temporary file in the same folder, flushed and
fsync'ed, then os.replace() over the old one (and the folder fsync'ed), so a crash or kill at
any moment leaves either the old file or the new one, never half of one. A lock file serializes
writers (two app windows), and each add() re-reads the file under the lock, so none is lost.
Strokes are ragged, so they are stored flat, never pickled: np.load(allow_pickle=False) reads it.
  images         (n, 28, 28) uint8     what the model saw, ink bright
  labels         (n,) uint8            the digit the user said it is
  created        (n,) float64          Unix time of each sample
  stroke_start   (n + 1,) int64        sample i has strokes stroke_start[i]:stroke_start[i + 1]
  point_start    (s + 1,) int64        stroke j has points point_start[j]:point_start[j + 1]
  points         (p, 2) float32        x, y on the app's canvas
  version        () int64              FORMAT_VERSION
"""

from __future__ import annotations

import contextlib
import os
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import MAX_DATA_BYTES, npy_header, read_npz
from .errors import DataError
from .fileio import atomic_write, exclusive_lock
from .strokes import Stroke

FORMAT_VERSION = 1
APP_DIR = "digit-recognizer"
SAMPLES_FILE = "samples.npz"
KEYS = ("images", "labels", "created", "stroke_start", "point_start", "points", "version")
# Strokes a file may hold: each one becomes a Python object when read, so the file's byte size does not
# bound the memory they take (3 samples claiming 14 million strokes took 2.4 GB). The app keeps at most
# ui.canvas.MAX_UNDO (100) strokes of a drawing.
MAX_SAMPLE_STROKES = 1_000
MAX_FILE_STROKES = 1_000_000
NPY_HEADER_ROOM = 4_096  # bytes counted for each array's .npy header when a file's size is checked
DAMAGED_SUFFIX = ".damaged"  # what to rename a samples file that cannot be read to (move_aside)


def data_dir() -> Path:
    """$XDG_DATA_HOME/digit-recognizer, by default ~/.local/share/digit-recognizer."""
    base = os.environ.get("XDG_DATA_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "share"  # the spec: ignore relative
    return root / APP_DIR


def default_samples_path() -> Path:
    return data_dir() / SAMPLES_FILE


@dataclass(frozen=True)
class Samples:
    """The samples in memory: images (n, 28, 28) uint8, labels (n,) uint8, created (n,) float64,
    and strokes[i]: the strokes of sample i, each a (k, 2) float32 array of points."""

    images: np.ndarray
    labels: np.ndarray
    created: np.ndarray
    strokes: list[list[np.ndarray]]

    def __len__(self) -> int:
        return len(self.labels)

    @classmethod
    def empty(cls) -> Samples:
        return cls(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), np.zeros(0, np.float64), [])


class UserSamples:
    """A user's samples file: add() and pop() save at once and atomically; load() reads it."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else default_samples_path()
        self.last_added: float | None = None  # the created time of the sample add() saved last

    def load(self) -> Samples:
        """All samples so far (none if the file does not exist yet)."""
        if not self.path.exists():
            return Samples.empty()
        return _read(self.path)

    def __len__(self) -> int:
        return len(self.load())

    def counts(self, wait: bool = True) -> np.ndarray:
        """Samples of each digit, (10,), from the labels alone: cheap enough for a key press (the
        app's L) however many strokes the file holds; DataError when the file cannot be read, is of a
        newer format, or its images' header does not match its labels (checked without reading them).
        wait=False: BlockingIOError at once while another process saves (it holds the file's lock)."""
        if not self.path.exists():
            return np.zeros(10, np.int64)
        try:
            with self._locked(wait):  # the labels and the images' header of one file, not of two saves
                arrays = read_npz(self.path, ("labels", "version"), "samples file", move_aside(self.path))
                images = _npy_header(self.path, "images")
        except DataError:
            if not self.path.exists():  # removed since: no samples, not a damaged file
                return np.zeros(10, np.int64)
            raise
        labels = arrays["labels"]
        _check_version(self.path, arrays["version"])
        if (
            labels.ndim != 1
            or labels.dtype != np.uint8
            or (labels > 9).any()
            or images != ((len(labels), 28, 28), "u1")
        ):
            raise DataError(f"{self.path}: inconsistent samples file; {move_aside(self.path)}")
        return np.bincount(labels, minlength=10)

    def add(self, image: np.ndarray, label: int, strokes: Sequence[Stroke] | None = None) -> int:
        """Store one sample (image: 28x28, float in [0, 1] as Prediction.image, or uint8) and
        return how many samples there are now."""
        image = _as_image(image)
        label = _as_label(label)
        strokes = [np.asarray(s, dtype=np.float32).reshape(-1, 2) for s in strokes or ()]
        if any(not np.isfinite(s).all() for s in strokes):
            raise DataError("stroke points must be finite numbers")
        if len(strokes) > MAX_SAMPLE_STROKES:  # the file would no longer read (_read), losing every sample
            raise DataError(f"a sample holds at most {MAX_SAMPLE_STROKES:,} strokes, got {len(strokes):,}")
        with self._locked():
            old = self.load()
            created = time.time()
            if len(old):  # unique, so that pop() takes back this sample and no other (a clock set back)
                created = max(created, float(np.nextafter(old.created.max(), np.inf)))
            new = Samples(
                np.concatenate([old.images, image[None]]),
                np.append(old.labels, np.uint8(label)),
                np.append(old.created, created),
                old.strokes + [strokes],
            )
            arrays = _pack(new)
            # A file the reader would refuse (_read, read_npz's size limit) loses every sample in it.
            too_big = sum(a.nbytes + NPY_HEADER_ROOM for a in arrays.values()) > MAX_DATA_BYTES
            if too_big or int(arrays["stroke_start"][-1]) > MAX_FILE_STROKES:
                raise DataError(
                    f"{self.path}: the samples file is full ({len(old):,} samples, "
                    f"{sum(len(k) for k in old.strokes):,} strokes): rename it to start a new one "
                    f"(`python -m recognizer learn --samples` still learns from it)"
                )
            _write_atomic(self.path, arrays)
            self.last_added = created  # what pop() takes back: this sample, whatever others add since
        return len(new)

    def pop(self) -> int | None:
        """Remove the sample this store's add() saved last (a wrong key pressed) and return its
        label; None when there is none, or it is no longer in the file. Another writer's sample is
        never taken: two app windows save to one file, and U in one removed the other's newest."""
        with self._locked():
            old = self.load()
            mine = np.flatnonzero(old.created == self.last_added) if self.last_added is not None else []
            self.last_added = None
            if not len(mine):
                return None
            k = int(mine[-1])
            keep = np.arange(len(old)) != k
            kept = Samples(
                old.images[keep], old.labels[keep], old.created[keep], old.strokes[:k] + old.strokes[k + 1 :]
            )
            _write_atomic(self.path, _pack(kept))
        return int(old.labels[k])

    @contextlib.contextmanager
    def _locked(self, wait: bool = True) -> Iterator[None]:
        """An exclusive lock on <file>.lock for the read-modify-write (POSIX; elsewhere none)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.path.with_name(self.path.name + ".lock"), wait) as held:
            # No other writer holds the lock: temporary files left are from a killed writer.
            for stale in self.path.parent.glob(f".{self.path.name}.*.tmp") if held else ():
                with contextlib.suppress(OSError):
                    stale.unlink()
            yield


def _as_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.shape != (28, 28):
        raise DataError(f"a sample must be a 28x28 image, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image.copy()
    if not np.issubdtype(image.dtype, np.floating) or not np.isfinite(image).all():
        raise DataError(f"a sample image must be uint8 or floats in [0, 1], got {image.dtype}")
    return np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)


def _as_label(label) -> int:
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)) or not 0 <= label <= 9:
        raise DataError(f"a sample's label must be a digit 0-9, got {label!r}")
    return int(label)


def _pack(samples: Samples) -> dict[str, np.ndarray]:
    flat = [stroke for strokes in samples.strokes for stroke in strokes]
    stroke_start = np.cumsum([0] + [len(s) for s in samples.strokes], dtype=np.int64)
    point_start = np.cumsum([0] + [len(s) for s in flat], dtype=np.int64)
    points = np.concatenate(flat).astype(np.float32) if flat else np.zeros((0, 2), np.float32)
    return {
        "images": samples.images,
        "labels": samples.labels,
        "created": samples.created,
        "stroke_start": stroke_start,
        "point_start": point_start,
        "points": points.reshape(-1, 2),
        "version": np.int64(FORMAT_VERSION),
    }


def _npy_header(path: Path, key: str) -> tuple[tuple[int, ...], str] | None:
    """The shape and dtype (numpy's str code, "u1" for uint8) of array `key` in an .npz, from its
    .npy header alone; None when the file has no such array or its header is unreadable."""
    try:
        with zipfile.ZipFile(path) as z, z.open(f"{key}.npy") as member:
            _, shape, dtype = npy_header(member)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    return None if shape is None else (shape, dtype.str.lstrip("<>|="))


def _check_version(path: Path, version: np.ndarray) -> None:
    """DataError unless the file's `version` is one integer, FORMAT_VERSION or older."""
    if version.size != 1 or not np.issubdtype(version.dtype, np.integer):
        raise DataError(f"{path}: inconsistent samples file; {move_aside(path)}")
    if int(version.item()) > FORMAT_VERSION:
        raise DataError(f"{path}: samples format {int(version.item())} is newer than this program's")


def move_aside(path: Path) -> str:
    """What to do with a samples file that cannot be read: keep it (it may be mended), start a new one."""
    return f"move it aside to start a new file (rename it, e.g. to {path.name}{DAMAGED_SUFFIX})"


def _read(path: Path) -> Samples:
    a = read_npz(path, KEYS, "samples file", move_aside(path))
    ss, ps, pts = a["stroke_start"], a["point_start"], a["points"]
    if not all(np.issubdtype(x.dtype, np.integer) for x in (ss, ps)):
        raise DataError(f"{path}: inconsistent samples file; {move_aside(path)}")
    _check_version(path, a["version"])
    n = len(a["labels"]) if a["labels"].ndim == 1 else -1
    ok = (
        n >= 0
        and a["images"].shape == (n, 28, 28)
        and a["images"].dtype == np.uint8
        and a["labels"].dtype == np.uint8
        and (a["labels"] <= 9).all()
        and a["created"].shape == (n,)
        and np.issubdtype(a["created"].dtype, np.floating)
        and ss.shape == (n + 1,)
        and ps.ndim == 1
        and (np.issubdtype(pts.dtype, np.floating) or np.issubdtype(pts.dtype, np.integer))  # not complex
        and pts.ndim == 2
        and pts.shape[1] == 2
        and bool(np.isfinite(pts).all())  # add() refuses NaN points: a file holding them was not written by it
        and ss[0] == 0
        and (np.diff(ss) >= 0).all()  # so ss[-1] >= 0, and ps below has an element
        and (np.diff(ss) <= MAX_SAMPLE_STROKES).all()
        and int(ss[-1]) <= MAX_FILE_STROKES
        and len(ps) == int(ss[-1]) + 1
        and ps[0] == 0
        and (np.diff(ps) >= 0).all()
        and int(ps[-1]) == len(pts)
    )
    if not ok:
        raise DataError(f"{path}: inconsistent samples file; {move_aside(path)}")
    flat = [pts[ps[j] : ps[j + 1]] for j in range(len(ps) - 1)]
    strokes = [flat[ss[i] : ss[i + 1]] for i in range(n)]
    return Samples(a["images"], a["labels"], a["created"], strokes)


def _write_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


PERSONAL_MODEL = "personal.keras"
# The app's process id, set by its L for the `learn` it starts (ui/learner.py): a run whose app is
# gone (killed; quitting stops the run itself) writes nothing, as quitting while it learns promises
APP_PID_ENV = "DIGIT_RECOGNIZER_APP_PID"


def app_gone() -> bool:
    """True when the app whose L started this process ($DIGIT_RECOGNIZER_APP_PID) is no longer its
    parent: killed while it learned (kill -9 left `learn` running, and it replaced the personal model
    20 s later, where quitting leaves it as it was). POSIX only: elsewhere a launcher may stand
    between the app and the interpreter it starts."""
    app = os.environ.get(APP_PID_ENV)
    return os.name == "posix" and bool(app) and app != str(os.getppid())


def app_gone_message() -> str:
    """What learn says when app_gone(): the variable named, for a shell that kept it by mistake."""
    started_by = f"{APP_PID_ENV}={os.environ.get(APP_PID_ENV)}"
    return f"learning stopped: the app that started it has quit ({started_by}): nothing written"


# Samples `learn` needs: each fold is left out in turn, and the class means need two of the rest (recognizer.personal).
MIN_LEARN_SAMPLES = 3
# Why samples of a single digit teach nothing (learn's guard refuses them; the app, before learning)
ONE_DIGIT = "your samples are all of one digit; save samples of other digits too"


def load_at_least(path: str | os.PathLike | None, minimum: int, needed_for: str) -> tuple[UserSamples, Samples]:
    """The store at `path` (default: the app's) and its samples, when it holds at least `minimum`;
    else DataError saying how to save more (`needed_for`: "samples to fine-tune", ...). A path
    given that names no file, or a folder, is a DataError of its own: a typo is not "no samples yet"."""
    if path is not None and not Path(path).is_file():
        state = "is a folder, not a samples file" if Path(path).is_dir() else "not found"
        raise DataError(f"--samples {path}: {state} (without --samples, the app's own samples file is read)")
    store = UserSamples(path)
    samples = store.load()
    if len(samples) < minimum:
        raise DataError(
            f"need at least {minimum} {needed_for}, found {len(samples)} in {store.path} "
            "(in the app, press the right digit key after a prediction to save one)"
        )
    return store, samples


def personal_model_path(kind: str = ".tflite") -> Path:
    """Where `python -m recognizer learn` and `finetune` write the personal model (.keras and
    .tflite) by default; the app loads it when it exists (ui.model.choose_model)."""
    return (data_dir() / PERSONAL_MODEL).with_suffix(kind)


def uses_personal(model: str | os.PathLike) -> bool:
    """True when the app loads the model written to `model` (.keras or .tflite): ui.model.choose_model
    picks the .tflite at personal_model_path() when no --model is given."""
    return Path(model).with_suffix(".tflite").resolve() == personal_model_path(".tflite").resolve()


def app_note(model: str | os.PathLike) -> str:
    """What to tell the user about the app and a personal model just written to `model`."""
    if uses_personal(model):
        return (
            "the app uses it from its next start (a window already open: M, twice if it is on the personal "
            "model; M or --shipped-model for the shipped one)"
        )
    return f"the app does not use it unless started with --model {Path(model).with_suffix('.tflite')}"
