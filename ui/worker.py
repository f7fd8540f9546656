"""Work off the UI thread, newest first: LatestJobThread, and the PredictionWorker that reads the
canvas with it while the user draws, at most every PREDICT_INTERVAL and only when the ink changed.

LiteRT and OpenCV release the GIL while they work, so the loop keeps its frame rate even when a
reading takes several milliseconds on a busy machine.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from recognizer.predictor import Prediction, Recognizer

from .canvas import Canvas, render

PREDICT_INTERVAL = 1 / 30  # s; at most this often, and only when the ink changed

Job = TypeVar("Job")


class LatestJobThread(Generic[Job]):
    """Runs `work(job)` on a daemon thread, one job at a time; a job submitted while another waits
    replaces it (only the newest canvas or state matters). With threaded=False, submit() runs the
    job at once (deterministic: for tests and benchmarks)."""

    def __init__(self, work: Callable[[Job], None], name: str, threaded: bool = True) -> None:
        self.threaded = threaded
        self._work = work
        self._cond = threading.Condition()
        self._job: Job | None = None  # waiting to start
        self._running = False
        self._closed = False
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
            self._thread.start()

    @property
    def busy(self) -> bool:
        """True while a job is waiting or running."""
        with self._cond:
            return self._job is not None or self._running

    def submit(self, job: Job) -> None:
        """Run `job` next (not None), in place of one still waiting."""
        if not self.threaded:
            self._work(job)
            return
        with self._cond:
            self._job = job
            self._cond.notify_all()

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until no job is waiting or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._job is None and not self._running, timeout)

    def close(self, wait: float = 0.0) -> None:
        """Stop the thread once its current job is done (waiting up to `wait` s for that); a waiting
        job is dropped."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if wait > 0 and self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(wait)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._job is not None or self._closed)
                job, self._job = self._job, None
                if self._closed or job is None:  # a job still waiting is dropped
                    return
                self._running = True
            try:
                self._work(job)
            finally:
                with self._cond:
                    self._running = False
                    self._cond.notify_all()


class Redrawer:
    """Draws a resized canvas's strokes again off the loop (a redraw costs a circle per point: 100 ms
    for 100 long strokes at 1920x1080, 244 ms at 4K, on the UI thread) and puts the pixels in once
    done, if the canvas is still as it was; until then it shows its pixels scaled. threaded=False:
    drawn at once (tests)."""

    def __init__(self, threaded: bool = True) -> None:
        self._thread: LatestJobThread[tuple] = LatestJobThread(self._draw, "redraw", threaded)
        self._asked: tuple[int, int] | None = None  # (version, side) of the canvas last asked for
        self._done: tuple | None = None  # (version, side, pixels, before) of the last redraw made
        self._lock = threading.Lock()  # taking _done and setting it: a redraw finished between was lost

    def update(self, canvas: Canvas) -> None:
        """Once a frame while canvas.redraw_due (and the size settled): ask for a redraw of the
        canvas as it is now, unless one is under way for it; put in a finished one."""
        if (canvas.version, canvas.side) != self._asked:  # the job's copies made once, not every frame
            self._asked = (canvas.version, canvas.side)
            self._thread.submit(canvas.redraw_job())
        with self._lock:
            done, self._done = self._done, None
        if done is not None:
            canvas.redrawn(*done)

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until no redraw is under way (headless drivers); the next update() puts it in."""
        return self._thread.wait(timeout)

    def close(self, wait: float = 0.0) -> None:
        """Stop the thread once a redraw under way is done (waiting up to `wait` s for it)."""
        self._thread.close(wait)

    def _draw(self, job: tuple) -> None:
        version, side, strokes, base, brush = job
        done = (version, side, *render(strokes, base, side, brush))
        with self._lock:
            self._done = done


@dataclass(frozen=True)
class Reading:
    """What was read for ink `version`: the digits left to right ([] blank), on a canvas of `side` px."""

    version: int
    digits: list[Prediction]
    side: int


class PredictionWorker:
    """Reads the canvas with `recognizer.read` on a LatestJobThread while the user draws; update(),
    once a frame, starts readings and hands each new one out once."""

    def __init__(self, recognizer: Recognizer, threaded: bool = True) -> None:
        self.recognizer = recognizer
        self.shown_version = -1  # the ink version of the newest reading handed out
        self._thread: LatestJobThread[tuple[int, np.ndarray, list | None]] = LatestJobThread(
            self._read, "predictor", threaded
        )
        self._lock = threading.Lock()
        self._result: Reading | BaseException | None = None  # finished, not yet handed out
        self._submitted_version = -1
        self._last_submit = -math.inf

    def update(self, canvas: Canvas, now: float) -> Reading | None:
        """The reading to show now (None: nothing new): the newest finished one, or the blank canvas's.
        Starts reading the canvas when its ink changed, no reading is under way and PREDICT_INTERVAL
        has passed since the last one started."""
        reading = self._take()
        if reading is not None and (reading.version <= self.shown_version or reading.version < canvas.erased_version):
            reading = None  # overtaken: ink it read was undone or cleared (a clear is shown blank at once)
        shown = self.shown_version if reading is None else reading.version
        if canvas.version != shown:
            if canvas.is_empty:
                reading = Reading(canvas.version, [], canvas.side)  # nothing to read: no need to ask the model
            elif (
                canvas.version != self._submitted_version
                and not self._thread.busy
                and now - self._last_submit >= PREDICT_INTERVAL
            ):
                self._submit(canvas, now)
                if not self._thread.threaded:
                    reading = self._take()
        if reading is not None:
            self.shown_version = reading.version
        return reading

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until no reading is waiting or under way; False on timeout."""
        return self._thread.wait(timeout)

    def close(self, wait: float = 0.0) -> None:
        """Stop the thread, waiting up to `wait` s for a reading under way to end (before the
        interpreter exits: OpenCV busy on a thread then aborts the process)."""
        self._thread.close(wait)

    def _submit(self, canvas: Canvas, now: float) -> None:
        """Read the canvas next: a copy of its strokes, and of its pixels when threaded (the canvas keeps changing)."""
        self._submitted_version, self._last_submit = canvas.version, now
        # Baked strokes are ink without points: then the reader groups the ink by itself.
        strokes = [list(s) for s in canvas.strokes] if canvas.all_strokes_kept else None
        pixels = canvas.pixels.copy() if self._thread.threaded else canvas.pixels
        self._thread.submit((canvas.version, pixels, strokes))

    def _take(self) -> Reading | None:
        """The finished reading, once; raises if reading failed (a bug must not pass silently)."""
        with self._lock:
            result, self._result = self._result, None
        if isinstance(result, BaseException):
            raise RuntimeError("prediction failed") from result
        return result

    def _read(self, job: tuple[int, np.ndarray, list | None]) -> None:
        version, pixels, strokes = job
        try:
            # the canvas is the app's drawing, whether or not its strokes are all kept (over MAX_UNDO of
            # them: the ink of a page of scribbles was refused as paper, and the app closed)
            digits = self.recognizer.read(pixels, strokes, drawn=True)
            result: Reading | BaseException = Reading(version, digits, pixels.shape[1])
        except Exception as exc:  # handed to the UI thread by _take
            result = exc
        with self._lock:
            self._result = result
