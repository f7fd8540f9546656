"""The digit-pair reader (recognizer.train_pairs): a piece of two digits touching read whole, where
an image's reading cut it badly or kept it whole as one digit."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from recognizer.data import load_unipen
from recognizer.errors import ModelError
from recognizer.grouping import PAIR_SURE, group_digits
from recognizer.ink import ink_from_canvas
from recognizer.predictor import DEFAULT_MODEL, DEFAULT_PAIRS, DigitPairs, Recognizer
from recognizer.preprocess import PAIR_BOX, SIZE, pair_image
from recognizer.reject import WORD_NOT_DIGIT
from recognizer.train_pairs import main as train_pairs_main
from recognizer.train_pairs import pair_data
from tests.test_grouping import models
from tests.test_touching import constant, pen_writing, touching_pair  # noqa: F401 (a fixture)


def sure_of(pair: int, p: float = 1.0):
    """A stand-in pair reader answering `pair` with probability p (the rest spread evenly), noting
    how many pieces it was asked about."""
    asked = []

    def pairs(images):
        asked.append(len(images))
        out = np.full((len(images), 100), (1 - p) / 99)
        out[:, pair] = p
        return out

    pairs.asked = asked
    return pairs


def test_a_pair_image_fills_its_square_whatever_the_piece_s_shape():
    wide = np.zeros((10, 40), bool)
    wide[:, :20] = True  # the left half inked
    image = pair_image(wide)
    start = (SIZE - PAIR_BOX) // 2
    assert image.shape == (SIZE, SIZE) and image.dtype == np.float32
    assert image[start : start + PAIR_BOX, start : start + PAIR_BOX // 2].min() == pytest.approx(1.0)
    assert image[:, start + PAIR_BOX // 2 :].max() == pytest.approx(0.0)  # stretched, not fit: full height
    assert not pair_image(np.zeros((0, 5), bool)).any()


def test_the_shipped_recognizer_has_the_pair_reader(shipped):
    assert shipped.pairs is not None and shipped.pairs.path == DEFAULT_PAIRS
    assert Recognizer.load(pairs=None).pairs is None
    assert Recognizer.load(touching=None).pairs is None  # used with the touching-digits model only
    p = shipped.pairs.pairs(pair_image(np.ones((20, 40), bool))[None])
    assert p.shape == (1, 100) and p.sum() == pytest.approx(1.0, abs=1e-3)


def test_pair_files_are_checked(tmp_path):
    path = tmp_path / "p.tflite"
    shutil.copy(DEFAULT_PAIRS, path)
    with pytest.raises(ModelError, match="no readable card"):
        DigitPairs.load(path)
    card = json.loads(DEFAULT_PAIRS.with_suffix(".json").read_text())
    card["model_sha256"] = {"p.tflite": "0" * 64}
    path.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="another p.tflite"):
        DigitPairs.load(path)
    with pytest.raises(ModelError, match=r"unusable model .*\(n, 100\) out"):
        DigitPairs.load(DEFAULT_MODEL)  # 10 outputs, not 100
    with pytest.raises(ModelError, match=r"\(train one with `make train-pairs`\)$"):
        Recognizer.load(pairs=tmp_path / "missing.tflite")  # no --model: that is the classifier's option


def test_a_pair_cut_in_two_takes_the_pair_reader_s_digits_where_it_is_sure(shipped):
    """Two digits touching, cut in two: a sure pair reader's digits replace the slices' (their
    boxes and detector verdicts kept); an unsure one, or a piece of one character, changes
    nothing, and then, for one character, the reader is not even asked."""
    ink = ink_from_canvas(touching_pair(2, 3))
    classify, detect = models(shipped)
    before = group_digits(ink, None, classify, detect, constant(1.0))
    assert len(before) == 2
    sure = sure_of(47)
    after = group_digits(ink, None, classify, detect, constant(1.0), sure)
    assert [int(g.probabilities.argmax()) for g in after] == [4, 7] and sure.asked == [1]
    assert [g.segment.box for g in after] == [g.segment.box for g in before]
    assert [g.not_digit for g in after] == [g.not_digit for g in before]
    assert all(g.probabilities.sum() == pytest.approx(1.0) for g in after)
    doubtful = group_digits(ink, None, classify, detect, constant(1.0), sure_of(47, PAIR_SURE - 0.01))
    assert [g.probabilities.argmax() for g in doubtful] == [g.probabilities.argmax() for g in before]
    one = sure_of(47)
    whole = group_digits(ink, None, classify, detect, constant(0.0), one)
    assert len(whole) == 1 and one.asked == []
    letter_like = sure_of(47)  # the detector finds each slice more likely no digit: a letter, maybe
    group_digits(
        ink, None, classify, lambda batch: np.full(len(batch), WORD_NOT_DIGIT + 0.01), constant(1.0), letter_like
    )
    assert letter_like.asked == []


def test_a_pair_kept_whole_is_parted_where_the_pair_reader_is_sure():
    """The reading keeps a piece whole as one digit (a stand-in classifier sure of every candidate;
    the touching-digits model, asked first, called it one character); asked again after the
    choice, it calls it several, and the sure pair reader parts it in two where its ink is halved,
    each part with one of the pair's digits. A digit the reading doubts is left as read."""
    ink = ink_from_canvas(touching_pair(2, 3))
    calls = []

    def first_one_then_several(images):
        calls.append(len(images))
        return np.full(len(images), 0.0 if len(calls) == 1 else 1.0)

    def sure_eight(images):
        out = np.full((len(images), 10), 0.01 / 9)
        out[:, 8] = 0.99
        return out

    (whole,) = group_digits(ink, None, sure_eight, None, constant(0.0))
    parted = group_digits(ink, None, sure_eight, None, first_one_then_several, sure_of(23))
    assert [int(g.probabilities.argmax()) for g in parted] == [2, 3]
    (left, right), (x, _, w, _) = [g.segment.box for g in parted], whole.segment.box
    assert left[0] == x and right[0] + right[2] == x + w and left[0] < right[0]
    assert all(g.image.shape == (SIZE, SIZE) and g.image.any() for g in parted)

    def doubtful_eight(images):
        return np.full((len(images), 10), 0.1)  # top probability 0.1: under PAIR_DOUBT

    calls.clear()
    kept = group_digits(ink, None, doubtful_eight, None, first_one_then_several, sure_of(23))
    assert len(kept) == 1 and calls == [1]  # the touching model not asked again: the pair reader neither


def test_strokes_are_never_read_as_pairs(shipped):
    """With strokes, pieces are never cut: the pair reader is never asked."""
    from recognizer.strokes import rasterize
    from tests.test_touching import SIZE as CANVAS
    from tests.test_touching import pair_strokes

    strokes = pair_strokes()
    asked = sure_of(47)
    ink = ink_from_canvas(rasterize(strokes, (CANVAS, CANVAS), 14))
    groups = group_digits(ink, strokes, *models(shipped), constant(1.0), asked)
    assert [int(g.probabilities.argmax()) for g in groups] == [2, 3] and asked.asked == []


def test_pair_data_gives_pieces_of_two_digits_labelled_left_then_right(pen_writing):  # noqa: F811
    x, y = pair_data(load_unipen(pen_writing), "train", 30, seed=3)
    assert x.dtype == np.uint8 and x.shape[1:] == (SIZE, SIZE) and len(x) == len(y) > 0
    assert ((0 <= y) & (y < 100)).all() and (y // 10 != y % 10).any()
    again = pair_data(load_unipen(pen_writing), "train", 30, seed=3)
    assert np.array_equal(x, again[0]) and np.array_equal(y, again[1])


def test_train_pairs_smoke_run_writes_a_usable_model(pen_writing, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "pairs.keras"
    argv = ["--unipen", str(pen_writing), "--epochs", "1", "--pairs", "40", "--limit", "40", "--out", str(out)]
    assert train_pairs_main(argv) == 0
    assert "held-out pairs" in capsys.readouterr().out
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["train_pieces"] > 0 and card["sure_above"] == PAIR_SURE
    assert card["command"].startswith("python -m recognizer train-pairs --unipen ")
    assert "CC BY 4.0" in card["data_credit"] and "mnist" not in card["data"]
    assert set(card["holdout"]) == {"pairs", "read_right", "read_sure", "right_when_sure"}
    for suffix in (".keras", ".tflite"):
        p = DigitPairs.load(out.with_suffix(suffix)).pairs(pair_image(np.ones((20, 40), bool))[None])
        assert p.shape == (1, 100) and p.sum() == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        ([], "give --unipen PATH"),
        (["--unipen", "x.npz", "--pairs", "0"], "--pairs must be 1 to 300000, got 0"),
        (["--unipen", "x.npz", "--pairs", "10000000"], "--pairs must be 1 to 300000, got 10000000"),
        (["--unipen", "x.npz", "--data", "m.npz"], "leave out --data"),
        (["--unipen", "x.npz", "--epochs", "0"], "--epochs must be 1 to"),
        (["--unipen", "x.npz", "--out", "m.tflite"], "the file name must end in .keras"),
        (["--unipen", "missing.npz", "--out", "m.keras"], "not found"),
    ],
)
def test_train_pairs_refuses_bad_options_in_one_line(tmp_path, capsys, monkeypatch, args, line):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UNIPEN_NPZ", raising=False)
    assert train_pairs_main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and line in err and err.count("\n") == 1


def test_train_pairs_refuses_the_shipped_folder_without_overwrite_shipped(tmp_path, capsys):
    assert train_pairs_main(["--unipen", str(tmp_path / "u.npz")]) == 2
    assert "--overwrite-shipped" in capsys.readouterr().err
