"""Loading MNIST from Keras's mnist.npz, the four IDX files, or Kaggle's train.csv/test.csv.

Every loader takes an explicit path; only when none is given (and ``$MNIST_NPZ`` is unset) do we
fall back to ``keras.datasets.mnist.load_data()``, which downloads the file.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError

ENV_VAR = "MNIST_NPZ"
IMAGE_SIZE = 28
N_PIXELS = IMAGE_SIZE * IMAGE_SIZE
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
KAGGLE_PIXELS = [f"pixel{i}" for i in range(N_PIXELS)]
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class Mnist:
    """Images as (n, 28, 28) uint8 (ink bright), labels as (n,) uint8; test may be absent."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    source: str = ""


def load_mnist(path: str | os.PathLike | None = None) -> Mnist:
    """Load MNIST from ``path`` (.npz, IDX folder, or Kaggle train.csv), ``$MNIST_NPZ``, or Keras."""
    path = path or os.environ.get(ENV_VAR)
    if path is None:
        import keras  # only here: importing TensorFlow costs seconds

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        return Mnist(x_train, y_train, x_test, y_test, source="keras.datasets.mnist")
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file not found: {path} (pass --data PATH to mnist.npz, an IDX folder or train.csv)")
    if path.is_dir():
        return _load_idx_dir(path)
    if path.suffix == ".csv":
        x, y = read_kaggle_csv(path, labeled=True)
        return Mnist(x, y, source=str(path))
    return _load_npz(path)


def _load_npz(path: Path) -> Mnist:
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in NPZ_KEYS if k not in f.files]
            if missing:
                raise DataError(f"{path}: not a Keras mnist.npz (missing arrays {', '.join(missing)})")
            arrays = {k: f[k] for k in NPZ_KEYS}
    except DataError:
        raise
    except Exception as exc:  # zipfile.BadZipFile, ValueError, OSError ...
        raise DataError(f"{path}: cannot read as .npz ({exc.__class__.__name__}); expected Keras's mnist.npz") from None
    for split in ("train", "test"):
        _check_images(arrays[f"x_{split}"], arrays[f"y_{split}"], f"{path} ({split})")
    return Mnist(**arrays, source=str(path))


def _check_images(x: np.ndarray, y: np.ndarray, where: str) -> None:
    if x.ndim != 3 or x.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or x.dtype != np.uint8:
        raise DataError(f"{where}: images must be (n, 28, 28) uint8, got {x.shape} {x.dtype}")
    if y.shape != (len(x),) or (len(y) and (y.min() < 0 or y.max() > 9)):
        raise DataError(f"{where}: labels must be {len(x)} digits 0-9")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (optionally gzipped): the format LeCun's MNIST files come in."""
    path = Path(path)
    try:
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read IDX file ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an IDX file of unsigned bytes (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) - header != int(np.prod(shape)):
        raise DataError(f"{path}: IDX size does not match its header {shape}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _load_idx_dir(folder: Path) -> Mnist:
    arrays = {}
    for key, stem in IDX_FILES.items():
        candidates = [folder / stem, folder / f"{stem}.gz", folder / stem.replace("-idx", ".idx")]
        found = next((p for p in candidates if p.exists()), None)
        if found is None:
            raise DataError(f"{folder}: missing IDX file {stem}[.gz]")
        arrays[key] = read_idx(found)
    for split in ("train", "test"):
        _check_images(arrays[f"x_{split}"], arrays[f"y_{split}"], f"{folder} ({split})")
    return Mnist(**arrays, source=str(folder))


def read_kaggle_csv(path: str | os.PathLike, labeled: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Read Kaggle's Digit Recognizer train.csv (labeled) or test.csv into (n, 28, 28) uint8."""
    import pandas as pd

    path = Path(path)
    expected = (["label"] if labeled else []) + KAGGLE_PIXELS
    try:
        header = pd.read_csv(path, nrows=0).columns.tolist()
    except FileNotFoundError:
        raise DataError(f"CSV file not found: {path}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{path}: not a readable CSV ({exc.__class__.__name__})") from None
    if header != expected:
        kind = "train.csv: label,pixel0..pixel783" if labeled else "test.csv: pixel0..pixel783"
        extra = [c for c in header if c not in expected][:3]
        missing = [c for c in expected if c not in header][:3]
        detail = f"missing {missing}" if missing else f"unexpected {extra}" if extra else "columns out of order"
        raise DataError(f"{path}: wrong columns ({detail}); expected Kaggle's {kind}")
    try:
        frame = pd.read_csv(path, dtype="float64")
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: non-numeric values ({str(exc).splitlines()[0][:80]})") from None
    values = frame.to_numpy()
    if values.size and np.isnan(values).any():
        row = int(np.isnan(values).any(axis=1).argmax()) + 2  # 1-based, after the header line
        raise DataError(f"{path}: missing value on line {row}")
    pixels = values[:, 1:] if labeled else values
    bad = (pixels < 0) | (pixels > 255) | (pixels != np.round(pixels))
    if bad.any():
        row = int(bad.any(axis=1).argmax()) + 2
        raise DataError(f"{path}: pixel values must be whole numbers 0-255 (line {row})")
    x = pixels.astype(np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    if not labeled:
        return x, None
    labels = values[:, 0]
    if ((labels < 0) | (labels > 9) | (labels != np.round(labels))).any():
        row = int(((labels < 0) | (labels > 9) | (labels != np.round(labels))).argmax()) + 2
        raise DataError(f"{path}: labels must be digits 0-9 (line {row})")
    return x, labels.astype(np.uint8)


def file_sha256(path: str | os.PathLike) -> str:
    """Hash of a data file, recorded in the model card so a model can be traced to its data."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
