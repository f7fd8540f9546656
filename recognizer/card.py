"""Model cards: the JSON beside each trained model that says what it is and how it was made.

One card for every model the project writes (the classifier, the detector, a personal model): its
files' and its data files' SHA-256, the command that made it, when, with which library versions,
on what machine, plus the facts each trainer adds (epochs, accuracy, threshold, ...).
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from .fileio import file_sha256
from .predictor import MODELS_DIR

# Anything that ships a model trained on UNIPEN must credit it (CC BY 4.0).
UNIPEN_CREDIT = (
    "UNIPEN train_r01_v07: I. Guyon, L. Schomaker, R. Plamondon, M. Liberman and S. Janet, ICPR 1994, "
    "doi:10.1109/ICPR.1994.576870; Unipen Consortium (1999), doi:10.5281/zenodo.1195803; "
    "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); modified: sections 1a/1b/1c of seven sites, "
    "pen-down strokes only, y flipped, characters shifted, drawn as images"
)


ROOT = Path(__file__).resolve().parent.parent


def code_commit() -> str | None:
    """The checkout's commit, short, with "+changes" when tracked files other than the shipped
    models differ from it (a model just trained into recognizer/models/ by `make train` is no change
    of code: `make train-detector` after it said "+changes"); None outside a checkout of this project
    (an installed copy, even inside another repository) or without git."""

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=5)

    try:
        top = git("rev-parse", "--show-toplevel")
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != ROOT:
            return None
        out = git("rev-parse", "--short", "HEAD")
        models = MODELS_DIR.resolve().relative_to(ROOT).as_posix()
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", f":(exclude){models}")
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def command_line() -> str:
    """The command that started this process, as typed: `python -m recognizer train ...`,
    `python -m recognizer.train ...`, or a console script's name and arguments."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    head = ["python", "-m", spec.name.removesuffix(".__main__")] if spec else [Path(sys.argv[0]).name]
    return shlex.join(head + sys.argv[1:])


def model_card(
    model,
    model_files: Iterable[str | os.PathLike],
    data_files: Mapping[str, str | os.PathLike | None],
    command: str | None = None,
    **facts,
) -> dict:
    """The card of a trained Keras model saved as model_files: the facts given, each model file's
    SHA-256, and for each data file used (name -> path; None: not used, left out) its file name
    and SHA-256 (None for a folder or a download), so a model can be traced to its exact data.
    Files are named, not located: cards are committed beside the shipped models. command: the
    command that makes the model again (default: command_line(), the one that ran), with the
    code's commit (its seeds are constants there)."""
    import keras
    import tensorflow as tf

    return {
        "model": model.name,
        "parameters": int(model.count_params()),
        **facts,
        "model_sha256": {Path(p).name: file_sha256(p) for p in model_files},
        "data": {
            name: {"file": Path(path).name, "sha256": file_sha256(path) if Path(path).is_file() else None}
            for name, path in data_files.items()
            if path is not None
        },
        **({"data_credit": UNIPEN_CREDIT} if data_files.get("unipen") is not None else {}),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command or command_line(),
        "code": code_commit(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "machine": f"{os.cpu_count()} CPU cores",
    }
