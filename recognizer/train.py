"""Train the CNN on MNIST with drawn-digit augmentation; write .keras, .tflite and a model card.

    python -m recognizer.train --data ../shared/data/mnist.npz --unipen ../shared/data/unipen_dev.npz --out my.keras

(`make train` replaces the shipped model: --out recognizer/models/mnist_cnn.keras --overwrite-shipped.)

Trains on MNIST's 60,000 training images plus, with --unipen, real pen digits of the UNIPEN people
in the "train" split drawn as the app draws them, and style variants (recognizer.dataset).

Checkpoints every epoch (keras.callbacks.BackupAndRestore); rerun with --resume after a stop.
The learning-rate schedule is fixed and the weights' moving average at the last epoch ships: the test
set is only reported.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import math
import os
import re
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from .batch import predict_batches, to_input
from .card import model_card
from .data import ENV_VAR as MNIST_ENV_VAR
from .data import UNIPEN_ENV_VAR, Mnist, load_mnist, load_unipen
from .dataset import STYLE_MNIST, training_set
from .errors import DataError, RecognizerError
from .fileio import atomic_write, check_writable, command_prog, first_paragraph, path_arg, replace_files
from .predictor import MODELS_DIR, NUM_CLASSES, in_shipped_folder, load_keras_model, quiet_stderr

DEFAULT_EPOCHS = 20
# Classifiers trained apart, one after another (seeds SEED, SEED + 1, ...), and shipped as one model
# that averages their logits (model.build_ensemble). One ships: two were measured
# (docs/measurements.md, "The classifier") and read the 'val' people's digits no better while saying
# "not sure" more often.
MEMBERS = 1
MAX_MEMBERS = 8
MAX_EPOCHS = 1_000  # 50 times a training from scratch's; more is a typo (it would run for weeks)
BATCH_SIZE = 128
PEAK_LR = 1e-3
SEED = 42
BACKUP = "backup"  # Keras's BackupAndRestore folder in a run's work_dir
RESUME_SEED_STEP = 1_000  # a run resumed after k epochs is seeded SEED + i + k * this (> MAX_MEMBERS)
EMA_MOMENTUM = 0.999  # the classifier ships the moving average of its weights (~1.5 epochs' window)
# ... when the run has EMA_MIN_STEPS steps or more (the shipped 20 epochs: 12,800; the notebook's Kaggle
# 8: 2,632); a shorter run ships its last weights. The average lags the weights, and the BatchNorm
# statistics follow the weights, not the average: after one epoch of 42,000 MNIST training digits (329
# steps, as Kaggle's train.csv) the average read 9.7% of MNIST's test digits right (12.4% with a window
# of 131 steps), the last weights 63.1% (one epoch at the peak rate teaches little more).
EMA_MIN_STEPS = 2_500


def learning_rate(epoch: int, epochs: int) -> float:
    """Cosine decay from PEAK_LR to ~0 over the run, per epoch (so a resumed run gets the same)."""
    return PEAK_LR * 0.5 * (1 + math.cos(math.pi * epoch / epochs))


def ema_momentum(epochs: int, images: int, batch_size: int = BATCH_SIZE) -> float | None:
    """The classifier's weights' moving average for a run of `epochs` over `images` in batches of
    `batch_size`: EMA_MOMENTUM, or None (its last weights) for a run of too few steps for the
    average to leave its first steps behind."""
    return EMA_MOMENTUM if epochs * math.ceil(images / batch_size) >= EMA_MIN_STEPS else None


def train(
    data: Mnist,
    epochs: int = DEFAULT_EPOCHS,
    work_dir: str | os.PathLike = "models/checkpoints",
    resume: bool = False,
    batch_size: int = BATCH_SIZE,
    seed: int = SEED,
    verbose: int | str = "auto",
    callbacks: list | tuple = (),
):
    """Fit a fresh model (or resume one from work_dir) and return (model, history rows per epoch).
    callbacks: more Keras callbacks, run after the checkpointing and logging ones."""
    from .model import build_model

    validation = (data.x_test, data.y_test) if data.x_test is not None else None
    return fit_checkpointed(
        build_model,
        "sparse_categorical_crossentropy",
        data.x_train,
        data.y_train,
        validation,
        epochs,
        work_dir,
        resume,
        batch_size,
        seed,
        verbose,
        callbacks,
        ema_momentum=ema_momentum(epochs, len(data.x_train), batch_size),
    )


def train_members(
    data: Mnist,
    members: int = MEMBERS,
    epochs: int = DEFAULT_EPOCHS,
    work_dir: str | os.PathLike = "models/checkpoints",
    resume: bool = False,
    verbose: int | str = "auto",
    callbacks: list | tuple = (),
):
    """Train `members` classifiers one after another (member i: seed SEED + i, checkpoints in
    work_dir/member<i>/, saved as work_dir/member<i>.keras when done, which resume=True loads
    instead of training again) and return (their ensemble, or the one model, and every epoch's
    history row, each with its member). callbacks: as train()'s, for every member."""
    from .model import build_ensemble

    work_dir = Path(work_dir)
    models, history = [], []
    for i in range(members):
        member_dir = work_dir / f"member{i}"
        model, rows = fit_once(
            work_dir / f"member{i}.keras",
            member_dir / "history.csv",
            resume,
            functools.partial(
                train, data, epochs, member_dir, resume, seed=SEED + i, verbose=verbose, callbacks=callbacks
            ),
        )
        models.append(model)
        history += [{"member": i, **row} for row in rows]
    return (models[0] if members == 1 else build_ensemble(models)), history


def fit_once(
    done: Path, history_csv: Path, resume: bool, fit: Callable[[], tuple], outputs: int = NUM_CLASSES
) -> tuple:
    """fit() -> (model, history rows), the model then kept at `done` (written whole: a temporary
    file, then rename), so that resume=True after a later stop loads it (safely, checked as the app
    checks its models) with history_csv's rows instead of fitting again. A fresh run first removes
    an earlier run's `done`: a stop in this one must not leave it to resume."""
    if resume and done.is_file():
        return load_keras_model(done, outputs), read_history(history_csv)
    done.unlink(missing_ok=True)
    model, rows = fit()
    partial = done.with_suffix(".partial.keras")
    model.save(partial)
    os.replace(partial, done)
    return model, rows


def fit_checkpointed(
    build: Callable,
    loss: str,
    x: np.ndarray,
    y: np.ndarray,
    validation,
    epochs: int,
    work_dir: str | os.PathLike,
    resume: bool = False,
    batch_size: int = BATCH_SIZE,
    seed: int = SEED,
    verbose: int | str = "auto",
    callbacks: list | tuple = (),
    schedule: Callable[[int, int], float] = learning_rate,
    ema_momentum: float | None = None,
):
    """The one training recipe (classifier, detector, fine-tuning, the training benchmark): build()
    after seeding (a fresh model, or one to go on training), fit behind the drawn-digit augmenter
    with Adam at schedule(epoch, epochs) (default: the cosine from PEAK_LR), a checkpoint every
    epoch in work_dir (resume=True continues an interrupted run; otherwise old checkpoints are
    cleared) and history.csv there. x, validation's images: (n, 28, 28), see batch.to_input.
    ema_momentum: keep a moving average of the weights, validate with it and return it (steadier
    than the last step's weights); None for plain weights: fine-tuning's few steps, where the
    average would lag, and the detector (trained with the average, it was no better on 'val').
    Returns (model, history rows per epoch)."""
    import keras

    from .augment import build_augmenter
    from .model import INPUT_SHAPE

    work_dir = Path(work_dir)
    log_path = work_dir / "history.csv"
    if not resume:
        clear_checkpoints(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)

    # Keras's backup restores the weights, the optimizer and the average, not the random streams: a
    # resumed run seeded as the first would shuffle and augment its epochs as the first run's first
    # ones, seeing those images twice. It draws from another seed for each count of epochs done
    # instead (not bit for bit the uninterrupted run, as random), never another member's.
    seed += RESUME_SEED_STEP * epochs_done(work_dir) if resume else 0
    keras.utils.set_random_seed(seed)
    model = build()
    trainer = keras.Sequential([keras.Input(INPUT_SHAPE), build_augmenter(seed), model], name="trainer")
    ema = {"use_ema": True, "ema_momentum": ema_momentum} if ema_momentum is not None else {}
    optimizer = keras.optimizers.Adam(schedule(0, epochs), **ema)
    trainer.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    trainer.fit(
        to_input(x),
        y,
        batch_size=batch_size,
        epochs=epochs,
        shuffle=True,
        validation_data=None if validation is None else (to_input(validation[0]), validation[1]),
        callbacks=[
            keras.callbacks.BackupAndRestore(str(work_dir / BACKUP)),
            *([keras.callbacks.SwapEMAWeights()] if ema_momentum is not None else []),
            keras.callbacks.LearningRateScheduler(lambda epoch: schedule(epoch, epochs)),
            EpochTimer(),
            keras.callbacks.CSVLogger(str(log_path), append=True),
            *callbacks,
        ],
        verbose=verbose,
    )
    return model, read_history(log_path)


class EpochTimer:
    """Adds each epoch's wall time to the logs (hence to history.csv), so resumed runs add up."""

    def __new__(cls):
        import keras

        class _EpochTimer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                if logs is not None:
                    logs["epoch_seconds"] = time.perf_counter() - self.start

        return _EpochTimer()


def epochs_done(work_dir: Path) -> int:
    """The epochs a resumed run in work_dir starts after: the count Keras's backup keeps (its
    BackupAndRestore resumes there; it writes it before history.csv gets the epoch's row), or
    history.csv's rows where the backup has none."""
    epoch = _backup_epoch(work_dir)
    return len(read_history(work_dir / "history.csv")) if epoch is None else epoch


def _backup_epoch(work_dir: Path) -> int | None:
    """The epoch count Keras's backup in work_dir keeps, or None without one; DataError where the
    backup is damaged (Keras writes its weights and their epoch in place: a stop mid-write leaves
    them cut short), which Keras would fail on as it restores the run, with a traceback or an HDF5
    error that says nothing of the checkpoint, before an epoch trains."""
    import h5py

    backup = work_dir / BACKUP
    path = backup / "training_metadata.json"
    if not path.is_file():
        return None
    damaged = f"{backup}: the checkpoint to resume from is damaged (a stop as it was written): start without --resume"
    try:
        epoch = json.loads(path.read_text())["epoch"]
        for weights in backup.glob("*.h5"):
            h5py.File(weights, "r").close()
    except (OSError, ValueError, KeyError, TypeError, RecursionError):  # RecursionError: JSON nested deep
        raise DataError(damaged) from None
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= MAX_EPOCHS:
        raise DataError(damaged)
    return epoch


def read_history(log_path: str | os.PathLike) -> list[dict[str, float]]:
    """Per-epoch metrics as written by CSVLogger (one row per epoch, across resumes)."""
    path = Path(log_path)
    if not path.exists():
        return []
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if None in row or None in row.values():  # a line cut short (a stop mid-write) or run together
                continue
            try:  # CSVLogger writes "NA" in the val_* columns of a run without validation data
                parsed = {k: float(v) for k, v in row.items() if v not in ("", "NA")}
                int(parsed["epoch"])
            except (KeyError, ValueError):
                continue
            rows.append(parsed)
    # A run stopped mid-epoch and resumed can log an epoch twice: keep the last of each (of each member).
    return list({(r.get("member"), int(r["epoch"])): r for r in rows}.values())


def write_history(history: list[dict[str, float]], path: str | os.PathLike) -> None:
    """Keep the per-epoch metrics beside the model (atomically), for curves in the notebook."""
    with atomic_write(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]) if history else ["epoch"])
        writer.writeheader()
        writer.writerows(history)


def clear_checkpoints(work_dir: Path) -> None:
    """Remove a previous run's checkpoints and history, so that a fresh run starts at epoch 0."""
    import shutil

    for name in (BACKUP, "history.csv"):
        target = work_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def save_model(
    model, out: str | os.PathLike, card: Callable[[tuple[Path, Path]], dict] | None = None
) -> tuple[Path, Path]:
    """Write the .keras file and its .tflite export atomically (temporary files, then renames).
    card: makes the model card (.json beside them) from the files written, renamed into place with
    them, so that a failure leaves the old model and its card together: the detector's card holds
    its threshold and the hashes of its files, and a card of other files refuses to load. Without
    a card, a card and history of an earlier model at that path are removed (kaggle --save-model over
    a trained model left its card, which described another model, beside the new files)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tflite_path = out.with_suffix(".tflite")
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        tmp_keras = Path(tmp) / out.name
        model.save(tmp_keras)
        tmp_tflite = Path(tmp) / tflite_path.name
        with quiet_stderr():  # the converter's C++ logs a dozen W and I lines, whatever verbose says
            model.export(str(tmp_tflite), format="litert", verbose=False)
        moves = [(tmp_keras, out), (tmp_tflite, tflite_path)]
        if card is not None:
            tmp_card = Path(tmp) / out.with_suffix(".json").name
            write_json_atomic(tmp_card, card((tmp_keras, tmp_tflite)))
            moves.append((tmp_card, out.with_suffix(".json")))
        replace_files(moves)
    if card is None:
        for stale in (out.with_suffix(".json"), out.with_suffix(".history.csv")):
            stale.unlink(missing_ok=True)
    return out, tflite_path


def ship_model(
    model,
    history: list[dict],
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    started: float,
    data_files: dict,
    **facts,
) -> tuple[Path, Path, dict]:
    """A trainer's last step: its model saved to --out (save_model) with its card (model_card: the
    data files, the command that trains it again, the trainer's own facts, the epochs and how long
    the epochs and the whole run took, since `started`) and its history beside it. Returns the
    .keras and .tflite paths and the card."""
    cards = []

    def make_card(files: tuple[Path, Path]) -> dict:
        cards.append(
            model_card(
                model,
                files,
                data_files,
                training_command(parser, args),
                **facts,
                epochs=args.epochs,
                training_seconds=training_seconds(history),
                run_seconds=round(time.perf_counter() - started, 1),  # this run: data drawn, trained, exported
            )
        )
        return cards[-1]

    keras_path, tflite_path = save_model(model, args.out, make_card)
    write_history(history, Path(args.out).with_suffix(".history.csv"))
    return keras_path, tflite_path, cards[-1]


RUN_SETTINGS = "run.json"  # in a classifier run's work_dir: what it was started with, for --resume to check
MEMBER = re.compile(r"member\d+(\.partial)?(\.keras)?")  # a member's folder and finished network: the run's own names


def _members(work_dir: Path) -> list[Path]:
    """A classifier run's own files and folders in work_dir (never the detector's, nor a user's)."""
    return [p for p in work_dir.glob("member*") if MEMBER.fullmatch(p.name)] if work_dir.is_dir() else []


def check_resume(work_dir: Path, settings: dict) -> None:
    """--resume, before anything loads: say when no classifier run stopped in work_dir (it trains
    from the first epoch; the detector's checkpoints beside it are no run of this one), and refuse
    settings other than the stopped run's (another --epochs switched the learning-rate schedule
    mid-run, and the card said the new)."""
    recorded = work_dir / RUN_SETTINGS
    say_if_nothing_to_resume(work_dir, found=bool(_members(work_dir)) or recorded.exists())
    try:
        before = json.loads(recorded.read_text())
    except (OSError, ValueError):
        before = None  # nothing recorded: a run of an earlier version, or none
    changed = [
        f"{k} {before.get(k)} -> {v}" for k, v in settings.items() if isinstance(before, dict) and before.get(k) != v
    ]
    if changed:
        raise DataError(
            f"--resume: the stopped run in {work_dir} had other settings ({'; '.join(changed)}): "
            "resume it with its own, or start afresh without --resume"
        )


def _remove_members(work_dir: Path, strict: bool) -> None:
    """Remove a classifier run's own members from work_dir; strict: an error if one cannot go."""
    import shutil

    for member in _members(work_dir):
        if member.is_dir():
            shutil.rmtree(member, ignore_errors=not strict)
        else:
            member.unlink(missing_ok=not strict)


def start_members_run(work_dir: Path, settings: dict, resume: bool) -> None:
    """Once the data has loaded (a command that fails first changes nothing): a fresh run removes an
    earlier run's members (a finished member<i>.keras is loaded by --resume instead of trained: one
    left from another run was shipped under this run's card; strict: one left would be), and either
    records its settings."""
    if not resume:
        _remove_members(work_dir, strict=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(work_dir / RUN_SETTINGS, settings)


def end_members_run(work_dir: Path, made: bool) -> None:
    """After the model is saved: its members and settings go, as the detector's fit does, so that a
    later --resume finds nothing to take for its own (it trained nothing and shipped the old network);
    made: work_dir is the trainer's default (no --work-dir), removed too when nothing else is in it."""
    _remove_members(work_dir, strict=False)
    (work_dir / RUN_SETTINGS).unlink(missing_ok=True)
    if made:
        remove_empty_folders(work_dir)


def end_run(run_dir: Path, fitted: str, made: bool) -> None:
    """After a model of train-detector, train-touching or train-pairs is saved: its fitted model and
    history in run_dir go (nothing left for --resume to pick up; the history is kept beside the
    model), then run_dir and, made (no --work-dir: the trainer's default), the folder above it,
    where nothing else is in them: a finished run leaves no empty `checkpoints/` behind."""
    for name in (fitted, "history.csv"):
        (run_dir / name).unlink(missing_ok=True)
    remove_empty_folders(run_dir, *([run_dir.parent] if made else []))


def remove_empty_folders(*folders: Path) -> None:
    """Remove each folder, in order, where it is empty; one that is not (or is gone) stays as it is."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            pass


def say_if_nothing_to_resume(work_dir: str | os.PathLike, found: bool | None = None) -> None:
    """--resume where no run stopped: no epoch checkpoint (Keras's backup/, removed when a fit ends)
    nor a finished model (a member's, the detector's fit) anywhere in the run's folder, or, where
    the caller looked itself, `found` False. Says on stderr that it trains from the first epoch,
    which it did without a word."""
    work_dir = Path(work_dir)
    if found is None:
        found = any(work_dir.rglob(BACKUP)) or any(work_dir.rglob("*.keras"))
    if not found:
        print(f"warning: --resume: nothing to resume in {work_dir}: training from the first epoch", file=sys.stderr)


def refuse_old_layout(work_dir: str | os.PathLike, run: str, names: tuple[str, ...]) -> None:
    """--resume of a run stopped before its checkpoints moved into a folder of its own (`run`,
    inside work_dir, December 5): say where to move them, rather than start again at epoch 0."""
    work_dir = Path(work_dir)
    old = [name for name in names if (work_dir / name).exists()]
    if old and not (work_dir / run).exists():
        raise DataError(
            f"--resume: {', '.join(old)} in {work_dir} may be a run of an earlier version, which kept its "
            f"checkpoints there: move them into {work_dir / run} and resume again"
        )


def check_out(
    out: str | os.PathLike,
    overwrite_shipped: bool = False,
    flag: str = "--out",
    inputs: Mapping[str, str | os.PathLike | None] | None = None,
) -> Path:
    """Where a trainer may write its .keras model (and .tflite, card beside it): a .keras path, and
    not inside the shipped models' folder (the app's defaults) unless overwrite_shipped says so,
    where those files can be written (fileio.check_writable), none of them a file the command reads
    (inputs: what it is -> path, as check_writable takes them: learn's --out naming its --model
    replaced the base it learned from)."""
    out = Path(out)
    if out.suffix != ".keras":
        raise DataError(f"{flag} {out}: the file name must end in .keras")
    if in_shipped_folder(out) and not overwrite_shipped:
        raise DataError(
            f"{flag} {out} is in the shipped models' folder recognizer/{MODELS_DIR.name}/: choose another "
            "path for a new model (train, train-detector, train-touching and train-pairs replace a shipped one "
            "with --overwrite-shipped)"
        )
    for path in (out, *(out.with_suffix(suffix) for suffix in (".tflite", ".json", ".history.csv"))):
        check_writable(path, flag, inputs=inputs)  # a folder in the way: found now, not after the training
    return out


def data_arguments(data: str | None, unipen: str | None) -> list[str]:
    """--data and --unipen for a command's record, with the files given or, where not given, those
    $MNIST_NPZ and $UNIPEN_NPZ name written out (a record naming no data says nothing)."""
    argv = []
    for flag, given, variable in (("--data", data, MNIST_ENV_VAR), ("--unipen", unipen, UNIPEN_ENV_VAR)):
        if path := given or os.environ.get(variable):
            argv += [flag, path]
    return argv


def training_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """The command that trains a model again from scratch, for its card (train's, train-detector's,
    train-touching's and train-pairs' options): the program, the data files used (those named by
    $MNIST_NPZ or $UNIPEN_NPZ written out), the epochs, the classifier's --members, the detector's
    --letter-slices, --cut-width and --average-with, train-touching's --numbers and train-pairs'
    --pairs where not the default, --out and --limit where given, and --overwrite-shipped where the
    model goes to the shipped folder (refused without it). --resume and --work-dir change how a run
    goes, not the model it makes: left out."""
    argv = data_arguments(args.data, args.unipen)
    argv += ["--epochs", str(args.epochs)]
    own = ("members", "letter_slices", "cut_width", "average_with", "numbers", "pairs")  # each trainer's own
    for name in own:  # where not the default
        if vars(args).get(name) not in (None, parser.get_default(name)):
            argv += ["--" + name.replace("_", "-"), str(vars(args)[name])]
    if args.out != parser.get_default("out"):
        argv += ["--out", str(args.out)]
    if args.limit is not None:
        argv += ["--limit", str(args.limit)]
    if in_shipped_folder(args.out):
        argv.append("--overwrite-shipped")
    return shlex.join([*shlex.split(parser.prog), *argv])


def check_counts(epochs: int, limit: int | None, members: int = 1) -> None:
    """Refuse --epochs outside 1 (an untrained model) to MAX_EPOCHS (a typo that would train for
    days), --limit below 1 and --members outside 1 to MAX_MEMBERS, before anything loads."""
    if not 1 <= epochs <= MAX_EPOCHS:
        raise DataError(f"--epochs must be 1 to {MAX_EPOCHS}, got {epochs}")
    if limit is not None and limit < 1:
        raise DataError(f"--limit must be at least 1, got {limit}")
    if not 1 <= members <= MAX_MEMBERS:
        raise DataError(f"--members must be 1 to {MAX_MEMBERS}, got {members}")


def check_count(option: str, value: int, most: int) -> None:
    """Refuse a count of training examples to write (train-touching's --numbers, train-pairs'
    --pairs) outside 1 (nothing to learn from) to `most` (a typo that would fill the memory and
    write for hours), before anything loads."""
    if not 1 <= value <= most:
        raise DataError(f"{option} must be 1 to {most}, got {value}")


def write_json_atomic(path: str | os.PathLike, payload: dict) -> None:
    """Write JSON via a temporary file and rename, so a crash never leaves half a file."""
    with atomic_write(path) as f:
        json.dump(payload, f, indent=2)
        f.write("\n")


def training_seconds(history: list[dict]) -> float:
    """Wall time of all epochs in the history, resumed runs included (EpochTimer's figures)."""
    return round(sum(r.get("epoch_seconds", 0.0) for r in history), 1)


def accuracy_on_test_set(model, data: Mnist) -> dict:
    """The card's test figures: the MNIST test set is only reported, never used to choose anything."""
    if data.x_test is None:
        return {}
    predicted = predict_batches(model, data.x_test).argmax(axis=1)
    return {"test_images": int(len(data.x_test)), "test_accuracy": round(float((predicted == data.y_test).mean()), 5)}


def training_parser(
    prog: str,
    description: str,
    unipen: str,
    epochs: int,
    out: str,
    limit: str,
    work_dir: str,
    mnist: str = "mnist.npz, IDX folder or Kaggle train.csv (default: $MNIST_NPZ, else download)",
) -> argparse.ArgumentParser:
    """The options the trainers share (their own defaults and help where they differ): the data
    files (--data for MNIST, with the help `mnist`), --epochs, --out (the shipped model by default:
    needs --overwrite-shipped), --limit for smoke runs, --resume and --work-dir."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--data", help=mnist)
    parser.add_argument("--unipen", help=f"unipen_dev.npz: {unipen}")
    parser.add_argument("--epochs", type=int, default=epochs, help=f"epochs (default {epochs})")
    parser.add_argument(
        "--out",
        type=path_arg,
        default=out,
        help="where to write the .keras model (default: the shipped one, which the app loads: "
        "needs --overwrite-shipped)",
    )
    parser.add_argument(
        "--overwrite-shipped", action="store_true", help="allow --out to replace a model in recognizer/models/"
    )
    parser.add_argument("--limit", type=int, help=f"{limit} (smoke runs)")
    parser.add_argument("--resume", action="store_true", help="continue from the last epoch checkpoint")
    parser.add_argument(
        "--work-dir",
        type=path_arg,
        help=f"checkpoints and history.csv, in folders of the run's own inside (default: {work_dir})",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = training_parser(
        command_prog("train"),
        first_paragraph(__doc__),
        unipen="add real pen digits of the training people (default: $UNIPEN_NPZ; without either, MNIST alone)",
        epochs=DEFAULT_EPOCHS,
        out=str(MODELS_DIR / "mnist_cnn.keras"),
        limit="train on the first N MNIST images only (with --unipen, its pen digits are all used)",
        work_dir="<out dir>/checkpoints",
    )
    parser.add_argument(
        "--members",
        type=int,
        default=MEMBERS,
        help=f"networks trained one after another (--epochs each), shipped as one model averaging them "
        f"(default {MEMBERS})",
    )
    return parser


MNIST_ALONE_NOTE = (
    "note: no UNIPEN file (--unipen or $UNIPEN_NPZ): training on MNIST alone, which reads real people's "
    "handwriting worse than the shipped model (README: Reproduce the shipped model)"
)


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_counts(args.epochs, args.limit, args.members)
        check_out(args.out, args.overwrite_shipped)
        if args.work_dir:
            check_writable(args.work_dir, "--work-dir", folder=True)
        unipen_path = args.unipen or os.environ.get(UNIPEN_ENV_VAR)
        if not unipen_path:  # make train on a clone without ../shared: a model that reads real writing worse
            print(MNIST_ALONE_NOTE, file=sys.stderr)
        work_dir = Path(args.work_dir or Path(args.out).parent / "checkpoints")
        mnist_path = args.data or os.environ.get(MNIST_ENV_VAR)
        settings = {  # paths resolved: the same file named from elsewhere, or by $MNIST_NPZ, is the same run
            "epochs": args.epochs,
            "members": args.members,
            "limit": args.limit,
            "data": str(Path(mnist_path).resolve()) if mnist_path else "keras.datasets.mnist",
            "unipen": str(Path(unipen_path).resolve()) if unipen_path else None,
        }
        if args.resume:
            check_resume(work_dir, settings)
        data = load_mnist(args.data)
        if args.limit:
            data = Mnist(data.x_train[: args.limit], data.y_train[: args.limit], data.x_test, data.y_test, data.source)
        if not len(data.x_train):
            raise DataError(f"{data.source}: no training images")
        mnist_source = data.source
        chars = load_unipen(unipen_path) if unipen_path else None
        data = training_set(data, chars, per_style=args.limit // 50 if args.limit else STYLE_MNIST)
        start_members_run(work_dir, settings, args.resume)
        model, history = train_members(data, args.members, args.epochs, work_dir, resume=args.resume)
        accuracy = accuracy_on_test_set(model, data)

        keras_path, tflite_path, _ = ship_model(
            model,
            history,
            parser,
            args,
            started,
            {"mnist": mnist_source, "unipen": unipen_path},
            members=args.members,
            batch_size=BATCH_SIZE,
            ema_momentum=ema_momentum(args.epochs, len(data.x_train)),
            train_images=int(len(data.x_train)),
            **accuracy,
        )
        end_members_run(work_dir, made=not args.work_dir)
    except (RecognizerError, OSError) as exc:  # OSError: a disk full or a folder gone while it ran
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"saved {keras_path} and {tflite_path}")
    if "test_accuracy" in accuracy:
        print(
            f"test accuracy {accuracy['test_accuracy']:.2%} on {accuracy['test_images']} images, "
            f"training {training_seconds(history):.0f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
