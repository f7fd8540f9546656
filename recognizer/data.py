"""Loading MNIST from Keras's mnist.npz, the four IDX files, or Kaggle's train.csv/test.csv.

Every loader takes an explicit path; only when none is given (and ``$MNIST_NPZ`` is unset) do we
fall back to ``keras.datasets.mnist.load_data()``, which downloads the file.
"""

from __future__ import annotations

import gzip
import math
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError
from .fileio import name_too_long

ENV_VAR = "MNIST_NPZ"
IMAGE_SIZE = 28
N_PIXELS = IMAGE_SIZE * IMAGE_SIZE
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
# The most a data file may unpack to (IDX payload, or the arrays read from an .npz): 300,000 28x28
# images. MNIST's largest array is 47 MB; a small gzip or zip that declares more is refused from
# its headers, before anything is inflated.
MAX_DATA_BYTES = 300_000 * N_PIXELS
READ_CHUNK = 1 << 20  # IDX payloads are inflated into their array this many bytes at a time
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


def require_test_set(data: Mnist) -> Mnist:
    """`data` itself, when it has test images to measure on (evaluate, learn, finetune, bench); else DataError."""
    if data.x_test is None:
        raise DataError(f"{data.source} has no test set: pass mnist.npz or the IDX folder")
    if not len(data.x_test):
        raise DataError(f"{data.source}: its test set has no images; pass a file with test images")
    return data


def _download_failure(exc: BaseException) -> str:
    """Why Keras's download failed, in a few words: the network's own reason where it gave one
    ("Name or service not known" offline), not Keras's message around it ("URL fetch failure on
    https://...: None -- [Errno -2] ..."); else the first line of that message."""
    cause = exc.__cause__ or exc.__context__
    reason = getattr(cause, "reason", cause)  # urllib's URLError holds the socket's error as .reason
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    if isinstance(reason, str) and reason:
        return reason
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__


def load_mnist(path: str | os.PathLike | None = None) -> Mnist:
    """Load MNIST from ``path`` (.npz, IDX folder, or Kaggle train.csv), ``$MNIST_NPZ``, or Keras."""
    if path is not None and not os.fspath(path):  # --data "": a path left empty, not "download it"
        raise DataError("no MNIST file given (an empty path): pass --data PATH to mnist.npz")
    from_env = path is None and bool(os.environ.get(ENV_VAR))
    path = path or os.environ.get(ENV_VAR) or None
    if path is None:
        import keras  # only here: importing TensorFlow costs seconds

        try:
            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        except Exception as exc:  # no network, a proxy, a damaged download: Keras raises a bare Exception
            raise DataError(
                f"cannot download MNIST ({_download_failure(exc)}); pass --data PATH to mnist.npz, or set {ENV_VAR}"
            ) from None
        return Mnist(x_train, y_train, x_test, y_test, source="keras.datasets.mnist")
    path = Path(path)
    if name_too_long(path):
        raise DataError(f"data file name too long: {path}")
    if not path.exists():
        fix = f"${ENV_VAR} names it: set it to" if from_env else "pass --data PATH to"
        raise DataError(f"data file not found: {path} ({fix} mnist.npz, an IDX folder or train.csv)")
    if path.is_dir():
        return _load_idx_dir(path)
    if not path.is_file():  # /dev/zero read to the end took all memory; a named pipe waited for ever
        raise DataError(f"{path}: not a regular file (a device or a pipe?); pass --data PATH to mnist.npz")
    if path.suffix == ".csv":
        x, y = read_kaggle_csv(path, labeled=True)
        return Mnist(x, y, source=str(path))
    return _load_npz(path)


def read_npz(path: Path, keys: tuple[str, ...], kind: str, fix: str) -> dict[str, np.ndarray]:
    """The named arrays of an .npz file (never unpickling), or a one-line DataError saying that
    the file is not a `kind` and what to do (`fix`). Sizes are checked before any array is read."""
    try:
        _check_npz_sizes(path, keys, kind)
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in keys}
    except DataError:
        raise
    except Exception as exc:  # zipfile.BadZipFile, ValueError, OSError, EOFError ...
        raise DataError(f"{path}: cannot read {kind} ({exc.__class__.__name__}); {fix}") from None


NPY_HEADERS = {1: np.lib.format.read_array_header_1_0, 2: np.lib.format.read_array_header_2_0}


def npy_header(member) -> tuple[int, tuple[int, ...] | None, np.dtype | None]:
    """The .npy format version of an open array stream, and its shape and dtype from the header
    alone (None and None for a version other than 1 and 2; numpy's ValueError for no .npy at all)."""
    major, _ = np.lib.format.read_magic(member)
    if major not in NPY_HEADERS:
        return major, None, None
    shape, _, dtype = NPY_HEADERS[major](member)
    return major, tuple(shape), dtype


def _check_npz_sizes(path: Path, keys: tuple[str, ...], kind: str) -> None:
    """Refuse an .npz that lacks `keys` or whose arrays would unpack to over MAX_DATA_BYTES, judged
    from the zip's declared sizes and each .npy header (a few bytes inflated, never the data)."""
    with zipfile.ZipFile(path) as z:
        members = {info.filename.removesuffix(".npy"): info for info in z.infolist()}
        missing = [k for k in keys if k not in members]
        if missing:
            raise DataError(f"{path}: not a {kind} (missing arrays {', '.join(missing)})")
        total = 0
        for key in keys:
            info = members[key]
            with z.open(info) as member:
                major, shape, dtype = npy_header(member)
            if shape is None:
                raise DataError(f"{path}: array {key} has an unsupported .npy version {major}")
            size = max(info.file_size, math.prod(shape) * dtype.itemsize)
            total += size
            if total > MAX_DATA_BYTES:
                raise DataError(
                    f"{path}: its arrays would unpack to over {MAX_DATA_BYTES:,} bytes "
                    f"({key}: {size:,} bytes); refusing a {kind} this large"
                )


def _load_npz(path: Path) -> Mnist:
    arrays = read_npz(path, NPZ_KEYS, "Keras mnist.npz", "expected the file keras.datasets.mnist uses")
    for split in ("train", "test"):
        _check_images(arrays[f"x_{split}"], arrays[f"y_{split}"], f"{path} ({split})")
    return Mnist(**arrays, source=str(path))


def _check_images(x: np.ndarray, y: np.ndarray, where: str) -> None:
    if x.ndim != 3 or x.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or x.dtype != np.uint8:
        raise DataError(f"{where}: images must be (n, 28, 28) uint8, got {x.shape} {x.dtype}")
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or (len(y) and (y.min() < 0 or y.max() > 9)):
        raise DataError(f"{where}: labels must be {len(x)} whole numbers 0-9, got {y.shape} {y.dtype}")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (optionally gzipped): the format LeCun's MNIST files come in. The header's
    sizes are checked against MAX_DATA_BYTES first and exactly that payload is inflated, so a small
    gzip that would unpack to gigabytes is refused without unpacking it."""
    path = Path(path)
    try:
        if path.exists() and not path.is_file():  # a named pipe waited for ever
            raise DataError(f"{path}: not a regular file (a folder, a device or a pipe?)")
        with gzip.open(path) if path.suffix == ".gz" else open(path, "rb") as f:
            return _read_idx_stream(f, path)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read IDX file ({exc})") from None


def _read_idx_stream(f, path: Path) -> np.ndarray:
    """The IDX array from an open binary stream: header, size cap, then the payload in chunks."""
    magic = f.read(4)
    if len(magic) < 4 or magic[:3] != b"\0\0\x08":
        raise DataError(f"{path}: not an IDX file of unsigned bytes (bad magic number)")
    ndim = magic[3]
    dims = f.read(4 * ndim)
    if ndim == 0 or len(dims) < 4 * ndim:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
    size = math.prod(shape)
    if size > MAX_DATA_BYTES:
        dims = "x".join(map(str, shape))
        raise DataError(
            f"{path}: IDX header declares {dims[:40]}{'...' if len(dims) > 40 else ''} bytes, "
            f"over {MAX_DATA_BYTES:,}; refusing an IDX file this large"
        )
    data = np.empty(size, np.uint8)
    view, filled = memoryview(data), 0
    while filled < size:
        got = f.readinto(view[filled : filled + READ_CHUNK])
        if not got:
            break
        filled += got
    if filled != size or f.read(1):
        raise DataError(f"{path}: IDX size does not match its header {shape}")
    return data.reshape(shape)


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


CSV_CHUNK_ROWS = 5_000  # a Kaggle CSV is parsed this many rows at a time (~31 MB of float64)
MAX_LINE_BYTES = 100_000  # Kaggle's header is ~7 KB and its rows ~3 KB: anything longer is refused


def read_kaggle_csv(path: str | os.PathLike, labeled: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Read Kaggle's Digit Recognizer train.csv (labeled) or test.csv into (n, 28, 28) uint8.

    Every problem is a DataError naming the file, the line (and column) and what was expected.
    The file is scanned line by line first (bounded lengths, field counts), so that a wrong file
    fails in a fraction of a second instead of sending pandas into a huge or ragged parse.
    """
    import csv

    import pandas as pd

    path = Path(path)
    expected = (["label"] if labeled else []) + KAGGLE_PIXELS
    kind = "train.csv (header label,pixel0..pixel783)" if labeled else "test.csv (header pixel0..pixel783)"
    shape = "a label 0-9 and 784 pixel values" if labeled else "784 pixel values"
    if name_too_long(path):
        raise DataError(f"CSV file name too long: {path}")
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass the path of Kaggle's {kind}")
    if path.exists() and not path.is_file():  # a named pipe waited for ever
        raise DataError(f"{path}: not a regular file (a device or a pipe?); pass the path of Kaggle's {kind}")
    try:
        header_line, row_lines = _scan_lines(path, len(expected), shape, kind)
    except FileNotFoundError:
        raise DataError(f"CSV file not found: {path}") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc.__class__.__name__})") from None
    if header_line is None:
        raise DataError(f"{path}: empty file; expected Kaggle's {kind}")
    if not header_line.strip():
        raise DataError(f"{path}: the first line is blank; expected the header of Kaggle's {kind}")
    try:
        header = [c.strip() for c in next(csv.reader([header_line.decode("utf-8-sig")]), [])]
    except (UnicodeDecodeError, csv.Error):
        raise DataError(f"{path}: the first line is not text; expected Kaggle's {kind}") from None
    if header != expected:
        problem = _column_problem(header, expected, labeled)
        raise DataError(f"{path}: wrong columns ({problem}); expected Kaggle's {kind}")
    if isinstance(row_lines, str):  # the scan found a bad line
        raise DataError(f"{path}: {row_lines}")
    if not row_lines:
        raise DataError(f"{path}: no images, only a header line; expected one row per image")
    if len(row_lines) > MAX_DATA_BYTES // N_PIXELS:  # as for .npz and IDX files
        raise DataError(
            f"{path}: {len(row_lines):,} images, over {MAX_DATA_BYTES // N_PIXELS:,}; refusing a CSV file this large"
        )
    x = np.empty((len(row_lines), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    labels = np.empty(len(row_lines), np.uint8) if labeled else None
    done = 0
    # for rows that pandas reads otherwise than the scan counted them: never guess
    garbled = f"{path}: cannot read the rows as plain comma-separated numbers; each row must be {shape}"
    try:
        # parsed CSV_CHUNK_ROWS rows at a time, each checked and kept as uint8: float64 for the whole
        # file would take ~6 KB an image (1.8 GB at the cap) where the result takes 784 bytes
        with pd.read_csv(
            path, header=None, skiprows=1, dtype="float64", quoting=csv.QUOTE_NONE, chunksize=CSV_CHUNK_ROWS
        ) as chunks:  # closed on any error, too
            for frame in chunks:
                values = frame.to_numpy()
                end = done + len(values)
                if end > len(row_lines) or values.shape[1] != len(expected):
                    raise DataError(garbled)
                _check_kaggle_values(values, row_lines[done:end], path, expected, shape, labeled)
                x[done:end] = (
                    (values[:, 1:] if labeled else values).astype(np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
                )
                if labels is not None:
                    labels[done:end] = values[:, 0].astype(np.uint8)
                done = end
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        raise DataError(f"{path}: {_non_numeric_problem(path, expected, row_lines)}") from None
    if done != len(row_lines):
        raise DataError(garbled)
    return x, labels


def _check_kaggle_values(
    values: np.ndarray, row_lines: list[int], path: Path, expected: list[str], shape: str, labeled: bool
) -> None:
    """Refuse missing values, pixels that are not whole numbers 0-255 and labels that are not
    digits, naming the first one's line and column (row_lines: the file's line of each row)."""
    if np.isnan(values).any():
        row, col = _first(np.isnan(values))
        raise DataError(
            f"{path}: missing value on line {row_lines[row]} (column {expected[col]}); each row must be {shape}"
        )
    pixels = values[:, 1:] if labeled else values
    bad = (pixels < 0) | (pixels > 255) | (pixels != np.round(pixels))
    if bad.any():
        row, col = _first(bad)
        raise DataError(
            f"{path}: pixel value {pixels[row, col]:g} on line {row_lines[row]} (column pixel{col}) "
            f"is not allowed; pixels must be whole numbers 0-255"
        )
    if labeled:
        labels = values[:, 0]
        bad_labels = (labels < 0) | (labels > 9) | (labels != np.round(labels))
        if bad_labels.any():
            row = int(bad_labels.argmax())
            raise DataError(
                f"{path}: label {labels[row]:g} on line {row_lines[row]} is not allowed; labels must be digits 0-9"
            )


BOOLEAN_WORD = re.compile(rb"(?i)true|false")


def _scan_lines(path: Path, n_fields: int, shape: str, kind: str) -> tuple[bytes | None, list[int] | str]:
    """Read the file once, line by line, without parsing numbers: returns (the header line, the
    line numbers of the data rows), or (header, a message) at the first line that is too long,
    has a stray carriage return or the wrong number of fields: the caller checks the header
    first. Blank lines are skipped, as pandas skips them. The header is None for an empty file."""
    row_lines: list[int] = []
    with open(path, "rb") as f:
        header = f.readline(MAX_LINE_BYTES + 1)
        if not header:
            return None, []
        if b"\r" in header.rstrip(b"\r\n"):  # the whole file, or its first part, read as one line
            raise DataError(
                f"{path}: its lines end in a bare carriage return (CR, as old Macs saved text); "
                "save it with ordinary line ends (LF or CRLF)"
            )
        if len(header) > MAX_LINE_BYTES:
            raise DataError(
                f"{path}: the first line is over {MAX_LINE_BYTES:,} bytes long; expected the header of Kaggle's {kind}"
            )
        number = 1
        for line in iter(lambda: f.readline(MAX_LINE_BYTES + 1), b""):
            number += 1
            if len(line) > MAX_LINE_BYTES:
                return header, f"line {number} is over {MAX_LINE_BYTES:,} bytes long; each row must be {shape}"
            body = line.rstrip(b"\n")
            body = body[:-1] if body.endswith(b"\r") else body
            if not body.strip():
                continue
            if b"\r" in body:
                return header, f"line {number} has a carriage return inside it; save the file with plain line ends"
            fields = body.count(b",") + 1
            if fields != n_fields:
                return header, f"line {number} has {fields} values, expected {n_fields}; each row must be {shape}"
            # pandas reads a column of True as 1.0, a label or pixel of 1. The regex only where the row holds
            # more than digits and commas: on every row of a train.csv it made the scan 9 times slower.
            if body.translate(None, b"0123456789,") and BOOLEAN_WORD.search(body):
                return (
                    header,
                    f"line {number} holds a word (True or False) where a number belongs; each row must be {shape}",
                )
            row_lines.append(number)
    return header, row_lines


def _first(mask: np.ndarray) -> tuple[int, int]:
    """(row, column) of the first True in a (rows, columns) mask."""
    row = int(mask.any(axis=1).argmax())
    return row, int(mask[row].argmax())


def _column_problem(header: list[str], expected: list[str], labeled: bool) -> str:
    other = [c for c in ["label"] + KAGGLE_PIXELS if c not in expected]
    if header == other + expected or header == expected[1:]:  # train.csv and test.csv swapped
        return (
            "this looks like test.csv, which has no label column"
            if labeled
            else ("this looks like train.csv: test.csv has no label column")
        )
    extra = [c for c in header if c not in expected][:3]
    missing = [c for c in expected if c not in header][:3]
    if len(header) <= 1:
        first = header[0] if header else ""
        separator = next((sep for sep in (";", "\t", " ", "|") if sep in first), None)
        if separator is not None and "pixel0" in first:
            return f"values separated by {separator!r}, not commas"
        return f"a single column {first[:30]!r}"
    if missing:
        return f"missing {', '.join(missing)}"
    if extra:
        return f"unexpected {', '.join(repr(c[:20]) for c in extra)}"
    return "duplicated or out of order"


def _non_numeric_problem(path: Path, expected: list[str], row_lines: list[int]) -> str:
    """Find the first cell that is not a number (only on the error path: reads the file again)."""
    import csv

    import pandas as pd

    generic = "non-numeric values; every value must be a whole number"
    try:
        text = pd.read_csv(
            path,
            header=None,
            skiprows=1,
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_NONE,
            encoding_errors="replace",
        )
    except Exception:  # give up on locating it
        return generic
    if text.shape != (len(row_lines), len(expected)):
        return generic
    numeric = text.apply(lambda col: pd.to_numeric(col, errors="coerce"))
    bad = (numeric.isna() & (text.apply(lambda col: col.str.strip()) != "")).to_numpy()
    if not bad.any():
        return generic
    row, col = _first(bad)
    value = str(text.iat[row, col])[:20]
    return (
        f"non-numeric value {value!r} on line {row_lines[row]} (column {expected[col]}); "
        "every value must be a whole number"
    )


UNIPEN_ENV_VAR = "UNIPEN_NPZ"
UNIPEN_KEYS = ("points", "stroke_end", "char_end", "label", "kind", "site", "writer")


@dataclass(frozen=True)
class PenCharacters:
    """Real handwriting as pen strokes (UNIPEN, CC BY 4.0; see ../shared/data/README_unipen.md).

    Character i is strokes char_end[i-1]..char_end[i]-1; stroke j is points stroke_end[j-1]..stroke_end[j]-1;
    points are (x, y) in the tablet's own units, y down, each character shifted to min x = min y = 0.
    """

    points: np.ndarray  # (P, 2) int32
    stroke_end: np.ndarray  # (S,) int64
    char_end: np.ndarray  # (N,) int64
    label: np.ndarray  # (N,) str: '0'-'9', 'A'-'Z', 'a'-'z'
    kind: np.ndarray  # (N,) str: 'digit', 'upper', 'lower'
    site: np.ndarray  # (N,) str: the recording site
    writer: np.ndarray  # (N,) str: the writer file, e.g. 'gmd/kast.dat'
    source: str = ""

    def __len__(self) -> int:
        return len(self.char_end)

    def strokes(self, i: int) -> list[np.ndarray]:
        """Character i as a list of (n, 2) float64 point arrays, in writing order."""
        first = int(self.char_end[i - 1]) if i else 0
        starts = np.concatenate([[0], self.stroke_end])
        return [self.points[starts[j] : starts[j + 1]].astype(np.float64) for j in range(first, int(self.char_end[i]))]


def load_unipen(path: str | os.PathLike | None = None) -> PenCharacters:
    """Load unipen_dev.npz from ``path`` or ``$UNIPEN_NPZ`` (there is no download: the file is local)."""
    path = path or os.environ.get(UNIPEN_ENV_VAR)
    if not path:
        raise DataError("no UNIPEN file given: pass --unipen PATH to unipen_dev.npz (or set UNIPEN_NPZ)")
    path = Path(path)
    if name_too_long(path):
        raise DataError(f"UNIPEN file name too long: {path}")
    if not path.is_file():
        raise DataError(f"UNIPEN file not found: {path} (pass --unipen PATH to unipen_dev.npz)")
    arrays = read_npz(path, UNIPEN_KEYS, "UNIPEN pen-stroke file", "expected unipen_dev.npz")
    points, stroke_end, char_end = arrays["points"], arrays["stroke_end"], arrays["char_end"]
    n = len(char_end)
    valid = (
        points.ndim == 2
        and points.shape[1:] == (2,)
        and np.issubdtype(points.dtype, np.integer)
        and stroke_end.ndim == 1
        and char_end.ndim == 1
        and np.issubdtype(stroke_end.dtype, np.integer)
        and np.issubdtype(char_end.dtype, np.integer)
        and n > 0
        and len(stroke_end) > 0
        and all(arrays[k].shape == (n,) and arrays[k].dtype.kind == "U" for k in UNIPEN_KEYS[3:])
        and np.all(np.diff(stroke_end) > 0)
        and np.all(np.diff(char_end) > 0)
        and stroke_end[0] > 0
        and stroke_end[-1] == len(points)
        and char_end[0] > 0
        and char_end[-1] == len(stroke_end)
    )
    if not valid:
        raise DataError(f"{path}: not a UNIPEN pen-stroke file (inconsistent arrays); expected unipen_dev.npz")
    digits = arrays["label"][arrays["kind"] == "digit"]
    bad = digits[~np.isin(digits, list("0123456789"))]
    if bad.size:
        raise DataError(
            f"{path}: a character of kind 'digit' is labelled {str(bad[0])!r}, not 0-9; expected unipen_dev.npz"
        )
    return PenCharacters(**arrays, source=str(path))
