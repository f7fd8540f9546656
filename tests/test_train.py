"""Smoke training on a few hundred generated digits: fit, save both formats, resume, model card."""

import hashlib
import importlib.util
import json
import shlex
import shutil
import subprocess
import sys
import types
from pathlib import Path

import h5py
import numpy as np
import pytest

from recognizer import Recognizer
from recognizer.augment import build_augmenter as augment_layer
from recognizer.card import code_commit, command_line, model_card
from recognizer.data import load_mnist
from recognizer.errors import DataError
from recognizer.fileio import file_sha256
from recognizer.model import build_ensemble, build_model
from recognizer.styles import STYLES
from recognizer.train import (
    BACKUP,
    MEMBERS,
    RESUME_SEED_STEP,
    SEED,
    epochs_done,
    read_history,
    save_model,
    train,
    train_members,
    training_command,
)

ROOT = Path(__file__).resolve().parent.parent


def test_train_save_and_resume(tiny_mnist, tmp_path, crash_after_first_epoch, monkeypatch):
    from recognizer import augment

    seeds = []  # the augmenter's seed in each run (the shuffle's is the same)
    monkeypatch.setattr(augment, "build_augmenter", lambda seed: seeds.append(seed) or augment_layer(seed))
    data = load_mnist(tiny_mnist)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(data, epochs=2, work_dir=tmp_path / "work", verbose=0, callbacks=[crash_after_first_epoch])
    first = read_history(tmp_path / "work" / "history.csv")
    assert [int(r["epoch"]) for r in first] == [0]

    # Resume: epoch 0 comes from its checkpoint (its row, timing included, is the crashed run's: it
    # is not trained again) and only epoch 1 runs, with random streams of its own: seeded as the
    # first run, it replayed epoch 0's shuffle and augmentation.
    model, history = train(data, epochs=2, work_dir=tmp_path / "work", resume=True, verbose=0)
    assert seeds == [SEED, SEED + RESUME_SEED_STEP]
    assert [int(r["epoch"]) for r in history] == [0, 1]
    assert history[0] == first[0]
    assert all(r["epoch_seconds"] > 0 for r in history)

    keras_path, tflite_path = save_model(model, tmp_path / "out" / "m.keras")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["m.keras", "m.tflite"]
    a = Recognizer.load(keras_path).probabilities(data.x_test[:16] / np.float32(255))
    b = Recognizer.load(tflite_path).probabilities(data.x_test[:16] / np.float32(255))
    assert a.shape == (16, 10) and np.allclose(a, b, atol=1e-5)


def test_a_resumed_run_counts_the_epochs_its_backup_holds(tmp_path):
    """Keras's backup is written before history.csv gets the epoch's row: a stop between the two
    leaves the backup one epoch ahead, and the backup is where training resumes."""
    (tmp_path / "history.csv").write_text("epoch,loss\n0,1.2\n")
    assert epochs_done(tmp_path) == 1  # no backup: history.csv's rows
    (tmp_path / BACKUP).mkdir()
    (tmp_path / BACKUP / "training_metadata.json").write_text('{"epoch": 2, "batch": 0}')
    assert epochs_done(tmp_path) == 2
    h5py.File(tmp_path / BACKUP / "latest.weights.h5", "w").close()  # weights that open
    assert epochs_done(tmp_path) == 2


@pytest.mark.parametrize(
    ("metadata", "weights"),
    [
        ('{"epo', None),  # cut short by a stop mid-write: Keras's JSONDecodeError as it restored the run
        ("", None),
        ('{"epoch": 1e400}', None),  # OverflowError
        ('{"epoch": -5}', None),  # a negative seed
        ('{"epoch": "abc"}', None),  # a TypeError inside fit
        ("[" * 100_000, None),  # RecursionError
        ('{"epoch": 2, "batch": 0}', b"\x89HDF\r\n"),  # the weights cut short: an HDF5 error naming no checkpoint
    ],
    ids=["cut short", "empty", "huge", "negative", "text", "deep", "weights cut short"],
)
def test_a_damaged_backup_is_refused_in_one_line_before_anything_trains(tmp_path, metadata, weights):
    (tmp_path / BACKUP).mkdir()
    (tmp_path / BACKUP / "training_metadata.json").write_text(metadata)
    if weights is not None:
        (tmp_path / BACKUP / "latest.weights.h5").write_bytes(weights)
    with pytest.raises(DataError, match="checkpoint to resume from is damaged .*: start without --resume"):
        epochs_done(tmp_path)


def test_history_cut_short_by_a_stop_is_read_without_its_broken_lines(tmp_path):
    """A stop mid-write can leave history.csv's last line short, or run into the next run's first:
    --resume reads the whole lines and leaves those out (it logs that epoch again), never a TypeError."""
    path = tmp_path / "history.csv"
    path.write_text("epoch,accuracy,loss\n0,0.5,1.2\n1,0.6,0.9,1,0.7\n1,0.6\n")
    assert read_history(path) == [{"epoch": 0.0, "accuracy": 0.5, "loss": 1.2}]


def test_a_fresh_run_discards_old_checkpoints(tiny_mnist, tmp_path):
    data = load_mnist(tiny_mnist)
    train(data, epochs=1, work_dir=tmp_path, verbose=0)
    train(data, epochs=1, work_dir=tmp_path, verbose=0)
    assert len(read_history(tmp_path / "history.csv")) == 1


def test_train_command_writes_model_and_card(tiny_mnist, tmp_path):
    out = tmp_path / "models" / "m.keras"
    args = ["train", "--data", str(tiny_mnist), "--epochs", "1", "--members", "2", "--limit", "200", "--out", str(out)]
    result = subprocess.run([sys.executable, "-m", "recognizer", *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    card = json.loads(out.with_suffix(".json").read_text())
    # the command that trains it again: the trainer's own program, then its options in one order
    assert card["command"] == shlex.join(
        ["python", "-m", "recognizer", "train", "--data", str(tiny_mnist), "--epochs", "1", "--members", "2"]
        + ["--out", str(out), "--limit", "200"]
    )
    # --limit 200 keeps 200 MNIST images; the style variants (recognizer.styles) add limit // 50 each
    assert (
        card["train_images"] == 200 + len(STYLES) * (200 // 50) and card["epochs"] == 1 and card["test_images"] == 100
    )
    assert card["members"] == 2 and card["parameters"] == 2 * build_model().count_params() - 10  # one bias
    assert card["data"] == {"mnist": {"file": "mnist.npz", "sha256": file_sha256(tiny_mnist)}}
    assert card["model_sha256"] == {p.name: file_sha256(p) for p in (out, out.with_suffix(".tflite"))}
    history = read_history(out.with_suffix(".history.csv"))
    assert [(int(r["member"]), int(r["epoch"])) for r in history] == [(0, 0), (1, 0)]
    assert card["training_seconds"] == round(sum(r["epoch_seconds"] for r in history), 1) > 0
    assert card["run_seconds"] >= card["training_seconds"]  # the whole command: data, training, export
    data = load_mnist(tiny_mnist)
    saved = Recognizer.load(out, detector=None).probabilities(data.x_test / np.float32(255))
    assert card["test_accuracy"] == pytest.approx((saved.argmax(axis=1) == data.y_test).mean(), abs=0.011)


@pytest.mark.parametrize(
    "module, typed",
    [("recognizer.train", "python -m recognizer.train"), ("recognizer.__main__", "python -m recognizer")],
)
def test_command_line_is_what_the_user_typed(monkeypatch, module, typed):
    main = types.ModuleType("__main__")
    main.__spec__ = importlib.util.find_spec(module)
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.setattr(sys, "argv", [str(ROOT / "recognizer" / "x.py"), "--data", "my data.npz"])
    assert command_line() == typed + " --data 'my data.npz'"
    main.__spec__ = None  # a console script: its name, not its path
    monkeypatch.setattr(sys, "argv", ["/venv/bin/digit-recognizer", "train", "--epochs", "2"])
    assert command_line() == "digit-recognizer train --epochs 2"


class StandIn:
    """What model_card reads of a Keras model."""

    name = "stand_in"

    def count_params(self) -> int:
        return 1234


def test_model_card_hashes_every_data_file_and_names_no_paths(tiny_mnist, tmp_path):
    model_file = tmp_path / "m.keras"
    model_file.write_bytes(b"weights")
    idx_folder = tmp_path / "idx"
    idx_folder.mkdir()
    card = model_card(
        StandIn(),
        [model_file],
        {"mnist": tiny_mnist, "unipen": None, "idx": idx_folder, "download": "keras.datasets.mnist"},
        epochs=3,
    )
    assert card["model"] == "stand_in" and card["parameters"] == 1234 and card["epochs"] == 3
    assert card["model_sha256"] == {"m.keras": hashlib.sha256(b"weights").hexdigest()}
    assert card["data"] == {
        "mnist": {"file": "mnist.npz", "sha256": file_sha256(tiny_mnist)},
        "idx": {"file": "idx", "sha256": None},
        "download": {"file": "keras.datasets.mnist", "sha256": None},
    }
    assert str(tmp_path) not in json.dumps(card)
    assert card["code"] == code_commit()  # this checkout's commit (None outside a git checkout)


def test_a_card_names_no_commit_of_another_repository(tmp_path, monkeypatch):
    """An installed copy inside someone else's git repository is not a checkout of this project:
    its card must not record that repository's commit."""
    from recognizer import card

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", *identity, "-C", str(tmp_path), "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    installed = tmp_path / "venv" / "site-packages"
    installed.mkdir(parents=True)
    monkeypatch.setattr(card, "ROOT", installed)
    assert card.code_commit() is None


def test_a_model_trained_into_the_shipped_folder_is_no_change_of_code(tmp_path, monkeypatch):
    """`make train` writes recognizer/models/, tracked files: every card made after it (make
    train-detector, make calibrate) said "<commit>+changes" of code that had not changed."""
    from recognizer import card

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    models = tmp_path / "recognizer" / "models"
    models.mkdir(parents=True)
    (models / "mnist_cnn.json").write_text("{}")
    (tmp_path / "recognizer" / "train.py").write_text("# code")
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "."], check=True)
    subprocess.run(["git", *identity, "-C", str(tmp_path), "commit", "-q", "-m", "x"], check=True)
    monkeypatch.setattr(card, "ROOT", tmp_path.resolve())
    monkeypatch.setattr(card, "MODELS_DIR", models)
    commit = card.code_commit()
    assert commit and "+" not in commit
    (models / "mnist_cnn.json").write_text('{"trained": "again"}')
    assert card.code_commit() == commit
    (tmp_path / "recognizer" / "train.py").write_text("# code changed")
    assert card.code_commit() == commit + "+changes"


@pytest.mark.parametrize("module", ["recognizer.train", "recognizer.train_detector"])
def test_the_card_records_the_command_that_trains_the_model_again(monkeypatch, module):
    """As `make train` / `make train-detector` run it: a shipped --out with --overwrite-shipped,
    the data named by environment variables written out, --resume and --work-dir left out."""
    trainer = importlib.import_module(module)
    parser = trainer.build_parser()
    monkeypatch.delenv("MNIST_NPZ", raising=False)
    monkeypatch.setenv("UNIPEN_NPZ", "../shared/data/unipen dev.npz")
    typed = ["--data", "../shared/data/mnist.npz", "--epochs", "3", "--out", "recognizer/models/m.keras"]
    args = parser.parse_args([*typed, "--overwrite-shipped", "--resume", "--work-dir", "/tmp/w"])
    assert shlex.split(training_command(parser, args)) == [  # every trainer's card goes through it
        *shlex.split(parser.prog),
        "--data",
        "../shared/data/mnist.npz",
        "--unipen",
        "../shared/data/unipen dev.npz",
        "--epochs",
        "3",
        "--out",
        "recognizer/models/m.keras",
        "--overwrite-shipped",
    ]
    # The default --out is the shipped model: left as the default, with the flag that allows it.
    monkeypatch.delenv("UNIPEN_NPZ")
    monkeypatch.setenv("MNIST_NPZ", "mnist.npz")
    args = parser.parse_args(["--limit", "200", "--overwrite-shipped"])
    assert training_command(parser, args) == (
        f"{parser.prog} --data mnist.npz --epochs {args.epochs} --limit 200 --overwrite-shipped"
    )
    # A model written elsewhere needs no flag, and a card says the command given.
    args = parser.parse_args(["--out", "new/m.keras"])
    assert training_command(parser, args).endswith(f"--epochs {args.epochs} --out new/m.keras")
    if module == "recognizer.train":  # an ensemble's card says how many networks (the default: one)
        assert MEMBERS == 1
        args = parser.parse_args(["--members", "2", "--out", "new/m.keras"])
        assert training_command(parser, args).endswith(f"--epochs {args.epochs} --members 2 --out new/m.keras")
    card = model_card(StandIn(), [], {}, training_command(parser, args))
    assert card["command"] == training_command(parser, args)


def _snapshot():
    """A callback keeping the model's raw weights and, if the optimizer averages them, the average,
    at the end of each epoch."""
    import keras

    class Snapshot(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.raw = [np.array(w) for w in self.model.trainable_weights]
            averaged = getattr(self.model.optimizer, "_model_variables_moving_average", None)
            self.average = [np.array(v) for v in averaged] if averaged else None

    return Snapshot()


def test_the_classifier_ships_the_moving_average_of_its_weights(tiny_mnist, tmp_path, monkeypatch):
    """train() keeps a moving average of the weights (EMA_MOMENTUM) and returns it, not the last
    step's weights: at the end of the last epoch the model still holds the raw ones."""
    monkeypatch.setattr("recognizer.train.EMA_MIN_STEPS", 1)  # the tiny run counts as a long one
    snapshot = _snapshot()
    model, _ = train(load_mnist(tiny_mnist), epochs=2, work_dir=tmp_path, verbose=0, callbacks=[snapshot])
    final = [np.array(w) for w in model.trainable_weights]
    assert all(np.allclose(f, a) for f, a in zip(final, snapshot.average))
    assert not all(np.allclose(f, r) for f, r in zip(final, snapshot.raw))


def test_a_short_run_ships_its_last_weights(tiny_mnist, tmp_path):
    """A run of fewer than EMA_MIN_STEPS steps keeps no average: after a few hundred steps it is
    still mostly the first steps' weights (one epoch of Kaggle's digits read 9.7% with it)."""
    from recognizer.train import BATCH_SIZE, EMA_MIN_STEPS, ema_momentum

    assert ema_momentum(1, (EMA_MIN_STEPS - 1) * BATCH_SIZE) is None and ema_momentum(20, 640 * BATCH_SIZE) is not None
    snapshot = _snapshot()
    model, _ = train(load_mnist(tiny_mnist), epochs=2, work_dir=tmp_path, verbose=0, callbacks=[snapshot])
    assert snapshot.average is None
    assert all(np.allclose(np.array(f), r) for f, r in zip(model.trainable_weights, snapshot.raw))


def test_an_ensemble_is_its_members_logits_averaged_in_one_model(tmp_path):
    """build_ensemble: softmax of the mean of the members' logits, one last Dense layer (which
    personal.py personalizes), saved and exported like a single model."""
    import keras

    keras.utils.set_random_seed(0)
    members = [build_model(), build_model()]
    x = np.random.default_rng(0).random((6, 28, 28, 1)).astype(np.float32)

    def logits(model):
        features = keras.Model(model.inputs[0], model.layers[-1].input)(x)
        kernel, bias = model.layers[-1].get_weights()
        return np.asarray(features) @ kernel + bias

    mean = (logits(members[0]) + logits(members[1])) / 2
    expected = np.exp(mean - mean.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    ensemble = build_ensemble(members)
    assert np.allclose(np.asarray(ensemble(x)), expected, atol=1e-6)
    assert isinstance(ensemble.layers[-1], keras.layers.Dense) and ensemble.layers[-1].input.shape[-1] == 2 * 128
    _, tflite = save_model(ensemble, tmp_path / "e.keras")
    for path in (tmp_path / "e.keras", tflite):
        probabilities = Recognizer.load(path, detector=None).probabilities(x[..., 0], calibrated=False)
        assert np.allclose(probabilities, expected, atol=1e-5)


def test_members_train_one_after_another_and_resume_after_the_last_finished(tiny_mnist, tmp_path):
    """A stop during the second member: --resume loads the first (not trained again) and goes on
    with the second from its last epoch."""
    import keras

    class CrashThirdEpoch(keras.callbacks.Callback):
        ends = 0

        def on_epoch_end(self, epoch, logs=None):
            CrashThirdEpoch.ends += 1
            if CrashThirdEpoch.ends == 3:  # member 0's two epochs passed, member 1's first ends
                raise RuntimeError("simulated crash")

    data = load_mnist(tiny_mnist)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train_members(data, 2, epochs=2, work_dir=tmp_path, verbose=0, callbacks=[CrashThirdEpoch()])
    first = keras.saving.load_model(tmp_path / "member0.keras")
    assert not (tmp_path / "member1.keras").exists()
    ensemble, history = train_members(data, 2, epochs=2, work_dir=tmp_path, resume=True, verbose=0)
    assert [(int(r["member"]), int(r["epoch"])) for r in history] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert CrashThirdEpoch.ends == 3  # the resumed run had no crashing callback; nothing ran it again
    kernel = ensemble.layers[-1].get_weights()[0]
    assert np.allclose(kernel[:128], first.layers[-1].get_weights()[0] / 2)
    single, rows = train_members(data, 1, epochs=1, work_dir=tmp_path / "one", verbose=0)
    assert single.name == "mnist_cnn" and [int(r["member"]) for r in rows] == [0]


def test_training_curves_draw_a_line_for_each_network():
    """History rows of train_members (a member column) draw each network apart; train()'s one line."""
    from recognizer.plots import training_curves

    rows = [{"member": m, "epoch": e, "loss": 1.0 / (e + 1), "accuracy": 0.9} for m in (0.0, 1.0) for e in range(4)]
    loss_axis = training_curves(rows).axes[0]
    assert [line.get_label() for line in loss_axis.lines] == [
        "training (augmented, dropout on), network 1",
        "training (augmented, dropout on), network 2",
    ]
    assert [list(line.get_xdata()) for line in loss_axis.lines] == [[1, 2, 3, 4]] * 2
    single = training_curves([{k: v for k, v in r.items() if k != "member"} for r in rows[:4]]).axes[0]
    assert [line.get_label() for line in single.lines] == ["training (augmented, dropout on)"]


def test_width_scales_every_layer_and_refuses_none():
    shipped, wider = build_model(), build_model(width=1.5)
    assert shipped.count_params() == 326_826 and wider.count_params() == 732_922
    assert [layer.filters for layer in wider.layers if hasattr(layer, "filters")] == [48, 48, 48, 96, 96, 96, 192]
    with pytest.raises(ValueError, match="no filters"):
        build_model(width=0.01)


def test_save_model_writes_the_card_with_the_model_files_or_nothing(tmp_path):
    """train-detector wrote its card after the model files: a failed card write (a disk full) left a
    new .tflite beside the old card, which names other files' hashes, and the detector refused to
    load. The card now goes into place with the files, or none of them does."""
    from recognizer.card import model_card
    from recognizer.fileio import file_sha256

    out = tmp_path / "m.keras"
    model = build_model()
    save_model(model, out, lambda files: model_card(model, files, {}, "make it", threshold=0.5))
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["threshold"] == 0.5 and card["command"] == "make it"
    assert card["model_sha256"] == {p.name: file_sha256(p) for p in (out, out.with_suffix(".tflite"))}
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def failing(files):
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        save_model(build_model(), out, failing)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # the old model and its card, whole


def test_save_model_flushes_both_files_before_renaming_either(tmp_path, monkeypatch):
    """A crash during save_model leaves each of the .keras and .tflite whole: both temporary files
    are on disk (fsync) before the first rename, and the folder after the last."""
    from recognizer import fileio

    events = []
    real_fsync, real_replace = fileio.os.fsync, fileio.os.replace
    monkeypatch.setattr(fileio.os, "fsync", lambda fd: events.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(fileio.os, "replace", lambda a, b: events.append(Path(b).suffix) or real_replace(a, b))
    keras_path, tflite_path = save_model(build_model(), tmp_path / "m.keras")
    assert events == ["fsync", "fsync", ".keras", ".tflite", "fsync"]
    assert keras_path.stat().st_size > 0 and tflite_path.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras", "m.tflite"]


def test_a_run_never_resumes_another_runs_members(tmp_path, capsys):
    """member<i>.keras, a finished network that --resume loads instead of training, was kept after a
    run and not removed by the next fresh one until member i began: a resumed run shipped an earlier
    run's network under its own card. A fresh run removes the run's own names (nothing else in the
    folder: the detector's run, a user's member_photos/), a finished one after its model is saved;
    --resume refuses other settings than the stopped run's, and says when none stopped (the
    detector's checkpoints beside it are no run of the classifier's)."""
    from recognizer.train import RUN_SETTINGS, check_resume, end_members_run, start_members_run

    settings = {"epochs": 2, "members": 2, "limit": 2000, "data": "/data/mnist.npz", "unipen": None}
    (tmp_path / "detector" / "backup").mkdir(parents=True)  # the detector's stopped run, in the same folder
    check_resume(tmp_path, settings)
    assert "nothing to resume" in capsys.readouterr().err
    for leftover in ("member0.keras", "member1.keras", "member1/history.csv", "member_photos/a.png"):
        (tmp_path / leftover).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / leftover).write_text("an earlier run's")
    start_members_run(tmp_path, settings, resume=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["detector", "member_photos", RUN_SETTINGS]
    (tmp_path / "member0.keras").write_text("this run's")  # stopped after its first member
    check_resume(tmp_path, settings)  # the same settings: goes on, without a warning
    assert capsys.readouterr().err == ""
    start_members_run(tmp_path, settings, resume=True)
    assert (tmp_path / "member0.keras").read_text() == "this run's"
    with pytest.raises(DataError, match=r"other settings \(epochs 2 -> 3\)"):
        check_resume(tmp_path, {**settings, "epochs": 3})
    end_members_run(tmp_path, made=True)  # the default folder, with others' files in it: stays
    assert sorted(p.name for p in tmp_path.iterdir()) == ["detector", "member_photos"]
    (tmp_path / "own").mkdir()
    start_members_run(tmp_path / "own", settings, resume=False)
    end_members_run(tmp_path / "own", made=False)  # --work-dir named: stays, empty
    assert (tmp_path / "own").is_dir() and not any((tmp_path / "own").iterdir())
    end_members_run(tmp_path / "own", made=True)  # the trainer's own default: an empty one goes
    assert not (tmp_path / "own").exists()


def test_a_training_that_fails_before_its_data_loads_changes_nothing(tmp_path):
    """The run's folder was emptied before the data loaded: a typo in --data wiped a stopped run."""
    from recognizer.train import main

    (tmp_path / "w" / "member0").mkdir(parents=True)
    (tmp_path / "w" / "member0.keras").write_text("a stopped run's")
    argv = ["--data", str(tmp_path / "nope.npz"), "--epochs", "1", "--out", str(tmp_path / "m.keras")]
    assert main([*argv, "--work-dir", str(tmp_path / "w")]) == 2
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["member0", "member0.keras"]


def test_resume_says_when_there_is_nothing_to_resume(tmp_path, capsys):
    """--resume where no run stopped trained from the first epoch without a word; a run that did
    stop, in any member (or the detector's), has something to resume: no word then."""
    from recognizer.train import say_if_nothing_to_resume

    say_if_nothing_to_resume(tmp_path / "none")
    err = capsys.readouterr().err
    assert err == f"warning: --resume: nothing to resume in {tmp_path / 'none'}: training from the first epoch\n"
    for where in ("member0/backup", "detector/backup"):  # a member or the detector stopped mid-run
        (tmp_path / where.split("/")[0] / "backup").mkdir(parents=True)
        say_if_nothing_to_resume(tmp_path)
        assert capsys.readouterr().err == ""
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "member0.keras").write_bytes(b"")  # a finished member: the next ones start fresh
    say_if_nothing_to_resume(tmp_path / "done")
    assert capsys.readouterr().err == ""


def test_training_without_real_pen_digits_says_it_trains_on_mnist_alone(tmp_path, capsys, monkeypatch):
    """make train on a clone without ../shared trains on MNIST alone, as issue 12 asks, and replaced
    the shipped model with one that reads real writing worse without a word; it now says so."""
    from recognizer.train import main

    monkeypatch.delenv("UNIPEN_NPZ", raising=False)
    argv = ["--data", str(tmp_path / "nope.npz"), "--epochs", "1", "--out", str(tmp_path / "m.keras")]
    assert main(argv) == 2
    assert "training on MNIST alone" in capsys.readouterr().err
    assert main([*argv, "--unipen", str(tmp_path / "unipen.npz")]) == 2
    assert "MNIST alone" not in capsys.readouterr().err
