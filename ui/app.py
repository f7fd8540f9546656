"""The app: events in, canvas and predictions updated, two panes drawn.

App splits one frame of the main loop into handle_event(event) for each pygame event, update(now)
(model loading, throttled prediction, timers) and draw(surface). The real loop (app.py) and the
headless drivers in ui.headless (for tests and benchmarks) call the very same methods, so a script
of synthetic events exercises exactly what a user does.

The worker thread (PredictionWorker) reads the whole canvas (one digit or a number, each digit
with its box and whether it is sure), at most every PREDICT_INTERVAL and only when the ink changed; each frame draws only what changed (the new bit of stroke, the pane when its
state changed), so the loop keeps 60 FPS. The model loads on a background thread so that the
window is up before it is ready. A digit key after a single-digit prediction stores it as one of
the user's own samples (SampleSaver, on its own thread), for `python -m recognizer finetune`.
"""
from __future__ import annotations

import json
import math
import os
import queue
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pygame

from recognizer.errors import RecognizerError
from recognizer.predictor import Prediction, Recognizer, number_text
from recognizer.reject import BLANK
from recognizer.samples import UserSamples, personal_model_path
from recognizer.strokes import Point

from .canvas import Canvas
from .panel import (ACCENT, BACKGROUND, CANVAS_BORDER, ERROR, ERROR_STATUS, GREY_PALETTE, LOADING, READY, Hint,
                    Panel, PanelState)

WINDOW_TITLE = "Digit Recognizer"
DEFAULT_WINDOW = (984, 640)  # gives a 560x560 canvas and a 352 px wide right pane
MIN_WINDOW = (480, 320)  # smaller windows are laid out as if this size (and clipped)
MARGIN = 24
HINT_HEIGHT = 32
PANEL_WIDTH = 352  # at the default size; the pane may grow up to PANEL_MAX_GROWTH times this
PANEL_MAX_GROWTH = 1.25
FPS = 60
PREDICT_INTERVAL = 1 / 30  # s; at most this often, and only when the ink changed
IDLE_REDRAW = 1.0  # s; the whole window is redrawn at least this often (insurance against a lost expose)
ERROR_LINGER = 20.0  # s; a model error stays on screen this long unless a key or click quits first
ERROR_EXIT_CODE = 2  # as the CLI's, for a RecognizerError
DRAW_BUTTON, CLEAR_BUTTON = 1, 3
HINT_TEXT = ("Draw: left mouse   \u00b7   Clear: R or right click   \u00b7   Undo: U or Ctrl+Z   \u00b7   "
             "0-9: save as my sample   \u00b7   Quit: Q or Esc")
NOTICE_TIME = 2.0  # s; a notice ("saved as 7 ...") replaces the hint line this long; U undoes a save meanwhile
PERSONAL_NOTE = "personal model"
DIGIT_KEYS = {**{getattr(pygame, f"K_{d}"): d for d in range(10)}, **{getattr(pygame, f"K_KP{d}"): d for d in range(10)}}
REDRAW_EVENTS = {getattr(pygame, name) for name in (  # the window's pixels may have been lost: draw all
    "VIDEOEXPOSE", "WINDOWEXPOSED", "WINDOWSHOWN", "WINDOWRESTORED", "WINDOWMAXIMIZED", "WINDOWSIZECHANGED")
    if hasattr(pygame, name)}


@dataclass(frozen=True)
class Layout:
    """Where things go in a window of `window` size; `scale` is 1.0 at DEFAULT_WINDOW."""

    window: tuple[int, int]
    canvas: pygame.Rect
    panel: pygame.Rect
    hint: pygame.Rect
    scale: float


def compute_layout(size: tuple[int, int]) -> Layout:
    """Square canvas on the left as large as fits, the pane beside it, the hint line at the bottom;
    extra room centres the pair instead of stretching the pane."""
    w, h = max(int(size[0]), MIN_WINDOW[0]), max(int(size[1]), MIN_WINDOW[1])
    scale = min(w / DEFAULT_WINDOW[0], h / DEFAULT_WINDOW[1])
    margin = max(8, round(MARGIN * scale))
    hint_h = max(18, round(HINT_HEIGHT * scale))
    side = min(h - 2 * margin - hint_h, w - 3 * margin - round(PANEL_WIDTH * scale))
    panel_w = min(w - 3 * margin - side, round(PANEL_WIDTH * scale * PANEL_MAX_GROWTH))
    x0 = (w - (side + margin + panel_w)) // 2
    y0 = margin + (h - 2 * margin - hint_h - side) // 2
    canvas = pygame.Rect(x0, y0, side, side)
    panel = pygame.Rect(canvas.right + margin, y0, panel_w, side)
    hint = pygame.Rect(0, h - margin - hint_h, w, hint_h + margin)  # at the bottom, however tall the window
    return Layout((w, h), canvas, panel, hint, scale)


def choose_model(model: str | os.PathLike | None = None, shipped: bool = False) -> tuple[Path | None, bool]:
    """The model to load and whether it is the user's personal one: `model` if given, else the
    personal model written by `python -m recognizer finetune` if there is one (unless `shipped`),
    else None (the shipped model)."""
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


class FrameStats:
    """Frame rate while a stroke is being drawn: what the user feels, measured in the loop itself."""

    def __init__(self) -> None:
        self.frames = 0  # frames that ended with a stroke in progress and followed one too
        self.seconds = 0.0
        self.max_frame = 0.0
        self._last: float | None = None

    def record(self, now: float, drawing: bool) -> None:
        """Count the frame ending at `now` if a stroke was in progress through it."""
        if drawing and self._last is not None:
            dt = now - self._last
            self.frames += 1
            self.seconds += dt
            self.max_frame = max(self.max_frame, dt)
        self._last = now if drawing else None

    @property
    def fps(self) -> float | None:
        """Mean frames per second while drawing; None before any."""
        return self.frames / self.seconds if self.seconds > 0 else None


class Timeline:
    """Wall-clock milestones of a run (time.time(), comparable across processes)."""

    def __init__(self, launch: float | None = None) -> None:
        self.launch = time.time() if launch is None else launch
        self.window: float | None = None
        self.model_loaded: float | None = None
        self.first_prediction: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        """Absolute times plus seconds since launch (`*_s`)."""
        out: dict[str, float | None] = {}
        for name in ("launch", "window", "model_loaded", "first_prediction"):
            value = getattr(self, name)
            out[name] = value
            if name != "launch":
                out[f"{name}_s"] = None if value is None else round(value - self.launch, 4)
        return out


@dataclass(frozen=True)
class Reading:
    """What the worker read for ink `version`: the digits left to right ([] blank), on a canvas of `side` px."""

    version: int
    digits: list[Prediction]
    side: int


class PredictionWorker:
    """Runs recognizer.read off the UI thread, newest canvas first; the loop collects with poll().

    LiteRT and OpenCV release the GIL while they work, so the loop keeps its frame rate even when a
    prediction takes several milliseconds on a busy machine. With threaded=False, submit() predicts
    at once (deterministic: for tests and benchmarks that compare the two)."""

    def __init__(self, recognizer: Recognizer, threaded: bool = True) -> None:
        self.recognizer = recognizer
        self.threaded = threaded
        self._cond = threading.Condition()
        self._job: tuple[int, np.ndarray, list | None] | None = None  # waiting to start: (version, pixels, strokes)
        self._running = False  # a job is being predicted now
        self._result: Reading | BaseException | None = None  # not yet polled
        self._closed = False
        if threaded:
            threading.Thread(target=self._work, name="predictor", daemon=True).start()

    @property
    def busy(self) -> bool:
        """True while a submitted canvas is waiting or being predicted."""
        with self._cond:
            return self._job is not None or self._running

    def submit(self, version: int, pixels: np.ndarray, strokes: Sequence[Sequence[Point]] | None = None) -> None:
        """Read `pixels` drawn with `strokes` (both copied: the canvas keeps changing) for ink
        `version`; replaces a waiting job."""
        strokes = None if strokes is None else [list(s) for s in strokes]
        if not self.threaded:
            self._result = self._read(version, pixels, strokes)
            return
        with self._cond:
            self._job = (version, pixels.copy(), strokes)
            self._cond.notify_all()

    def poll(self) -> Reading | None:
        """The newest finished reading, once; None when nothing new arrived."""
        with self._cond:
            result, self._result = self._result, None
        if isinstance(result, BaseException):
            raise RuntimeError("prediction failed") from result
        return result

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until no job is waiting or running (headless drivers); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._job is None and not self._running, timeout)

    def close(self) -> None:
        """Stop the worker thread (it is a daemon: exiting without close() is fine too)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _read(self, version: int, pixels: np.ndarray, strokes: list | None) -> Reading | BaseException:
        try:
            return Reading(version, self.recognizer.read(pixels, strokes), pixels.shape[1])
        except Exception as exc:  # handed to the UI thread, which raises it: a bug must not pass silently
            return exc

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._job is not None or self._closed)
                if self._closed:
                    return
                (version, pixels, strokes), self._job = self._job, None
                self._running = True
            result = self._read(version, pixels, strokes)
            with self._cond:
                self._result = result
                self._running = False
                self._cond.notify_all()


class SampleSaver:
    """Adds and removes the user's samples (UserSamples: a small .npz rewritten and fsync'ed each
    time) on a daemon thread, in order, so the loop never waits on the disk; poll() gives the
    outcomes as (kind, ok, message) for the hint line. threaded=False works inline (tests)."""

    def __init__(self, store: UserSamples, threaded: bool = True) -> None:
        self.store = store
        self.threaded = threaded
        self._jobs: queue.Queue = queue.Queue()
        self._done: queue.Queue = queue.Queue()
        if threaded:
            threading.Thread(target=self._work, name="sample-saver", daemon=True).start()

    def add(self, image: np.ndarray, label: int, strokes: Sequence[Sequence[Point]]) -> None:
        """Store `image` (28x28, what the model saw) as a `label`, with the strokes it was drawn with."""
        self._submit(("add", image.copy(), label, [list(s) for s in strokes]))

    def pop(self) -> None:
        """Remove the newest sample (the user pressed the wrong digit)."""
        self._submit(("pop",))

    def poll(self) -> list[tuple[str, bool, str]]:
        """Outcomes finished since the last call, oldest first."""
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

    def _run(self, job: tuple) -> tuple[str, bool, str]:
        try:
            if job[0] == "add":
                count = self.store.add(job[1], job[2], job[3])
                return "add", True, f"saved as {job[2]} \u2014 {count} sample{'s' * (count != 1)}; U to undo"
            label = self.store.pop()
            if label is None:
                return "pop", True, "no samples to remove"
            return "pop", True, f"removed the sample saved as {label} \u2014 {len(self.store)} left"
        except (RecognizerError, OSError) as exc:  # a full disk or a damaged file: say so, keep drawing
            message = f"cannot save the sample: {exc}".splitlines()[0]
            print(f"error: {message}", file=sys.stderr, flush=True)
            return job[0], False, message

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                self._done.put(self._run(job))
            finally:
                self._jobs.task_done()


class App:
    """The two-pane recognizer: feed it events, call update(now) and draw(surface) once a frame."""

    def __init__(self, size: tuple[int, int] = DEFAULT_WINDOW, *, model_path: str | os.PathLike | None = None,
                 recognizer: Recognizer | None = None, debug_dump: str | os.PathLike | None = None,
                 launch_time: float | None = None, error_linger: float = ERROR_LINGER,
                 threaded: bool = True, personal: bool = False, samples: UserSamples | None = None) -> None:
        self.layout = compute_layout(size)
        self.canvas = Canvas(self.layout.canvas.width)
        self.panel = Panel()
        self.hint = Hint(HINT_TEXT)
        self.state = PanelState(LOADING)
        self.running = True
        self.exit_code = 0
        self.predictions = 0  # predictions shown (blank-canvas states not counted)
        self.stats = FrameStats()
        self.timeline = Timeline(launch_time)
        self.last_update = -math.inf  # the `now` of the latest update()
        self.worker: PredictionWorker | None = None
        self._threaded = threaded
        self.personal = personal  # the model is the user's fine-tuned one (choose_model)
        self.samples = SampleSaver(samples if samples is not None else UserSamples(), threaded)
        self.notice = ""  # replaces the hint line until _notice_until
        self.notice_ok = True
        self._notice_until: float | None = None  # None: NOTICE_TIME from the next update()
        self._drawn_notice: tuple[str, bool] | None = None
        self._saved_version = -1  # the ink version last saved as a sample (one sample per drawing)
        self._can_unsave = False  # U takes back the sample just saved (while its notice shows)
        self._loader = None if recognizer is not None else ModelLoader(model_path)
        self._dump_path = Path(debug_dump) if debug_dump else None
        self._dumped: tuple | None = None  # _dump_key() at the last dump
        self._error_linger = error_linger
        self._error_deadline: float | None = None
        self._shown_version = -1  # the ink version the panel's state belongs to
        self._submitted_version = -1
        self._last_submit = -math.inf
        self._full_redraw = True  # the whole window must be drawn (first frame, resize, expose)
        self._drawn_state: PanelState | None = None
        self._last_draw = -math.inf
        self._canvas_surface: pygame.Surface | None = None
        self._canvas_source: np.ndarray | None = None  # the array _canvas_surface shares its pixels with
        if recognizer is not None:
            self._model_ready(recognizer)

    # ---- events ---------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None:
        """Apply one pygame event (real or synthetic) to the app's state; draws nothing."""
        kind = event.type
        if kind in REDRAW_EVENTS:
            self._full_redraw = True
        if kind in (pygame.QUIT, getattr(pygame, "WINDOWCLOSE", pygame.QUIT)):
            self.quit()
        elif self.state.status == ERROR_STATUS:
            if kind in (pygame.KEYDOWN, pygame.MOUSEBUTTONDOWN):
                self.quit()
        elif kind == pygame.KEYDOWN:
            self._on_key(event.key, getattr(event, "mod", 0))
        elif kind == pygame.MOUSEBUTTONDOWN:
            self._on_mouse_down(event.pos, event.button)
        elif kind == pygame.MOUSEMOTION:
            self._on_mouse_motion(event.pos, event.buttons)
        elif kind == pygame.MOUSEBUTTONUP:
            if event.button == DRAW_BUTTON:
                self.canvas.end()
        elif kind == pygame.VIDEORESIZE:
            self.resize(event.size)
        elif kind == getattr(pygame, "WINDOWFOCUSLOST", None):
            self.canvas.end()

    def _on_key(self, key: int, mod: int) -> None:
        if key in (pygame.K_q, pygame.K_ESCAPE):
            self.quit()
        elif key == pygame.K_r:
            self.canvas.clear()
        elif key == pygame.K_u and self._can_unsave and self.notice:
            self._saved_version, self._can_unsave = -1, False  # U right after a save takes it back, not a stroke
            self.samples.pop()
        elif key == pygame.K_u or (key == pygame.K_z and mod & (pygame.KMOD_CTRL | pygame.KMOD_META)):
            self.canvas.undo()
        elif key in DIGIT_KEYS:
            self._save_sample(DIGIT_KEYS[key])

    def _save_sample(self, label: int) -> None:
        """Store the shown single-digit prediction's 28x28 image and strokes as the user's `label`."""
        pred = self.state.prediction
        if (pred is None or len(self.state.digits) != 1 or pred.unsure == BLANK or self.canvas.drawing
                or self._shown_version != self.canvas.version):
            self._set_notice("draw one digit first, then press what it is", ok=False)
        elif self._saved_version == self.canvas.version:
            text = "already saved; U to undo" if self._can_unsave else "already saved; draw the next digit"
            self._set_notice(text, ok=False, can_unsave=self._can_unsave)
        else:
            self._saved_version = self.canvas.version
            self.samples.add(pred.image, label, self.canvas.strokes)

    def _set_notice(self, text: str, ok: bool = True, can_unsave: bool = False) -> None:
        """Show `text` in place of the hint line for NOTICE_TIME (counted from the next update)."""
        self.notice, self.notice_ok, self._can_unsave = text, ok, can_unsave
        self._notice_until = None

    def _on_mouse_down(self, pos: tuple[int, int], button: int) -> None:
        if button == CLEAR_BUTTON:
            self.canvas.clear()
        elif button == DRAW_BUTTON and self.layout.canvas.collidepoint(pos):
            self.canvas.begin(self._to_canvas(pos))

    def _on_mouse_motion(self, pos: tuple[int, int], buttons: Sequence[int]) -> None:
        if not self.canvas.drawing:
            return
        if not buttons[0]:  # the button went up where we did not hear it (outside the window)
            self.canvas.end()
            return
        self.canvas.extend(self._to_canvas(pos))

    def _to_canvas(self, pos: tuple[int, int]) -> Point:
        """Window coordinates -> canvas pixel coordinates (the canvas is shown 1:1)."""
        return (pos[0] - self.layout.canvas.x, pos[1] - self.layout.canvas.y)

    def quit(self) -> None:
        """Stop the loop after this frame."""
        self.running = False

    def resize(self, size: tuple[int, int]) -> None:
        """Lay out for a new window size; the drawing is scaled with the canvas."""
        self.layout = compute_layout(size)
        self.canvas.resize(self.layout.canvas.width)
        self._full_redraw = True

    # ---- per-frame work -------------------------------------------------------------------
    def update(self, now: float | None = None) -> None:
        """Once a frame: pick up the loaded model and finished predictions, start a new prediction
        if the ink changed (at most every PREDICT_INTERVAL), run timers."""
        now = time.perf_counter() if now is None else now
        self.last_update = now
        self.stats.record(now, self.canvas.drawing)
        if self._loader is not None and self._loader.done.is_set():
            loader, self._loader = self._loader, None
            if loader.recognizer is not None:
                self._model_ready(loader.recognizer)
            else:
                self._model_failed(loader.error or "cannot load the model", now)
        if self._error_deadline is not None and now >= self._error_deadline:
            self.quit()
        for kind, ok, message in self.samples.poll():
            self._set_notice(message, ok, can_unsave=ok and kind == "add")
        if self.notice and self._notice_until is None:
            self._notice_until = now + NOTICE_TIME
        elif self.notice and now >= self._notice_until:
            self.notice, self._can_unsave = "", False
        if self.worker is not None:
            self._update_prediction(now)
        if self._dump_path is not None and self._dump_key() != self._dumped:
            self._write_dump()  # the stroke ended, a key changed the ink, ...: readers see it at once

    def _update_prediction(self, now: float) -> None:
        """Show a finished prediction; start the next one if the ink changed and the time has come."""
        result = self.worker.poll()
        if result is not None and result.version > self._shown_version:
            self._show(result)
        version = self.canvas.version
        if version == self._shown_version:
            return
        if self.canvas.is_empty:
            self._show(Reading(version, [], self.canvas.side))  # nothing to read: no need to ask the model
        elif (version != self._submitted_version and not self.worker.busy
              and now - self._last_submit >= PREDICT_INTERVAL):
            self._submitted_version, self._last_submit = version, now
            # Baked strokes are ink without points: then the reader groups the ink by itself.
            strokes = self.canvas.strokes if self.canvas.all_strokes_kept else None
            self.worker.submit(version, self.canvas.pixels, strokes)
            if not self.worker.threaded:
                self._show(self.worker.poll())

    @property
    def loading(self) -> bool:
        """True until the model has loaded or failed to."""
        return self.state.status == LOADING

    @property
    def prediction_pending(self) -> bool:
        """True while the model is ready and the shown prediction is older than the ink."""
        return self.state.status == READY and self.canvas.version != self._shown_version

    @property
    def saving(self) -> bool:
        """True while a sample is being written (or its outcome is not yet shown)."""
        return self.samples.pending

    def wait_for_model(self, timeout: float = 30.0) -> bool:
        """Block until the background model load has finished, either way (headless drivers);
        the next update() shows the outcome. False on timeout."""
        return self._loader is None or self._loader.done.wait(timeout)

    def wait_for_prediction(self, timeout: float = 5.0) -> bool:
        """Block until the prediction worker is idle (headless drivers); False on timeout."""
        return self.worker is None or self.worker.wait(timeout)

    def _model_ready(self, recognizer: Recognizer) -> None:
        self.worker = PredictionWorker(recognizer, threaded=self._threaded)
        self.timeline.model_loaded = time.time()
        self.state = PanelState(READY, note=self._note)

    @property
    def _note(self) -> str:
        return PERSONAL_NOTE if self.personal else ""

    def _model_failed(self, message: str, now: float) -> None:
        print(f"error: {message}", file=sys.stderr, flush=True)
        self.state = PanelState(ERROR_STATUS, message=message)
        self.exit_code = ERROR_EXIT_CODE
        self._error_deadline = now + self._error_linger

    def _show(self, reading: Reading) -> None:
        """Put a reading on the panel: its rightmost digit (None: blank canvas) and the number."""
        digits = tuple(reading.digits)
        prediction = digits[-1] if digits else None
        self.state = PanelState(READY, prediction, digits=digits, number=number_text(list(digits)),
                                canvas_side=reading.side, note=self._note)
        self._shown_version = reading.version
        if prediction is not None:
            self.predictions += 1
            if self.timeline.first_prediction is None:
                self.timeline.first_prediction = time.time()

    # ---- drawing ----------------------------------------------------------------------------
    def needs_draw(self, now: float | None = None) -> bool:
        """True when some of the screen is out of date (or IDLE_REDRAW passed): idle frames draw nothing."""
        now = time.perf_counter() if now is None else now
        return (self._full_redraw or self.canvas.has_dirty or self.state is not self._drawn_state
                or (self.notice, self.notice_ok) != self._drawn_notice or now - self._last_draw >= IDLE_REDRAW)

    def draw(self, surface: pygame.Surface, now: float | None = None) -> list[pygame.Rect]:
        """Draw what changed since the last call onto `surface` (the display, or any surface when
        headless) and return the changed rects, for pygame.display.update."""
        layout = self.layout
        now = time.perf_counter() if now is None else now
        dirty = self.canvas.take_dirty()
        state, notice = self.state, (self.notice, self.notice_ok)
        if self._full_redraw or now - self._last_draw >= IDLE_REDRAW:
            surface.fill(BACKGROUND)
            pygame.draw.rect(surface, CANVAS_BORDER, layout.canvas.inflate(2, 2), 1)
            surface.blit(self._canvas_view(), layout.canvas.topleft)
            self.panel.draw_boxes(surface, layout.canvas, state)
            self.panel.draw(surface, layout.panel, state)
            self._draw_hint(surface)
            rects = [surface.get_rect()]
        else:
            rects = []
            boxes_changed = state is not self._drawn_state and (
                state.has_boxes or (self._drawn_state is not None and self._drawn_state.has_boxes))
            if boxes_changed:  # the old boxes must go: the whole canvas, then the new boxes
                surface.blit(self._canvas_view(), layout.canvas.topleft)
                self.panel.draw_boxes(surface, layout.canvas, state)
                rects.append(layout.canvas.copy())
            elif dirty is not None:
                area = pygame.Rect(dirty)
                rect = surface.blit(self._canvas_view(), area.move(layout.canvas.topleft), area)
                if state.has_boxes:  # the new ink may have covered bits of boxes: redraw them there only
                    surface.set_clip(rect)
                    self.panel.draw_boxes(surface, layout.canvas, state)
                    surface.set_clip(None)
                rects.append(rect)
            if state is not self._drawn_state:
                self.panel.draw(surface, layout.panel, state)
                rects.append(layout.panel.copy())
            if notice != self._drawn_notice:
                rects.append(self._draw_hint(surface))
        self._full_redraw = False
        self._drawn_state = state
        self._drawn_notice = notice
        self._last_draw = now
        return rects

    def _draw_hint(self, surface: pygame.Surface) -> pygame.Rect:
        """The hint line, or the notice in its place; returns its rect."""
        self.hint.draw(surface, self.layout.hint, self.layout.scale, self.notice, ACCENT if self.notice_ok else ERROR)
        return self.layout.hint.copy()

    def _canvas_view(self) -> pygame.Surface:
        """An 8-bit surface sharing memory with the canvas pixels: no copy per frame."""
        pixels = self.canvas.pixels
        if pixels is not self._canvas_source:
            surface = pygame.image.frombuffer(pixels, (pixels.shape[1], pixels.shape[0]), "P")
            surface.set_palette(GREY_PALETTE)
            self._canvas_surface, self._canvas_source = surface, pixels
        return self._canvas_surface

    def window_shown(self) -> None:
        """Record that the first frame is on screen (for the start-up timings)."""
        if self.timeline.window is None:
            self.timeline.window = time.time()
            self._write_dump()

    # ---- debug dump -------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """The app's state as plain data: what the debug dump writes and tests read."""
        pred = self.state.prediction
        return {
            "pid": os.getpid(),
            "status": self.state.status,
            "message": self.state.message,
            "prediction": None if pred is None else {
                "digit": pred.digit,
                "confidence": round(pred.confidence, 6),
                "probabilities": [round(float(p), 6) for p in pred.probabilities],
                "unsure": pred.unsure,
            },
            "number": self.state.number if self.state.digits else None,
            "digits": [{"digit": p.digit, "confidence": round(p.confidence, 6), "unsure": p.unsure,
                        "box": None if p.box is None else [int(v) for v in p.box]} for p in self.state.digits],
            "model": None if self.worker is None else str(self.worker.recognizer.path),
            "personal_model": self.personal,
            "note": self.state.note,
            "notice": self.notice,
            "samples_file": str(self.samples.store.path),
            "predictions": self.predictions,
            "strokes": len(self.canvas.strokes),
            "drawing": self.canvas.drawing,
            "version": self.canvas.version,
            "shown_version": self._shown_version,
            "ink_pixels": int(np.count_nonzero(self.canvas.pixels)),
            "canvas_rect": list(self.layout.canvas),
            "window": list(self.layout.window),
            "brush_width": self.canvas.brush_width,
            "times": self.timeline.as_dict(),
            "drawing_fps": None if self.stats.fps is None else round(self.stats.fps, 2),
            "drawing_frames": self.stats.frames,
            "drawing_max_frame_ms": round(self.stats.max_frame * 1000, 2),
            "tensorflow_imported": "tensorflow" in sys.modules,  # must stay False: start-up speed
            "running": self.running,
            "exit_code": self.exit_code,
        }

    def _dump_key(self) -> tuple:
        """What, when it changes, makes the debug dump out of date (frame statistics aside)."""
        return (self.canvas.version, self.canvas.drawing, len(self.canvas.strokes), self.state, self.notice,
                self.running)

    def _write_dump(self) -> None:
        """Write snapshot() as JSON to the --debug-dump path, atomically (readers never see half)."""
        if self._dump_path is None:
            return
        self._dumped = self._dump_key()
        tmp = self._dump_path.with_name(self._dump_path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(self.snapshot()))
            os.replace(tmp, self._dump_path)
        except OSError as exc:  # a debugging aid must not take the app down: say so once, stop dumping
            print(f"error: cannot write the debug dump {self._dump_path}: {exc.strerror or exc}", file=sys.stderr)
            self._dump_path = None

    def close(self) -> None:
        """Stop the prediction worker, let a sample being saved finish; write the final dump (with the
        frame statistics)."""
        if self.worker is not None:
            self.worker.close()
        self.samples.wait()
        self._write_dump()
