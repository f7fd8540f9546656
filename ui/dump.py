"""--debug-dump: the app's state as JSON (status, prediction, ink, layout, start-up timings, frame
rate while drawing), rewritten whenever it changes, for the end-to-end test, the benchmark and
debugging."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only for annotations: the app imports this module
    from .app import App


def snapshot(app: App) -> dict:
    """The app's state as plain data: what the debug dump writes."""
    state, canvas = app.state, app.canvas
    pred = state.prediction
    return {
        "pid": os.getpid(),
        "status": state.status,
        "message": state.message,
        "prediction": None if pred is None else {
            "digit": pred.digit,
            "confidence": round(pred.confidence, 6),
            "probabilities": [round(float(p), 6) for p in pred.probabilities],
            "unsure": pred.unsure,
        },
        "number": state.number if state.digits else None,
        "digits": [{"digit": p.digit, "confidence": round(p.confidence, 6), "unsure": p.unsure,
                    "box": None if p.box is None else [int(v) for v in p.box]} for p in state.digits],
        "model": None if app.worker is None else str(app.worker.recognizer.path),
        "personal_model": app.personal,
        "note": state.note,
        "notice": app.samples.notice,
        "samples_file": str(app.samples.path),
        "predictions": app.predictions,
        "strokes": len(canvas.strokes),
        "drawing": canvas.drawing,
        "version": canvas.version,
        "shown_version": app.shown_version,
        "ink_pixels": int(np.count_nonzero(canvas.pixels)),
        "canvas_rect": list(app.layout.canvas),
        "window": list(app.layout.window),
        "brush_width": canvas.brush_width,
        "times": app.timeline.as_dict(),
        "drawing_fps": None if app.stats.fps is None else round(app.stats.fps, 2),
        "drawing_frames": app.stats.frames,
        "drawing_max_frame_ms": round(app.stats.max_frame * 1000, 2),
        "tensorflow_imported": "tensorflow" in sys.modules,  # must stay False: start-up speed
        "running": app.running,
        "exit_code": app.exit_code,
    }


def _changes(app: App) -> tuple:
    """What, when it changes, makes the dump out of date (frame statistics aside)."""
    canvas = app.canvas
    return canvas.version, canvas.drawing, len(canvas.strokes), app.state, app.samples.notice, app.running


class DebugDump:
    """Keeps `path` up to date with snapshot(app), written atomically (readers never see half a
    file). A write that fails is reported once and ends the dumping: a debugging aid must not take
    the app down."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._written: tuple | None = None  # _changes(app) at the last write
        self._failed = False

    def update(self, app: App, force: bool = False) -> None:
        """Write the app's state if it changed since the last write (or `force`)."""
        changes = _changes(app)
        if self._failed or not (force or changes != self._written):
            return
        self._written = changes
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(snapshot(app)))
            os.replace(tmp, self.path)
        except OSError as exc:
            print(f"error: cannot write the debug dump {self.path}: {exc.strerror or exc}", file=sys.stderr, flush=True)
            self._failed = True
