"""Smoke training on a few hundred generated digits: fit, save both formats, resume, model card."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recognizer import Recognizer
from recognizer.data import load_mnist
from recognizer.train import read_history, save_model, train

ROOT = Path(__file__).resolve().parent.parent


def test_train_save_and_resume(tiny_mnist, tmp_path, crash_after_first_epoch):
    data = load_mnist(tiny_mnist)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(data, epochs=2, work_dir=tmp_path / "work", verbose=0, callbacks=[crash_after_first_epoch])
    first = read_history(tmp_path / "work" / "history.csv")
    assert [int(r["epoch"]) for r in first] == [0]

    # Resume: epoch 0 comes from its checkpoint (its row, timing included, is the crashed run's: it
    # is not trained again) and only epoch 1 runs.
    model, history = train(data, epochs=2, work_dir=tmp_path / "work", resume=True, verbose=0)
    assert [int(r["epoch"]) for r in history] == [0, 1]
    assert history[0] == first[0]
    assert all(r["epoch_seconds"] > 0 for r in history)

    keras_path, tflite_path = save_model(model, tmp_path / "out" / "m.keras")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["m.keras", "m.tflite"]
    a = Recognizer.load(keras_path).probabilities(data.x_test[:16] / np.float32(255))
    b = Recognizer.load(tflite_path).probabilities(data.x_test[:16] / np.float32(255))
    assert a.shape == (16, 10) and np.allclose(a, b, atol=1e-5)


def test_a_fresh_run_discards_old_checkpoints(tiny_mnist, tmp_path):
    data = load_mnist(tiny_mnist)
    train(data, epochs=1, work_dir=tmp_path, verbose=0)
    train(data, epochs=1, work_dir=tmp_path, verbose=0)
    assert len(read_history(tmp_path / "history.csv")) == 1


def test_train_command_writes_model_and_card(tiny_mnist, tmp_path):
    out = tmp_path / "models" / "m.keras"
    result = subprocess.run(
        [sys.executable, "-m", "recognizer.train", "--data", str(tiny_mnist), "--epochs", "1",
         "--limit", "200", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["train_images"] == 200 and card["epochs"] == 1 and card["test_images"] == 100
    assert 0.0 <= card["test_accuracy"] <= 1.0 and card["training_seconds"] > 0
    assert len(card["data_sha256"]) == 64
    assert out.with_suffix(".tflite").exists()
    assert [int(r["epoch"]) for r in read_history(out.with_suffix(".history.csv"))] == [0]
