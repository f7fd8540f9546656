"""Whether the shipped model loads, checked in a child process: `python -m web --workers N` (N > 1)
says a missing or broken model in one line before it starts, yet its process serves nothing and
so never holds a model (~50 MB) nor the memory its libraries keep (~50 MB more) while the workers
run. The function a child runs must live in an importable module, not in web/__main__.py."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool


def model_error() -> str | None:
    """Load the shipped model and let it go: None when it loads, else why not (one line)."""
    from recognizer.errors import RecognizerError
    from recognizer.predictor import Recognizer

    try:
        Recognizer.load()
    except RecognizerError as exc:
        return str(exc)
    return None


def check_in_child() -> str | None:
    """model_error, run in a child process of its own (spawned: the parent imports no model code).
    A child that cannot start, or dies before it answers (killed for memory, a crash in a model
    loader), is said in one line too: the workers would meet the same fate."""
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            return pool.submit(model_error).result()
    except BrokenProcessPool:
        return "the model check's process died before it answered (out of memory, or a crash loading the model)"
    except OSError as exc:
        return f"cannot start the model check's process: {exc}"
