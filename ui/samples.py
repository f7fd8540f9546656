"""The user's own samples, collected in the app: a digit key stores the single digit just read (the
28x28 image the model saw, and its strokes) for learning (key L, `python -m recognizer learn`). The
disk work runs on its own thread; the outcome shows as a notice in place of the hint line, and U
takes a save back while it shows and the drawing saved is still the one on the canvas."""

from __future__ import annotations

import collections
import os
import queue
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from recognizer.errors import DataError, RecognizerError
from recognizer.samples import UserSamples
from recognizer.strokes import Point

NOTICE_TIME = 2.0  # s; a notice ("saved as 7 ...") replaces the hint line this long; U undoes a save meanwhile
# s; ... and one saying the file could not be read or written this long (a damaged samples file said
# so at start-up for 2 s, while the window was still coming up, and was missed)
FAILED_NOTICE_TIME = 8.0
UNSAVE_HINT = "; U to undo"  # ends a save's notice while U would take it back


def _reason(exc: Exception) -> str:
    """Why a samples job failed, in a user's words: an OSError's own words and the folder it was in
    ("[Errno 1] Operation not permitted: '/tmp/x/.s.npz.0s6knsii.tmp'" named the save's temporary
    file), else the error's message."""
    if isinstance(exc, OSError) and exc.strerror:
        folder = f" (in {os.path.dirname(os.fsdecode(exc.filename)) or '.'})" if exc.filename else ""
        return f"{exc.strerror}{folder}"
    return str(exc)


def _signature(path: Path) -> tuple[int, int] | None:
    """A file's size and modification time (ns): whether it changed since; None when it is gone."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class SampleSaver:
    """Adds and removes the user's samples (UserSamples: a small .npz rewritten and fsync'ed each
    time) on a daemon thread, in order, so the loop never waits on the disk; poll() gives the
    outcomes as (kind, ok, message) for the hint line. threaded=False works inline (tests)."""

    def __init__(self, store: UserSamples, threaded: bool = True) -> None:
        self.store = store
        self.threaded = threaded
        self._jobs: queue.Queue = queue.Queue()
        self._done: queue.Queue = queue.Queue()
        self._added = False  # the last add job wrote its sample (the saving thread's own)
        # (the file's size and time, why) when reading it whole failed: L's cheap count reads the labels
        # alone, and started learning from a file found damaged at start-up (a user trial)
        self.damaged: tuple[tuple[int, int] | None, str] | None = None
        if threaded:
            threading.Thread(target=self._work, name="sample-saver", daemon=True).start()

    def add(self, image: np.ndarray, label: int, strokes: Sequence[Sequence[Point]]) -> None:
        """Store `image` (28x28, what the model saw) as a `label`, with the strokes it was drawn with."""
        self._submit(("add", image.copy(), label, [list(s) for s in strokes]))

    def pop(self, if_added: bool = False) -> None:
        """Remove the newest sample (the user pressed the wrong digit); if_added: only if the add just
        before it wrote its sample (U pressed while it was written: a failed one has nothing to take
        back, and the sample before it must stay)."""
        self._submit(("pop", if_added))

    def count(self) -> None:
        """Count the samples of each digit (an outcome with no message)."""
        self._submit(("count",))

    def poll(self) -> list[tuple[str, bool, str, tuple[int, ...] | None]]:
        """Outcomes finished since the last call, oldest first: (kind, ok, message, samples of each
        digit after the job or None)."""
        out = []
        while True:
            try:
                out.append(self._done.get_nowait())
            except queue.Empty:
                return out

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until every job is done (headless drivers, exit); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._jobs.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    @property
    def pending(self) -> bool:
        """True while a job is waiting or running, or its outcome has not been polled."""
        return bool(self._jobs.unfinished_tasks) or not self._done.empty()

    def _submit(self, job: tuple) -> None:
        if self.threaded:
            self._jobs.put(job)
        else:
            self._done.put(self._run(job))

    def _run(self, job: tuple) -> tuple[str, bool, str, tuple[int, ...] | None]:
        try:
            if job[0] == "count":  # the whole file read: a damaged one is said at once
                self.damaged = None
                try:
                    return "count", True, "", self._counts(self.store.load().labels)
                except (RecognizerError, OSError) as exc:
                    self.damaged = (_signature(self.store.path), _reason(exc))
                    raise
            if job[0] == "add":
                self._added = False
                count = self.store.add(job[1], job[2], job[3])
                self._added = True
                counts = self._counts()  # "5 samples" alone read as the 2s' count: it was all of them
                mine = counts[job[2]]
                text = f"saved as {job[2]} \u2014 {mine} sample{'s' * (mine != 1)} of {job[2]}, {count} in all"
                return "add", True, text, counts
            if job[1] and not self._added:  # the save U took back failed: its notice says so
                return "pop", True, "", None
            label, counts = self.store.pop(), self._counts()
            if label is None:
                return "pop", True, "nothing to undo: the sample saved is no longer in the file", counts
            return "pop", True, f"removed the sample saved as {label} \u2014 {sum(counts)} left", counts
        except (RecognizerError, OSError) as exc:  # a full disk or a damaged file: say so, keep drawing
            return self._failed(job[0], _reason(exc))

    @staticmethod
    def _failed(kind: str, reason: str) -> tuple[str, bool, str, None]:
        """The outcome of a job that failed, said on stderr too."""
        verb = {"count": "read the samples", "add": "save the sample", "pop": "remove the sample"}[kind]
        message = f"cannot {verb}: {reason}".splitlines()[0]
        print(f"error: {message}", file=sys.stderr, flush=True)
        return kind, False, message, None

    def _counts(self, labels: np.ndarray | None = None, wait: bool = True) -> tuple[int, ...]:
        """Samples of each digit: of `labels`, or of the file's labels alone (reading its images and
        strokes too cost a save 12 of 50 ms with 5,000 samples); RecognizerError or OSError when the
        file cannot be read (BlockingIOError, with wait=False, while another process saves)."""
        counts = self.store.counts(wait) if labels is None else np.bincount(labels, minlength=10)
        return tuple(int(n) for n in counts)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                try:
                    outcome = self._run(job)
                except Exception as exc:  # a bug must not kill the thread: every later save would be lost
                    outcome = self._failed(job[0], f"{exc.__class__.__name__}: {exc}")
                self._done.put(outcome)
            finally:
                self._jobs.task_done()


class SampleCollector:
    """What the digit keys do: one sample per drawing, the notice saying how it went (shown for
    NOTICE_TIME from the next update()), and U taking the save back while that notice shows and
    the drawing saved is still on the canvas."""

    def __init__(self, store: UserSamples, threaded: bool = True) -> None:
        self._saver = SampleSaver(store, threaded)
        self.notice = ""  # replaces the hint line while not empty
        self.notice_ok = True
        self._notice_until: float | None = None  # None: NOTICE_TIME from the next update()
        self._saved_version = -1  # the ink version last saved (one sample per drawing)
        self._adding: collections.deque[int] = collections.deque()  # ink versions of the saves under way, in order
        self._can_unsave = False
        self._notice_seconds = NOTICE_TIME
        self.counts: tuple[int, ...] = ()  # samples of each digit, 0-9, once counted
        self.failures = 0  # saves, undos and counts that failed so far (their notice said why)
        self._saver.count()

    @property
    def path(self) -> Path:
        """The .npz the samples go to."""
        return self._saver.store.path

    def saved(self, version: int) -> bool:
        """Whether the drawing at ink `version` is saved already (or being saved)."""
        return self._saved_version == version

    def can_unsave(self, version: int) -> bool:
        """True while the canvas (at ink `version`) still holds the drawing saved and that save is
        under way or its notice shows: then U takes the sample back instead of a stroke (pressed
        while a large file is still being written, U took a stroke away and the sample stayed)."""
        showing = self._can_unsave and bool(self.notice)
        return version == self._saved_version and (showing or version in self._adding)

    def save(self, label: int, image: np.ndarray | None, version: int, strokes: Sequence[Sequence[Point]]) -> None:
        """Store `image`, the 28x28 image of the single digit read for ink `version` (None: there is
        none), as a `label`."""
        if self._saved_version == version:
            text = "already saved" if self._can_unsave else "already saved; draw the next digit"
            self._set_notice(text, ok=False, can_unsave=self._can_unsave)
        elif image is None:
            self._set_notice("draw one digit first, then press what it is", ok=False)
        else:
            self._saved_version = version
            self._adding.append(version)
            self._saver.add(image, label, strokes)

    def unsave(self) -> None:
        """Remove the sample just saved (once written, if still under way: jobs run in order); the
        same drawing can then be saved again."""
        under_way = self._saved_version in self._adding
        self._saved_version, self._can_unsave = -1, False
        self._saver.pop(if_added=under_way)

    def update(self, now: float, version: int | None = None) -> None:
        """Once a frame: show the outcome of finished saves, and end a notice whose time is up.
        version: the canvas's ink version; once it is not the drawing saved, U undoes strokes again."""
        for kind, ok, message, counts in self._saver.poll():
            if counts is not None:
                self.counts = counts
            added = self._adding.popleft() if kind == "add" and self._adding else None  # jobs run in order
            self.failures += not ok
            if added is not None and not ok and added == self._saved_version:
                self._saved_version = -1  # nothing was saved: the same drawing may be saved again
            if message:
                can_unsave = ok and added is not None and added == self._saved_version
                self._set_notice(message, ok, can_unsave, seconds=NOTICE_TIME if ok else FAILED_NOTICE_TIME)
        if self._can_unsave and version is not None and version != self._saved_version:
            self._set_notice(self.notice.removesuffix(UNSAVE_HINT), self.notice_ok, keep_time=True)
        if self.notice:
            if self._notice_until is None:
                self._notice_until = now + self._notice_seconds
            elif now >= self._notice_until:
                self.notice, self._can_unsave = "", False

    @property
    def pending(self) -> bool:
        """True while a save is under way or its outcome has not been shown."""
        return self._saver.pending

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until every save is done (headless drivers, exit); False on timeout."""
        return self._saver.wait(timeout)

    def recount(self) -> tuple[int, ...] | None:
        """The samples of each digit in the file now (it may have changed on disk since the last count:
        deleted, replaced, damaged); RecognizerError or OSError when it cannot be read. Reads the
        labels only: cheap enough for a key press. It waits neither for this app's saves under way
        (the app asks once none is: see pending) nor for another window's: None while one holds the file."""
        damaged = self._saver.damaged
        if damaged is not None and damaged[0] is not None and _signature(self._saver.store.path) == damaged[0]:
            self.counts = ()  # the file read whole and found damaged, unchanged since
            raise DataError(damaged[1])
        try:
            self.counts = self._saver._counts(wait=False)
        except BlockingIOError:
            return None
        except (RecognizerError, OSError):
            self.counts = ()  # none known: the pane stops showing the counts of a file that cannot be read
            raise
        return self.counts

    def notify(self, text: str, ok: bool = True, seconds: float = NOTICE_TIME, keep_unsave: bool = False) -> None:
        """Show `text` in place of the hint line for `seconds` (the app's own news: learning);
        keep_unsave: U still takes back the save whose notice it replaces, if it could."""
        self._set_notice(text, ok, can_unsave=keep_unsave and self._can_unsave, seconds=seconds)

    def _set_notice(
        self,
        text: str,
        ok: bool = True,
        can_unsave: bool = False,
        keep_time: bool = False,
        seconds: float = NOTICE_TIME,
    ) -> None:
        """Show `text` (with UNSAVE_HINT while U would take a save back) for `seconds` from the next
        update(), or only as long as the notice it replaces had left (keep_time)."""
        self.notice = text + UNSAVE_HINT if can_unsave else text
        self.notice_ok, self._can_unsave = ok, can_unsave
        if not keep_time:
            self._notice_until, self._notice_seconds = None, seconds
