"""Decompression bombs in the data loaders: files of a megabyte or two that inflate to 1.5 GB must
be refused from their declared sizes, in a second, without the memory (issue 15).

Each refusal runs in a fresh interpreter whose peak resident memory (VmHWM) is read afterwards:
the pytest process's own peak says nothing, since earlier tests may have set it higher.
"""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20
BOMB_IMAGES = 2_000_000  # 2,000,000 x 28 x 28 bytes: 1.57 GB unpacked
BOMB_BYTES = BOMB_IMAGES * 28 * 28
PEAK_MIB = 150  # an interpreter with numpy imported uses about 40 MiB
TIME_S = 5.0  # the interpreter's start included


def idx_header(shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, 0x08, len(shape)]) + b"".join(n.to_bytes(4, "big") for n in shape)


def gzip_of_zeros(path: Path, head: bytes, zeros: int) -> None:
    """A gzip file holding `head` then `zeros` zero bytes, as one small member per MiB (gzip
    readers join members), so that 1.5 GB of payload costs 1.5 MB on disk and no time to make."""
    one_mib = gzip.compress(bytes(MIB))
    with open(path, "wb") as f:
        f.write(gzip.compress(head))
        f.writelines(one_mib for _ in range(zeros // MIB))
        f.write(gzip.compress(bytes(zeros % MIB)))


def deflate_of_zeros(head: bytes, zeros: int) -> bytes:
    """A raw deflate stream of `head` then `zeros` zero bytes. A full flush resets the compressor,
    so every MiB of zeros compresses to the same block: it is made once and repeated."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(bytes(MIB)) + packer.flush(zlib.Z_FULL_FLUSH)
    assert block == packer.compress(bytes(MIB)) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.compress(bytes(zeros % MIB)) + packer.flush()
    return start + block * (zeros // MIB - 1) + end


def npy_header(shape: tuple[int, ...], dtype: str = "|u1") -> bytes:
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode("latin1")
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def write_zip(path: Path, members: dict[str, tuple[bytes, int, int]]) -> None:
    """A zip (deflate, no zip64) of members name -> (raw deflate data, unpacked size, CRC-32)."""
    local, central = b"", b""
    for name, (data, size, crc) in members.items():
        entry = (20, 0, 8, 0, 33, crc, len(data), size, len(name))  # version, flags, deflate, time, date
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, *entry, 0, 0, 0, 0, 0, len(local))
        central += name.encode()
        local += struct.pack("<4s5H3I2H", b"PK\x03\x04", *entry, 0) + name.encode() + data
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0)
    path.write_bytes(local + central + end)


def small_member(array: np.ndarray) -> tuple[bytes, int, int]:
    raw = npy_header(array.shape, array.dtype.str) + array.tobytes()
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(raw) + packer.flush(), len(raw), zlib.crc32(raw)


def npz_bomb(path: Path, keys: dict[str, np.ndarray], bomb_key: str, shape: tuple[int, ...], zeros: int) -> None:
    """An .npz of the small arrays `keys` plus `bomb_key`: an .npy header declaring `shape` and
    `zeros` bytes of zeros that really inflate. Its CRC is left 0: np.load would fill the whole
    array before checking it, so only a refusal from the declared sizes keeps memory low."""
    head = npy_header(shape)
    members = {f"{k}.npy": small_member(v) for k, v in keys.items()}
    members[f"{bomb_key}.npy"] = (deflate_of_zeros(head, zeros), len(head) + zeros, 0)
    write_zip(path, members)


def refuse_in_child(call: str, path: Path, error: str = "DataError", limit: int = 0) -> tuple[str, float, float]:
    """Run `call`(path) in a new interpreter, its address space `limit` bytes at most if given (code
    that would take the machine's memory fails there instead): (its `error` message, seconds, peak MiB)."""
    module, name = call.rsplit(".", 1)
    code = (
        (f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n" if limit else "")
        + f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        f"from {module} import {name}\nfrom recognizer.errors import {error}\n"
        f"try:\n    {name}({str(path)!r})\n    print('LOADED')\n"
        f"except {error} as exc:\n    print('{error}:', exc)\n"
        "print('peak_kib', open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\n"
    )
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"{error}:"), proc.stdout
    assert len(lines[0].splitlines()) == 1
    return lines[0], seconds, int(lines[-1].split()[1]) / 1024


def assert_refused_small(call: str, path: Path, words: str) -> None:
    message, seconds, peak = refuse_in_child(call, path)
    assert words in message, message
    assert seconds < TIME_S, f"refusal took {seconds:.1f} s"
    assert peak < PEAK_MIB, f"peak memory {peak:.0f} MiB: the loader inflated the bomb"


def test_gzip_idx_of_1_5_gb_is_refused_from_its_header(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    gzip_of_zeros(path, idx_header((BOMB_IMAGES, 28, 28)), BOMB_BYTES)
    assert path.stat().st_size < 2 * MIB
    assert_refused_small("recognizer.data.read_idx", path, "over")


def test_idx_folder_with_a_bomb_is_refused(tmp_path):
    from recognizer.data import IDX_FILES

    for key, stem in IDX_FILES.items():  # the others are small and valid
        shape = (BOMB_IMAGES, 28, 28) if key == "x_train" else (10, 28, 28) if key.startswith("x") else (10,)
        payload = BOMB_BYTES if key == "x_train" else int(np.prod(shape))
        gzip_of_zeros(tmp_path / f"{stem}.gz", idx_header(shape), payload)
    assert_refused_small("recognizer.data.load_mnist", tmp_path, "over")


def test_idx_header_understating_a_huge_payload_stops_at_the_declared_size(tmp_path):
    """10 images declared, 1.5 GB of payload: read 10 images' worth, then refuse the rest unread."""
    path = tmp_path / "images.gz"
    gzip_of_zeros(path, idx_header((10, 28, 28)), BOMB_BYTES)
    assert_refused_small("recognizer.data.read_idx", path, "does not match")


@pytest.mark.parametrize("shape", [(2**32 - 1,) * 3, (2**32 - 1,) * 255, (60_000, 28, 28, 28, 28)])
def test_idx_header_declaring_absurd_sizes_is_refused(tmp_path, shape):
    from recognizer.data import read_idx
    from recognizer.errors import DataError

    path = tmp_path / "images"
    path.write_bytes(idx_header(shape) + bytes(100))
    with pytest.raises(DataError, match="over"):
        read_idx(path)


def test_npz_member_inflating_to_1_5_gb_is_refused_from_its_header(tmp_path):
    path = tmp_path / "mnist.npz"
    small = {
        "y_train": np.zeros(10, np.uint8),
        "x_test": np.zeros((10, 28, 28), np.uint8),
        "y_test": np.zeros(10, np.uint8),
    }
    npz_bomb(path, small, "x_train", (BOMB_IMAGES, 28, 28), BOMB_BYTES)
    assert path.stat().st_size < 2 * MIB
    assert_refused_small("recognizer.data.load_mnist", path, "over")


def test_npz_member_declaring_a_huge_unpacked_size_is_refused(tmp_path):
    """A small .npy header but 1.5 GB declared in the zip directory (and really there)."""
    path = tmp_path / "mnist.npz"
    small = {
        "y_train": np.zeros(10, np.uint8),
        "x_test": np.zeros((10, 28, 28), np.uint8),
        "y_test": np.zeros(10, np.uint8),
    }
    npz_bomb(path, small, "x_train", (10, 28, 28), BOMB_BYTES)
    assert_refused_small("recognizer.data.load_mnist", path, "over")


def test_unipen_npz_bomb_is_refused(tmp_path):
    from recognizer.data import UNIPEN_KEYS

    path = tmp_path / "unipen_dev.npz"
    small = {k: np.array(["1"]) for k in UNIPEN_KEYS if k != "points"}
    npz_bomb(path, small, "points", (BOMB_BYTES // 2, 2), BOMB_BYTES)
    assert_refused_small("recognizer.data.load_unipen", path, "over")


def test_a_picture_of_dots_is_refused_at_once_not_compared_mark_by_mark(tmp_path):
    """A 53 kB 1-bit PNG (a digit dithered at 960 px: 70,000 dots) made the photo cleaning compare
    every dot with every other (photo._gap): 24 GB, and the web server was killed. Such a scan is now
    smoothed first (next test); a grey picture of 25,000 dots is refused as it was. The child runs
    with 2 GiB of address space, so that code like that fails here instead of the machine."""
    rng = np.random.default_rng(0)
    dots = np.full((960, 960), 200, np.uint8)
    dots[rng.random(dots.shape) > 0.97] = 30
    dots[:, :480] -= 10  # a third shade: no 1-bit scan
    path = tmp_path / "dots.png"
    cv2.imwrite(str(path), dots)
    message, seconds, peak = refuse_in_child("recognizer.images.load_canvases", path, "ImageError", 2 << 30)
    assert "separate marks" in message and "grayscale" in message, message
    assert seconds < TIME_S and peak < 400, (seconds, peak)


def test_a_dithered_1_bit_scan_is_read(tmp_path, shipped):
    """Dithered, a stroke's grey edge is a halo of dots: a 1-bit scan of "407" read "???" (each
    "scribble", the model sure of each digit), and this 7 was refused for its 70,000 dots. Smoothed
    (photo.DITHER_BLUR), they read; clean 1-bit ink loads pixel for pixel (test_images)."""
    from PIL import Image

    from recognizer.images import load_canvases
    from recognizer.predictor import number_text

    path = tmp_path / "dithered.png"
    digit = Image.open(ROOT / "tests" / "fixtures" / "digits" / "7.png")
    digit.resize((960, 960), Image.BILINEAR).convert("1").save(path)
    assert number_text(shipped.read_picture(load_canvases(path))) == "7"


def test_the_gap_to_the_writing_is_the_same_however_many_pairs_are_compared_at_once(monkeypatch):
    from recognizer import photo

    rng = np.random.default_rng(0)
    ink = rng.random((300, 400)) > 0.97
    pieces = photo._Pieces.of(ink)
    to = rng.random(len(pieces.area)) > 0.5
    whole = photo._gap(pieces, to)
    monkeypatch.setattr(photo, "GAP_CELLS", 7)
    assert np.array_equal(photo._gap(pieces, to), whole) and len(whole) == len(pieces.area) > 1000
