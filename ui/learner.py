"""Learning the user's handwriting from inside the app (key L): `python -m recognizer learn` in a child
process, watched by a daemon thread that turns its `[k/n] step` lines into progress and, when the
personal model is written, loads it (LiteRT) for the app to switch to. A child that hangs is stopped
after LEARN_TIMEOUT_S.

A child process keeps TensorFlow out of the app (no import stall, no memory growth) and runs at a
lower priority, so drawing never stutters while it learns; the loop only asks `shown(now)`, which moves
the bar on within a step as its expected time passes (it stood still for the 9 s of loading).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from recognizer.errors import RecognizerError
from recognizer.predictor import Recognizer
from recognizer.samples import APP_PID_ENV, personal_model_path

STEP_LINE = re.compile(r"^\[(\d+)/(\d+)\] (.*)$")
VERDICT_PREFIXES = ("personal model ", "error: ")
SAMPLES_LINE = re.compile(r"^(\d+) samples \(")  # learn's "45 samples (0: 5, ...) from ...": what it read
NICENESS = 10  # the child's CPU priority below the app's
# Where each of learn's 5 steps starts, as a share of its time (measured on a 2-core host, 30 samples:
# loading 9 s, the MNIST check's features 14 s, writing and calibrating the model 22 s; the steps
# between take a fraction of a second, or 2-3 s when the last layer is fine-tuned): the bar moves
# with the time left, not by fifths. Other step counts are shown evenly.
STEP_STARTS = (0.0, 0.19, 0.2, 0.51, 0.53)
# Within a step the bar moves on as time passes, toward the next step's start, which it never reaches:
# a step of share s is expected to take s * LEARN_TYPICAL_S (the bar stood still for the 9 s of loading)
LEARN_TYPICAL_S = 45.0
STEP_MOST = 0.95  # ... going at most this share of the way there (a step that runs long waits)
LOADING_STEP = "loading your model"  # after the child: the personal model read into this process
# A run takes about 45 s on 2 cores: a child still running after LEARN_TIMEOUT_S is stuck (a hung
# data read, a deadlock) and is stopped, else the app would say "already learning" until it closed.
LEARN_TIMEOUT_S = 600.0
KILL_AFTER_S = 10.0  # a stopped child still running this long after SIGTERM is killed


def learn_command(samples: Path, out: Path | None = None, data: str | os.PathLike | None = None) -> list[str]:
    """The command the app runs: this Python, `-m recognizer learn` on the app's samples file, with
    the MNIST file the app was given (app.py --data; else learn's own default, $MNIST_NPZ)."""
    command = [sys.executable, "-m", "recognizer", "learn", "--samples", str(samples)]
    return command + (["--out", str(out)] if out is not None else []) + (["--data", str(data)] if data else [])


def step_progress(k: int, n: int) -> float:
    """The share of learning done when step k of n starts (STEP_STARTS for learn's steps)."""
    if n == len(STEP_STARTS) and 1 <= k <= n:
        return STEP_STARTS[k - 1]
    return min(1.0, max(0.0, (k - 1) / n)) if n > 0 else 0.0


def step_end(k: int, n: int) -> float:
    """The share of learning done when step k of n ends: where the next one starts."""
    return step_progress(k + 1, n) if k < n else 1.0


def within_step(start: float, end: float, elapsed: float) -> float:
    """The progress to show `elapsed` s into a step from share `start` to `end`: moved on toward
    `end` as the step's expected time (its share of LEARN_TYPICAL_S) passes, never past STEP_MOST
    of the way (a step that runs long waits there)."""
    if end <= start:
        return start
    expected = (end - start) * LEARN_TYPICAL_S
    return start + (end - start) * STEP_MOST * (1.0 - math.exp(-max(0.0, elapsed) / expected))


def _lower_priority(pid: int) -> None:
    """Run the child below the app's priority (set from here: preexec_fn may deadlock a threaded app)."""
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)


class Learner:
    """One learning run: `progress` (0-1) and `step` while it runs; when `done` is set, `recognizer`
    (the personal model, loaded) or None, and `message`, one line saying what happened."""

    def __init__(self, samples: Path, out: Path | None = None, data: str | os.PathLike | None = None) -> None:
        self.model_path = (out or personal_model_path(".keras")).with_suffix(".tflite")
        self.progress = 0.0  # where the step under way started, of the whole (0-1): shown(now) moves on from it
        self.step = "starting"
        self._span = (0.0, STEP_STARTS[1], time.monotonic())  # its start, the next one's; when it started
        self._shown = 0.0  # the most shown so far (the loop's alone)
        self.recognizer: Recognizer | None = None
        self.samples_read: int | None = None  # how many samples the child read (its "N samples (...)" line)
        self.message = ""
        self.done = threading.Event()
        self._command = learn_command(samples, out, data)
        self._process: subprocess.Popen | None = None
        self._cancelled: str | None = None  # once cancelled: the run's outcome to say
        self._timed_out = False
        self._watchdog: threading.Timer | None = None  # stops a hung child (_time_out)
        self._lock = threading.Lock()
        threading.Thread(target=self._run, name="learner", daemon=True).start()

    def shown(self, now: float) -> float:
        """The progress to show at `now` (time.monotonic()), from the app's loop only: within_step's
        (never less than shown before), or 1 once the child is done (the model loading)."""
        if self.progress >= 1.0:
            return 1.0
        start, end, since = self._span
        self._shown = max(self._shown, within_step(start, end, now - since))  # never back (step 1 restarts its clock)
        return self._shown

    def cancel(self, message: str = "learning cancelled") -> None:
        """Stop the child if it still runs (the app is closing, or the sample it read was taken back),
        `message` its outcome; nothing is half-written: learn writes the personal model in a folder of
        its own, removed on SIGTERM, and moves its files into place together."""
        with self._lock:
            self._cancelled = message  # a child not started yet never starts
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()

    def _read_child(self) -> tuple[str, str]:
        """Follow the child's output to its end: progress from its step lines; returns its verdict
        line and the last other line it printed."""
        assert self._process is not None and self._process.stdout is not None
        verdict, last = "", ""
        try:
            for line in self._process.stdout:
                line = line.strip()
                step = STEP_LINE.match(line)
                if step:
                    k, n = int(step[1]), int(step[2])
                    self._span = (step_progress(k, n), step_end(k, n), time.monotonic())  # one assignment: the
                    self.progress, self.step = step_progress(k, n), step[3]  # loop reads it while this thread writes
                elif line.startswith(VERDICT_PREFIXES):
                    verdict = line
                elif read := SAMPLES_LINE.match(line):
                    self.samples_read, last = int(read[1]), line
                elif line:
                    last = line
        except BaseException:  # the reading failed: no child runs on to write a model the app says it will not
            self._process.terminate()
            self._process.wait()
            raise
        return verdict, last

    def _time_out(self) -> None:
        """Stop a child that ran past LEARN_TIMEOUT_S: SIGTERM (learn removes its unfinished folder),
        then SIGKILL if it has not ended KILL_AFTER_S later."""
        with self._lock:
            process = self._process
            if process is None or process.poll() is not None:
                return
            self._timed_out = True
            process.terminate()
        try:
            process.wait(KILL_AFTER_S)
        except subprocess.TimeoutExpired:
            process.kill()

    def _run(self) -> None:
        try:
            self._learn()
        except Exception as exc:  # never a traceback in the window: whatever it is, say it in one line
            self.message = f"cannot learn: {exc.__class__.__name__}: {exc}".splitlines()[0]
        finally:
            self.done.set()

    def _learn(self) -> None:
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", APP_PID_ENV: str(os.getpid())}
        with self._lock:
            if self._cancelled is not None:
                self.message = self._cancelled
                return
            self._process = subprocess.Popen(
                self._command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,  # one pipe: TensorFlow's chatter cannot fill a second one and block
                stdin=subprocess.DEVNULL,
                encoding="utf-8",
                errors="replace",  # a path in another encoding shows a replacement mark, never stops the reading
                env=env,
            )
        _lower_priority(self._process.pid)
        self._watchdog = threading.Timer(LEARN_TIMEOUT_S, self._time_out)
        self._watchdog.daemon = True
        self._watchdog.start()
        try:
            verdict, last = self._read_child()
            code = self._process.wait()
        finally:
            self._watchdog.cancel()
        if self._cancelled is not None:
            self.message = self._cancelled
            return
        if self._timed_out:
            took = f"{LEARN_TIMEOUT_S:g} s"
            self.message = f"learning stopped: it ran over {took} (it takes about a minute); L tries again"
            return
        if code != 0:  # the child's verdict or error line, else the last thing it said
            self.message = verdict or f"learning failed (exit status {code})" + (f": {last}" if last else "")
            return
        self.progress, self.step = 1.0, LOADING_STEP
        try:
            self.recognizer = Recognizer.load(self.model_path)
        except RecognizerError as exc:
            self.message = str(exc)
            return
        self.message = verdict or "personal model written"
