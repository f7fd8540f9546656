"""--debug-dump: the app's state as JSON (status, prediction, ink, layout, start-up timings, frame
rate while drawing), rewritten whenever it changes, for the end-to-end test, the benchmark and
debugging. Written atomically (readers never see half a file) on a thread of its own: the write
is fsync'ed, and the loop must not wait on the disk."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from recognizer.fileio import atomic_write

from .worker import LatestJobThread

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
        "prediction": None
        if pred is None
        else {
            "digit": pred.digit,
            "confidence": round(pred.confidence, 6),
            "probabilities": [round(float(p), 6) for p in pred.probabilities],
            "unsure": pred.unsure,
        },
        "number": state.number if state.digits else None,
        "digits": [
            {
                "digit": p.digit,
                "confidence": round(p.confidence, 6),
                "unsure": p.unsure,
                "box": None if p.box is None else [int(v) for v in p.box],
            }
            for p in state.digits
        ],
        "model": None if app.worker is None else str(app.worker.recognizer.path),
        "personal_model": app.personal,
        "note": state.note,
        "samples_per_digit": list(state.samples),
        "learning": None if app.learner is None else {"progress": app.learner.progress, "step": app.learner.step},
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
    """Keeps `path` up to date with snapshot(app). A write that fails is reported once and ends the
    dumping: a debugging aid must not take the app down. threaded=False writes inline (tests)."""

    def __init__(self, path: str | os.PathLike, threaded: bool = True) -> None:
        self.path = Path(path)
        self._written: tuple | None = None  # _changes(app) at the last write
        self._failed = False
        self._writer: LatestJobThread[str] = LatestJobThread(self._write, "debug-dump", threaded)

    def update(self, app: App, force: bool = False) -> None:
        """Write the app's state if it changed since the last write (or `force`)."""
        changes = _changes(app)
        if not self._failed and (force or changes != self._written):
            self._written = changes
            self._writer.submit(json.dumps(snapshot(app)))  # the state as of now, taken on the UI thread

    @property
    def busy(self) -> bool:
        """True while a state handed over is not yet written."""
        return self._writer.busy

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until the last state handed over is on disk (or failed to be); False on timeout."""
        return self._writer.wait(timeout)

    def close(self, app: App) -> None:
        """Write the final state and wait for it; stop the writer thread."""
        self.update(app, force=True)
        self.wait()
        self._writer.close()

    def _write(self, text: str) -> None:
        if self._failed:
            return
        try:
            with atomic_write(self.path) as f:
                f.write(text)
        except OSError as exc:
            print(f"error: cannot write the debug dump {self.path}: {exc.strerror or exc}", file=sys.stderr, flush=True)
            self._failed = True
