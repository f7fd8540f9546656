"""The app: pygame events in, the canvas and the pane's state updated once a frame, drawn by View.

One frame of app.py's clock-driven loop is handle_events(the frame's pygame events) (state only,
no drawing), update(now) (the loaded model, the newest reading, sample-saving outcomes, timers)
and, when needs_draw(), draw(surface). Slow work never runs in the loop: the model loads, the
canvas is read, samples and the debug dump are written on background threads.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace

import pygame

from recognizer.errors import RecognizerError
from recognizer.ink import ink_from_canvas
from recognizer.predictor import DEFAULT_MODEL, Prediction, Recognizer, number_text
from recognizer.preprocess import ink_to_mnist
from recognizer.reject import BLANK
from recognizer.samples import MIN_LEARN_SAMPLES, ONE_DIGIT, UserSamples, personal_model_path
from recognizer.strokes import Point

from .canvas import MAX_UNDO, Canvas
from .dump import DebugDump
from .layout import DEFAULT_WINDOW, compute_layout
from .learner import Learner
from .model import ModelLoader
from .panel import ERROR_STATUS, LOADING, READY, SEPARATOR, PanelState
from .samples import SampleCollector
from .timing import FrameStats, Timeline
from .view import View
from .worker import PredictionWorker, Reading, Redrawer

WINDOW_TITLE = "Digit Recognizer"
FPS = 60
ERROR_LINGER = 20.0  # s; a model error stays on screen this long unless a key or click quits first
ERROR_EXIT_CODE = 2  # as the CLI's, for a RecognizerError
DRAW_BUTTON, CLEAR_BUTTON = 1, 3
HINT_TEXT = SEPARATOR.join(
    (
        "Draw: left mouse",
        "Clear: R or right click",
        "Undo: U or Ctrl+Z",
        "0-9: save my sample",
        "L: learn my writing",
        "M: my/shipped model",
        "Quit: Q or Esc",
    )
)
ERROR_HINT = "Any key or click: quit"  # the hint line while the model's error is shown
PERSONAL_NOTE = "personal model"
SHIPPED_NOTE = "shipped model"
UNDO_LIMIT_TEXT = f"only the last {MAX_UNDO} strokes can be undone; R clears the canvas"
LEARN_NOTICE_TIME = 8.0  # s; the verdict of a learning run stays this long
RESIZE_SETTLE = 0.2  # s without a resize before the canvas's strokes are drawn again at the new size
# s that quitting waits for a reading under way to end: the interpreter exiting while OpenCV worked on
# the worker's thread aborted the process ("terminate called without an active exception", SIGABRT)
CLOSE_WAIT = 2.0
# s that quitting waits for the samples being saved (a large file, or another window's save holding the
# file's lock): a save or undo still under way then is lost with the process, and stderr says so
SAVE_CLOSE_WAIT = 20.0
FILE_BUSY = "another window is saving to your samples file; learning once it is done\u2026"
UNSAVED_TEXT = (
    "error: quitting before your last change to the samples file was written (the file or the disk stayed "
    "busy): that save or undo did not happen"
)
UNSAVED_WHILE_LEARNING = "learning stopped: the sample it would have learned is taken back; L learns again"
DIGIT_KEYS = {getattr(pygame, f"K_{pad}{d}"): d for pad in ("", "KP") for d in range(10)}  # top row and keypad
KEYPAD_DIGITS = frozenset(getattr(pygame, f"K_KP{d}") for d in range(10))  # digits only with NumLock on
REDRAW_EVENTS = {
    getattr(pygame, name)
    for name in (  # the window's pixels may have been lost: draw all
        "VIDEOEXPOSE",
        "WINDOWEXPOSED",
        "WINDOWSHOWN",
        "WINDOWRESTORED",
        "WINDOWMAXIMIZED",
        "WINDOWSIZECHANGED",
    )
    if hasattr(pygame, name)
}

PROGRESS_STEPS = 200  # the learning bar's progress is shown to the nearest 1/PROGRESS_STEPS
# The window lost the pointer, focus or sight: a release then goes unheard, and SDL still reports the
# button down (a stroke hidden mid-way went on drawing under a hovering mouse, without a window manager).
PEN_LOST_EVENTS = {
    getattr(pygame, name) for name in ("WINDOWFOCUSLOST", "WINDOWHIDDEN", "WINDOWMINIMIZED") if hasattr(pygame, name)
}


def _numlock_digit(mod: int, text: str) -> bool:
    """Whether a keypad key typed its digit, where the event carries no text: NumLock on, and no
    Shift (which turns the keypad back into End, arrows... as NumLock off does)."""
    return not text and bool(mod & pygame.KMOD_NUM) and not mod & pygame.KMOD_SHIFT


class App:
    """The two-pane recognizer: feed it events, call update(now) and draw(surface) once a frame.

    With threaded=False the canvas is read, and samples and the dump are written, inline
    (deterministic: for tests and the benchmark's frame-work figures)."""

    def __init__(
        self,
        size: tuple[int, int] = DEFAULT_WINDOW,
        *,
        model_path: str | os.PathLike | None = None,
        recognizer: Recognizer | None = None,
        debug_dump: str | os.PathLike | None = None,
        launch_time: float | None = None,
        error_linger: float = ERROR_LINGER,
        threaded: bool = True,
        personal: bool = False,
        samples: UserSamples | None = None,
        data: str | os.PathLike | None = None,
    ) -> None:
        self.layout = compute_layout(size)
        self.canvas = Canvas(self.layout.canvas.width)
        self._entering = False  # the draw button went down beside the canvas and is still down
        self.view = View(HINT_TEXT)
        self.state = PanelState(LOADING)
        self.running = True
        self.exit_code = 0
        self.personal = personal  # the model is the user's personal one (learned or fine-tuned; ui.model.choose_model)
        # What M returns to from the personal model: the file given with --model, else (None) the shipped one
        self._own_model = None if personal else model_path
        self.data = data  # mnist.npz for learning's MNIST check (key L); None: $MNIST_NPZ, else a download
        self.predictions = 0  # predictions shown (blank-canvas states not counted)
        self.stats = FrameStats()
        self.timeline = Timeline(launch_time)
        self.last_update = -math.inf  # the `now` of the latest update()
        self.worker: PredictionWorker | None = None  # once the model is loaded
        self.samples = SampleCollector(samples if samples is not None else UserSamples(), threaded)
        self.dump = DebugDump(debug_dump, threaded) if debug_dump else None
        self._threaded = threaded
        self._redrawer = Redrawer(threaded)  # a resized canvas's strokes drawn again off the loop
        self._loader = None if recognizer is not None else ModelLoader(model_path)
        self.learner: Learner | None = None  # learning from the samples (key L), until picked up
        self._switch: tuple[ModelLoader, bool] | None = None  # another model loading (key M), personal or not
        # L pressed while a sample was being saved (the samples' failures then): it goes on once the save is
        # done, unless one failed meanwhile (its notice stays on screen)
        self._learn_queued: int | None = None
        # the ink version of the save the learning run read while U could still take it back
        self._learning_unsavable: int | None = None
        self._whole_pending: tuple[int, int] | None = None  # (key, ink version): pressed on a reading of several digits
        self._error_linger = error_linger
        self._resized_at = -math.inf  # the `now` of the latest resize (the canvas redrawn once it settles)
        self._resize_pending = False  # a resize came since the last update(): it stamps _resized_at
        self._error_deadline: float | None = None
        if recognizer is not None:
            self._model_ready(recognizer)

    # ---- events ---------------------------------------------------------------------------
    def handle_events(self, events: Sequence[pygame.event.Event]) -> None:
        """A frame's events, in order; of several window resizes only the last (a drag sends a few a
        frame, and each scaled the canvas and laid the pane out again)."""
        last = max((i for i, e in enumerate(events) if e.type == pygame.VIDEORESIZE), default=-1)
        for i, event in enumerate(events):
            if event.type != pygame.VIDEORESIZE or i == last:
                self.handle_event(event)

    def handle_event(self, event: pygame.event.Event) -> None:
        """Apply one pygame event (real or synthetic) to the app's state; draws nothing."""
        kind = event.type
        if kind in REDRAW_EVENTS:
            self.view.invalidate()
        if kind in (pygame.QUIT, getattr(pygame, "WINDOWCLOSE", pygame.QUIT)):
            self.quit()
        elif self.state.status == ERROR_STATUS:
            if kind in (pygame.KEYDOWN, pygame.MOUSEBUTTONDOWN):
                self.quit()
        elif kind == pygame.KEYDOWN:
            self._on_key(event.key, getattr(event, "mod", 0), getattr(event, "unicode", ""))
        elif kind == pygame.MOUSEBUTTONDOWN:
            self._on_mouse_down(event.pos, event.button)
        elif kind == pygame.MOUSEMOTION:
            self._on_mouse_motion(event.pos, event.buttons, getattr(event, "rel", (0, 0)))
        elif kind == pygame.MOUSEBUTTONUP:
            if event.button == DRAW_BUTTON:
                self._entering = False
                self.canvas.end()
        elif kind == pygame.VIDEORESIZE:
            self.resize(event.size)
        elif kind in PEN_LOST_EVENTS:  # the button's release may go unheard: the stroke ends here
            self._entering = False
            self.canvas.end()

    def _on_key(self, key: int, mod: int, text: str = "") -> None:
        if key in (pygame.K_q, pygame.K_ESCAPE):
            self.quit()
        elif key == pygame.K_r:
            self.canvas.clear()
        elif key == pygame.K_u or (
            key == pygame.K_z and mod & (pygame.KMOD_CTRL | pygame.KMOD_META) and not mod & pygame.KMOD_SHIFT
        ):  # Ctrl+Shift+Z is redo elsewhere: it undid another stroke (a user trial), and there is no redo
            if self.samples.can_unsave(self.canvas.version):  # a save just made: undo takes it back, not a stroke
                self.samples.unsave()
                if self.learner is not None and self._learning_unsavable == self.canvas.version:  # it read it
                    self.learner.cancel(UNSAVED_WHILE_LEARNING)
            elif not self.canvas.undo() and not self.canvas.is_empty:  # only strokes older than MAX_UNDO left
                self.samples.notify(UNDO_LIMIT_TEXT, ok=False)
        elif (
            key in DIGIT_KEYS
            and not mod & (pygame.KMOD_CTRL | pygame.KMOD_ALT | pygame.KMOD_META)
            and (key not in KEYPAD_DIGITS or text == str(DIGIT_KEYS[key]) or _numlock_digit(mod, text))
        ):  # a shortcut (Ctrl+2), AltGr's symbols: no sample (a user trial saved one); Shift stays (AZERTY's
            # digits); the keypad with NumLock off is End, arrows, Home... (SDL still says KP1: it saved a 1)
            self._save_sample(DIGIT_KEYS[key])
        elif key == pygame.K_l:
            self.learn()
        elif key == pygame.K_m:
            self.switch_model()

    def learn(self, retry: bool = False) -> None:
        """Start learning from the saved samples in the background (a child process); the pane shows
        its progress and the app switches to the personal model when it is kept. retry: the loop
        trying again a learning run queued behind a save (it says nothing new while still waiting)."""
        if self.learner is not None:
            self.samples.notify("already learning from your samples\u2026", ok=False)
        elif self.worker is None or self._switch is not None:
            self.samples.notify("wait for the model to load", ok=False)
        elif self.samples.pending:  # a save under way: count the file once it is written, not by waiting here
            self._learn_queued = self.samples.failures
            self.samples.notify("saving your sample, then learning\u2026")
        elif (refusal := self._learn_refusal()) is FILE_BUSY:  # tried again next frame, never waited for
            self._learn_queued = self.samples.failures
            if not retry:  # a notice shown since (a save's, U's) is not covered up each frame
                self.samples.notify(FILE_BUSY, seconds=LEARN_NOTICE_TIME)
        elif refusal is not None:
            self._learn_queued = None
            self.samples.notify(refusal, ok=False, seconds=LEARN_NOTICE_TIME)
        else:
            self._learn_queued = None
            self.learner = Learner(self.samples.path, data=self.data)
            # L right after a save: U still takes that sample back, and stops this run, which read it
            # (L's notice took the save's place, and U took a stroke away: a user trial)
            undoable = self.samples.can_unsave(self.canvas.version)
            self._learning_unsavable = self.canvas.version if undoable else None  # a later save's U stops nothing
            text = f"learning from your {sum(self.samples.counts)} samples\u2026 (keep drawing)"
            self.samples.notify(text, keep_unsave=undoable)

    def _saved_since(self, learner: Learner) -> str:
        """What a kept verdict adds when samples were saved after the run read the file: they are
        not in the personal model (the pane counted 47 while the verdict said 45, unexplained)."""
        if learner.samples_read is None:
            return ""
        later = sum(self.samples.counts) - learner.samples_read
        return f" ({later} saved since it read them: press L again to learn from those too)" if later > 0 else ""

    def _learn_refusal(self) -> str | None:
        """Why learning cannot start from the samples file as it is now (counted again: it may have
        been deleted or damaged since the app last counted; L counts it once no save is under way),
        or None; FILE_BUSY while another window saves to it (counted without waiting for the lock)."""
        try:
            counts = self.samples.recount()
        except (RecognizerError, OSError) as exc:
            return f"cannot learn: your samples file is damaged or unreadable: {exc}"
        if counts is None:
            return FILE_BUSY
        if sum(counts) < MIN_LEARN_SAMPLES:
            return f"save at least {MIN_LEARN_SAMPLES} samples first: draw a digit, then press its key"
        if sum(1 for n in counts if n) < 2:  # learn's guard would refuse them after a full run
            return ONE_DIGIT
        return None

    def switch_model(self) -> None:
        """Load the personal model (if there is one), or, from it, the model the app started with: the
        file given with --model, else the shipped one."""
        if self.learner is None and self._learn_queued is not None:
            self.samples.notify("wait: learning starts once your samples file is saved", ok=False)
            return
        if self.learner is not None or self._switch is not None or self.worker is None:
            self.samples.notify("wait: a model is being made or loaded", ok=False)
            return
        personal = personal_model_path(".tflite")
        if self.personal:
            self._switch = (ModelLoader(self._own_model), False)
        elif personal.is_file():
            self._switch = (ModelLoader(personal), True)
        else:
            self.samples.notify("no personal model yet: save samples (digit keys), then press L", ok=False)

    def _save_sample(self, label: int) -> None:
        """Save the drawing as a sample of `label`: the digit read, if one was; a drawing read as
        several digits, once the same key is pressed again, as one (a 5 in two strokes read "51" is
        the very misreading to teach: a user trial's writer had 5 of 21 saves refused, told to draw
        one digit)."""
        version = self.canvas.version
        digit = self._single_digit()
        several = (
            digit is None
            and len(self.state.digits) > 1
            and self._reading_is_current()
            and not self.samples.saved(version)  # pressed again once saved: "already saved", and U still undoes
        )
        if several and self._whole_pending == (label, version):
            self._whole_pending = None
            ink = ink_from_canvas(self.canvas.pixels)  # as Recognizer.predict reads a drawing with strokes
            self.samples.save(label, ink_to_mnist(ink), version, self.canvas.strokes)
        elif several:
            self._whole_pending = (label, version)
            read = number_text(self.state.digits)  # "5?": a digit not sure shows as the pane shows it
            self.samples.notify(f'read as "{read}": press {label} again to save it all as one {label}', ok=False)
        else:
            self.samples.save(label, None if digit is None else digit.image, version, self.canvas.strokes)

    def _reading_is_current(self) -> bool:
        """Whether the reading shown is of the finished ink as it is now (what a digit key saves)."""
        return not (
            self.canvas.drawing
            or self.canvas.redraw_due  # a reading of pixels scaled by a resize: the redraw is on its way
            or self.shown_version != self.canvas.version
        )

    def _single_digit(self) -> Prediction | None:
        """The digit read from the current ink if it is one finished digit (what a digit key saves)."""
        pred = self.state.prediction
        if pred is None or len(self.state.digits) != 1 or pred.unsure == BLANK or not self._reading_is_current():
            return None
        return pred

    def _on_mouse_down(self, pos: tuple[int, int], button: int) -> None:
        if button == CLEAR_BUTTON:
            self.canvas.clear()
        elif button == DRAW_BUTTON and self.layout.canvas.collidepoint(pos):
            self.canvas.begin(self._to_canvas(pos))
        elif button == DRAW_BUTTON:  # pressed beside the canvas: the stroke starts where the pen enters it
            self._entering = True

    def _on_mouse_motion(self, pos: tuple[int, int], buttons: Sequence[int], rel: tuple[int, int] = (0, 0)) -> None:
        if not self.canvas.drawing:
            if not buttons[0]:
                self._entering = False
            elif self._entering and self.layout.canvas.collidepoint(pos):
                self._entering = False
                self.canvas.begin(self._to_canvas(self._entry((pos[0] - rel[0], pos[1] - rel[1]), pos)))
                self.canvas.extend(self._to_canvas(pos))
            return
        if not buttons[0]:  # the button went up where we did not hear it (outside the window)
            self.canvas.end()
            return
        self.canvas.extend(self._to_canvas(pos))

    def _entry(self, outside: tuple[int, int], inside: tuple[int, int]) -> tuple[float, float]:
        """Where the move from `outside` the canvas to `inside` it crosses the canvas's edge: a
        stroke pressed beside the canvas starts there, not at the first point in."""
        rect, t = self.layout.canvas, 0.0  # t: the share of the move made outside
        for start, end, low, high in (
            (outside[0], inside[0], rect.left, rect.right - 1),
            (outside[1], inside[1], rect.top, rect.bottom - 1),
        ):
            if start < low:
                t = max(t, (low - start) / (end - start))
            elif start > high:
                t = max(t, (start - high) / (start - end))
        return outside[0] + t * (inside[0] - outside[0]), outside[1] + t * (inside[1] - outside[1])

    def _to_canvas(self, pos: tuple[float, float]) -> Point:
        """Window coordinates -> canvas pixel coordinates (the canvas is shown 1:1)."""
        return (pos[0] - self.layout.canvas.x, pos[1] - self.layout.canvas.y)

    def quit(self) -> None:
        """Stop the loop after this frame."""
        self.running = False

    def resize(self, size: tuple[int, int]) -> None:
        """Lay out for a new window size; the drawing is scaled with the canvas (its pixels at once,
        its strokes drawn again off the loop once no resize came for RESIZE_SETTLE s: worker.Redrawer)."""
        self.layout = compute_layout(size)
        self.canvas.resize(self.layout.canvas.width, exact=False)
        # Stamped by the next update() with its own `now`: stamped with the last frame's, a resize
        # after a frame of RESIZE_SETTLE or more (the redraw's own, with much ink) counted as settled
        # at once, and every later frame of the drag drew every stroke again (0.3-0.6 s a frame)
        self._resize_pending = True
        self.view.invalidate()

    # ---- per-frame work -------------------------------------------------------------------
    def update(self, now: float | None = None) -> None:
        """Once a frame: pick up the loaded model, the newest reading and sample-saving outcomes,
        start reading the canvas if the ink changed, run timers, dump the state if it changed."""
        now = time.perf_counter() if now is None else now
        self.last_update = now
        if self._resize_pending:
            self._resized_at, self._resize_pending = now, False
        self.stats.record(now, self.canvas.drawing)
        if self._loader is not None and self._loader.done.is_set():
            loader, self._loader = self._loader, None
            if loader.recognizer is not None:
                self._model_ready(loader.recognizer)
            elif self.personal:  # chosen for the user, not asked for: read with the shipped model instead
                self._personal_failed(loader.error or "cannot load the model")
            else:
                self._model_failed(loader.error or "cannot load the model", now)
        if self._error_deadline is not None and now >= self._error_deadline:
            self.quit()
        if self.canvas.redraw_due and now - self._resized_at >= RESIZE_SETTLE and not self.canvas.drawing:
            self._redrawer.update(self.canvas)
        self._update_models()
        self.samples.update(now, self.canvas.version)
        if self._learn_queued is not None and not self.samples.pending:
            failed, self._learn_queued = self.samples.failures > self._learn_queued, None
            if not failed:
                self.learn(retry=True)
        if self.worker is not None:
            reading = self.worker.update(self.canvas, now)
            if reading is not None:
                self._show(reading)
        self._update_footer()  # after the reading: a new pane keeps the learning progress (no flicker)
        if self.dump is not None:
            self.dump.update(self)  # the stroke ended, a key changed the ink, ...: readers see it at once

    @property
    def shown_version(self) -> int:
        """The ink version the pane's reading belongs to (-1: none yet)."""
        return -1 if self.worker is None else self.worker.shown_version

    def _update_models(self) -> None:
        """Pick up a finished learning run or model switch: use the new model, or say why not."""
        if self.learner is not None and self.learner.done.is_set():
            learner, self.learner = self.learner, None
            if learner.recognizer is not None:
                self._use(learner.recognizer, personal=True)
                message = learner.message + self._saved_since(learner)
            else:  # the samples file changed while it learned: the app's own words, not the command line's
                refusal = self._learn_refusal()
                message = learner.message if refusal in (None, FILE_BUSY) else refusal
            self.samples.notify(message, ok=learner.recognizer is not None, seconds=LEARN_NOTICE_TIME)
        if self._switch is not None and self._switch[0].done.is_set():
            (loader, personal), self._switch = self._switch, None
            if loader.recognizer is not None:
                self._use(loader.recognizer, personal)
                self.samples.notify(f"reading with the {self._note}")
            else:
                self.samples.notify(loader.error or "cannot load the model", ok=False, seconds=LEARN_NOTICE_TIME)

    def _use(self, recognizer: Recognizer, personal: bool) -> None:
        """Read with `recognizer` from now on (the canvas is read again with it)."""
        if self.worker is not None:
            self.worker.close()
        self.personal = personal
        self._model_ready(recognizer)

    def _update_footer(self) -> None:
        """The pane's small print: samples of each digit, learning progress."""
        if self.state.status != READY:
            return
        # the bar moves on within a step, by 1/PROGRESS_STEPS: the pane redrawn a few times a second
        shown = None if self.learner is None else self.learner.shown(time.monotonic())
        progress = None if shown is None else round(shown * PROGRESS_STEPS) / PROGRESS_STEPS
        text = "" if self.learner is None else f"learning: {self.learner.step}"
        if (self.state.samples, self.state.progress, self.state.progress_text) != (self.samples.counts, progress, text):
            self.state = replace(self.state, samples=self.samples.counts, progress=progress, progress_text=text)

    def _model_ready(self, recognizer: Recognizer) -> None:
        self.worker = PredictionWorker(recognizer, threaded=self._threaded)
        if self.timeline.model_loaded is None:
            self.timeline.model_loaded = time.time()
        if self.state.status == READY and self.state.prediction is not None and not self.canvas.is_empty:
            # Another model (L, M): the last reading stays until the new model's, not "draw a digit" over ink.
            self.state = replace(self.state, note=self._note, samples=self.samples.counts)
        else:
            self.state = PanelState(READY, note=self._note, samples=self.samples.counts)

    @property
    def _note(self) -> str:
        """Which model reads: personal, shipped, or the file given with --model."""
        if self.personal:
            return PERSONAL_NOTE
        path = None if self.worker is None else self.worker.recognizer.path
        return SHIPPED_NOTE if path is None or path.resolve() == DEFAULT_MODEL.resolve() else f"model {path.name}"

    def _personal_failed(self, message: str) -> None:
        """The personal model (found at its place, not named with --model) did not load: the app reads
        with the shipped model and says why, instead of refusing to draw until the file is mended."""
        print(f"warning: {message}; reading with the shipped model", file=sys.stderr, flush=True)
        self.personal = False
        self._loader = ModelLoader(None)
        self.samples.notify(
            f"your personal model did not load ({message}): reading with the shipped model; L learns it again",
            ok=False,
            seconds=LEARN_NOTICE_TIME,
        )

    def _model_failed(self, message: str, now: float) -> None:
        print(f"error: {message}", file=sys.stderr, flush=True)
        self.state = PanelState(ERROR_STATUS, message=message)
        self.exit_code = ERROR_EXIT_CODE
        self._error_deadline = now + self._error_linger

    def _show(self, reading: Reading) -> None:
        """Put a reading on the pane: its last digit (None: blank canvas) and the number."""
        digits = tuple(reading.digits)
        prediction = digits[-1] if digits else None
        self.state = PanelState(
            READY,
            prediction,
            digits=digits,
            number=number_text(list(digits)),  # lines of writing apart: "85 47"
            canvas_side=reading.side,
            note=self._note,
            samples=self.samples.counts,
        )
        if prediction is not None:
            self.predictions += 1
            if self.timeline.first_prediction is None:
                self.timeline.first_prediction = time.time()

    # ---- drawing ----------------------------------------------------------------------------
    def needs_draw(self, now: float | None = None) -> bool:
        """True when some of the screen is out of date: idle frames draw nothing."""
        now = time.perf_counter() if now is None else now
        return self.view.needs_draw(now, self.canvas, self.state, self._notice)

    def draw(self, surface: pygame.Surface, now: float | None = None) -> list[pygame.Rect]:
        """Draw what changed since the last call onto `surface` (the display, or any surface when
        headless) and return the changed rects, for pygame.display.update."""
        now = time.perf_counter() if now is None else now
        return self.view.draw(surface, now, self.layout, self.canvas, self.state, self._notice)

    @property
    def _notice(self) -> tuple[str, bool]:
        """The line under the canvas in place of the controls' hint: the model's error leaves only
        quitting (every key or click quits), else the samples' notice ("" shows the hint)."""
        if self.state.status == ERROR_STATUS:
            return ERROR_HINT, False
        return self.samples.notice, self.samples.notice_ok

    def window_shown(self) -> None:
        """Record that the first frame is on screen (for the start-up timings)."""
        if self.timeline.window is None:
            self.timeline.window = time.time()
            if self.dump is not None:
                self.dump.update(self, force=True)

    # ---- background work ----------------------------------------------------------------------
    @property
    def settled(self) -> bool:
        """True when nothing is under way: the model loaded (or failed), the pane shows the current
        ink, no sample or dump is being written."""
        reading_due = self.state.status == READY and self.shown_version != self.canvas.version
        dumping = self.dump is not None and self.dump.busy
        switching = self._switch is not None
        redrawing = self.canvas.redraw_due and not self.canvas.drawing  # the redraw waits for the stroke's end
        queued = self._learn_queued is not None
        busy = reading_due or self.samples.pending or queued or dumping or switching or redrawing
        return not (self.state.status == LOADING or busy)

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until the background threads are idle (headless drivers); the next update() shows
        what they did. False on timeout."""
        deadline = time.monotonic() + timeout

        def left() -> float:
            return max(0.0, deadline - time.monotonic())

        return (
            (self._loader is None or self._loader.done.wait(left()))
            and (self.worker is None or self.worker.wait(left()))
            and self.samples.wait(left())
            and (self.dump is None or self.dump.wait(left()))
            and self._redrawer.wait(left())
        )

    def close(self) -> None:
        """Stop the prediction worker, let a sample being saved finish; write the final dump (with
        the frame statistics)."""
        if self.worker is not None:
            self.worker.close(wait=CLOSE_WAIT)
        self._redrawer.close(wait=CLOSE_WAIT)
        if self.learner is not None:
            self.learner.cancel()
        if not self.samples.wait(SAVE_CLOSE_WAIT):
            print(UNSAVED_TEXT, file=sys.stderr, flush=True)
        if self.dump is not None:
            self.dump.close(self)
