"""bench.real's held-out digits: whose digits read "not sure", and the picture of them (--unsure),
on a tiny UNIPEN-layout file of stroke templates and a stand-in recognizer (never the real data)."""

from __future__ import annotations

import collections

import numpy as np

from bench import real
from recognizer.data import load_unipen
from recognizer.predictor import Prediction
from recognizer.synthetic import DIGIT_STROKES
from tests.test_unipen import WRITERS, pen_file


class TwoStrokesUnsure:
    """Reads every drawing as 1, "not sure" when it has two strokes or more (a 4, a 5, a 7 ...)."""

    def predict(self, canvas, strokes):
        probs = np.full(10, 0.1)
        unsure = "low confidence" if len(strokes) >= 2 else None
        return Prediction(1, 0.5, probs, np.zeros((28, 28), np.float32), unsure=unsure)


def test_digits_name_the_writers_whose_digits_read_not_sure_and_keep_their_drawings(tmp_path):
    path = tmp_path / "unipen.npz"
    pen_file(path, [(str(d), w, DIGIT_STROKES[d]) for w in WRITERS[:3] for d in range(10)])
    chars = load_unipen(path)
    indices = np.arange(len(chars))
    drawings: list = []
    figures = real.digits(
        TwoStrokesUnsure(), chars, indices, 2, np.random.default_rng(0), lambda ink, text: drawings.append((ink, text))
    )
    multi = [i for i in indices if len(chars.strokes(int(i))) >= 2]
    assert multi and len(drawings) == 2 * len(multi) == figures["unsure_drawings"]
    expected = collections.Counter(str(chars.writer[i]) for i in multi for _ in range(2))
    assert figures["writers"] == 3 and figures["unsure_by_writer"] == dict(expected.most_common())
    assert figures["all"]["unsure"] == len(drawings) / (2 * len(indices))
    # each writer file's share of multi-stroke digits, averaged (each file holds 10 digits, drawn twice)
    assert figures["unsure_writer_mean"] == round(np.mean([expected[w] / 20 for w in WRITERS[:3]]), 5)
    for ink, caption in drawings:
        assert ink.dtype == np.uint8 and ink.max() > 0 and ink[0].any() and ink[-1].any()  # cropped to the ink
        assert caption.endswith("-> 1 (low confidence)") and caption[0].isdigit()

    sheet = real.unsure_sheet(drawings)
    assert sheet.dtype == np.uint8 and sheet.shape[1] == real.SHEET_WIDTH
    assert sheet.shape[0] % real.SHEET_HEIGHT == 0 and sheet.shape[0] >= real.SHEET_HEIGHT
    assert (sheet < 128).mean() > 0.01  # dark ink and captions on white
    assert real.unsure_sheet([]).shape == (real.SHEET_HEIGHT, real.SHEET_WIDTH)


def test_rows_of_letters_between_digits_are_read_with_strokes_and_as_images(tmp_path, monkeypatch):
    """bench.real.words reads each row twice: with its strokes (the app's path) and as an image
    (the CLI's and photos'), and reports each path's exact and count figures apart. The stand-in
    reads a row right with its strokes, as one "?" without them."""
    from recognizer.synthetic import LETTER_STROKES

    path = tmp_path / "unipen.npz"
    digits = [(str(d), WRITERS[0], DIGIT_STROKES[d]) for d in range(10)]
    pen_file(path, digits + [(c, WRITERS[0], LETTER_STROKES[c]) for c in "ACEF"])
    chars = load_unipen(path)
    written, write_row = [], real.write_row
    monkeypatch.setattr(real, "write_row", lambda chars_, row, rng: written.append(row) or write_row(chars_, row, rng))
    asked = []

    class StandIn:
        def read(self, canvas, strokes=None):
            asked.append(strokes is not None)
            row = written[-1]
            text = chars.label[row[0]] + "?" * (len(row) - 2) + chars.label[row[-1]] if strokes is not None else "?"
            probs, image = np.full(10, 0.1), np.zeros((28, 28), np.float32)
            return [
                Prediction(int(c) if c != "?" else 0, 0.9, probs, image, unsure=None if c != "?" else "not a digit")
                for c in text
            ]

    figures = real.words(StandIn(), chars, np.arange(10), np.arange(10, 14), 4, np.random.default_rng(3))
    assert asked == [True, False] * 4 and len(written) == 4
    assert figures["exact"]["accuracy"] == figures["count_right"]["accuracy"] == 1.0
    assert figures["image"]["exact"]["accuracy"] == figures["image"]["count_right"]["accuracy"] == 0.0
    assert figures["image"]["exact"]["n"] == figures["rows"] == 4


class Recording:
    """Reads every drawing as 1, "scribble" from four strokes up; keeps the strokes it was given."""

    def __init__(self):
        self.given = []

    def predict(self, canvas, strokes):
        self.given.append((canvas, strokes))
        unsure = "scribble" if len(strokes) >= 4 else None
        return Prediction(1, 0.9, np.full(10, 0.1), np.zeros((28, 28), np.float32), unsure=unsure)


def test_gone_over_draws_every_stroke_a_second_time_close_to_the_first(tmp_path):
    path = tmp_path / "unipen.npz"
    pen_file(path, [(str(d), w, DIGIT_STROKES[d]) for w in WRITERS[:2] for d in range(10)])
    chars = load_unipen(path)
    indices = np.arange(len(chars))
    rec = Recording()
    figures = real.gone_over(rec, chars, indices, np.random.default_rng(0))
    assert len(rec.given) == len(indices) == figures["n"]
    for i, (canvas, strokes) in zip(indices, rec.given):
        k = len(chars.strokes(int(i)))
        assert len(strokes) == 2 * k and canvas.max() > 0
        first = np.concatenate([np.asarray(s) for s in strokes[:k]])
        height = np.ptp(first[:, 1])
        for a, b in zip(strokes[:k], strokes[k:]):  # each stroke again, a little off
            off = np.abs(np.asarray(b) - np.asarray(a)).max()
            assert 0 < off <= (real.GONE_OVER_SHIFT + 6 * real.GONE_OVER_WAVER) * height
    ones = sum(chars.label[i] == "1" for i in indices)
    several = sum(len(chars.strokes(int(i))) >= 2 for i in indices)
    assert figures["correct"] == ones and figures["scribble"] == round(several / len(indices), 5)
    assert figures["unsure"] == figures["scribble"]
