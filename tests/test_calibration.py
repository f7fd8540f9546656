"""Calibration: temperature scaling, ECE (recognizer.calibration) and the calibrate command
(recognizer.calibrate), whose file Recognizer.load then uses."""

import contextlib
import json
import shutil
import warnings

import numpy as np
import pytest

from recognizer.calibrate import MAX_THRESHOLD
from recognizer.calibrate import main as calibrate_main
from recognizer.calibration import (
    apply_temperature,
    calibration_path,
    expected_calibration_error,
    fit_temperature,
    load_calibration,
)
from recognizer.predictor import DEFAULT_MODEL, Recognizer


def test_temperature_and_ece():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (4000, 10))
    true_t = 2.0
    p_true = np.exp(logits / true_t)
    p_true /= p_true.sum(1, keepdims=True)
    labels = np.array([rng.choice(10, p=p) for p in p_true])
    p_model = np.exp(logits)
    p_model /= p_model.sum(1, keepdims=True)  # overconfident by a factor of 2 in the logits
    t = fit_temperature(p_model, labels)
    assert t == pytest.approx(true_t, rel=0.15)
    scaled = apply_temperature(p_model, t)
    assert (scaled.argmax(1) == p_model.argmax(1)).all()
    np.testing.assert_allclose(scaled.sum(1), 1, rtol=1e-6)
    assert expected_calibration_error(scaled, labels) < expected_calibration_error(p_model, labels)
    assert expected_calibration_error(p_true, labels) < 0.03
    assert apply_temperature(p_model, 1.0) is p_model


def test_calibrate_writes_json_that_the_model_then_uses(tiny_mnist, tmp_path, capsys):
    model = tmp_path / "m.tflite"
    shutil.copy(DEFAULT_MODEL, model)
    assert calibrate_main(["--data", str(tiny_mnist), "--model", str(model), "--images", "300"]) == 0
    out = capsys.readouterr().out
    assert "temperature" in out and "threshold" in out and "report only" in out
    path = calibration_path(model)
    assert path == tmp_path / "m.calibration.json"
    payload = json.loads(path.read_text())
    for key in ("temperature", "threshold", "method", "model_sha256", "calibration_set", "test_report_only"):
        assert key in payload
    from recognizer.fileio import file_sha256

    assert payload["data_sha256"] == {tiny_mnist.name: file_sha256(tiny_mnist)}  # which file exactly
    assert 0 < payload["threshold"] <= MAX_THRESHOLD  # font digits are easy: the cap may apply
    rec = Recognizer.load(model)
    assert rec.calibration.source == str(path)
    assert rec.threshold == pytest.approx(payload["threshold"])
    assert rec.calibration.temperature == pytest.approx(payload["temperature"])
    assert Recognizer.load(model, calibrated=False).calibration.source == "default"

    # after a retrain the model file changes: the old calibration must not be applied
    model.write_bytes(DEFAULT_MODEL.read_bytes() + b"\0")
    with pytest.warns(UserWarning, match="another version"):
        assert load_calibration(model).source == "default"
    path.write_text("{not json")
    with pytest.warns(UserWarning, match="unreadable"):
        assert load_calibration(model).source == "default"
    path.write_text('{"temperature": 1' + "0" * 400 + ', "threshold": 0.5}')  # an int no float holds: a traceback
    with pytest.warns(UserWarning, match="unreadable.*OverflowError"):
        assert load_calibration(model).source == "default"


@pytest.mark.parametrize("target", ["m.tflite", "m.keras", "data"])
def test_calibrate_never_writes_over_the_model_or_the_data_it_reads(tiny_mnist, tmp_path, capsys, target):
    """`--out` naming the model (or its sibling, or the data file) replaced it with a page of JSON."""
    from recognizer.__main__ import main

    model = tmp_path / "m.tflite"
    shutil.copy(DEFAULT_MODEL, model)
    shutil.copy(DEFAULT_MODEL.with_suffix(".keras"), tmp_path / "m.keras")
    data = tmp_path / "mnist.npz"
    shutil.copy(tiny_mnist, data)
    out = data if target == "data" else tmp_path / target
    before = out.read_bytes()
    assert main(["calibrate", "--data", str(data), "--model", str(model), "--out", str(out), "--images", "300"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --out {out} is the ") and "file this command reads" in err and err.count("\n") == 1
    assert out.read_bytes() == before


def test_calibrate_never_writes_over_the_data_named_by_the_environment(tiny_mnist, tmp_path, capsys, monkeypatch):
    """The data file given by $MNIST_NPZ (no --data) was not among the files --out may not name: it
    was replaced by the calibration's JSON."""
    from recognizer.__main__ import main

    data = tmp_path / "mnist.npz"
    shutil.copy(tiny_mnist, data)
    monkeypatch.setenv("MNIST_NPZ", str(data))
    before = data.read_bytes()
    assert main(["calibrate", "--out", str(data), "--images", "300"]) == 2
    assert capsys.readouterr().err.startswith(f"error: --out {data} is the --data file this command reads")
    assert data.read_bytes() == before


@pytest.mark.parametrize("model", ["", "/"])
def test_calibrate_refuses_a_model_path_that_names_no_file(tiny_mnist, model, capsys):
    """`--model ""` and `--model /` ended in a traceback ("PosixPath('.') has an empty name")."""
    from recognizer.__main__ import main

    with pytest.raises(SystemExit) if not model else contextlib.nullcontext():
        assert main(["calibrate", "--data", str(tiny_mnist), "--model", model]) == 2
    err = capsys.readouterr().err
    assert ("an empty path" if not model else "--model / is a folder") in err and "Traceback" not in err


def test_calibrate_records_the_data_files_the_environment_names(tiny_mnist, monkeypatch):
    """`make calibrate` with $MNIST_NPZ set recorded "python -m recognizer calibrate --overwrite-shipped":
    no data named, where a model card writes the variables' files out."""
    from recognizer.calibrate import calibrate_command

    monkeypatch.setenv("MNIST_NPZ", str(tiny_mnist))
    assert calibrate_command(["--overwrite-shipped"], None, "u.npz") == (
        f"python -m recognizer calibrate --overwrite-shipped --data {tiny_mnist} --unipen u.npz"
    )
    given = ["--data", "m.npz", "--unipen", "u.npz"]
    assert calibrate_command(given, "m.npz", "u.npz") == "python -m recognizer calibrate --data m.npz --unipen u.npz"


def test_calibrate_rejects_bad_rate(tiny_mnist):
    from recognizer.__main__ import main

    assert main(["calibrate", "--data", str(tiny_mnist), "--reject-rate", "0.9"]) == 2


class Lookup:
    """A stand-in model: image i (i / len(probs) written in pixel [0, 0], an image's [0, 1] range)
    gets row i of `probs`."""

    def __init__(self, probs):
        self.probs = np.asarray(probs, np.float32)

    def __call__(self, batch):
        return self.probs[np.round(batch[:, 0, 0, 0] * len(self.probs)).astype(int)]


def test_threshold_leaves_the_reject_rate_of_the_calibration_set_below_it():
    """calibrate's threshold is the reject_rate quantile of the scaled top probability: that share
    of the calibration digits reads "not sure", not 1 - reject_rate of them (every digit but the
    surest would). Known probabilities, overconfident by a factor of 2 in the logits."""
    from pathlib import Path

    from recognizer.calibrate import calibrate

    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, (2000, 10))
    p_true = np.exp(logits / 2.0)
    p_true /= p_true.sum(1, keepdims=True)
    labels = np.array([rng.choice(10, p=p) for p in p_true])
    p_model = np.exp(logits)
    p_model /= p_model.sum(1, keepdims=True)
    images = np.zeros((len(labels), 28, 28), np.float32)
    images[:, 0, 0] = np.arange(len(labels)) / len(labels)
    rec = Recognizer(Lookup(p_model), Path("fake.tflite"))
    for rate in (0.05, 0.2):
        payload = calibrate(rec, images, labels, reject_rate=rate)
        confidence = apply_temperature(p_model, payload["temperature"]).max(1)
        below = float((confidence < payload["threshold"]).mean())
        assert below == pytest.approx(rate, abs=0.01)
        assert payload["calibration_set"]["low_confidence_rate"] == pytest.approx(rate, abs=0.01)
        assert payload["threshold"] < MAX_THRESHOLD  # the quantile itself, not the cap


@pytest.mark.parametrize(
    "temperature, threshold, loaded",
    [(0, 0.5, False), (1000, 0.5, False), (1.5, 5, False), (1.5, -0.1, False), (0.01, 0.0, True), (100, 1.0, True)],
)
def test_a_calibration_out_of_range_is_ignored_with_a_warning(tmp_path, temperature, threshold, loaded):
    """A temperature of 0 (a division by zero in apply_temperature) or 1000, or a threshold outside
    [0, 1] (5: every digit "not sure"; below 0: none), made for this very model, is ignored as any
    unreadable file is, with a one-line warning; the limits themselves load."""
    from recognizer.calibrate import model_hashes

    model = tmp_path / "m.tflite"
    model.write_bytes(b"a model")
    payload = {"model_sha256": model_hashes(model), "temperature": temperature, "threshold": threshold}
    calibration_path(model).write_text(json.dumps(payload))
    if loaded:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no warning either
            calibration = load_calibration(model)
        assert (calibration.temperature, calibration.threshold) == (temperature, threshold)
        assert calibration.source == str(calibration_path(model))
        return
    with pytest.warns(UserWarning, match="unreadable.*out of range") as caught:
        assert load_calibration(model).source == "default"
    assert len(str(caught[0].message).splitlines()) == 1


def test_calibrate_replaces_the_shipped_calibration_only_when_told(tiny_mnist, capsys):
    """`calibrate --data mnist.npz`, as the README's command list once had it, rewrote the shipped
    calibration (fitted without the real pen digits) and changed what reads "not sure" in the app."""
    from recognizer.__main__ import main
    from recognizer.calibration import calibration_path

    shipped = calibration_path(DEFAULT_MODEL)
    before = shipped.read_bytes()
    assert main(["calibrate", "--data", str(tiny_mnist), "--images", "300"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {shipped} is the shipped calibration") and "--overwrite-shipped" in err
    assert err.count("\n") == 1 and shipped.read_bytes() == before


def test_calibrate_with_overwrite_shipped_writes_the_shipped_folders_calibration(tiny_mnist, tmp_path, monkeypatch):
    """The shipped folder stood in for by a copy: refused without the flag, written with it."""
    from recognizer import predictor
    from recognizer.__main__ import main
    from recognizer.calibration import calibration_path

    model = tmp_path / "mnist_cnn.tflite"
    shutil.copy(DEFAULT_MODEL, model)
    monkeypatch.setattr(predictor, "MODELS_DIR", tmp_path)
    argv = ["calibrate", "--data", str(tiny_mnist), "--model", str(model), "--images", "300"]
    assert main(argv) == 2 and not calibration_path(model).exists()
    assert main([*argv, "--overwrite-shipped"]) == 0
    assert json.loads(calibration_path(model).read_text())["model_sha256"]["mnist_cnn.tflite"]
