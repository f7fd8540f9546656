"""The digit detector: "not a digit" for letters and signs, digits left alone (recognizer.train_detector)."""

import json
import re
import shutil

import numpy as np
import pytest

from recognizer.errors import ModelError
from recognizer.fileio import file_sha256
from recognizer.predictor import DEFAULT_DETECTOR, DEFAULT_MODEL, Detector, Recognizer
from recognizer.reject import NOT_A_DIGIT
from recognizer.strokes import rasterize
from recognizer.synthetic import LETTER_STROKES, digit_strokes, non_digits, place_strokes
from recognizer.train_detector import main as train_detector_main

SIZE = 400


def letter_canvas(letter: str, width: int = 14):
    """A letter of LETTER_STROKES drawn in the middle 60% of the canvas (held out from training)."""
    strokes = place_strokes(LETTER_STROKES[letter], SIZE)
    return rasterize(strokes, (SIZE, SIZE), width), strokes


def test_the_shipped_recognizer_has_the_detector(shipped):
    assert shipped.detector is not None and shipped.detector.path == DEFAULT_DETECTOR
    assert 0.0 < shipped.detector.threshold < 1.0
    assert Recognizer.load(detector=None).detector is None


def test_without_the_detector_file_the_recognizer_still_works(tmp_path, monkeypatch):
    import recognizer.predictor as predictor

    monkeypatch.setattr(predictor, "DEFAULT_DETECTOR", tmp_path / "absent.tflite")
    rec = predictor.Recognizer.load(detector=predictor.DEFAULT_DETECTOR)
    assert rec.detector is None
    canvas, strokes = letter_canvas("W")
    assert rec.predict(canvas, strokes).unsure != NOT_A_DIGIT


@pytest.mark.parametrize("d", range(10))
@pytest.mark.parametrize("width", [6, 16, 30])
def test_drawn_digits_are_not_called_letters(shipped, d, width):
    strokes = digit_strokes(d, SIZE)
    pred = shipped.predict(rasterize(strokes, (SIZE, SIZE), width), strokes)
    assert pred.unsure != NOT_A_DIGIT


def test_most_drawn_letters_read_not_a_digit(shipped):
    """Letters drawn as strokes were never in the detector's training data (it saw font glyphs)."""
    verdicts = {letter: shipped.predict(*letter_canvas(letter)).unsure for letter in LETTER_STROKES}
    rejected = [letter for letter, why in verdicts.items() if why is not None]
    assert len(rejected) >= 0.75 * len(verdicts), verdicts
    assert sum(why == NOT_A_DIGIT for why in verdicts.values()) >= len(verdicts) // 2, verdicts


def test_read_marks_a_letter_among_digits(shipped):
    """A number with an X in it: the X reads "not a digit", the digits stand."""
    strokes = digit_strokes(4, SIZE, box=(20, 120, 100, 160))
    strokes += place_strokes(LETTER_STROKES["X"], SIZE, box=(140, 120, 140, 160))
    strokes += digit_strokes(7, SIZE, box=(295, 120, 100, 160))
    canvas = rasterize(strokes, (SIZE, SIZE), 12)
    preds = shipped.read(canvas, strokes)
    assert [p.unsure for p in preds] == [None, NOT_A_DIGIT, None]
    assert (preds[0].digit, preds[2].digit) == (4, 7)


def test_non_digits_are_mnist_like_images_and_reproducible():
    a, b = non_digits(40, seed=3), non_digits(40, seed=3)
    assert a.shape == (40, 28, 28) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert (a.reshape(40, -1).max(axis=1) == 255).all()  # every image has ink, scaled like MNIST's


def test_detector_files_are_checked(tmp_path):
    path = tmp_path / "d.tflite"
    shutil.copy(DEFAULT_DETECTOR, path)
    with pytest.raises(ModelError, match="no readable card"):
        Detector.load(path)
    card = json.loads(DEFAULT_DETECTOR.with_suffix(".json").read_text())
    card["model_sha256"] = {"d.tflite": "0" * 64}
    path.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="another d.tflite"):
        Detector.load(path)
    card["model_sha256"] = {"d.tflite": file_sha256(path)}
    card["threshold"] = 10**400  # a whole number no float holds: an OverflowError's traceback
    path.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="no readable card"):
        Detector.load(path)
    with pytest.raises(ModelError, match=r"unusable model .*\(n, 1\) out"):
        Detector.load(DEFAULT_MODEL)  # 10 outputs, not 1
    with pytest.raises(ModelError, match="make train-detector"):
        Recognizer.load(detector=tmp_path / "missing.tflite")


def test_train_detector_smoke_run_writes_a_usable_detector(tiny_mnist, tmp_path, capsys):
    out = tmp_path / "det.keras"
    argv = ["--data", str(tiny_mnist), "--limit", "200", "--epochs", "1", "--out", str(out)]
    assert train_detector_main(argv) == 0
    assert "threshold" in capsys.readouterr().out
    card = json.loads(out.with_suffix(".json").read_text())
    assert 0.0 <= card["threshold"] <= 1.0 and card["train_images"]["non_digits"] == 200
    assert card["command"].startswith("python -m recognizer train-detector --data ")
    assert card["run_seconds"] >= card["training_seconds"] > 0
    assert card["code"] is None or re.fullmatch(r"[0-9a-f]{7,}(\+changes)?", card["code"])
    assert card["command"].endswith(f"--epochs 1 --out {out} --limit 200")
    for suffix in (".keras", ".tflite"):
        detector = Detector.load(out.with_suffix(suffix))
        assert detector.threshold == pytest.approx(card["threshold"])
        p = detector.not_digit(non_digits(4, seed=5) / np.float32(255))
        assert p.shape == (4,) and ((0 <= p) & (p <= 1)).all()


def test_detector_data_from_a_few_thousand_digits_keeps_most_for_training():
    """With fewer training digits than HOLDOUT, a share is held out (all of them were, and the
    training set was empty: a traceback); below MIN_DIGITS there is nothing to train on."""
    from recognizer.data import Mnist
    from recognizer.errors import DataError
    from recognizer.train_detector import HOLDOUT, MIN_DIGITS, detector_data

    n = 3000
    assert n < HOLDOUT
    rng = np.random.default_rng(0)
    data = Mnist(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n) % 10, source="few.npz")
    (x, y), (x_held, y_held, group) = detector_data(data, drawn=5, non_digits=20, styled=0)
    assert (group == "mnist digits").sum() == n // 4 and (y == 0).sum() == n - n // 4 + 5
    assert (y == 1).sum() == 20 and len(x) == len(y) and len(x_held) == len(y_held) == len(group)
    # the writing styles MNIST lacks join the digits' side: up to `styled` per style, no non-digit
    (_, y_styled), _ = detector_data(data, drawn=5, non_digits=20, styled=3)
    assert 0 < (y_styled == 0).sum() - (y == 0).sum() <= 3 * 5 and (y_styled == 1).sum() == 20
    small = Mnist(data.x_train[: MIN_DIGITS - 1], data.y_train[: MIN_DIGITS - 1], source="few.npz")
    with pytest.raises(DataError, match=f"^few.npz: the detector needs at least {MIN_DIGITS} training digits, got 49$"):
        detector_data(small, non_digits=20)


def test_train_detector_resumes_after_a_crash(tmp_path, crash_after_first_epoch):
    from recognizer.train import read_history
    from recognizer.train_detector import train_detector

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8)
    y = (np.arange(64) % 2).astype(np.float32)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train_detector((x, y), (x, y), epochs=2, work_dir=tmp_path, verbose=0, callbacks=[crash_after_first_epoch])
    first = read_history(tmp_path / "history.csv")
    _, history = train_detector((x, y), (x, y), epochs=2, work_dir=tmp_path, resume=True, verbose=0)
    assert [int(r["epoch"]) for r in history] == [0, 1] and history[0] == first[0]  # epoch 0 not trained again


def test_segmentation_samples_are_labelled_by_whose_ink_they_hold():
    """A slice holding one digit (85% of its ink, 80% of the slice) is a digit, even with a bit of
    its neighbour; a candidate holding most of two digits is not; a part of a digit, or a whole
    digit read uncut, is left out."""
    from recognizer.train_detector import sample_label

    clean = sample_label(np.array([1.0, 0.0]), np.array([1.0, 0.0]), cut=True)
    with_a_bit = sample_label(np.array([0.9, 0.15]), np.array([0.85, 0.15]), cut=True)
    merged = sample_label(np.array([1.0, 0.7]), np.array([0.6, 0.4]), cut=False)
    part = sample_label(np.array([0.5, 0.0]), np.array([1.0, 0.0]), cut=True)
    uncut = sample_label(np.array([1.0, 0.0]), np.array([1.0, 0.0]), cut=False)
    assert (clean, with_a_bit, merged, part, uncut) == (0.0, 0.0, 1.0, None, None)


def test_a_detector_ensemble_answers_its_members_mean():
    """build_detector_ensemble: one graph whose P(not a digit) is the mean of its members'."""
    import keras

    from recognizer.model import build_detector, build_detector_ensemble

    keras.utils.set_random_seed(3)
    a, b = build_detector(), build_detector()
    x = np.random.default_rng(3).random((6, 28, 28, 1)).astype(np.float32)
    pair = build_detector_ensemble([a, b])
    expected = (np.asarray(a(x, training=False)) + np.asarray(b(x, training=False))) / 2
    assert pair.count_params() == 2 * a.count_params()
    np.testing.assert_allclose(np.asarray(pair(x, training=False)), expected, atol=1e-6)


def test_train_detector_averages_with_a_trained_detector(tiny_mnist, tmp_path, monkeypatch):
    """--average-with: the saved detector is the mean of the given one and the one trained, its
    threshold set for the mean, its card naming both; --resume after a stop past the fitting loads
    the one trained instead of training again, and a finished run leaves nothing to resume."""
    from recognizer import train_detector
    from recognizer.predictor import load_keras_model

    base = ["--data", str(tiny_mnist), "--limit", "200", "--epochs", "1"]
    first, pair = tmp_path / "first.keras", tmp_path / "pair.keras"
    assert train_detector_main([*base, "--out", str(first)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [  # no empty checkpoints/ left beside the model
        "first.history.csv",
        "first.json",
        "first.keras",
        "first.tflite",
    ]
    work = tmp_path / "work"
    argv = [*base, "--average-with", str(first), "--out", str(pair), "--work-dir", str(work)]

    def stop(*args, **kwargs):
        raise RuntimeError("simulated stop")

    with monkeypatch.context() as patch:
        patch.setattr("recognizer.train.save_model", stop)  # the trainer's last step (train.ship_model)
        with pytest.raises(RuntimeError, match="simulated stop"):
            train_detector_main(argv)
    second = load_keras_model(work / train_detector.RUN_FOLDER / train_detector.FITTED, outputs=1)
    with monkeypatch.context() as patch:
        patch.setattr(train_detector, "train_detector", stop)  # --resume must not train again
        assert train_detector_main([*argv, "--resume"]) == 0
    assert not (work / train_detector.RUN_FOLDER).exists() and work.is_dir()  # --work-dir named: kept
    card = json.loads(pair.with_suffix(".json").read_text())
    assert card["average_with"]["file"] == "first.keras"
    assert card["average_with"]["command"] == json.loads(first.with_suffix(".json").read_text())["command"]
    assert f"--epochs 1 --average-with {first} --out {pair}" in card["command"]
    assert set(card["second_alone"]) == {"threshold", "false_reject_target", "holdout"}
    assert card["parameters"] == 2 * json.loads(first.with_suffix(".json").read_text())["parameters"]
    x = non_digits(8, seed=6) / np.float32(255)
    mean = (Detector.load(first.with_suffix(".tflite")).not_digit(x) + np.asarray(second(x[..., None])).ravel()) / 2
    np.testing.assert_allclose(Detector.load(pair.with_suffix(".tflite")).not_digit(x), mean, atol=1e-5)


@pytest.mark.parametrize(
    "args, line",
    [
        (["--letter-slices", "-1"], "--letter-slices must be 0 or more, got -1"),
        (["--cut-width", "0"], "--cut-width must be 0.2 to 5.0 heights, got 0.0"),
        (["--cut-width", "nan"], "--cut-width must be 0.2 to 5.0 heights, got nan"),
        (["--average-with", "missing.keras"], "--average-with missing.keras: no such detector file"),
        (["--letter-slices", "10"], "--letter-slices and --cut-width cut real people's writing: give --unipen"),
        (["--cut-width", "0.5"], "--letter-slices and --cut-width cut real people's writing: give --unipen"),
    ],
)
def test_train_detector_refuses_absurd_options(tmp_path, capsys, monkeypatch, args, line):
    """Refused in one line before any data is read (the data file given does not even exist)."""
    monkeypatch.delenv("UNIPEN_NPZ", raising=False)
    argv = ["--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "d.keras"), *args]
    assert train_detector_main(argv) == 2
    assert capsys.readouterr().err == f"error: {line}\n"


def test_train_detector_never_writes_over_the_detector_it_averages_with(tmp_path, capsys):
    """`--average-with d.keras --out d.keras` replaced the detector it read (learn, finetune and
    calibrate already refused an --out naming their input)."""
    mine = tmp_path / "d.keras"
    mine.write_bytes(b"a detector")
    argv = ["--data", str(tmp_path / "none.npz"), "--out", str(mine), "--average-with", str(mine)]
    assert train_detector_main(argv) == 2
    assert capsys.readouterr().err.startswith(f"error: --out {mine} is the --average-with file this command reads")
    assert mine.read_bytes() == b"a detector"


def test_train_detector_refuses_a_non_keras_detector_to_average_with(tmp_path, capsys):
    argv = ["--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "d.keras")]
    assert train_detector_main([*argv, "--average-with", str(DEFAULT_DETECTOR)]) == 2
    assert capsys.readouterr().err == f"error: {DEFAULT_DETECTOR}: expected a .keras model file\n"
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a zip")
    assert train_detector_main([*argv, "--average-with", str(junk)]) == 2
    assert capsys.readouterr().err.startswith(f"error: cannot load model {junk}: not a Keras model")
    from recognizer.model import build_detector, build_detector_ensemble

    pair = tmp_path / "pair.keras"  # a saved pair answers one P(not a digit) too, but is no single detector
    build_detector_ensemble([build_detector(), build_detector()]).save(pair)
    assert train_detector_main([*argv, "--average-with", str(pair)]) == 2
    assert capsys.readouterr().err == (
        f"error: --average-with {pair}: not a single detector as train-detector makes (model.build_detector)\n"
    )
