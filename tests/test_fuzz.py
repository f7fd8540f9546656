"""Fuzzing the two loaders that read files from users: the CLI's image loader and the Kaggle CSV
loader. Whatever the bytes (truncated, corrupted, random, decompression bombs, huge lines), they
must either load or raise their own error (ImageError, DataError) with a message: no other
exception, no hang, no unbounded memory.
"""

from __future__ import annotations

import io
import itertools
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from recognizer.data import KAGGLE_PIXELS, read_kaggle_csv
from recognizer.errors import DataError, ImageError
from recognizer.images import MAX_PIXELS, load_image

# Pillow warns (and carries on) about the broken TIFF tags the fuzzing makes: expected here.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")

ROOT = Path(__file__).resolve().parent.parent
TEST_BUDGET_S = 30  # each test, all its examples included
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CSV_FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # ~0.2 s each
_counter = itertools.count()


@pytest.fixture(autouse=True)
def time_limit():
    """Fail a test (instead of hanging the suite) once it runs past TEST_BUDGET_S."""

    def expired(signum, frame):
        raise TimeoutError(f"test ran past {TEST_BUDGET_S} s: a loader hangs")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_BUDGET_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def write(folder: Path, data: bytes, suffix: str) -> Path:
    path = folder / f"f{next(_counter)}{suffix}"
    path.write_bytes(data)
    return path


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, it is not inherited across exec)."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024  # kB


# --- the image loader --------------------------------------------------------------------------

FORMATS = {  # Pillow format -> modes it writes
    "PNG": ("L", "RGB", "RGBA", "LA", "P", "1", "I;16"),
    "JPEG": ("L", "RGB"),
    "BMP": ("L", "RGB", "P", "1"),
    "GIF": ("L", "P"),
    "TIFF": ("L", "RGB", "RGBA", "1"),
    "WEBP": ("RGB", "RGBA"),
}


@st.composite
def image_files(draw) -> tuple[bytes, str, tuple[int, int]]:
    """A small valid image file: (bytes, format, (height, width))."""
    from PIL import Image

    fmt = draw(st.sampled_from(sorted(FORMATS)))
    mode = draw(st.sampled_from(FORMATS[fmt]))
    w, h = draw(st.integers(1, 48)), draw(st.integers(1, 48))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["noise", "dark-on-light", "light-on-dark", "flat"]))
    gray = {
        "noise": lambda: rng.integers(0, 256, (h, w)),
        "dark-on-light": lambda: np.where(rng.random((h, w)) < 0.2, 20, 235),
        "light-on-dark": lambda: np.where(rng.random((h, w)) < 0.2, 235, 20),
        "flat": lambda: np.full((h, w), rng.integers(0, 256)),
    }[kind]().astype(np.uint8)
    img = Image.fromarray(gray, "L")
    img = img.convert("I;16") if mode == "I;16" else img.convert(mode)
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue(), fmt, (h, w)


def check_image(path: Path, shape: tuple[int, int] | None = None) -> None:
    """load_image either gives a canvas of the image's size (shape: that of a valid image file) or
    raises ImageError with a message; a valid file may only be refused for having no ink."""
    try:
        canvas = load_image(path)
    except ImageError as exc:
        assert str(exc).strip(), "an ImageError must say what is wrong"
        if shape is not None:
            assert "no ink found" in str(exc), exc
        return
    assert canvas.dtype == np.uint8 and canvas.ndim == 2
    if shape is not None:
        assert canvas.shape == shape


@pytest.mark.parametrize("fmt, mode", [(fmt, mode) for fmt, modes in FORMATS.items() for mode in modes])
@pytest.mark.parametrize("polarity", ["dark-on-light", "light-on-dark"])
def test_a_clean_digit_loads_as_its_ink_in_every_format_and_mode(workdir, fmt, mode, polarity):
    """What the fuzzing above cannot check (it accepts any refusal): a real picture of a digit, in
    each format and mode, loads as the digit's ink, bright on black, exactly so where the format
    is lossless."""
    from PIL import Image

    ink = np.zeros((60, 48), np.uint8)
    ink[8:14, 8:40] = ink[8:52, 30:36] = 255  # a 7
    gray = 255 - ink if polarity == "dark-on-light" else ink
    img = Image.fromarray(gray, "L")
    img = img.convert("I;16") if mode == "I;16" else img.convert(mode)
    path = workdir / f"seven-{polarity}-{mode.replace(';', '')}.{fmt.lower()}"
    img.save(path, format=fmt)
    canvas = load_image(path)
    if fmt in ("JPEG", "WEBP"):  # lossy: the strokes, give or take their edges
        drawn, found = ink > 0, canvas > 127
        assert (drawn & found).sum() / (drawn | found).sum() > 0.9 and canvas[~grown(drawn)].max() == 0
    else:
        np.testing.assert_array_equal(canvas, ink)


def grown(mask: np.ndarray) -> np.ndarray:
    """The mask grown by 2 px each way: where a lossy format's ringing may leave faint ink."""
    from scipy import ndimage

    return ndimage.binary_dilation(mask, iterations=2)


@FUZZ
@given(image_files())
def test_valid_images_load_or_have_no_ink(workdir, image):
    data, fmt, shape = image
    check_image(write(workdir, data, "." + fmt.lower()), shape)


@FUZZ
@given(image_files(), st.data())
def test_truncated_images(workdir, image, data):
    raw, fmt, _ = image
    cut = data.draw(st.integers(0, max(0, len(raw) - 1)))
    check_image(write(workdir, raw[:cut], "." + fmt.lower()))


@FUZZ
@given(image_files(), st.data())
def test_corrupted_images(workdir, image, data):
    raw = bytearray(image[0])
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):  # and maybe some garbage spliced in
        at = data.draw(st.integers(0, len(raw)))
        raw[at:at] = data.draw(st.binary(max_size=64))
    check_image(write(workdir, bytes(raw), ".png"))


@FUZZ
@given(st.binary(max_size=2048), st.sampled_from([".png", ".jpg", ".bmp", ".gif", ".tif", ".webp", ""]))
def test_random_bytes(workdir, raw, suffix):
    check_image(write(workdir, raw, suffix))


def test_missing_file_and_folder(workdir):
    with pytest.raises(ImageError, match="not found"):
        load_image(workdir / "no-such-image.png")
    with pytest.raises(ImageError):
        load_image(workdir)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk: its length, kind, payload and CRC."""
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_declaring(width: int, height: int, rows: int = 0, color_type: int = 0) -> bytes:
    """A PNG whose header declares width x height; `rows` rows of black pixels really follow, as a
    zlib stream that is tiny whatever its decompressed size (a decompression bomb)."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    packer = zlib.compressobj(9)
    row = b"\0" * (1 + width * channels) if rows else b""
    stream = b"".join(packer.compress(row) for _ in range(rows)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", stream) + png_chunk(b"IEND", b"")


def bmp_declaring(width: int, height: int) -> bytes:
    """A 54-byte BMP header declaring width x height 8-bit pixels, with no pixel data."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 0, 0, 2835, 2835, 256, 0)
    palette = bytes(b for i in range(256) for b in (i, i, i, 0))
    offset = 14 + len(info) + len(palette)
    return b"BM" + struct.pack("<IHHI", offset + width * height, 0, 0, offset) + info + palette


def gif_declaring(width: int, height: int) -> bytes:
    """A GIF whose screen and only frame declare width x height, with an empty image."""
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return header + frame + b";"


def assert_refused_fast(path: Path, budget_s: float = 2.0, budget_mib: float = 100.0) -> None:
    before_rss, start = peak_rss_mib(), time.perf_counter()
    with pytest.raises(ImageError, match="too large"):
        load_image(path)
    assert time.perf_counter() - start < budget_s
    assert peak_rss_mib() - before_rss < budget_mib, "the loader allocated the bomb's pixels"


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1), st.sampled_from([0, 2, 4, 6]))
def test_png_declaring_too_many_pixels_is_refused_before_decoding(workdir, width, height, color_type):
    assume(width * height > MAX_PIXELS)
    assert_refused_fast(write(workdir, png_declaring(width, height, color_type=color_type), ".png"))


def test_tiny_png_declaring_100000x100000_is_refused_fast(workdir):
    data = png_declaring(100_000, 100_000)
    assert len(data) < 100
    assert_refused_fast(write(workdir, data, ".png"))


def test_real_decompression_bomb_is_refused_fast(workdir):
    """8000x8000 black pixels that really decompress (64 MB from a 60 KB file); just over the
    limit, where Pillow only warns: the loader must refuse it all the same."""
    data = png_declaring(8000, 8000, rows=8000)
    assert len(data) < 200_000
    assert_refused_fast(write(workdir, data, ".png"))


@pytest.mark.parametrize("make, suffix", [(bmp_declaring, ".bmp"), (gif_declaring, ".gif")])
def test_other_formats_declaring_huge_sizes_are_refused(workdir, make, suffix):
    assert_refused_fast(write(workdir, make(50_000, 50_000), suffix))


def test_huge_declared_size_under_the_limit_with_no_data_fails_cleanly(workdir):
    """6000x6000 declared (under MAX_PIXELS), no pixel data: a truncated image, not a crash."""
    with pytest.raises(ImageError):
        load_image(write(workdir, png_declaring(6000, 6000), ".png"))


def test_cli_reports_bad_images_in_one_line(workdir):
    """`python -m recognizer predict` on broken files: exit 1, one error line each, no traceback."""
    bomb = write(workdir, png_declaring(100_000, 100_000), ".png")
    garbage = write(workdir, b"\x89PNG\r\n\x1a\n" + os.urandom(200), ".png")
    empty = write(workdir, b"", ".jpg")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, "-m", "recognizer", "predict", str(bomb), str(garbage), str(empty)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3, proc.stderr
    assert "too large" in errors[0]
    assert "Traceback" not in proc.stderr


# --- the Kaggle CSV loader ---------------------------------------------------------------------

LABELED_HEADER = ",".join(["label"] + KAGGLE_PIXELS)
TEST_HEADER = ",".join(KAGGLE_PIXELS)


@st.composite
def kaggle_csvs(draw) -> tuple[str, bool, np.ndarray, np.ndarray | None]:
    """A valid Kaggle CSV: (text, labeled, images (n, 28, 28) uint8, labels or None)."""
    labeled = draw(st.booleans())
    n = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = np.where(rng.random((n, 784)) < 0.8, 0, rng.integers(0, 256, (n, 784))).astype(np.uint8)
    y = rng.integers(0, 10, n).astype(np.uint8) if labeled else None
    lines = [LABELED_HEADER if labeled else TEST_HEADER]
    for i in range(n):
        values = ([str(y[i])] if labeled else []) + [str(v) for v in x[i]]
        lines.append(",".join(values))
    return "\n".join(lines) + "\n", labeled, x.reshape(n, 28, 28), y


def check_csv(path: Path, labeled: bool):
    """read_kaggle_csv either returns well-formed arrays or raises DataError with a message."""
    try:
        x, y = read_kaggle_csv(path, labeled)
    except DataError as exc:
        assert str(exc).strip(), "a DataError must say what is wrong"
        return None
    assert x.dtype == np.uint8 and x.ndim == 3 and x.shape[1:] == (28, 28)
    if labeled:
        assert y is not None and y.dtype == np.uint8 and y.shape == (len(x),) and (y <= 9).all()
    else:
        assert y is None
    return x, y


@CSV_FUZZ
@given(kaggle_csvs())
def test_valid_csv_round_trips(workdir, csv):
    text, labeled, x, y = csv
    got = check_csv(write(workdir, text.encode(), ".csv"), labeled)
    assert got is not None
    np.testing.assert_array_equal(got[0], x)
    if labeled:
        np.testing.assert_array_equal(got[1], y)


@CSV_FUZZ
@given(kaggle_csvs(), st.data())
def test_truncated_csv(workdir, csv, data):
    text, labeled, _, _ = csv
    cut = data.draw(st.integers(0, len(text) - 1))
    check_csv(write(workdir, text[:cut].encode(), ".csv"), labeled)


CELL_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "nan",
            "NA",
            "inf",
            "-1",
            "256",
            "3.5",
            "1e2",
            "0x10",
            '"',
            '""',
            ",",
            "\n",
            "\r",
            "\0",
            "1,2",
            "é",
            "\ufeff",
            "255.0",
            "+7",
            "  9 ",
            "9\n9",
            "--1",
        ]
    ),
)


@CSV_FUZZ
@given(kaggle_csvs(), st.data())
def test_csv_with_a_cell_replaced(workdir, csv, data):
    text, labeled, _, _ = csv
    lines = text.split("\n")
    row = data.draw(st.integers(0, len(lines) - 2))  # the header included
    cells = lines[row].split(",")
    cells[data.draw(st.integers(0, len(cells) - 1))] = data.draw(CELL_TEXT)
    lines[row] = ",".join(cells)
    check_csv(write(workdir, "\n".join(lines).encode("utf-8", "surrogatepass"), ".csv"), labeled)


@CSV_FUZZ
@given(kaggle_csvs(), st.data())
def test_csv_with_corrupted_bytes(workdir, csv, data):
    text, labeled, _, _ = csv
    raw = bytearray(text.encode())
    for _ in range(data.draw(st.integers(1, 6))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    check_csv(write(workdir, bytes(raw), ".csv"), labeled)


@CSV_FUZZ
@given(st.binary(max_size=4096), st.booleans())
def test_csv_random_bytes(workdir, raw, labeled):
    check_csv(write(workdir, raw, ".csv"), labeled)


@settings(max_examples=8, deadline=None)  # the error path re-reads the file to find the cell: ~1 s each
@given(kaggle_csvs(), st.data(), st.sampled_from(["abc", "x1", "one", "#"]))
def test_csv_words_are_reported_with_their_line(workdir, csv, data, word):
    text, labeled, _, _ = csv
    lines = text.split("\n")
    row = data.draw(st.integers(1, len(lines) - 2))
    cells = lines[row].split(",")
    cells[data.draw(st.integers(0, len(cells) - 1))] = word
    lines[row] = ",".join(cells)
    with pytest.raises(DataError, match=f"line {row + 1}"):
        read_kaggle_csv(write(workdir, "\n".join(lines).encode(), ".csv"), labeled)


def test_csv_folder_missing_and_empty(workdir):
    with pytest.raises(DataError):
        read_kaggle_csv(workdir, True)
    with pytest.raises(DataError):
        read_kaggle_csv(workdir / "no-such.csv", True)
    with pytest.raises(DataError):
        read_kaggle_csv(write(workdir, b"", ".csv"), True)


def _in_subprocess(code: str, timeout: float) -> subprocess.CompletedProcess:
    """Run the loader in a child (killed after `timeout`): a hang fails the test, not the suite."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    "text",
    [
        ",".join(["1"] * 200_000) + "\n1\n",  # a first line of 200,000 fields (e.g. a flattened dump)
        ",".join(f"c{i}" for i in range(200_000)) + "\n1\n",  # a header of 200,000 distinct names
        LABELED_HEADER + "\n" + ",".join(["1"] * 200_000) + "\n",  # the right header, then a huge row
    ],
    ids=["huge-line", "huge-header", "huge-first-row"],
)
def test_csv_with_a_huge_line_is_refused_fast(workdir, text):
    """Kaggle's rows have 785 fields. Lines of 200,000 fields must be refused in seconds, not
    parsed by pandas (which takes time quadratic in the number of fields of the first rows)."""
    path = write(workdir, text.encode(), ".csv")
    code = (
        "import sys; sys.path.insert(0, '.')\n"
        "from recognizer.data import read_kaggle_csv\nfrom recognizer.errors import DataError\n"
        f"try:\n    read_kaggle_csv({str(path)!r}, True)\nexcept DataError as exc:\n    print('DataError', exc)\n"
        "hwm = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "print('rss_mib', int(hwm) // 1024)\n"
    )
    try:
        proc = _in_subprocess(code, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("read_kaggle_csv spent over 20 s on a 1-MB line (it hangs)")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "DataError" in proc.stdout
    assert int(proc.stdout.split("rss_mib")[1]) < 500


def test_csv_with_a_huge_cell_is_refused(workdir):
    """A 5-MB number in one cell: a clear error, quickly."""
    text = LABELED_HEADER + "\n" + ",".join(["1"] + ["9" * 5_000_000] + ["0"] * 783) + "\n"
    start = time.perf_counter()
    with pytest.raises(DataError, match="line 2"):
        read_kaggle_csv(write(workdir, text.encode(), ".csv"), True)
    assert time.perf_counter() - start < 10
