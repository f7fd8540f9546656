"""Which model the app reads with (the user's personal one if there is one) and loading it on a
background thread, so that the window is up before the model is ready."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from recognizer.errors import RecognizerError
from recognizer.predictor import Recognizer
from recognizer.samples import personal_model_path


def choose_model(model: str | os.PathLike | None = None, shipped: bool = False) -> tuple[Path | None, bool]:
    """The model to load and whether it is the user's personal one: `model` if given, else the
    personal model (written by L in the app, `python -m recognizer learn` or `finetune`) if there
    is one (unless `shipped`), else None (the shipped model)."""
    if model is not None:
        return Path(model), False
    personal = personal_model_path(".tflite")
    if not shipped and personal.is_file():
        return personal, True
    return None, False


class ModelLoader:
    """Loads the model on a daemon thread; `done` is set when `recognizer` or `error` is filled in."""

    def __init__(self, path: str | os.PathLike | None) -> None:
        self.path = path
        self.recognizer: Recognizer | None = None
        self.error: str | None = None
        self.done = threading.Event()
        threading.Thread(target=self._load, name="model-loader", daemon=True).start()

    def _load(self) -> None:
        try:
            self.recognizer = Recognizer.load(self.path)
        except RecognizerError as exc:
            self.error = str(exc)
        except Exception as exc:  # never a traceback in the window: whatever it is, say it in one line
            self.error = f"cannot load model {self.path}: {exc.__class__.__name__}: {exc}".splitlines()[0]
        finally:
            self.done.set()
