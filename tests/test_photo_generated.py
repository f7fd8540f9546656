"""Generated phone photos of numbers (bench.photos' generator) read back as the number written:
the whole path a photo takes (file, EXIF, cleaning, reading), under the conditions that most
often cost a digit. The digits are the fixture scans in tests/fixtures/digits (one of each), made
28x28 as MNIST's are (the generator redraws MNIST-like digits with a round pen)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.photos import ALL, CONDITIONS, encode, render
from recognizer.images import load_image
from recognizer.predictor import number_text
from recognizer.preprocess import to_mnist

DIGITS = Path(__file__).parent / "fixtures" / "digits"
NUMBER = "38072"


@pytest.fixture(scope="module")
def digits() -> list[np.ndarray]:
    scans = [255 - np.asarray(Image.open(DIGITS / f"{d}.png").convert("L")) for d in range(10)]
    return [np.round(to_mnist(np.where(s > 64, s, 0)) * 255).astype(np.uint8) for s in scans]


def photo(tmp_path: Path, digits: list[np.ndarray], number: str, cond, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    data, suffix = encode(render([digits[int(d)] for d in number], cond, rng), cond, rng)
    path = tmp_path / f"{number}-{seed}{suffix}"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["soft shadow", "noise", "ruled lines", "grid", "table edge"])
def test_a_generated_photo_reads_as_the_number_written(tmp_path, shipped, digits, name):
    canvas = load_image(photo(tmp_path, digits, NUMBER, CONDITIONS[name], seed=1))
    assert number_text(shipped.read(canvas)) == NUMBER


@pytest.mark.parametrize("seed", [1, 2])
def test_a_photo_with_everything_wrong_at_once_reads_as_the_number_written(tmp_path, shipped, digits, seed):
    """Texture, light falling off, a shadow, ruled lines, noise and dust, a turned camera, a table,
    pixels stored turned with an EXIF tag, heavy JPEG."""
    canvas = load_image(photo(tmp_path, digits, NUMBER, ALL, seed))
    assert number_text(shipped.read(canvas)) == NUMBER
