"""The touching-digits model (recognizer.train_touching): an image's pieces priced whole against their
slices by P(several digits), its files checked, and its trainer on a tiny UNIPEN-layout file."""

import json
import shutil

import numpy as np
import pytest

from recognizer import grouping
from recognizer.errors import ModelError
from recognizer.grouping import (
    TOUCHING_FLOOR,
    TOUCHING_WEIGHT,
    WHOLE_DIGIT,
    WHOLE_SURE,
    cut_pieces,
    group_digits,
)
from recognizer.ink import ink_from_canvas
from recognizer.predictor import DEFAULT_MODEL, DEFAULT_TOUCHING, Recognizer, TouchingDigits
from recognizer.strokes import rasterize
from recognizer.synthetic import DIGIT_STROKES, LETTER_STROKES, digit_strokes
from recognizer.train_touching import KINDS, balanced, mnist_pieces, piece_label
from recognizer.train_touching import main as train_touching_main
from tests.test_grouping import models
from tests.test_unipen import WRITERS, pen_file

SIZE = 400


def pair_strokes(first: int = 2, second: int = 3) -> list:
    """Two digits side by side, the second starting inside the first's box."""
    left, right = (60, 120, 120, 160), (138, 120, 120, 160)
    return digit_strokes(first, SIZE, box=left) + digit_strokes(second, SIZE, box=right)


def touching_pair(first: int = 2, second: int = 3, pen: int = 14) -> np.ndarray:
    """Two digits side by side, their ink overlapping: one piece, which an image's reading cuts."""
    return rasterize(pair_strokes(first, second), (SIZE, SIZE), pen)


def constant(p: float, calls: list | None = None):
    """A stand-in touching-digits model answering p for every piece (and noting the batch sizes)."""

    def several(images):
        if calls is not None:
            calls.append(len(images))
        return np.full(len(images), p)

    return several


def test_the_shipped_recognizer_has_the_touching_digits_model(shipped):
    assert shipped.touching is not None and shipped.touching.path == DEFAULT_TOUCHING
    assert Recognizer.load(touching=None).touching is None
    pieces = [image for _, image in cut_pieces(ink_from_canvas(touching_pair()))]
    assert len(pieces) == 1
    p = shipped.touching.several(np.stack(pieces))
    assert p.shape == (1,) and 0.0 <= p[0] <= 1.0


def test_without_the_touching_file_the_recognizer_still_reads_images(tmp_path, monkeypatch):
    import recognizer.predictor as predictor

    monkeypatch.setattr(predictor, "DEFAULT_TOUCHING", tmp_path / "absent.tflite")
    rec = predictor.Recognizer.load(touching=predictor.DEFAULT_TOUCHING)
    assert rec.touching is None and len(rec.read(touching_pair())) >= 1


def test_touching_files_are_checked(tmp_path):
    path = tmp_path / "t.tflite"
    shutil.copy(DEFAULT_TOUCHING, path)
    with pytest.raises(ModelError, match="no readable card"):
        TouchingDigits.load(path)
    card = json.loads(DEFAULT_TOUCHING.with_suffix(".json").read_text())
    card["model_sha256"] = {"t.tflite": "0" * 64}
    path.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="another t.tflite"):
        TouchingDigits.load(path)
    with pytest.raises(ModelError, match=r"unusable model .*\(n, 1\) out"):
        TouchingDigits.load(DEFAULT_MODEL)  # 10 outputs, not 1
    with pytest.raises(ModelError, match="make train-touching"):
        Recognizer.load(touching=tmp_path / "missing.tflite")


def test_the_model_decides_between_a_piece_whole_and_its_slices(shipped):
    """Two digits touching: read as two where the model finds several digits, as one where it finds
    one character; the model is called once, on the one piece, and never with strokes."""
    ink = ink_from_canvas(touching_pair())
    classify, detect = models(shipped)
    calls: list = []
    several = group_digits(ink, None, classify, detect, constant(1.0, calls))
    one = group_digits(ink, None, classify, detect, constant(0.0))
    assert len(several) == 2 and len(one) == 1 and calls == [1]
    strokes = pair_strokes()
    calls.clear()
    drawn = group_digits(
        ink_from_canvas(rasterize(strokes, (SIZE, SIZE), 14)), strokes, classify, detect, constant(0.0, calls)
    )
    assert len(drawn) == 2 and calls == []  # strokes part the digits: no piece to price


def test_a_piece_read_whole_as_a_sure_digit_is_not_priced_as_several():
    """_unless_read_whole: P(several) above even drops to even (no price) where the classifier reads
    the piece whole as a sure digit and the detector as a digit; it stays where either doubts, and
    at or below even, where the two models are not asked."""
    images = np.arange(4, dtype=np.float32)[:, None, None] * np.ones((1, 28, 28), np.float32)
    asked = []

    def classify(batch):
        asked.append(batch[:, 0, 0].astype(int).tolist())
        top = np.array([1.0, 1.0, WHOLE_SURE - 0.01, 1.0])[batch[:, 0, 0].astype(int)]
        return np.stack([top, 1 - top, *np.zeros((8, len(batch)))], axis=1)

    def detect(batch):
        return np.array([WHOLE_DIGIT, WHOLE_DIGIT + 0.01, 0.0, 0.0])[batch[:, 0, 0].astype(int)]

    several = grouping._unless_read_whole(lambda batch: np.array([0.9, 0.9, 0.9, 0.3], np.float32), classify, detect)
    assert several(images).tolist() == pytest.approx([0.5, 0.9, 0.9, 0.3])
    assert asked == [[0, 1, 2]]


@pytest.mark.parametrize(("digit", "width", "pen"), [(0, 120, 14), (0, 170, 24), (8, 170, 24)])
def test_a_wide_or_bold_digit_stays_whole_however_sure_the_touching_model_is(shipped, digit, width, pen):
    """A wide 0 or a bold 8 is cut as two touching digits could be; called several by the
    touching-digits model, it was read "11", "01" or "93". The classifier and the detector, both sure
    it is one digit, keep it whole."""
    canvas = rasterize(digit_strokes(digit, SIZE, box=(100, 100, width, 160)), (SIZE, SIZE), pen)
    ink = ink_from_canvas(canvas)
    assert grouping._read_candidates(ink, None, grouping.TOUCHING_CUT_WIDTH)[0].cuts  # it is cut
    (group,) = group_digits(ink, None, *models(shipped), constant(1.0))
    assert int(group.probabilities.argmax()) == digit


def test_the_price_is_the_weighted_log_odds_on_candidates_holding_a_whole_piece():
    """_touching_priced adds TOUCHING_WEIGHT * log((1 - p) / p) (p clipped) to each candidate holding
    a whole piece that was cut, alone or with more ink (so a reading keeping the piece whole gains it
    once, one cutting it never), nothing to the others; nothing at all where no piece was cut."""
    one = rasterize(digit_strokes(1, SIZE, box=(262, 120, 40, 160)), (SIZE, SIZE), 14)  # a 1 close beside the pair
    canvas = np.maximum(touching_pair(), one)
    ink = ink_from_canvas(canvas)
    atoms, candidates, geometry, image_of = grouping._read_candidates(ink, None, grouping.TOUCHING_CUT_WIDTH)
    (piece,) = [p for p in atoms.whole if len(p) > 1 and atoms.spans[p[0], 0] < 150]  # the 2 and 3
    holding = [set(piece) <= set(members) for members in candidates]
    assert any(holding) and not all(holding) and sum(holding) > 1  # the piece alone and with more
    for p in (0.0, 0.3, 0.9, 1.0):
        priced = grouping._touching_priced(atoms, candidates, geometry, image_of, constant(p))
        q = min(max(p, TOUCHING_FLOOR), 1 - TOUCHING_FLOOR)
        for k, members in enumerate(candidates):
            pieces = sum(set(whole) <= set(members) for whole in atoms.whole)
            assert priced[k] - geometry[k] == pytest.approx(pieces * TOUCHING_WEIGHT * np.log((1 - q) / q))
        assert all(priced[k] == geometry[k] for k, h in enumerate(holding) if not h and len(candidates[k]) == 1)
    apart = rasterize(digit_strokes(1, SIZE, box=(60, 120, 60, 160)), (SIZE, SIZE), 14)
    atoms, candidates, geometry, image_of = grouping._read_candidates(ink_from_canvas(apart), None, 0.5)
    assert not atoms.cuts
    assert grouping._touching_priced(atoms, candidates, geometry, None, constant(1.0)) is geometry


def test_cut_pieces_are_the_whole_pieces_an_image_reading_cuts():
    pieces = cut_pieces(ink_from_canvas(touching_pair()))
    assert len(pieces) == 1
    segment, image = pieces[0]
    assert image.shape == (28, 28) and image.max() > 0.5
    assert segment.box[2] > 140  # both digits' width (one is about 80 px)
    narrow = rasterize(digit_strokes(1, SIZE, box=(60, 120, 40, 160)), (SIZE, SIZE), 14)
    assert cut_pieces(ink_from_canvas(narrow)) == [] and cut_pieces(ink_from_canvas(np.zeros((50, 50), np.uint8))) == []


def test_pieces_are_labelled_by_whose_ink_they_hold():
    two = piece_label(np.array([0.9, 0.7]), np.array([0.6, 0.4]), [True, True])
    letters = piece_label(np.array([0.9, 0.7]), np.array([0.6, 0.4]), [False, False])
    mixed = piece_label(np.array([0.9, 0.7]), np.array([0.6, 0.4]), [True, False])
    digit = piece_label(np.array([1.0, 0.1]), np.array([0.9, 0.1]), [True, True])
    letter = piece_label(np.array([0.0, 1.0]), np.array([0.0, 1.0]), [True, False])
    part = piece_label(np.array([0.5, 0.0]), np.array([1.0, 0.0]), [True, True])
    assert two == (1.0, "merged digits") and letters == (0.0, "merged letters") and mixed is None
    assert digit == (0.0, "one digit") and letter == (0.0, "one letter") and part is None


def test_balanced_repeats_the_rarer_label_until_both_are_as_many():
    x = np.arange(10)[:, None, None] * np.ones((1, 28, 28))
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 1, 0], np.float32)
    xb, yb = balanced(x, y, seed=0)
    assert (yb == 1).sum() == (yb == 0).sum() == 8 and len(xb) == len(yb)
    assert set(xb[yb == 1][:, 0, 0].tolist()) == {0.0, 8.0}  # copies of the two touching samples only
    assert np.array_equal(xb[:10], x)  # every sample once, in order, before the copies


def test_mnist_numbers_give_pieces_of_one_digit_and_of_several():
    """Numbers of MNIST-layout digits, every other one touching: pieces spanning two digit boxes'
    centres hold several digits, pieces spanning one a digit; the same for a seed."""
    from recognizer.synthetic import font_digits

    digits, _ = font_digits(60, seed=4)
    x, y, kinds = mnist_pieces(digits, 20, seed=1)
    assert x.dtype == np.uint8 and x.shape[1:] == (28, 28) and len(x) == len(y) == len(kinds)
    assert set(kinds) == {"mnist one digit", "mnist merged digits"}
    assert (y == (kinds == "mnist merged digits")).all()
    again = mnist_pieces(digits, 20, seed=1)
    assert np.array_equal(x, again[0]) and np.array_equal(kinds, again[2])
    assert len(mnist_pieces(digits[:5], 20, seed=1)[0]) == 0  # too few digits for a number of 6


@pytest.fixture
def pen_writing(tmp_path, monkeypatch):
    """A tiny UNIPEN-layout file of template digits and letters; its first five writers are
    "train" people, the rest "val" ones."""
    from recognizer import unipen

    rows = [(str(d), w, DIGIT_STROKES[d]) for w in WRITERS for d in range(10)]
    rows += [(k, w, LETTER_STROKES[k]) for w in WRITERS for k in "AEHMW"]
    path = tmp_path / "unipen.npz"
    pen_file(path, rows)
    splits = {w: "train" if k < 5 else "val" for k, w in enumerate(WRITERS)}
    monkeypatch.setattr(unipen, "person_split", lambda chars: np.array([splits[str(w)] for w in chars.writer]))
    return path


def test_train_touching_smoke_run_writes_a_usable_model(pen_writing, tmp_path, capsys):
    out = tmp_path / "touching.keras"
    argv = ["--unipen", str(pen_writing), "--epochs", "1", "--numbers", "40", "--limit", "40", "--out", str(out)]
    assert train_touching_main(argv) == 0
    assert "read as several digits" in capsys.readouterr().out
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["train_pieces"]["several"] > 0 and card["train_pieces"]["one"] > 0
    assert card["command"].startswith("python -m recognizer train-touching --unipen ")
    assert card["command"].endswith(f"--epochs 1 --numbers 40 --out {out} --limit 40")
    assert "CC BY 4.0" in card["data_credit"] and "mnist" not in card["data"]
    assert set(card["holdout"]) <= set(KINDS)
    for suffix in (".keras", ".tflite"):
        model = TouchingDigits.load(out.with_suffix(suffix))
        p = model.several(np.stack([image for _, image in cut_pieces(ink_from_canvas(touching_pair()))]))
        assert p.shape == (1,) and 0.0 <= p[0] <= 1.0


def test_train_touching_with_mnist_holds_its_first_digits_out(pen_writing, tiny_mnist, tmp_path, capsys):
    out = tmp_path / "touching.keras"
    argv = ["--unipen", str(pen_writing), "--data", str(tiny_mnist), "--epochs", "1", "--numbers", "20"]
    assert train_touching_main([*argv, "--limit", "20", "--out", str(out)]) == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert {"mnist one digit"} <= set(card["holdout"]) and card["data"]["mnist"]["file"] == "mnist.npz"
    assert card["command"].startswith(f"python -m recognizer train-touching --data {tiny_mnist} --unipen ")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        ([], "give --unipen PATH"),
        (["--unipen", "x.npz", "--numbers", "0"], "--numbers must be 1 to 120000, got 0"),
        (["--unipen", "x.npz", "--numbers", "10000000"], "--numbers must be 1 to 120000, got 10000000"),
        (["--unipen", "x.npz", "--epochs", "0"], "--epochs must be 1 to"),
        (["--unipen", "x.npz", "--out", "m.tflite"], "the file name must end in .keras"),
        (["--unipen", "missing.npz", "--out", "m.keras"], "not found"),
    ],
)
def test_train_touching_refuses_bad_options_in_one_line(tmp_path, capsys, monkeypatch, args, line):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UNIPEN_NPZ", raising=False)
    assert train_touching_main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and line in err and err.count("\n") == 1


def test_train_touching_refuses_the_shipped_folder_without_overwrite_shipped(tmp_path, capsys):
    assert train_touching_main(["--unipen", str(tmp_path / "u.npz")]) == 2
    assert "--overwrite-shipped" in capsys.readouterr().err
