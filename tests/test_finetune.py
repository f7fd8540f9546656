"""`python -m recognizer finetune` on a few generated samples and a tiny MNIST stand-in."""

import json

import numpy as np
import pytest

from recognizer.__main__ import main as cli
from recognizer.data import load_mnist
from recognizer.fileio import file_sha256
from recognizer.finetune import split_samples
from recognizer.predictor import MODELS_DIR
from recognizer.preprocess import to_mnist
from recognizer.samples import ONE_DIGIT, UserSamples
from recognizer.strokes import rasterize
from recognizer.synthetic import digit_strokes

BASE = MODELS_DIR / "mnist_cnn.keras"


def make_samples(path, n, seed=0):
    """n samples drawn the way the app stores them: strokes -> canvas -> 28x28 image."""
    rng = np.random.default_rng(seed)
    store = UserSamples(path)
    for i in range(n):
        d = i % 10
        strokes = digit_strokes(d, 300, rng=rng, jitter=0.05)
        store.add(to_mnist(rasterize(strokes, (300, 300), int(rng.integers(6, 20)))), d, strokes)
    return store


def test_refuses_with_too_few_samples(tmp_path, tiny_mnist, capsys):
    make_samples(tmp_path / "samples.npz", 4)
    assert cli(["finetune", "--samples", str(tmp_path / "samples.npz"), "--data", str(tiny_mnist)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: need at least 10 samples") and "found 4" in err and "\n" not in err
    assert cli(["finetune", "--samples", str(tmp_path / "none.npz"), "--data", str(tiny_mnist)]) == 2
    assert "none.npz: not found" in capsys.readouterr().err  # a typo, not "found 0 samples"


def test_split_holds_out_a_fifth():
    from recognizer.samples import Samples

    s = Samples(np.zeros((23, 28, 28), np.uint8), np.arange(23, dtype=np.uint8) % 10, np.zeros(23), [[]] * 23)
    train, held = split_samples(s)
    assert len(held) == 5 and len(train) == 18
    assert sorted(np.concatenate([train, held]).tolist()) == list(range(23))


def test_finetune_runs_and_changes_the_model(tmp_path, tiny_mnist, capsys):
    import keras

    samples = tmp_path / "samples.npz"
    make_samples(samples, 15)
    out = tmp_path / "me" / "personal.keras"
    rc = cli(
        [
            "finetune",
            "--samples",
            str(samples),
            "--data",
            str(tiny_mnist),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--mnist",
            "300",
            "--max-drop",
            "100",
        ]
    )
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "MNIST test accuracy:" in text and "->" in text
    assert "held-out user samples:" in text and "(3 samples)" in text
    assert f"the app does not use it unless started with --model {out.with_suffix('.tflite')}" in text  # not its place
    for name in ("personal.keras", "personal.tflite", "personal.json", "personal.calibration.json"):
        assert (out.parent / name).is_file(), name
    card = json.loads((out.parent / "personal.json").read_text())
    assert card["samples"] == 15 and card["held_out_samples"] == 3
    assert card["data"]["samples"] == {"file": "samples.npz", "sha256": file_sha256(samples)}
    assert card["model_sha256"] == {p.name: file_sha256(p) for p in (out, out.with_suffix(".tflite"))}
    base = keras.saving.load_model(BASE, compile=False)
    tuned = keras.saving.load_model(out, compile=False)
    for before, after in zip(base.layers, tuned.layers, strict=True):
        same = [np.array_equal(a, b) for a, b in zip(before.get_weights(), after.get_weights(), strict=True)]
        if isinstance(before, keras.layers.BatchNormalization):  # MNIST's statistics, kept frozen
            assert all(same), before.name
        elif before.get_weights():
            assert not all(same), before.name  # every other layer learned
    test = load_mnist(tiny_mnist)
    predicted = tuned(test.x_test[..., None] / np.float32(255), training=False).numpy().argmax(axis=1)
    assert card["mnist_test_accuracy_after"] == pytest.approx((predicted == test.y_test).mean(), abs=0.011)
    calibration = json.loads((out.parent / "personal.calibration.json").read_text())
    assert "temperature" in calibration and "test_report_only" not in calibration  # the card has MNIST test

    from recognizer import Recognizer

    rec = Recognizer.load(out.with_suffix(".tflite"))  # the app's view: fast model + its calibration
    assert rec.calibration.source.endswith("personal.calibration.json")
    image = UserSamples(samples).load().images[0] / np.float32(255)
    np.testing.assert_allclose(
        rec.probabilities(image[None], calibrated=False), tuned(image[None, :, :, None], training=False), atol=1e-4
    )


def test_a_drop_on_mnist_blocks_the_personal_model(tmp_path, tiny_mnist, capsys, monkeypatch):
    import recognizer.finetune as ft

    make_samples(tmp_path / "samples.npz", 12)
    monkeypatch.setattr(ft, "finetune", lambda *a, **k: ft.Result(0.99, 0.97, 0.5, 0.9, 10, 2, 1.0))
    out = tmp_path / "personal.keras"
    rc = cli(["finetune", "--samples", str(tmp_path / "samples.npz"), "--data", str(tiny_mnist), "--out", str(out)])
    assert rc == 1
    assert "NOT written" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model", "models/mnist_cnn.tflite"], "needs a .keras model"),
        (["--out", "personal.tflite"], "must end in .keras"),
        (["--out", str(MODELS_DIR / "mnist_cnn.keras")], "is in the shipped models' folder recognizer/models/"),
        (["--learning-rate", "0"], "--learning-rate must be between 0 and 1, e.g. 3e-05, got 0.0"),
        (["--learning-rate", "nan"], "--learning-rate must be between 0 and 1, e.g. 3e-05, got nan"),
        (["--mnist", "-5"], "--mnist must be 0 or more, got -5"),
        (["--seed", "-1"], "--seed must be 0 to 4294967295, got -1"),
        (["--seed", str(2**33)], f"--seed must be 0 to 4294967295, got {2**33}"),
        (["--max-drop", "nan"], "--max-drop must be a number of points, 0 or more, got nan"),
        (["--max-drop", "-1"], "--max-drop must be a number of points, 0 or more, got -1.0"),
    ],
)
def test_bad_arguments(tmp_path, tiny_mnist, capsys, args, message):
    make_samples(tmp_path / "samples.npz", 10)
    assert cli(["finetune", "--samples", str(tmp_path / "samples.npz"), "--data", str(tiny_mnist), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize("epochs", ["0", "101", "99999999999999999999"])
def test_finetune_refuses_an_absurd_number_of_epochs_in_one_line(tmp_path, capsys, epochs):
    """--epochs 99999999999999999999 was accepted and trained until killed."""
    assert cli(["finetune", "--samples", str(tmp_path / "none.npz"), "--epochs", epochs]) == 2
    assert capsys.readouterr().err == f"error: --epochs must be 1 to 100, e.g. 3, got {epochs}\n"


def test_finetune_refuses_samples_all_of_one_digit_as_learn_does(tmp_path, tiny_mnist, capsys):
    """finetune wrote a model from 12 samples all of 0, which `learn` and the app's L refuse."""
    store = UserSamples(tmp_path / "zeros.npz")
    rng = np.random.default_rng(0)
    for _ in range(12):
        strokes = digit_strokes(0, 300, rng=rng, jitter=0.05)
        store.add(to_mnist(rasterize(strokes, (300, 300), 12)), 0, strokes)
    argv = ["finetune", "--samples", str(store.path), "--data", str(tiny_mnist), "--out", str(tmp_path / "m.keras")]
    assert cli(argv) == 2
    assert capsys.readouterr().err == f"error: {ONE_DIGIT}\n"
    assert not (tmp_path / "m.keras").exists()
