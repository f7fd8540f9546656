"""The photo dev set (bench.photo_dev): the 28x28 measures it compares photos with their bare ink
by, the failure classes, and a run whose figures agree with its own per-digit rows."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from bench import photo_dev, photos
from recognizer.predictor import Prediction
from recognizer.preprocess import to_mnist

DIGITS = Path(__file__).parent / "fixtures" / "digits"


def ring(pen: int) -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    cv2.circle(image, (14, 14), 8, 1.0, pen)
    return image


@pytest.mark.parametrize("pen", [2, 3, 4])
def test_image_stats_measure_a_rings_width_and_hole(pen):
    image = ring(pen)
    stats = photo_dev.image_stats(image)
    assert stats["holes"] == 1
    drawn = image.sum() / (2 * np.pi * 8)  # the ring's own width: its ink over its centre line
    assert abs(stats["width"] - drawn) <= 0.15 * drawn


def test_a_ring_closed_by_a_blot_has_no_hole():
    image = ring(3)
    cv2.circle(image, (14, 14), 8, 1.0, -1)
    assert photo_dev.image_stats(image)["holes"] == 0


def test_digit_classes_say_why():
    probs = np.full(10, 0.1)
    blank = np.zeros((28, 28), np.float32)
    assert photo_dev.digit_class(Prediction(3, 0.9, probs, blank), "3") == "right"
    assert photo_dev.digit_class(Prediction(3, 0.9, probs, blank), "8") == "misread as 3"
    assert photo_dev.digit_class(Prediction(3, 0.4, probs, blank, unsure="low confidence"), "3") == "? low confidence"


def test_the_oracle_canvas_is_the_bare_ink_with_a_margin():
    ink = np.zeros((40, 30), np.float32)
    ink[10:30, 12:16] = 1.0
    canvas = photo_dev.oracle_canvas(ink)
    assert canvas.dtype == np.uint8 and canvas.shape == (80, 70)
    assert canvas[30:50, 32:36].min() == 255 and canvas.sum() == 255 * 80


def fixture_digits() -> tuple[np.ndarray, np.ndarray]:
    """The fixture scans as MNIST-like 28x28 uint8 digits, and their labels."""
    scans = [255 - np.asarray(Image.open(DIGITS / f"{d}.png").convert("L")) for d in range(10)]
    x = np.stack([np.round(to_mnist(np.where(s > 64, s, 0)) * 255).astype(np.uint8) for s in scans])
    return x, np.arange(10)


def test_the_bare_ink_hook_hands_over_the_ink_and_changes_no_photo():
    """render's on_ink gets the number's ink (0-1 float) and draws no random number of its own."""
    x, y = fixture_digits()
    cond = photos.CONDITIONS["clean scan"]
    plain = photos.random_photo(photos.mnist_numbers(x, y), cond, np.random.default_rng(3))
    got: list[np.ndarray] = []
    hooked = photos.random_photo(photos.mnist_numbers(x, y), cond, np.random.default_rng(3), on_ink=got.append)
    assert hooked == plain and len(got) == 1
    ink = got[0]
    assert ink.dtype == np.float32 and ink.ndim == 2 and 0 <= ink.min() and ink.max() <= 1 and ink.max() > 0.5
    assert ink.shape[1] > ink.shape[0]  # 2-5 digits side by side


def test_a_dev_run_counts_what_its_rows_say(shipped, tmp_path):
    """One photo per condition of the fixture digits: per-condition exact is the share of numbers
    whose every digit row is right."""
    x, y = fixture_digits()
    results = photo_dev.dev_run(shipped, photos.mnist_numbers(x, y), n=1, seed=5, failed=tmp_path)
    assert list(results["conditions"]) == list(photos.CONDITIONS)
    for name, figures in results["conditions"].items():
        rows = [r for r in results["digits"] if r["condition"] == name]
        assert rows and len({r["truth"] for r in rows}) == 1
        truth = rows[0]["truth"]
        whole = all(r["class"] == "right" for r in rows) and len(rows) == len(truth)
        assert figures["exact"] == float(whole)
        assert all(r["class"] == "count wrong" or r["digit"] == truth[k] for k, r in enumerate(rows))
    wrong = sum(1 - c["exact"] for c in results["conditions"].values())
    assert len(list(tmp_path.glob("*-oracle.png"))) == wrong
    assert "overall" in photo_dev.summary(results)


def test_faint_digits_draws_one_digit_of_each_number_at_its_share():
    """Within faint_digits, each number the generator draws has exactly one digit (of one stroke
    here: a bar) at the share's darkness, the others as drawn; after it, the generator is as it was."""
    bar = np.zeros((28, 28), np.uint8)
    bar[4:24, 12:16] = 255
    draw, pen = photos._number_ink, photos.digit_ink
    rng = np.random.default_rng(0)
    with photo_dev.faint_digits(0.35, np.random.default_rng(1)):
        inks = [photos._number_ink([bar] * 4, 80, rng) for _ in range(5)]
    assert photos._number_ink is draw and photos.digit_ink is pen
    for ink in inks:
        count, labels = cv2.connectedComponents((ink > 0).astype(np.uint8))
        peaks = sorted(float(ink[labels == k].max()) for k in range(1, count))
        assert len(peaks) == 4 and abs(peaks[0] - 0.35) < 0.01 and min(peaks[1:]) == 1.0


@pytest.mark.parametrize(
    "args", [["--photos", "0"], ["--data", "no-such-mnist.npz"], ["--faint", "0"], ["--faint", "1.5"]]
)
def test_bad_input_is_one_error_line(args, capsys):
    with pytest.raises(SystemExit) as exit_:
        photo_dev.main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
