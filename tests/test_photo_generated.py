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


def pen_chars(tmp_path: Path):
    """A tiny UNIPEN-layout file: every template digit by each of eight writer files (people of
    every split), each writer's a size of its own so that a digit tells its writer, loaded as the
    bench loads the real one."""
    from recognizer.data import load_unipen
    from recognizer.synthetic import DIGIT_STROKES
    from tests.test_unipen import WRITERS, pen_file

    rows = []
    for k, writer in enumerate(WRITERS):
        for d in range(10):
            size = 1 + 0.1 * k
            rows.append((str(d), writer, [[(x * size, y * size) for x, y in s] for s in DIGIT_STROKES[d]]))
    path = tmp_path / "unipen.npz"
    pen_file(path, rows)
    return load_unipen(path)


def test_real_pen_numbers_are_one_persons_digits(tmp_path):
    """bench.photos.pen_numbers: 2-5 digits to a number, all of one person of the split asked for,
    each the strokes of a digit it names."""
    from bench.photos import DIGITS as LENGTHS
    from bench.photos import pen_numbers
    from recognizer.unipen import people, person_split

    chars = pen_chars(tmp_path)
    who, split = people(chars), person_split(chars)
    which = str(split[0])
    first = {chars.strokes(i)[0].tobytes() + chars.strokes(i)[-1].tobytes(): i for i in range(len(chars))}
    assert len(first) == len(chars)  # every writer's digits differ
    numbers, rng = pen_numbers(chars, which), np.random.default_rng(0)
    lengths, seen = set(), set()
    for _ in range(60):
        truth, digits = numbers(rng)
        lengths.add(len(truth))
        found = [first[d[0].tobytes() + d[-1].tobytes()] for d in digits]
        assert len(found) == len(set(found)) == len(truth)
        assert len({who[i] for i in found}) == 1 and all(split[i] == which for i in found)
        assert "".join(chars.label[i] for i in found) == truth
        seen.add(who[found[0]])
    assert lengths == set(range(LENGTHS[0], LENGTHS[1] + 1))
    assert seen == set(who[split == which])  # every person of the split writes some


def test_a_split_without_enough_digits_is_a_clear_error(tmp_path):
    from bench.photos import pen_numbers
    from recognizer.errors import RecognizerError

    with pytest.raises(RecognizerError, match="no nobody person with 5 digits"):
        pen_numbers(pen_chars(tmp_path), "nobody")


def middle_row_width(ink: np.ndarray) -> float:
    """The ink across the middle row of an upright bar, in px (coverage summed)."""
    return float(ink[ink.shape[0] // 2].sum()) / 255


@pytest.mark.parametrize("pen", [2.0, 4.5, 7.5, 12.0])
def test_real_strokes_are_written_as_tall_and_with_the_pen_mnist_digits_get(pen):
    """An upright bar, as strokes and as a 28x28 image, comes out as tall and as wide as asked,
    so real and MNIST digits are written with the same pen."""
    from bench.photos import digit_ink

    height, rng = 90, np.random.default_rng(0)
    stroked = digit_ink([np.array([[50.0, 0.0], [50.0, 400.0]])], height, pen, rng)
    bar = np.zeros((28, 28), np.uint8)
    bar[4:24, 13:15] = 255
    imaged = digit_ink(bar, height, pen, rng)
    for ink in (stroked, imaged):
        assert ink.dtype == np.uint8 and abs(ink.shape[0] - height) <= 1
    assert abs(middle_row_width(stroked) - pen) <= 0.3
    assert abs(middle_row_width(stroked) - middle_row_width(imaged)) <= 0.5


def test_odd_strokes_are_drawn_or_refused_plainly():
    """A dot is a dot the pen's size; a flat stroke is capped at MAX_WIDTH heights; no point at all
    is an error, not an empty picture."""
    from bench.photos import MAX_WIDTH, digit_ink

    rng = np.random.default_rng(0)
    dot = digit_ink([np.array([[3.0, 4.0]])], 60, 8.0, rng)
    assert 7 <= dot.shape[0] <= 10 and 7 <= dot.shape[1] <= 10
    flat = digit_ink([np.array([[0.0, 0.0], [1000.0, 3.0]])], 60, 4.0, rng)
    assert flat.shape[1] <= MAX_WIDTH * 60 + 8
    with pytest.raises(ValueError, match="without a point"):
        digit_ink([np.zeros((0, 2))], 60, 4.0, rng)


@pytest.mark.parametrize("name", ["clean scan", "all combined"])
def test_a_photo_of_pen_strokes_reads_as_the_number_written(tmp_path, shipped, name):
    """Real digits come as strokes: a number of the template digits' strokes, photographed, reads back."""
    from recognizer.synthetic import DIGIT_STROKES

    cond, rng = CONDITIONS[name], np.random.default_rng(2)
    digits = [[np.array(s, np.float64) * (300, 400) for s in DIGIT_STROKES[int(d)]] for d in NUMBER]
    data, suffix = encode(render(digits, cond, rng), cond, rng)
    path = tmp_path / f"strokes{suffix}"
    path.write_bytes(data)
    assert number_text(shipped.read(load_image(path))) == NUMBER
