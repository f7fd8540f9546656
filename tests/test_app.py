"""The desktop app, headless (SDL_VIDEODRIVER=dummy, set in conftest): synthetic mouse and key events
go through the same App.handle_event/update/draw the real loop calls."""

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pygame
import pytest

from recognizer.predictor import Prediction, number_text, percent
from recognizer.preprocess import to_mnist
from recognizer.reject import NOT_A_DIGIT, SCRIBBLE
from recognizer.samples import UserSamples, personal_model_path
from recognizer.strokes import BRUSH_DIVISOR, rasterize
from recognizer.synthetic import LETTER_STROKES, digit_strokes, place_strokes
from ui import canvas as canvas_module
from ui import worker as worker_module
from ui.app import HINT_TEXT, PERSONAL_NOTE, RESIZE_SETTLE, SHIPPED_NOTE, UNSAVED_WHILE_LEARNING, App
from ui.canvas import MAX_UNDO, POINT_STEP, Canvas
from ui.dump import snapshot
from ui.headless import key_event, run_script, stroke_events
from ui.layout import DEFAULT_WINDOW, compute_layout
from ui.main import parse_args
from ui.model import choose_model
from ui.panel import (
    ACCENT,
    BOX,
    ELLIPSIS,
    EMPTY_TEXT,
    ERROR,
    ERROR_STATUS,
    FONT_CACHE,
    LOADING,
    MUTED,
    PAD,
    READY,
    SEPARATOR,
    TEXT,
    WARNING,
    Hint,
    Panel,
    PanelState,
    confidence_row,
    elide,
    unsure_reasons,
    wrap,
)
from ui.samples import FAILED_NOTICE_TIME, NOTICE_TIME, SampleCollector, SampleSaver
from ui.timing import FrameStats
from ui.worker import PREDICT_INTERVAL, LatestJobThread, PredictionWorker

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", autouse=True)
def pygame_fonts():
    pygame.display.init()
    pygame.font.init()
    yield
    pygame.quit()


@pytest.fixture
def app(shipped):
    return App(recognizer=shipped)


@pytest.fixture
def screen():
    return pygame.Surface(DEFAULT_WINDOW)


def draw_digit(app: App, digit: int, surface=None, **kwargs) -> list[float]:
    strokes = digit_strokes(digit, app.canvas.side)
    return run_script(app, stroke_events(strokes, app.layout.canvas.topleft), surface, **kwargs)


# ---- layout -------------------------------------------------------------------------------
def test_default_layout_gives_a_560_canvas_beside_the_pane():
    layout = compute_layout(DEFAULT_WINDOW)
    assert layout.canvas.size == (560, 560)
    assert layout.panel.left > layout.canvas.right and layout.panel.height == 560
    assert layout.hint.top >= layout.canvas.bottom


@pytest.mark.parametrize("size", [(984, 640), (1920, 1080), (600, 900), (2000, 500), (480, 320), (100, 100)])
def test_layout_fits_any_window(size):
    layout = compute_layout(size)
    window = pygame.Rect((0, 0), layout.window)
    assert window.contains(layout.canvas) and window.contains(layout.panel) and window.contains(layout.hint)
    assert not layout.canvas.colliderect(layout.panel)
    assert layout.canvas.width == layout.canvas.height >= 200


# ---- canvas -------------------------------------------------------------------------------
def test_canvas_module_does_not_import_pygame():
    code = "import sys, ui.canvas; print('pygame' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_the_app_does_not_import_the_headless_drivers():
    code = "import sys, ui.app; print('ui.headless' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split()[-1] == "False"  # after pygame's banner


def test_the_window_does_not_wait_for_scipy():
    """ui.main opens the window after importing the app: scipy.ndimage, imported with the grouping
    for one function, held the window back 0.2-0.9 s."""
    code = "import sys, ui.app; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split()[-1] == "False"  # after pygame's banner


def test_the_model_loader_imports_scipy_so_the_first_reading_need_not():
    """... but the first reading, on the worker's thread while the user draws, paid for it (0.45 s)."""
    code = "import sys; from ui.model import ModelLoader; m = ModelLoader(None); m.done.wait(120)\n"
    code += "print(m.error is None and 'scipy.ndimage' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split()[-1] == "True"


def test_strokes_are_kept_as_points_and_versions_count_changes():
    c = Canvas(200)
    assert c.is_empty and c.version == 0
    c.begin((50, 50))
    c.extend((150, 60))
    c.extend((150.4, 60.3))  # less than a pixel: no new point, no new version
    c.end()
    assert c.strokes == [[(50.0, 50.0), (150.0, 60.0)]]
    assert c.version == 2 and not c.drawing
    c.extend((10, 10))  # no stroke in progress: ignored
    assert c.version == 2


@pytest.mark.parametrize("side", [560, 272, 240])
def test_a_pen_resting_on_a_tablet_adds_no_points(side):
    """A pen or finger held still jitters 1-2 px hundreds of times a second: each jitter was a point
    (900 a second; a user trial's 4 read "scribble", and was read again 22 times a second on ink
    that looked the same). A review: a step of a quarter brush let a +-2 px jitter through on
    small canvases (290 points a second at 272 px). Moves under POINT_STEP px add no point, on the
    app's smallest canvas too, wherever the pen comes to rest; a steady line still gets its points."""
    c = Canvas(side)
    assert c.point_step == POINT_STEP
    c.begin((50.0, 50.0))
    c.extend((50.0, 150.0))
    rng = np.random.default_rng(0)
    for rest in (150.0, 150.0 + POINT_STEP / 2, 150.0 + POINT_STEP - 2):  # on the last point, or between two
        c.extend((50.0, rest - POINT_STEP + 0.5))  # no point: under a step back
        version, points = c.version, len(c.strokes[-1])
        for _ in range(1000):  # a second at 1,000 Hz, +-2 px (a fingertip)
            c.extend((50.0 + rng.integers(-2, 3), rest + rng.integers(-2, 3)))
        assert len(c.strokes[-1]) <= points + 1 and c.version <= version + 1
    c.end()
    c.begin((100.0, 10.0))
    for y in range(11, 200):  # a slow, steady line: a point every step or so
        c.extend((100.0, float(y)))
    gaps = np.diff(np.array(c.strokes[-1])[:, 1])
    assert gaps.min() >= POINT_STEP and gaps.max() <= POINT_STEP + 1 and c.strokes[-1][-1][1] >= 199 - POINT_STEP
    assert Canvas(120).point_step == 3.0 and Canvas(28).point_step == 1.0  # small canvases: finer steps


def test_fast_moves_leave_no_gap():
    c = Canvas(300)
    c.begin((20, 150))
    c.extend((280, 150))  # one motion event across the whole canvas
    row = c.pixels[150]
    assert (row[20:281] == 255).all()


def draw_strokes(canvas: Canvas, strokes) -> None:
    """Feed strokes to the canvas point by point, as mouse motion does."""
    for stroke in strokes:
        canvas.begin(stroke[0])
        for point in stroke[1:]:
            canvas.extend(point)
        canvas.end()


def test_incremental_drawing_matches_full_rasterization():
    c = Canvas(400)
    draw_strokes(c, digit_strokes(8, 400))
    full = rasterize(c.strokes, (400, 400), c.brush_width)
    assert np.abs(c.pixels.astype(int) - full).max() <= 128  # anti-aliased edges may differ slightly
    assert ((c.pixels > 127) != (full > 127)).mean() < 0.002


def test_undo_restores_the_canvas_as_it_was_and_clear_empties_it():
    c = Canvas(200)
    strokes = digit_strokes(4, 200)
    draw_strokes(c, strokes[:1])
    first_only = c.pixels.copy()
    draw_strokes(c, strokes[1:])
    assert c.undo() and len(c.strokes) == 1
    assert np.array_equal(c.pixels, first_only)  # what was on screen before the stroke, exactly
    assert c.clear() and c.is_empty and not c.pixels.any()
    assert c.undo() and len(c.strokes) == 1 and np.array_equal(c.pixels, first_only)  # the clear taken back
    assert c.clear()
    draw_strokes(c, strokes[1:])  # drawn after the clear: undo takes it back, and the cleared drawing is gone
    assert c.undo() and c.is_empty
    assert not c.undo() and not c.clear()  # nothing left: no change, no new version


@pytest.mark.parametrize("side", [60, 200, 900])
def test_every_undo_puts_back_exactly_what_was_on_screen_before_the_stroke(side, monkeypatch):
    """Undo pastes back the pixels under the stroke's box from before it: random strokes, some
    leaving the canvas, some dots, on canvases whose brushes are 1-16 px, undone one by one (one of
    them in progress) as far as undo goes (MAX_UNDO), each leave the canvas exactly as it was before
    that stroke began (strokes across a large canvas may need more than UNDO_MEMORY)."""
    monkeypatch.setattr(canvas_module, "UNDO_MEMORY", 2**30)
    rng = np.random.default_rng(side)
    c = Canvas(side)
    before, n = [], MAX_UNDO + 10
    for k in range(n):
        before.append(c.pixels.copy())
        points = [tuple(p) for p in rng.uniform(-0.3 * side, 1.3 * side, (int(rng.integers(1, 12)), 2))]
        c.begin(points[0])
        for point in points[1:]:
            c.extend(point)
        if k < n - 1:  # the last stroke is undone while still drawn
            c.end()
    for k in reversed(range(n - MAX_UNDO, n)):
        assert c.undo()
        assert np.array_equal(c.pixels, before[k]), k
    assert not c.undo() and np.array_equal(c.pixels, before[n - MAX_UNDO])  # the oldest strokes are baked


def drawn_one_by_one(canvas: Canvas, strokes) -> list[np.ndarray]:
    """Draw strokes one at a time; the pixels before each."""
    before = []
    for stroke in strokes:
        before.append(canvas.pixels.copy())
        draw_strokes(canvas, [stroke])
    return before


def counted_draws(monkeypatch) -> list:
    """A list that grows by one for each stroke the canvas draws from now on."""
    drawn = []
    draw = canvas_module.draw_stroke
    monkeypatch.setattr(canvas_module, "draw_stroke", lambda *a: drawn.append(1) or draw(*a))
    return drawn


def test_undoing_a_long_drawing_is_a_copy_every_time(monkeypatch):
    """Undo redrew every stroke on the UI thread once the kept pixels ran out (every 17th undo of 40
    of 100 long strokes: 30-160 ms a press on a large drawing): now the pixels under every undoable
    stroke are kept, so no undo draws anything."""
    c = Canvas(200)
    lines = [[(10.0 + 1.8 * i, 20.0), (10.0 + 1.8 * i, 180.0)] for i in range(100)]
    before = drawn_one_by_one(c, lines)
    drawn = counted_draws(monkeypatch)
    for k in range(1, 41):
        assert c.undo() and np.array_equal(c.pixels, before[-k]), k
    assert not drawn


def test_undo_past_the_kept_pixels_or_after_a_resize_redraws_from_the_point_lists(monkeypatch):
    """Where the pixels kept for undo would pass UNDO_MEMORY, the oldest strokes' go: undoing one of
    those draws the strokes left again (keeping their pixels for the next undos), as undo after a
    resize does."""
    c = Canvas(200)
    lines = [[(10.0 + 8 * i, 20.0), (10.0 + 8 * i, 180.0)] for i in range(20)]
    monkeypatch.setattr(canvas_module, "UNDO_MEMORY", 5 * 200 * (10 + c.brush_width))  # a few lines' pixels
    before = drawn_one_by_one(c, lines)
    drawn = counted_draws(monkeypatch)
    copies = 0
    while c.undo() and not drawn:  # copies of the pixels kept, exactly as on screen before each stroke
        copies += 1
        assert np.array_equal(c.pixels, before[-copies]), copies
    assert 3 <= copies < 19
    left = len(lines) - copies - 1  # past the kept pixels: the strokes left drawn again, as a fresh canvas draws them
    assert len(c.strokes) == left == len(drawn)
    assert np.array_equal(c.pixels, rasterize(lines[:left], (200, 200), c.brush_width))
    assert c.undo() and np.array_equal(c.pixels, rasterize(lines[: left - 1], (200, 200), c.brush_width))
    assert len(drawn) == left  # a copy again
    c.resize(300)
    assert c.undo() and np.array_equal(c.pixels, rasterize(c.strokes, (300, 300), c.brush_width))


@pytest.mark.parametrize("redraw", ["resize", "worker"])
def test_a_stroke_redrawn_while_drawn_is_undone_whole(redraw):
    """A redraw made while a stroke was drawn kept, for its undo, the pixels under the points drawn
    so far; the stroke then grew past them, and its undo left ink behind (an outside review: 3,565
    and 6,624 px). Undo now leaves exactly the strokes before it."""
    c = Canvas(300)
    draw_strokes(c, [[(50.0 + 60 * i, 50.0), (50.0 + 60 * i, 250.0)] for i in range(3)])
    c.begin((20.0, 20.0))
    c.extend((40.0, 40.0))
    if redraw == "resize":
        c.resize(400)
    else:
        c.resize(400, exact=False)
        version, side, strokes, base, brush = c.redraw_job()
        assert c.redrawn(version, side, *canvas_module.render(strokes, base, side, brush))
    c.extend((380.0, 380.0))
    assert c.undo() and len(c.strokes) == 3
    assert np.array_equal(c.pixels, rasterize(c.strokes, (400, 400), c.brush_width))


def test_a_redraw_copies_only_the_pixels_it_keeps_for_undo(monkeypatch):
    """render held every stroke's patch before dropping the oldest past UNDO_MEMORY (168 MB at
    1,400 px for 100 long strokes, an outside review): it copies only those it keeps."""
    lines = [[(10.0 + 2 * i, 20.0), (10.0 + 2 * i, 180.0)] for i in range(50)]
    one = canvas_module.stroke_box(lines[0], 8, 200)
    monkeypatch.setattr(canvas_module, "UNDO_MEMORY", 5 * (one[2] - one[0]) * (one[3] - one[1]))
    copied = []
    patch_of = canvas_module.patch_of
    monkeypatch.setattr(canvas_module, "patch_of", lambda *a: copied.append(1) or patch_of(*a))
    pixels, before = canvas_module.render(lines, None, 200, 8)
    assert len(before) == len(copied) == 5
    assert np.array_equal(pixels, rasterize(lines, (200, 200), 8))


def test_dirty_area_covers_only_the_new_segment():
    c = Canvas(300)
    assert c.take_dirty() == (0, 0, 300, 300)  # a new canvas must be shown whole
    c.begin((100, 100))
    c.take_dirty()
    c.extend((120, 110))
    x, y, w, h = c.take_dirty()
    assert x <= 100 - c.brush_width // 2 and x + w >= 120 + c.brush_width // 2 and w < 80 and h < 80
    assert c.take_dirty() is None and not c.has_dirty


def test_resize_scales_the_drawing():
    c = Canvas(200)
    c.begin((50, 100))
    c.extend((150, 100))
    c.resize(400)
    assert c.side == 400 and c.pixels.shape == (400, 400)
    assert c.strokes == [[(100.0, 200.0), (300.0, 200.0)]]
    assert c.pixels[200, 110:290].min() == 255 and c.brush_width == round(400 / BRUSH_DIVISOR)


def test_old_strokes_are_baked_so_history_stays_bounded():
    c = Canvas(100)
    for i in range(MAX_UNDO + 50):
        c.begin((i % 100, 10))
        c.extend((i % 100, 90))
        c.end()
    assert len(c.strokes) == MAX_UNDO
    before = c.pixels.copy()
    assert c.undo()
    assert c.pixels.sum() <= before.sum() and c.pixels.any()  # the baked strokes are still there
    assert c.clear() and not c.pixels.any()


def test_default_brush_reads_every_synthetic_digit(shipped):
    """The default brush width makes drawn digits look like MNIST: all ten are read, confidently."""
    for side in (560, 300, 900):
        c = Canvas(side)
        for digit in range(10):
            pixels = rasterize(digit_strokes(digit, side), (side, side), c.brush_width)
            pred = shipped.predict(pixels)
            assert pred.digit == digit and pred.confidence > 0.8, (side, digit, pred)


# ---- the app, driven by synthetic events ---------------------------------------------------
@pytest.mark.parametrize("digit", range(10))
def test_drawn_digit_is_recognized_on_the_pane(app, screen, digit):
    draw_digit(app, digit, screen)
    state = app.state
    assert state.status == READY and state.prediction is not None
    assert state.prediction.digit == digit, f"read {state.prediction.digit} for a drawn {digit}"
    seen = app.worker.recognizer.read(app.canvas.pixels, app.canvas.strokes)[0].image
    assert np.allclose(state.prediction.image, seen)  # the pane shows the image the model saw
    assert np.abs(state.prediction.image - to_mnist(app.canvas.pixels)).max() < 0.1  # the digit's own ink only
    assert state.prediction.unsure is None and len(state.digits) == 1 and snapshot(app)["number"] == str(digit)
    assert snapshot(app)["prediction"]["digit"] == digit


@pytest.mark.parametrize("threaded", [False, True], ids=["inline", "worker-thread"])
def test_prediction_updates_while_drawing(shipped, screen, threaded):
    app = App(recognizer=shipped, threaded=threaded)
    stroke = digit_strokes(7, app.canvas.side)[0]
    dense = [tuple(p) for a, b in zip(stroke, stroke[1:]) for p in np.linspace(a, b, 20)[:-1]]
    events = stroke_events([dense], app.layout.canvas.topleft)[:-1]  # no mouse-up
    seen = []
    run_script(
        app, events, screen, events_per_frame=1, on_frame=lambda a, _: seen.append(a.state.prediction is not None)
    )
    assert app.canvas.drawing and app.state.prediction is not None  # shown before the mouse-up
    if not threaded:  # on the simulated clock (the worker runs on real time, faster than these frames)
        assert sum(seen) > len(seen) / 2 and app.predictions >= 10


def test_predictions_are_throttled_and_only_for_new_ink(shipped, screen):
    app = App(recognizer=shipped, threaded=False)
    stroke = digit_strokes(2, app.canvas.side)[0]
    dense = [tuple(p) for a, b in zip(stroke, stroke[1:]) for p in np.linspace(a, b, 30)[:-1]]
    events = stroke_events([dense], app.layout.canvas.topleft)
    frame_dt = 1 / 120  # a fast loop: still at most one prediction per PREDICT_INTERVAL
    frames = run_script(app, events, screen, events_per_frame=1, frame_dt=frame_dt)
    max_predictions = len(frames) * frame_dt / PREDICT_INTERVAL + 2
    assert 3 <= app.predictions <= max_predictions
    count = app.predictions
    run_script(app, [], screen)  # idle frames: the ink did not change, the model is not asked
    for t in range(10):
        app.update(100 + t)
    assert app.predictions == count


def test_empty_canvas_shows_draw_a_digit(app, screen):
    run_script(app, [], screen)
    assert app.state.status == READY and app.state.prediction is None
    draw_digit(app, 3, screen)
    run_script(app, [key_event(pygame.K_r)], screen)
    assert app.state.prediction is None and app.canvas.is_empty


def test_right_click_clears_and_undo_brings_the_drawing_back(app, screen):
    """A right click clears at a touch (a touchpad's two-finger tap): U puts the drawing back, as
    an outside review of the app asked; a stroke drawn since takes that chance away."""
    draw_digit(app, 4, screen)
    click = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(5, 5), button=3)
    run_script(app, [click], screen)
    assert app.canvas.is_empty and app.state.prediction is None
    run_script(app, [key_event(pygame.K_u)], screen)
    assert len(app.canvas.strokes) == 2 and app.state.prediction.digit == 4
    run_script(app, [key_event(pygame.K_r)], screen)
    draw_digit(app, 1, screen)
    run_script(app, [key_event(pygame.K_u)] * 2, screen)
    assert app.canvas.is_empty and app.state.prediction is None


@pytest.mark.parametrize(
    "key, mod", [(pygame.K_u, 0), (pygame.K_z, pygame.KMOD_LCTRL), (pygame.K_z, pygame.KMOD_RCTRL)]
)
def test_undo_removes_the_last_stroke(app, screen, key, mod):
    draw_digit(app, 4, screen)  # two strokes
    assert len(app.canvas.strokes) == 2 and app.state.prediction.digit == 4
    run_script(app, [key_event(key, mod)], screen)
    assert len(app.canvas.strokes) == 1
    c = app.canvas
    full = rasterize(c.strokes, c.pixels.shape, c.brush_width)  # the first stroke alone (drawn whole: AA edges differ)
    assert ((c.pixels > 127) != (full > 127)).mean() < 0.002 and np.abs(c.pixels.astype(int) - full).max() <= 128
    run_script(app, [key_event(key, mod)] * 2, screen)  # undo past the first stroke: harmless
    assert app.canvas.is_empty and app.state.prediction is None


def test_undo_past_the_kept_strokes_says_why_nothing_changed(app, screen):
    """Strokes older than MAX_UNDO are baked into the canvas: U with only those left says so (and
    that R clears), instead of silently doing nothing while ink stays."""
    events = []
    for i in range(MAX_UNDO + 5):
        events += stroke_events([[(20 + i * 4, 40), (20 + i * 4, 80)]], app.layout.canvas.topleft)
    run_script(app, events, screen)
    run_script(app, [key_event(pygame.K_u)] * MAX_UNDO, screen)
    assert app.canvas.strokes == [] and app.samples.notice == ""
    run_script(app, [key_event(pygame.K_u)], screen)
    assert not app.canvas.is_empty and "R clears" in app.samples.notice and not app.samples.notice_ok


def test_a_page_of_more_strokes_than_are_kept_reads_as_a_scribble(app, screen):
    """Past MAX_UNDO strokes the worker reads the canvas without them; a canvas mostly ink was then
    refused as paper with dark ink (read()'s check for pictures), and the app closed with a traceback
    (an outside review: 101 lines 5 px apart)."""
    side = app.canvas.side
    lines = [
        [(5.0, 5 + i * (side - 10) / MAX_UNDO), (side - 5.0, 5 + i * (side - 10) / MAX_UNDO)]
        for i in range(MAX_UNDO + 1)
    ]
    run_script(app, stroke_events(lines, app.layout.canvas.topleft), screen)
    assert not app.canvas.all_strokes_kept and (app.canvas.pixels > 0).mean() > 0.6
    assert app.running and app.state.prediction is not None and app.state.prediction.unsure == SCRIBBLE


def test_plain_z_does_not_undo(app, screen):
    draw_digit(app, 4, screen)
    run_script(app, [key_event(pygame.K_z)], screen)
    assert len(app.canvas.strokes) == 2


@pytest.mark.parametrize(
    "event",
    [
        key_event(pygame.K_q),
        key_event(pygame.K_ESCAPE),
        pygame.event.Event(pygame.QUIT),
        pygame.event.Event(pygame.WINDOWCLOSE, window=None),
    ],
    ids=["q", "esc", "quit", "window-close"],
)
def test_quit_events_stop_the_loop_cleanly(app, screen, event):
    draw_digit(app, 5, screen)
    run_script(app, [event], screen)
    assert not app.running and app.exit_code == 0


def test_strokes_start_only_on_the_canvas(app, screen):
    outside = (app.layout.panel.centerx, app.layout.panel.centery)
    run_script(app, stroke_events([[outside, (outside[0] + 50, outside[1])]]), screen)
    assert app.canvas.is_empty


def test_a_stroke_leaving_the_canvas_is_cut_at_its_edge(app, screen):
    c = app.layout.canvas
    run_script(app, stroke_events([[(c.centerx, c.centery), (c.right + 300, c.centery)]]), screen)
    assert app.canvas.pixels[app.canvas.side // 2, -1] == 255 and len(app.canvas.strokes) == 1


def test_motion_without_the_button_ends_the_stroke(app, screen):
    c = app.layout.canvas
    events = [
        pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=c.center, button=1),
        pygame.event.Event(pygame.MOUSEMOTION, pos=(c.centerx + 40, c.centery), rel=(40, 0), buttons=(0, 0, 0)),
    ]
    run_script(app, events, screen)
    assert not app.canvas.drawing


def test_resize_keeps_the_drawing_and_the_prediction(app, screen):
    draw_digit(app, 6, screen)
    big = pygame.Surface((1400, 900))
    run_script(app, [pygame.event.Event(pygame.VIDEORESIZE, size=big.get_size(), w=1400, h=900)], big)
    assert app.canvas.side == app.layout.canvas.width > 560
    assert app.state.prediction.digit == 6


def test_a_resized_canvas_is_drawn_again_off_the_loop(shipped, monkeypatch):
    """Once a resize settled, the loop drew every stroke again (100 ms for 100 long strokes at
    1920x1080, 244 ms at 4K): the redraw runs on its own thread, the loop shows the scaled pixels
    meanwhile, and a redraw of ink that changed before it was done is never put in."""
    app = App(recognizer=shipped, threaded=True)  # as the real app
    draw_digit(app, 4)
    slow = threading.Event()
    real_render = canvas_module.render

    def render(*args):
        assert slow.wait(10)
        return real_render(*args)

    monkeypatch.setattr(worker_module, "render", render)
    app.resize((1400, 900))
    app.update(100.0)
    started = time.monotonic()
    app.update(100.0 + RESIZE_SETTLE)  # settled: the redraw starts, and the frame does not wait for it
    assert time.monotonic() - started < 0.5 and app.canvas.redraw_due
    stroke = [[(0.1 * app.canvas.side, 0.9 * app.canvas.side), (0.3 * app.canvas.side, 0.9 * app.canvas.side)]]
    app.handle_events(stroke_events(stroke, app.layout.canvas.topleft))  # the ink changes meanwhile
    slow.set()  # the redraw of the ink before the stroke ends: put in, it would wipe the stroke out
    for _ in range(3):
        assert app.wait(10)
        app.update(app.last_update + RESIZE_SETTLE)
    assert not app.canvas.redraw_due
    side = app.canvas.side
    assert np.array_equal(app.canvas.pixels, rasterize(app.canvas.strokes, (side, side), app.canvas.brush_width))
    app.close()


def test_drawing_updates_only_what_changed(app, screen):
    assert app.draw(screen, 0.0) == [screen.get_rect()]  # first frame: everything
    assert not app.needs_draw(0.1)
    c = app.layout.canvas
    events = [
        pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=c.center, button=1),
        pygame.event.Event(pygame.MOUSEMOTION, pos=(c.centerx + 10, c.centery), rel=(10, 0), buttons=(1, 0, 0)),
    ]
    for event in events:
        app.handle_event(event)
    assert app.needs_draw(0.2)
    rects = app.draw(screen, 0.2)
    assert rects and all(c.contains(r) for r in rects) and sum(r.width * r.height for r in rects) < 100 * 100
    assert (pygame.surfarray.pixels_red(screen)[c.centerx, c.centery]) == 255  # the ink is on screen


def test_loading_then_ready_with_the_background_loader(screen):
    app = App(debug_dump=None)  # loads the shipped model on its thread
    assert app.state.status == LOADING
    app.draw(screen, 0.0)
    assert app.wait()
    app.update(1.0)
    assert app.state.status == READY and app.worker is not None and app.timeline.model_loaded is not None


def test_strokes_drawn_while_loading_are_predicted_once_ready(screen):
    app = App()
    for event in stroke_events(digit_strokes(0, app.canvas.side), app.layout.canvas.topleft):
        app.handle_event(event)  # no update() yet: the app has not seen the model arrive
    assert app.state.status == LOADING and len(app.canvas.strokes) == 1
    assert app.wait()
    run_script(app, [], screen)
    assert app.state.prediction is not None and app.state.prediction.digit == 0


def test_missing_model_shows_the_error_and_exits_non_zero(tmp_path, screen, capsys):
    app = App(model_path=tmp_path / "nope.tflite", error_linger=60)
    assert app.wait()
    app.update(0.0)
    app.draw(screen, 0.0)
    assert app.state.status == ERROR_STATUS and "not found" in app.state.message
    assert app.exit_code == 2 and app.running
    hint = app.layout.hint
    assert colour_pixels(screen, ERROR, hint) > 20  # the hint line says only how to quit, in the error colour
    err = capsys.readouterr().err
    assert err.startswith("error: model file not found") and err.count("\n") == 1
    app.update(59.0)
    assert app.running  # the message stays up...
    app.handle_event(key_event(pygame.K_SPACE))
    assert not app.running and app.exit_code == 2  # ... until any key


def test_error_message_quits_after_the_linger_time(tmp_path):
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(b"not a model")
    app = App(model_path=bad, error_linger=5)
    assert app.wait()
    app.update(10.0)
    assert app.running and app.state.status == ERROR_STATUS and "cannot load model" in app.state.message
    app.update(15.5)
    assert not app.running and app.exit_code == 2


def test_debug_dump_is_written_on_each_prediction(shipped, screen, tmp_path):
    dump = tmp_path / "state.json"
    app = App(recognizer=shipped, debug_dump=dump)
    draw_digit(app, 9, screen)
    state = json.loads(dump.read_text())
    assert state["status"] == READY and state["prediction"]["digit"] == 9
    assert state["strokes"] == 2 and state["ink_pixels"] > 0 and not state["drawing"]
    assert state["times"]["model_loaded"] is not None and state["times"]["first_prediction_s"] is not None
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # written through a temporary file, renamed


def test_unwritable_debug_dump_is_reported_once_not_fatal(shipped, screen, tmp_path, capsys):
    (tmp_path / "file").write_text("")
    app = App(recognizer=shipped, debug_dump=tmp_path / "file" / "state.json")  # its folder is a file
    draw_digit(app, 1, screen)
    run_script(app, [key_event(pygame.K_r)], screen)
    draw_digit(app, 7, screen)
    assert app.state.prediction.digit == 7
    assert capsys.readouterr().err.count("cannot write the debug dump") == 1


def test_a_job_submitted_while_another_waits_replaces_it():
    started, release, done = threading.Event(), threading.Event(), []

    def work(job: int) -> None:
        started.set()
        release.wait(5)
        done.append(job)

    thread = LatestJobThread(work, "test")
    thread.submit(1)
    assert started.wait(5) and thread.busy
    for job in (2, 3, 4):  # while 1 runs: only the newest is kept
        thread.submit(job)
    release.set()
    assert thread.wait() and not thread.busy
    assert done == [1, 4]
    thread.close()


def test_closing_waits_for_the_job_under_way():
    """Quitting while a reading ran let the interpreter exit with OpenCV busy on the worker's
    thread, which aborted the process (SIGABRT): close(wait) lets the job end first."""
    started, done = threading.Event(), []

    def work(job: int) -> None:
        started.set()
        time.sleep(0.3)
        done.append(job)

    thread = LatestJobThread(work, "test")
    thread.submit(1)
    assert started.wait(5)
    thread.close(wait=5.0)
    assert done == [1]


def test_frame_stats_measure_only_while_drawing():
    stats = FrameStats()
    for t in range(10):
        stats.record(t / 50, drawing=t >= 5)
    assert stats.frames == 4 and stats.fps == pytest.approx(50)
    stats.record(1.0, drawing=False)
    stats.record(2.0, drawing=True)
    assert stats.frames == 4  # the idle gap is not a slow frame


# ---- numbers, "not sure", the user's samples, the personal model ------------------------------
def colour_pixels(surface: pygame.Surface, colour, rect: pygame.Rect | None = None) -> int:
    rgb = pygame.surfarray.array3d(surface.subsurface(rect) if rect else surface)
    return int((np.abs(rgb.astype(int) - np.array(colour)).sum(axis=2) < 12).sum())


def two_digit_strokes(left: int, right: int, side: int) -> list:
    return digit_strokes(left, side, box=(0.08 * side, 0.25 * side, 0.38 * side, 0.5 * side)) + digit_strokes(
        right, side, box=(0.54 * side, 0.25 * side, 0.38 * side, 0.5 * side)
    )


@pytest.fixture
def samples(tmp_path) -> UserSamples:
    return UserSamples(tmp_path / "samples.npz")


def test_a_two_digit_number_is_read_with_a_box_per_digit(app, screen):
    run_script(app, stroke_events(two_digit_strokes(4, 2, app.canvas.side), app.layout.canvas.topleft), screen)
    state = app.state
    assert state.number == "42" and len(state.digits) == 2 and state.has_boxes
    assert state.prediction is state.digits[-1] and state.prediction.digit == 2  # the pane's bars: the rightmost
    snap = snapshot(app)
    assert snap["number"] == "42" and [d["digit"] for d in snap["digits"]] == [4, 2]
    left, right = (d["box"] for d in snap["digits"])
    assert left[0] + left[2] <= right[0]  # side by side
    app.draw(screen, 100.0)  # a full frame: the boxes are on the canvas, in the box colour
    assert colour_pixels(screen, BOX, app.layout.canvas) > 400
    app.handle_event(key_event(pygame.K_u))  # back to one digit: the boxes go
    run_script(app, [], screen)
    assert len(app.state.digits) == 1 and not app.state.has_boxes
    assert colour_pixels(screen, BOX, app.layout.canvas) == 0


def _pred(digit: int, p: float, unsure: str | None = None, x: int = 0) -> Prediction:
    probs = np.full(10, (1 - p) / 9)
    probs[digit] = p
    return Prediction(digit, p, probs, np.zeros((28, 28), np.float32), (x, 100, 80, 120), unsure)


def test_not_sure_shows_the_best_guess_not_a_confidence():
    """A letter read "not sure / not a digit" beside "Confidence >99.9%" contradicted itself."""
    assert confidence_row(_pred(7, 0.93)) == ("Confidence", "93.0%")
    assert confidence_row(_pred(4, 0.9999, NOT_A_DIGIT)) == ("Best guess", "4, >99.9%")


def test_a_numbers_unsure_digits_say_why_under_the_number():
    """The bars show one digit (the rightmost): a "?" elsewhere in the number used to show no reason."""
    digits = (
        _pred(1, 0.99, x=0),
        _pred(4, 0.999, NOT_A_DIGIT, x=100),
        _pred(2, 0.5, "low confidence", x=200),
        _pred(9, 0.6, NOT_A_DIGIT, x=300),
        _pred(3, 0.99, x=400),
    )
    assert unsure_reasons(digits) == "? not a digit, low confidence"
    assert unsure_reasons(digits[:1]) == ""
    state = PanelState(READY, digits[-1], digits=digits, number="1??93", canvas_side=560)
    no_reasons = replace(state, digits=tuple(replace(d, unsure=None) for d in digits))  # the same "?" glyphs
    size = (352, 560)
    panel = Panel()
    band = pygame.Rect(0, 0, size[0], 200)  # the number and the line under it
    with_line, without = (colour_pixels(panel.render(st, size), WARNING, band) for st in (state, no_reasons))
    assert with_line > without + 150


def test_a_minus_before_a_digit_alone_is_shown_with_it():
    """ "-5" read as one digit with a minus before it: the pane showed "5" alone (a number's minus is
    in the number)."""
    size, panel = (352, 560), Panel()
    spans = []
    for before in ("", "-"):
        pred = replace(_pred(5, 0.99), before=before)
        pane = panel.render(PanelState(READY, pred, digits=(pred,), number=before + "5", canvas_side=560), size)
        rgb = pygame.surfarray.array3d(pane.subsurface(pygame.Rect(0, 0, size[0] // 2, size[1] // 3))).astype(int)
        columns = np.flatnonzero((np.abs(rgb - np.array(TEXT)).sum(axis=2) < 12).any(axis=1))
        spans.append((columns.min(), columns.max()))
    assert spans[1][0] < spans[0][0] - 10  # ink further left: the minus, before the 5


def test_a_window_being_dragged_scales_the_pixels_and_draws_the_strokes_once_it_settles(app, screen):
    """Every resize event redrew every stroke on the UI thread (0.3 s for a canvas of 10,000 points):
    while the size changes the pixels are scaled, and the strokes are drawn again once it settles."""
    draw_digit(app, 3, screen)
    sizes = [(1000 + 20 * k, 650 + 12 * k) for k in range(5)]
    events = [pygame.event.Event(pygame.VIDEORESIZE, size=size, w=size[0], h=size[1]) for size in sizes]
    big = pygame.Surface(sizes[-1])
    for event in events:
        app.handle_event(event)
        c = app.canvas
        assert c.redraw_due and c.pixels.shape == (c.side, c.side) and c.pixels.any()  # scaled, not redrawn
    app.update(app.last_update + 0.01)
    assert app.canvas.redraw_due and not app.settled  # too soon: the size may still be changing
    run_script(app, [], big)
    c = app.canvas
    assert not c.redraw_due and np.array_equal(c.pixels, rasterize(c.strokes, c.pixels.shape, c.brush_width))
    assert app.state.prediction.digit == 3 and app.shown_version == c.version  # read again once redrawn


def test_no_sample_is_saved_from_pixels_a_resize_scaled(shipped, screen, samples):
    """A digit key pressed within RESIZE_SETTLE of a resize saved the reading of the scaled pixels;
    the redraw then moved the ink version, so U undid the stroke and kept the sample."""
    app = App(recognizer=shipped, samples=samples, threaded=False)
    draw_digit(app, 3, screen)
    drawn = len(app.canvas.strokes)
    resize = pygame.event.Event(pygame.VIDEORESIZE, size=(1100, 720), w=1100, h=720)
    run_script(app, [resize], settle=False)
    for _ in range(5):
        app.update(app.last_update + 1 / 60)
    assert app.canvas.redraw_due and app.shown_version == app.canvas.version  # the scaled pixels, read
    run_script(app, [key_event(pygame.K_3)], settle=False)
    assert app.samples.counts[3] == 0  # not from scaled pixels
    run_script(app, [])  # the redraw comes, and its reading
    run_script(app, [key_event(pygame.K_3)])
    assert app.samples.counts[3] == 1 and "saved as 3 \u2014 1 sample of 3, 1 in all" in app.samples.notice
    run_script(app, [key_event(pygame.K_u)])  # U takes that sample back, and leaves the drawing
    assert app.samples.counts[3] == 0 and len(app.canvas.strokes) == drawn


def test_a_resize_while_the_button_is_held_does_not_keep_the_app_unsettled(app, screen):
    """The redraw after a resize waits for the stroke to end: a headless script that resized in the
    middle of a stroke and never released the button looped for ever waiting for it."""
    side = app.canvas.side
    x0, y0 = app.layout.canvas.topleft
    press = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x0 + side // 3, y0 + side // 3), button=1)
    move = pygame.event.Event(pygame.MOUSEMOTION, pos=(x0 + side // 2, y0 + side // 2), rel=(1, 1), buttons=(1, 0, 0))
    resize = pygame.event.Event(pygame.VIDEORESIZE, size=(1100, 720), w=1100, h=720)
    deadline = time.monotonic() + 30
    run_script(app, [press, move, resize, move])
    assert time.monotonic() < deadline and app.canvas.drawing and app.canvas.redraw_due
    run_script(app, [pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(x0, y0), button=1)])
    assert not app.canvas.redraw_due


def test_slow_frames_in_a_window_drag_do_not_redraw_the_strokes_each_frame(shipped, screen):
    """A resize was stamped with the frame before its own: after one frame of RESIZE_SETTLE or more
    (the redraw's own, with much ink), every resize of the drag counted as settled at once and the
    strokes were drawn again every frame. Only RESIZE_SETTLE without a resize redraws them."""
    app = App(recognizer=shipped, threaded=False)
    draw_digit(app, 3, screen)
    now = app.last_update
    for k in range(6):  # a drag whose frames take 0.3 s: a resize in every one
        app.resize((1000 + 20 * k, 700))
        now += 0.3
        app.update(now)
        assert app.canvas.redraw_due, f"redrawn in the drag's frame {k}"
    app.update(now + 0.3)  # a frame with no resize, RESIZE_SETTLE after the last
    assert not app.canvas.redraw_due


def test_of_a_frames_resizes_only_the_last_is_handled(app):
    """A window drag sends several resizes a frame; each scaled the canvas and laid the pane out."""
    sizes = []
    app.resize = sizes.append
    key = key_event(pygame.K_r)
    app.handle_events([pygame.event.Event(pygame.VIDEORESIZE, size=(900 + k, 700), w=900 + k, h=700) for k in range(3)])
    app.handle_events([key, pygame.event.Event(pygame.VIDEORESIZE, size=(1000, 700), w=1000, h=700), key])
    assert sizes == [(902, 700), (1000, 700)]


def test_boxes_scale_with_the_canvas_display(app, screen):
    run_script(app, stroke_events(two_digit_strokes(1, 7, app.canvas.side), app.layout.canvas.topleft), screen)
    assert app.state.number == "17"
    big = pygame.Surface((1400, 900))
    run_script(app, [pygame.event.Event(pygame.VIDEORESIZE, size=big.get_size(), w=1400, h=900)], big)
    canvas = app.layout.canvas
    assert app.state.canvas_side == canvas.width and app.state.number == "17"
    x, y, w, h = app.state.digits[0].box
    assert colour_pixels(big, BOX, pygame.Rect(canvas.x + x, canvas.y + y, w, 1)) > w // 2  # the top edge


def test_a_scribble_shows_not_sure(app, screen):
    rng = np.random.default_rng(3)
    side = app.canvas.side
    strokes = [rng.uniform(0.1 * side, 0.9 * side, (6, 2)).tolist() for _ in range(10)]
    run_script(app, stroke_events(strokes, app.layout.canvas.topleft), screen)
    pred = app.state.prediction
    assert pred is not None and pred.unsure is not None, app.state
    assert snapshot(app)["prediction"]["unsure"] == pred.unsure
    pane = app.view.panel.render(app.state, app.layout.panel.size)
    assert colour_pixels(pane, WARNING) > 100 and accent_pixels(pane) == 0  # "not sure", the bars greyed


def test_a_drawn_letter_shows_not_a_digit(app, screen):
    side = app.canvas.side
    strokes = place_strokes(LETTER_STROKES["W"], side)
    run_script(app, stroke_events(strokes, app.layout.canvas.topleft), screen)
    pred = app.state.prediction
    assert pred is not None and pred.unsure == NOT_A_DIGIT, app.state
    pane = app.view.panel.render(app.state, app.layout.panel.size)
    assert colour_pixels(pane, WARNING) > 100 and accent_pixels(pane) == 0


def test_a_digit_key_saves_the_drawing_as_a_sample(shipped, screen, samples):
    app = App(recognizer=shipped, samples=samples)
    draw_digit(app, 7, screen)
    pred = app.state.prediction
    assert pred.digit == 7
    run_script(app, [key_event(pygame.K_7)], screen)
    saved = samples.load()
    assert len(saved) == 1 and saved.labels[0] == 7
    assert np.array_equal(saved.images[0], np.round(pred.image * 255).astype(np.uint8))
    assert len(saved.strokes[0]) == len(app.canvas.strokes)
    assert np.allclose(saved.strokes[0][0], app.canvas.strokes[0])
    assert "saved as 7" in app.samples.notice and snapshot(app)["notice"] == app.samples.notice
    run_script(app, [key_event(pygame.K_KP7, pygame.KMOD_NUM)], screen)  # the same drawing again: not a second sample
    assert len(samples.load()) == 1
    run_script(app, [key_event(pygame.K_u)], screen)  # U right after saving takes the sample back
    assert len(samples.load()) == 0 and len(app.canvas.strokes) == 1
    run_script(app, [key_event(pygame.K_KP1)], screen)  # the keypad with NumLock off is End: no sample
    assert len(samples.load()) == 0
    run_script(app, [key_event(pygame.K_KP1, pygame.KMOD_NUM | pygame.KMOD_LSHIFT)], screen)  # Shift: End too
    assert len(samples.load()) == 0
    run_script(app, [key_event(pygame.K_KP1, pygame.KMOD_NUM)], screen)  # with NumLock on, a digit
    assert samples.load().labels.tolist() == [1]
    run_script(app, [key_event(pygame.K_z, pygame.KMOD_LCTRL)], screen)  # Ctrl+Z, the other undo key, as U
    assert len(samples.load()) == 0 and len(app.canvas.strokes) == 1
    run_script(app, [key_event(pygame.K_KP1, text="1")], screen)  # a keypad that types "1" (no NumLock state)
    assert samples.load().labels.tolist() == [1]
    # Ctrl+Shift+Z (redo elsewhere) undid; Ctrl+2, Alt+2 saved a sample: none of them does anything
    ctrl_shift, ctrl, alt = pygame.KMOD_LCTRL | pygame.KMOD_LSHIFT, pygame.KMOD_LCTRL, pygame.KMOD_LALT
    run_script(
        app, [key_event(pygame.K_z, ctrl_shift), key_event(pygame.K_2, ctrl), key_event(pygame.K_2, alt)], screen
    )
    assert samples.load().labels.tolist() == [1] and len(app.canvas.strokes) == 1
    app.update(app.last_update + NOTICE_TIME + 0.1)
    assert app.samples.notice == ""
    run_script(app, [key_event(pygame.K_u)], screen)  # later, U undoes a stroke again
    assert len(samples.load()) == 1 and app.canvas.is_empty


def test_a_save_returns_before_the_file_is_written_and_quitting_waits_for_it(shipped, screen, samples, monkeypatch):
    """The digit key hands the sample to the saving thread (rewriting a file of 5,000 samples takes
    0.1-0.2 s): the loop goes on while the disk works, and close() waits for the write, so the
    sample saved just before quitting is in the file, whole."""
    app = App(recognizer=shipped, samples=samples)  # threaded, as the real app
    draw_digit(app, 7, screen)
    gate = slow_disk(samples, monkeypatch)
    app.handle_events([key_event(pygame.K_7)])  # returns with the disk still busy
    app.update(app.last_update + 1 / 60)
    assert app.samples.pending and not samples.path.exists()
    threading.Timer(0.2, gate.set).start()
    app.close()
    saved = samples.load()
    assert saved.labels.tolist() == [7]
    assert np.array_equal(saved.images[0], np.round(app.state.prediction.image * 255).astype(np.uint8))


@pytest.mark.parametrize("fail", [None, "No space left on device"])
def test_u_pressed_while_the_save_is_written_takes_the_sample_back(shipped, screen, samples, monkeypatch, fail):
    """The wrong digit key, then U while a large file is still being written: U took a stroke away,
    and the sample stayed in the file with no way to take it back. It now takes the save back once
    written, the drawing stays whole, and it can be saved again as the right digit."""
    app = App(recognizer=shipped, samples=samples)  # threaded, as the real app
    draw_digit(app, 4, screen)
    run_script(app, [key_event(pygame.K_4)], screen)  # this session's own sample: U must never take it
    run_script(app, [key_event(pygame.K_r)], screen)
    draw_digit(app, 7, screen)
    strokes = len(app.canvas.strokes)
    gate = slow_disk(samples, monkeypatch, fail)
    app.handle_events([key_event(pygame.K_1)])  # the wrong key; the disk is slow
    app.update(app.last_update + 1 / 60)
    app.handle_events([key_event(pygame.K_u)])  # before the save is written
    assert len(app.canvas.strokes) == strokes
    gate.set()
    assert app.samples.wait(10)
    app.update(app.last_update + 1 / 60)
    assert len(app.canvas.strokes) == strokes
    if fail is None:
        assert app.samples.notice.startswith("removed the sample saved as 1")
    else:  # nothing written, nothing taken back: the sample saved before (a 4) stays, and the notice says why
        assert app.samples.notice.startswith("cannot save the sample: No space left")
    assert samples.load().labels.tolist() == [4]
    monkeypatch.undo()
    run_script(app, [key_event(pygame.K_7)], screen)  # the same drawing, now as what it is
    assert samples.load().labels.tolist() == [4, 7]


def test_quitting_while_a_save_waits_too_long_says_the_sample_is_lost(shipped, screen, samples, monkeypatch, capsys):
    """Another window's save can hold the samples file's lock for seconds: quitting waited 5 s, then
    the process ended with the save still under way, and the sample was lost without a word."""
    import ui.app as app_module

    app = App(recognizer=shipped, samples=samples)
    draw_digit(app, 7, screen)
    gate = slow_disk(samples, monkeypatch)
    monkeypatch.setattr(app_module, "SAVE_CLOSE_WAIT", 0.3)
    app.handle_events([key_event(pygame.K_7)])
    app.close()
    assert capsys.readouterr().err.strip() == app_module.UNSAVED_TEXT
    gate.set()


def test_a_save_that_failed_can_be_made_again(shipped, screen, samples, monkeypatch):
    """A full disk (or a damaged file the user then moves aside): the notice says the save failed,
    and the same drawing is not then refused as "already saved" when the user tries again."""
    app = App(recognizer=shipped, samples=samples)
    draw_digit(app, 7, screen)
    add = samples.add

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(samples, "add", full_disk)
    run_script(app, [key_event(pygame.K_7)], screen)
    assert app.samples.notice.startswith("cannot save the sample") and not app.samples.notice_ok
    monkeypatch.setattr(samples, "add", add)
    run_script(app, [key_event(pygame.K_7)], screen)
    assert samples.load().labels.tolist() == [7] and "saved as 7" in app.samples.notice


def test_u_undoes_a_stroke_once_the_saved_drawing_changed(shipped, screen, samples):
    """U takes a save back only while the drawing saved is on the canvas: after a clear and a new
    stroke, U undoes that stroke and the sample stays (the notice stops offering U)."""
    app = App(recognizer=shipped, samples=samples)
    draw_digit(app, 7, screen)
    run_script(app, [key_event(pygame.K_7)], screen)
    assert app.samples.notice.endswith("U to undo")
    side = app.canvas.side
    stray = [[(0.2 * side, 0.2 * side), (0.3 * side, 0.25 * side)]]
    run_script(app, [key_event(pygame.K_r), *stroke_events(stray, app.layout.canvas.topleft)], screen)
    assert "saved as 7" in app.samples.notice and "U to undo" not in app.samples.notice
    run_script(app, [key_event(pygame.K_u)], screen)
    assert samples.load().labels.tolist() == [7] and app.canvas.is_empty


def test_a_drawing_read_as_several_digits_is_saved_whole_when_its_key_is_pressed_twice(shipped, screen, samples):
    """A 5 in two strokes read "51" is the misreading a user most wants to teach, and a digit key
    said "draw one digit first" (a user trial: 5 of 21 saves refused). The first press says what
    was read and how to save it; the second saves the whole drawing as one digit, the image
    Recognizer.predict reads for it."""
    from recognizer.ink import ink_from_canvas
    from recognizer.preprocess import ink_to_mnist

    app = App(recognizer=shipped, samples=samples)
    side = app.canvas.side
    strokes = digit_strokes(1, side, box=(0.1 * side, 0.2 * side, 0.3 * side, 0.5 * side))
    strokes += digit_strokes(2, side, box=(0.55 * side, 0.2 * side, 0.3 * side, 0.5 * side))
    run_script(app, stroke_events(strokes, app.layout.canvas.topleft), screen)
    assert number_text(app.state.digits) == "12"
    run_script(app, [key_event(pygame.K_7)], screen)
    assert len(samples.load()) == 0 and app.samples.notice == 'read as "12": press 7 again to save it all as one 7'
    run_script(app, [key_event(pygame.K_4), key_event(pygame.K_7)], screen)  # another key first: asked again
    assert len(samples.load()) == 0 and "press 7 again" in app.samples.notice
    run_script(app, [key_event(pygame.K_7)], screen)
    saved = samples.load()
    assert saved.labels.tolist() == [7] and len(saved.strokes[0]) == 2
    assert np.array_equal(saved.images[0], np.round(ink_to_mnist(ink_from_canvas(app.canvas.pixels)) * 255))
    run_script(app, [key_event(pygame.K_7)], screen)  # "did it save?": said so, and U still takes it back (a review)
    assert app.samples.notice.startswith("already saved") and app.samples.notice.endswith("U to undo")
    run_script(app, [key_event(pygame.K_u)], screen)
    assert len(samples.load()) == 0 and len(app.canvas.strokes) == 2


def test_a_failed_save_never_forgets_a_newer_one(tmp_path, monkeypatch):
    """Save A fails while save B (new ink) is queued behind it: A's failure re-arms A's drawing
    only, so B's stays saved (not saved twice) and U can still take it back."""

    store = UserSamples(tmp_path / "samples.npz")
    collector = SampleCollector(store, threaded=False)
    add, calls = store.add, []

    def first_fails(*args):
        calls.append(args[1])
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return add(*args)

    monkeypatch.setattr(store, "add", first_fails)
    digit = np.zeros((28, 28), np.float32)
    collector.save(4, digit, 1, [])  # A: fails (its outcome not yet seen)
    collector.save(5, digit, 2, [])  # B: new ink, saved
    collector.update(0.0, 2)
    assert collector.can_unsave(2) and "saved as 5" in collector.notice
    collector.save(5, digit, 2, [])  # B's drawing again: not a second sample
    assert store.load().labels.tolist() == [5] and "already saved" in collector.notice
    collector.update(1.0, 2)
    collector.update(1.0 + NOTICE_TIME + 0.1, 2)  # a refusal, not a failure: gone after NOTICE_TIME
    assert collector.notice == "" and not collector.can_unsave(2)


def test_a_save_refused_by_the_system_says_why_and_where_not_the_temporary_files_name(tmp_path, monkeypatch):
    """An outside review: a folder the user may not write to said "cannot save the sample: [Errno 1]
    Operation not permitted: '/tmp/roDir/.s.npz.0s6knsii.tmp'", the save's temporary file."""
    store = UserSamples(tmp_path / "samples.npz")
    saver = SampleSaver(store)
    saver.wait()
    refused = OSError(1, "Operation not permitted", str(tmp_path / ".samples.npz.0s6knsii.tmp"))
    monkeypatch.setattr(store, "add", lambda *a: (_ for _ in ()).throw(refused))
    saver.add(np.zeros((28, 28), np.float32), 3, [])
    assert saver.wait()
    (outcome,) = [o for o in saver.poll() if o[0] != "count"]
    assert outcome[:3] == ("add", False, f"cannot save the sample: Operation not permitted (in {tmp_path})")


def test_a_failed_removal_and_an_unexpected_error_are_said_and_saving_goes_on(tmp_path, monkeypatch):
    """The saving thread reports every failure as a notice, with the right verb, and survives
    errors it did not expect (a bug there once lost every later save without a word)."""
    store = UserSamples(tmp_path / "samples.npz")
    saver = SampleSaver(store)
    saver.wait()
    monkeypatch.setattr(store, "pop", lambda: (_ for _ in ()).throw(OSError(13, "Permission denied")))
    monkeypatch.setattr(store, "add", lambda *a: (_ for _ in ()).throw(ValueError("a bug")))
    saver.pop()
    saver.add(np.zeros((28, 28), np.float32), 3, [])
    assert saver.wait()
    outcomes = [o for o in saver.poll() if o[0] != "count"]
    assert [(kind, ok) for kind, ok, _, _ in outcomes] == [("pop", False), ("add", False)]
    assert outcomes[0][2] == "cannot remove the sample: Permission denied"
    assert outcomes[1][2] == "cannot save the sample: ValueError: a bug"
    monkeypatch.undo()
    saver.add(np.zeros((28, 28), np.float32), 3, [])
    assert saver.wait() and [o[:2] for o in saver.poll()] == [("add", True)]
    assert store.load().labels.tolist() == [3]


def test_a_reading_that_fails_is_raised_on_the_ui_thread_not_dropped():
    """A bug in read() must not pass silently (a pane that stops updating, no sign why): the worker
    hands the exception to the loop's thread, which raises it."""

    class Broken:
        def read(self, pixels, strokes=None, drawn=False):
            raise ValueError("a bug in read")

    for threaded in (True, False):
        worker = PredictionWorker(Broken(), threaded=threaded)
        canvas = Canvas(280)
        draw_strokes(canvas, digit_strokes(1, 280))
        with pytest.raises(RuntimeError, match="prediction failed") as raised:
            worker.update(canvas, 0.0)
            assert worker.wait()
            worker.update(canvas, 1.0)
        assert isinstance(raised.value.__cause__, ValueError)
        worker.close()


def test_a_reading_of_undone_ink_is_never_shown(shipped):
    """A reading that finishes after U (of ink that is gone) is dropped, as a clear's is: the pane
    waits for the reading of what is on the canvas."""
    started, gate, reads = threading.Event(), threading.Event(), []

    class Slow:
        def read(self, pixels, strokes=None, drawn=False):
            reads.append(len(strokes))
            started.set()
            gate.wait(10)
            return shipped.read(pixels, strokes)

    worker = PredictionWorker(Slow())
    canvas = Canvas(280)
    draw_strokes(canvas, [*digit_strokes(1, 280), [(20.0, 20.0), (260.0, 260.0)]])  # a digit and a slip
    drawn = len(canvas.strokes)
    assert worker.update(canvas, 0.0) is None and started.wait(5) and reads == [drawn]  # reading the slip
    assert canvas.undo()
    gate.set()
    assert worker.wait()
    assert worker.update(canvas, 1.0) is None  # the slip's reading: dropped, and the canvas read again
    assert worker.wait()
    reading = worker.update(canvas, 2.0)
    assert reading is not None and reading.version == canvas.version and reads == [drawn, drawn - 1]
    worker.close()


def test_fonts_stay_few_while_the_window_is_resized(shipped):
    """Dragging a window's corner renders the pane at hundreds of sizes: the fonts kept (each
    holding the font file open) stay bounded."""
    pred = shipped.classify(np.zeros((28, 28), np.float32))
    state = PanelState(READY, pred, digits=(pred,), note="shipped model", samples=(2,) * 10)
    panel = Panel()
    for width in range(200, 1400, 6):
        panel.render(state, (width, round(width * 1.6)))
    assert len(panel.fonts) <= FONT_CACHE


def test_a_long_notice_wraps_within_the_window():
    """A learning verdict longer than the window is wide wraps (and shrinks if it must) instead of
    losing both ends off the screen."""
    verdict = (
        "personal model not kept: it reads your samples worse (your 30 samples, each read as if unseen: "
        "shipped 100%, personal 97%); save 2 or more samples of each digit (fewer of 0, 2, 3, 5, 8)"
    )
    layout = compute_layout(DEFAULT_WINDOW)
    hint, surface = Hint("hint"), pygame.Surface(DEFAULT_WINDOW)
    hint.draw(surface, layout.hint, layout.scale, verdict)
    label = hint.label
    assert label.get_width() <= layout.hint.width and label.get_height() <= layout.hint.height
    assert label.get_height() >= 2 * pygame.font.Font(None, 12).get_linesize()  # two lines
    hint.draw(surface, layout.hint, layout.scale, verdict * 5)  # far too long: cut short at the end
    assert hint.label.get_width() <= layout.hint.width


def test_a_resize_drag_reuses_the_hint_s_font_and_label(monkeypatch):
    """Widening the window a frame at a time fits the hint again each frame, but with the font it
    already has (a new one starts with cold glyph caches) and without rendering lines that did not
    change; a new text or colour is rendered again, once."""
    made, rendered = [], []

    class CountingFont(pygame.font.Font):
        def __init__(self, *args) -> None:
            made.append(args)
            super().__init__(*args)

        def render(self, text, *args):
            rendered.append(text)
            return super().render(text, *args)

    monkeypatch.setattr(pygame.font, "Font", CountingFont)
    hint, surface = Hint(HINT_TEXT), pygame.Surface((1100, DEFAULT_WINDOW[1]))
    for width in range(DEFAULT_WINDOW[0], 1100, 4):  # the scale stays 1: the same one line
        layout = compute_layout((width, DEFAULT_WINDOW[1]))
        hint.draw(surface, layout.hint, layout.scale)
    assert len(made) == 1 and rendered == [HINT_TEXT]
    for notice, colour in [("saved as 7", ACCENT), ("saved as 7", ERROR), ("saved as 7", ERROR), ("", ERROR)]:
        hint.draw(surface, layout.hint, layout.scale, notice, colour)
    assert rendered == [HINT_TEXT, "saved as 7", "saved as 7", HINT_TEXT] and len(made) == 1


@pytest.mark.parametrize("size", [DEFAULT_WINDOW, (800, 600), (480, 320)])
def test_the_controls_hint_is_one_line_at_the_default_size_and_breaks_between_controls(size):
    """The hint fits one line in the default window; narrower, it wraps between two controls
    (never "Quit: Q or" / "Esc")."""
    layout = compute_layout(size)
    hint = Hint(HINT_TEXT)
    hint.draw(pygame.Surface(layout.window), layout.hint, layout.scale)
    label = hint.label
    line = pygame.font.Font(None, hint.font_size).get_linesize()
    assert label.get_width() <= layout.hint.width
    if size == DEFAULT_WINDOW:
        assert label.get_height() == line
    controls = HINT_TEXT.split(SEPARATOR)
    font = pygame.font.Font(None, hint.font_size)
    lines = wrap(HINT_TEXT, font, layout.hint.width - PAD, SEPARATOR)
    assert all(part in controls for text in lines for part in text.split(SEPARATOR))


def test_many_samples_fit_the_pane(shipped):
    """The samples of each digit stay readable at the foot of the pane, however many: the line
    keeps clear of the pane's right edge (it once ran off it, "9:13" shown as "9:1")."""
    pred = shipped.classify(np.zeros((28, 28), np.float32))
    size = compute_layout(DEFAULT_WINDOW).panel.size
    pane = Panel().render(PanelState(READY, pred, digits=(pred,), samples=(1234,) * 10), size)
    rgb = pygame.surfarray.array3d(pane)[:, size[1] - 40 :]  # (x, y): the bottom rows, the samples line
    inked = np.flatnonzero((np.abs(rgb.astype(int) - np.array(MUTED)).sum(axis=2) < 60).any(axis=1))
    assert inked.size and inked.max() < size[0] - 10


def test_a_digit_key_without_a_single_digit_saves_nothing(shipped, screen, samples):
    app = App(recognizer=shipped, samples=samples)
    run_script(app, [key_event(pygame.K_5)], screen)
    assert not samples.path.exists() and "draw one digit" in app.samples.notice
    run_script(app, stroke_events(two_digit_strokes(4, 2, app.canvas.side), app.layout.canvas.topleft), screen)
    run_script(app, [key_event(pygame.K_4)], screen)
    assert not samples.path.exists()


def test_the_personal_model_is_chosen_and_reported(monkeypatch, tmp_path, screen):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert choose_model() == (None, False)  # no personal model yet: the shipped one
    personal = personal_model_path()
    personal.parent.mkdir(parents=True)
    shutil.copy(ROOT / "recognizer" / "models" / "mnist_cnn.tflite", personal)
    assert choose_model() == (personal, True)
    assert choose_model(shipped=True) == (None, False)
    assert choose_model("other.tflite") == (Path("other.tflite"), False)
    dump = tmp_path / "state.json"
    path, is_personal = choose_model()
    app = App(model_path=path, personal=is_personal, debug_dump=dump, samples=UserSamples(tmp_path / "s.npz"))
    draw_digit(app, 3, screen)
    assert app.state.note == PERSONAL_NOTE and app.state.prediction.digit == 3
    state = json.loads(dump.read_text())
    assert state["personal_model"] is True and state["model"] == str(personal) and state["note"] == PERSONAL_NOTE


def test_m_returns_to_the_model_given_with_model_not_the_shipped_one(monkeypatch, tmp_path, screen):
    """Started with --model FILE and a personal model saved: M reads with the personal one, and M
    again with FILE (it went to the shipped model, and FILE was gone until the app started again)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    personal = personal_model_path()
    personal.parent.mkdir(parents=True)
    shutil.copy(ROOT / "recognizer" / "models" / "mnist_cnn.tflite", personal)
    own = tmp_path / "mine.tflite"
    shutil.copy(ROOT / "recognizer" / "models" / "mnist_cnn.tflite", own)
    path, is_personal = choose_model(own)
    app = App(model_path=path, personal=is_personal, samples=UserSamples(tmp_path / "s.npz"))
    assert app.wait()
    run_script(app, [], screen)
    assert app.state.note == "model mine.tflite"
    for note in (PERSONAL_NOTE, "model mine.tflite"):
        run_script(app, [key_event(pygame.K_m)], screen)
        app.wait()
        run_script(app, [], screen)
        assert app.state.note == note and app.samples.notice == f"reading with the {note}"
    assert app.worker.recognizer.path == own
    app.close()


def test_a_personal_model_that_does_not_load_falls_back_to_the_shipped_one(monkeypatch, tmp_path, screen, capsys):
    """A damaged personal model (a disk error, a half-copied file) used to stop the app: any key quit,
    though the user had not asked for that model. Now the shipped model reads, and the pane says why."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    personal = personal_model_path()
    personal.parent.mkdir(parents=True)
    personal.write_bytes((ROOT / "recognizer" / "models" / "mnist_cnn.tflite").read_bytes()[:1000])
    path, is_personal = choose_model()
    assert (path, is_personal) == (personal, True)
    app = App(model_path=path, personal=is_personal, samples=UserSamples(tmp_path / "s.npz"))
    assert app.wait()
    app.update(0.0)
    assert app.wait()  # the shipped model, loading in its place
    draw_digit(app, 7, screen)
    assert app.running and app.exit_code == 0 and app.state.status == READY
    assert app.state.note == SHIPPED_NOTE and not app.personal and app.state.prediction.digit == 7
    assert "personal model did not load" in app.samples.notice and not app.samples.notice_ok
    err = capsys.readouterr().err
    assert err.startswith("warning: cannot load model") and "reading with the shipped model" in err
    assert (
        personal.read_bytes() == (ROOT / "recognizer" / "models" / "mnist_cnn.tflite").read_bytes()[:1000]
    )  # kept as it was


def test_app_py_flags_for_models_and_samples():
    out = run_app("--help")
    assert "--shipped-model" in out.stdout and "--samples" in out.stdout
    out = run_app("--model", "a.tflite", "--shipped-model")
    assert out.returncode == 2 and "not allowed with" in out.stderr


# ---- python app.py, headless ------------------------------------------------------------------
def run_app(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    return subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_help_answers_without_starting_anything():
    out = run_app("--help")
    assert out.returncode == 0 and "--model" in out.stdout and "--debug-dump" in out.stdout


@pytest.mark.parametrize(
    "content, message", [(None, "model file not found"), (b"junk", "cannot load model"), (b"", "cannot load model")]
)
def test_bad_model_exits_non_zero_with_one_line(tmp_path, content, message):
    model = tmp_path / "model.tflite"
    if content is not None:
        model.write_bytes(content)
    out = run_app("--model", str(model))
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {message}"), out.stderr
    assert "Traceback" not in out.stderr


def test_a_model_that_cannot_serve_is_refused_before_the_first_stroke(unusable_models):
    """A .tflite taking uint8 images (a quantized export) used to load, then fail on the first stroke."""
    model = unusable_models["uint8"].with_suffix(".tflite")
    out = run_app("--model", str(model))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: unusable model {model}: its input is uint8, expected float32 images in [0, 1] (a quantized model?)"
    ], out.stderr


@pytest.mark.parametrize(
    "size, message",
    [
        ("big", "expected WIDTHxHEIGHT, e.g. 984x640, got 'big'"),
        ("0x5", "window size must be positive, got '0x5'"),
        ("99999999999999999999x5", "window sides must be at most 16384 pixels, got '99999999999999999999x5'"),
        ("640x100000", "window sides must be at most 16384 pixels, got '640x100000'"),
        ("10x10", "window must be at least 480x320, got '10x10'"),
        ("984x319", "window must be at least 480x320, got '984x319'"),
    ],
)
def test_bad_window_size_is_a_usage_error(size, message):
    out = run_app("--size", size)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.splitlines()[-1] == f"python app.py: error: argument --size: {message}", out.stderr


@pytest.mark.parametrize("kind", ["empty", "folder", "pipe", "under a file"])
def test_a_samples_path_that_names_no_file_is_a_usage_error(tmp_path, kind):
    """--samples naming a folder (or "") started the app, which then said "cannot read samples file
    (IsADirectoryError)" and advised renaming the folder as a damaged file; a named pipe held the
    samples' loader for ever, and quitting said a change was not saved."""
    value = {"empty": "", "folder": str(tmp_path), "pipe": str(tmp_path / "samples.npz")}.get(kind)
    if kind == "pipe":
        os.mkfifo(value)
    if kind == "under a file":  # every save said "[Errno 17] File exists" (an outside review of the app)
        (tmp_path / "notes.txt").write_text("a file, not a folder")
        value = str(tmp_path / "notes.txt" / "s.npz")
    out = run_app("--samples", value)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    last = out.stderr.splitlines()[-1]
    expected = {
        "empty": "an empty path",
        "folder": f"{tmp_path} is a folder",
        "pipe": "is not a regular file",
        "under a file": "cannot write there",
    }[kind]
    assert last.startswith("python app.py: error: argument --samples: ") and expected in last, out.stderr


def test_a_data_file_that_is_not_there_is_a_usage_error(tmp_path):
    """app.py --data nope.npz started, and said so only when L was pressed (an outside review)."""
    out = run_app("--data", str(tmp_path / "nope.npz"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.splitlines()[-1].startswith("python app.py: error: argument --data: "), out.stderr
    assert "nope.npz not found" in out.stderr


def test_an_mnist_npz_variable_naming_no_file_is_said_at_start(tmp_path, capsys, monkeypatch):
    """$MNIST_NPZ naming no file was said only when L was pressed; the app says so at start and
    still opens (drawing needs no MNIST: one set shell-wide for `train` and moved would stop it);
    --data given overrides it, as in every command, and is not warned about."""
    monkeypatch.setenv("MNIST_NPZ", str(tmp_path / "gone.npz"))
    assert parse_args([]).data is None
    err = capsys.readouterr().err
    assert err == (
        f"warning: $MNIST_NPZ names {tmp_path / 'gone.npz'}, which is not there: learning your writing (L) "
        "needs MNIST; set it to mnist.npz, an IDX folder or train.csv, or unset it\n"
    )
    (tmp_path / "m.npz").write_bytes(b"")
    assert parse_args(["--data", str(tmp_path / "m.npz")]).data == str(tmp_path / "m.npz")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("kind", ["folder", "under a file"])
def test_a_debug_dump_path_that_cannot_be_written_is_a_usage_error(tmp_path, kind):
    """--debug-dump under a file started the app, which said on stderr, at its first write, that it
    could not write (an outside review read that as failing silently)."""
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    value = {"folder": str(tmp_path), "under a file": str(tmp_path / "notes.txt" / "d.json")}[kind]
    out = run_app("--debug-dump", value)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    expected = {"folder": "is a folder", "under a file": "cannot write there"}[kind]
    last = out.stderr.splitlines()[-1]
    assert last.startswith("python app.py: error: argument --debug-dump: ") and expected in last, out.stderr


def test_real_main_loop_starts_without_tensorflow_and_quits_on_sigterm(tmp_path):
    dump = tmp_path / "state.json"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--debug-dump", str(dump)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        state = {}
        deadline = time.time() + 60
        while time.time() < deadline and not (state.get("status") == READY and state["times"]["window"]):
            time.sleep(0.05)
            state = json.loads(dump.read_text()) if dump.exists() else {}
        assert state.get("status") == READY, state
        assert state["tensorflow_imported"] is False
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err
    assert json.loads(dump.read_text())["running"] is False


# ---- the pane -------------------------------------------------------------------------------
def accent_pixels(surface: pygame.Surface) -> int:
    rgb = pygame.surfarray.array3d(surface)
    return int((np.abs(rgb - np.array(ACCENT)).sum(axis=2) < 30).sum())


@pytest.mark.parametrize("size", [(352, 560), (200, 250), (700, 900), (20, 20)])
def test_pane_renders_every_state_at_any_size(shipped, size):
    pred = shipped.predict(rasterize(digit_strokes(2, 300), (300, 300), 14))
    panel = Panel()
    states = [
        PanelState(LOADING),
        PanelState(READY),
        PanelState(READY, pred),
        PanelState(ERROR_STATUS, message="cannot load model /a/very/long/path/" + "x" * 80 + ".tflite: bad"),
    ]
    surfaces = [panel.render(state, size) for state in states]
    assert all(s.get_size() == size for s in surfaces)
    if size[0] >= 200:
        assert accent_pixels(surfaces[2]) > 50 and accent_pixels(surfaces[1]) == 0


def test_pane_is_rendered_only_when_its_state_changes(shipped, screen):
    panel = Panel()
    rect = pygame.Rect(600, 20, 352, 560)
    state = PanelState(READY)
    for _ in range(5):
        panel.draw(screen, rect, state)
    assert panel.renders == 1
    panel.draw(screen, rect, PanelState(READY))
    assert panel.renders == 2


def test_percent_never_rounds_up_to_certainty():
    assert percent(0.99996) == ">99.9%" and percent(1.0) == "100.0%" and percent(0.4567) == "45.7%"


class MonoFont:
    """A stand-in for a pygame font: every character MONO_PX wide; counts how often it measures."""

    def __init__(self) -> None:
        self.measures = 0

    def size(self, text: str) -> tuple[int, int]:
        self.measures += 1
        return MONO_PX * len(text), 2 * MONO_PX


MONO_PX = 7


def test_a_word_far_longer_than_the_line_is_broken_into_full_lines_with_few_measures():
    """A path of 2,111 characters in a notice (a model file that did not load) is broken into full
    lines within the width, nothing lost, each cut found with a few measures: every shorter start
    of the rest was measured, from the longest down (35 s for 4,000 characters, the loop frozen);
    an eliding of 4,000 characters measures a few times too, not once per character dropped."""
    font, width = MonoFont(), 300
    word = "/home/user/" + "folder/" * 300
    lines = wrap(f"cannot load {word} (missing)", font, width)
    per_line = width // MONO_PX
    assert lines[0] == "cannot load" and "".join(lines[1:]) == f"{word} (missing)"
    assert all(len(line) == per_line for line in lines[1:-1]) and len(lines[-1]) <= per_line
    assert font.measures <= 20 * len(lines)
    font.measures = 0
    assert elide("x" * 4000, font, width) == "x" * (per_line - 1) + ELLIPSIS and font.measures <= 30


def test_wrap_cuts_long_words():
    font = pygame.font.Font(None, 20)
    lines = wrap("model file not found: /" + "abc/" * 40 + "model.tflite (train one)", font, 150)
    assert len(lines) > 3 and all(font.size(line)[0] <= 150 for line in lines)
    assert EMPTY_TEXT == "draw a digit"


# ---- stress -------------------------------------------------------------------------------
def rss_mb() -> float:
    """The process's resident memory, MB, after glibc gives its free heap back: the memory in use,
    not what its allocator keeps for the next arrays."""
    if hasattr(ctypes, "CDLL"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="measures memory through /proc (Linux)")
@pytest.mark.parametrize("threaded", [True, False], ids=["worker-thread", "inline"])
def test_thousands_of_random_strokes_keep_memory_flat(shipped, threaded):
    """Random strokes (2,000; 3,500 with the worker thread), with clicks, keys and resizes mixed in: no
    crash, no growth."""
    rng = np.random.default_rng(0)
    size = (480, 320)
    app = App(size, recognizer=shipped, threaded=threaded)
    surface = pygame.Surface((900, 600))
    keys = [pygame.K_u, pygame.K_r, pygame.K_z, pygame.K_a, pygame.K_SPACE]

    def batch(n: int) -> list:
        events = []
        for _ in range(n):
            w, h = app.layout.window
            points = rng.uniform(-40, [w + 40, h + 40], (int(rng.integers(1, 12)), 2))
            events += stroke_events([points.tolist()], button=1 if rng.random() < 0.95 else 3)
            r = rng.random()
            if r < 0.05:
                events.append(key_event(keys[rng.integers(len(keys))], pygame.KMOD_CTRL if rng.random() < 0.5 else 0))
            elif r < 0.06:
                new = (int(rng.integers(300, 900)), int(rng.integers(200, 600)))
                events.append(pygame.event.Event(pygame.VIDEORESIZE, size=new, w=new[0], h=new[1]))
        return events

    for _ in range(4 if threaded else 1):  # the worker thread's arena settles over its first 2,000
        run_script(app, batch(500), surface, events_per_frame=6, settle=False)
    app.wait()
    before = rss_mb()
    for _ in range(3):
        run_script(app, batch(500), surface, events_per_frame=6, settle=False)
    app.wait()
    after = rss_mb()
    assert app.running and len(app.canvas.strokes) <= MAX_UNDO
    assert after - before < 8, f"memory grew {after - before:.1f} MB over 1,500 strokes"
    if not threaded:  # inline, every frame with new ink is read: hundreds of readings
        assert app.predictions > 300
    # How many readings the worker finishes depends on thread timing; what must hold either way:
    # after all that, the app still reads a digit drawn on a cleared canvas.
    run_script(app, [key_event(pygame.K_r)], surface)
    draw_digit(app, 7, surface)
    assert app.state.prediction is not None and app.state.prediction.digit == 7


def test_l_learns_from_the_samples_in_the_background_and_m_switches_back(monkeypatch, tmp_path, shipped, screen):
    """L runs `python -m recognizer learn` in a child process while the loop keeps going; the pane
    shows the samples of each digit, the progress and the model in use; M returns to the shipped model.
    Set LEARN_SCREENSHOT=docs/screenshot_learning.png to keep a frame drawn while it learns (the README's)."""
    from recognizer.preprocess import to_mnist as image_of
    from tests.test_finetune import make_samples

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    store = UserSamples(tmp_path / "samples.npz")
    app = App(recognizer=shipped, samples=store)
    run_script(app, [key_event(pygame.K_l)], screen)
    assert "save at least 3 samples" in app.samples.notice and app.learner is None
    run_script(app, [key_event(pygame.K_m)], screen)
    assert "no personal model yet" in app.samples.notice

    make_samples(store.path, 20)
    saved = store.load()
    # MNIST's stand-in for the check: the samples' own digits redrawn, so the outcome does not hang on chance.
    rng = np.random.default_rng(7)
    test = [(image_of(rasterize(digit_strokes(d, 300, rng=rng, jitter=0.05), (300, 300), 12)), d) for d in range(10)]
    x_test = np.stack([np.round(img * 255).astype(np.uint8) for img, _ in test] + list(saved.images))
    y_test = np.array([d for _, d in test] + saved.labels.tolist(), np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=x_test, y_train=y_test, x_test=x_test, y_test=y_test)
    monkeypatch.setenv("MNIST_NPZ", str(tmp_path / "mnist.npz"))
    app = App(recognizer=shipped, samples=store)
    run_script(app, [], screen)
    assert app.state.samples == tuple([2] * 10) and app.state.note == "shipped model"
    draw_digit(app, 3, screen)
    run_script(app, [key_event(pygame.K_l)], screen)
    assert app.learner is not None and "learning from your 20 samples" in app.samples.notice
    frames, progress, shot = 0, [], os.environ.get("LEARN_SCREENSHOT")
    deadline = time.monotonic() + 240
    while app.learner is not None and time.monotonic() < deadline:  # the loop keeps running meanwhile
        app.handle_event(pygame.event.Event(pygame.MOUSEMOTION, pos=(5, 5), rel=(0, 0), buttons=(0, 0, 0)))
        app.update()
        if app.needs_draw():
            app.draw(screen)
        if app.state.progress is not None:
            progress.append(app.state.progress)
            if shot and progress[-1] >= 0.4:
                pygame.image.save(screen, shot)
                shot = None
        frames += 1
        time.sleep(0.02)
    assert app.learner is None, "learning did not finish in time"
    assert progress and progress == sorted(progress) and frames > 10
    assert app.samples.notice.startswith("personal model kept"), app.samples.notice
    assert app.personal and app.state.note == PERSONAL_NOTE and app.state.progress is None
    assert app.state.prediction is not None  # the last reading stays until the new model's: not "draw a digit"
    assert app.worker.recognizer.path == personal_model_path(".tflite")
    run_script(app, [], screen)
    assert app.state.prediction.digit == 3  # the canvas read again with the personal model
    run_script(app, [key_event(pygame.K_m)], screen)
    app.wait()
    run_script(app, [], screen)
    assert not app.personal and app.state.note == "shipped model" and "shipped model" in app.samples.notice
    run_script(app, [key_event(pygame.K_m)], screen)  # and back to the personal one
    app.wait()
    run_script(app, [], screen)
    assert app.personal and app.state.note == PERSONAL_NOTE
    app.close()


def test_the_pane_shows_samples_progress_and_model(shipped):
    pane_size = compute_layout(DEFAULT_WINDOW).panel.size
    pred = shipped.classify(np.zeros((28, 28), np.float32))
    plain = Panel().render(PanelState(READY, pred, digits=(pred,)), pane_size)
    footer = PanelState(READY, pred, digits=(pred,), note="shipped model", samples=(3,) * 10, progress=0.5)
    assert footer.footer_lines == 2
    learning = Panel().render(footer, pane_size)
    bottom = pygame.Rect(0, pane_size[1] - 60, pane_size[0], 60)
    assert colour_pixels(learning, ACCENT, bottom) > colour_pixels(plain, ACCENT, bottom) + 50  # the bar


def test_every_learning_step_is_shown_whole_in_the_default_window(shipped, monkeypatch):
    """The pane's footer shows "learning: <step>" beside the model's name: at the default size no
    step is cut short (the first one read "learning: loading the model an...")."""
    from recognizer.learn import STEPS
    from ui import panel as panel_module
    from ui.learner import LOADING_STEP

    shown = []
    monkeypatch.setattr(panel_module, "elide", lambda text, *a: shown.append((text, elide(text, *a))) or shown[-1][1])
    pane_size = compute_layout(DEFAULT_WINDOW).panel.size
    pred = shipped.classify(np.zeros((28, 28), np.float32))
    for step in (*STEPS, LOADING_STEP):
        state = PanelState(READY, pred, digits=(pred,), note=PERSONAL_NOTE, samples=(3,) * 10, progress=0.5)
        Panel().render(replace(state, progress_text=f"learning: {step}"), pane_size)
    labels = [(text, out) for text, out in shown if text.startswith("learning: ")]
    assert len(labels) == len(STEPS) + 1 and all(text == out for text, out in labels), labels


def test_a_long_model_name_leaves_the_learning_progress_room(shipped, monkeypatch):
    """--model with a long file name: the note took the whole footer, the progress bar got no width
    and its label was cut to nothing. The note is cut short instead."""
    from ui import panel as panel_module

    shown = []
    monkeypatch.setattr(panel_module, "elide", lambda text, *a: shown.append((text, elide(text, *a))) or shown[-1][1])
    pane_size = compute_layout(DEFAULT_WINDOW).panel.size
    pred = shipped.classify(np.zeros((28, 28), np.float32))
    note = "model handwriting_model_finetuned_on_my_own_samples_2024-12-06_v3.tflite"
    state = PanelState(READY, pred, digits=(pred,), note=note, samples=(3,) * 10, progress=0.5)
    Panel().render(replace(state, progress_text="learning: checking on MNIST"), pane_size)
    outs = dict(shown)
    assert outs[note].endswith(panel_module.ELLIPSIS) and outs[note].startswith("model handwriting")
    assert outs["learning: checking on MNIST"].startswith("learning"), outs


def learner_of(monkeypatch, tmp_path, script: str, **settings):
    """A learning run (ui.learner.Learner) whose child runs `script` (python -c) in place of `learn`,
    with the learner module's `settings` (LEARN_TIMEOUT_S=..., STEP_LINE=...) set first."""
    from ui import learner as learner_module

    monkeypatch.setattr(
        learner_module, "learn_command", lambda samples, out=None, data=None: [sys.executable, "-c", script]
    )
    for name, value in settings.items():
        monkeypatch.setattr(learner_module, name, value)
    return learner_module.Learner(tmp_path / "samples.npz", tmp_path / "personal.keras")


def test_a_learner_whose_child_fails_without_a_verdict_says_its_last_line(monkeypatch, tmp_path):
    """A child that dies before it can say "error: ..." (an uncaught exception, a crash): the
    pane shows the last thing it printed, not only its exit status."""
    script = "print('[1/5] loading'); print('Exception: URL fetch failure'); print(); raise SystemExit(3)"
    learner = learner_of(monkeypatch, tmp_path, script)
    assert learner.done.wait(60)
    assert learner.message == "learning failed (exit status 3): Exception: URL fetch failure"
    assert learner.recognizer is None


def test_a_learners_child_knows_its_app_is_there(monkeypatch, tmp_path):
    """The child `learn` writes nothing once the app that started it is gone (killed: kill -9 left
    it running, and it replaced the personal model); while the app runs, app_gone() is False there."""
    script = (
        "import os; from recognizer.samples import APP_PID_ENV, app_gone; "
        "print(f'error: named {os.environ.get(APP_PID_ENV) == str(os.getppid())}, gone {app_gone()}'); "
        "raise SystemExit(2)"
    )
    learner = learner_of(monkeypatch, tmp_path, script)
    assert learner.done.wait(60)
    assert learner.message == "error: named True, gone False"


def test_a_learner_reads_a_child_that_prints_another_encoding_and_runs_it_below_the_apps_priority(
    monkeypatch, tmp_path
):
    """A samples path in Latin-1 printed by the child stopped the app's reading with a
    UnicodeDecodeError: the app said "cannot learn" while the child went on to write the model."""
    from ui import learner as learner_module

    script = (
        "import os, sys, time; time.sleep(0.5); "
        "nice = os.getpriority(os.PRIO_PROCESS, 0); "
        "sys.stdout.buffer.write(b'error: niceness %d, samples in /home/caf\\xe9' % nice); "
        "raise SystemExit(2)"
    )
    learner = learner_of(monkeypatch, tmp_path, script)
    assert learner.done.wait(60)
    nice = min(19, os.getpriority(os.PRIO_PROCESS, 0) + learner_module.NICENESS)  # Linux's lowest is 19
    assert learner.message == f"error: niceness {nice}, samples in /home/caf\ufffd"
    assert learner._process.poll() == 2


def test_a_learner_whose_reading_fails_ends_its_child(monkeypatch, tmp_path):
    """Whatever stops the app reading the child's output, the child must not run on to write a
    personal model after the app said it could not learn."""

    class Broken:
        def match(self, line):
            raise RuntimeError("the reading broke")

    script = "import time; print('[1/5] loading', flush=True); time.sleep(60)"
    learner = learner_of(monkeypatch, tmp_path, script, STEP_LINE=Broken())
    assert learner.done.wait(30)
    assert learner.message == "cannot learn: RuntimeError: the reading broke"
    assert learner._process.poll() is not None  # ended, not left to run its 60 s


def test_the_apps_data_flag_reaches_the_learning_command(monkeypatch, tmp_path, shipped, screen):
    """L checks the personal model on MNIST: without a way to name the file, an offline app could only
    say "pass --data", which app.py did not take."""
    from ui import learner as learner_module

    assert learner_module.learn_command(Path("s.npz"))[-2:] == ["--samples", "s.npz"]
    assert learner_module.learn_command(Path("s.npz"), data="m.npz")[-2:] == ["--data", "m.npz"]
    (tmp_path / "m.npz").write_bytes(b"")  # what it holds is read when L is pressed
    assert parse_args(["--data", str(tmp_path / "m.npz")]).data == str(tmp_path / "m.npz")
    assert parse_args([]).data is None
    commands = []
    monkeypatch.setattr(learner_module.subprocess, "Popen", lambda command, **_: commands.append(command) or 1 / 0)
    store = UserSamples(tmp_path / "samples.npz")
    for digit in (1, 2, 3):
        store.add(np.zeros((28, 28), np.float32), digit)
    app = App(recognizer=shipped, samples=store, data=tmp_path / "m.npz")
    run_script(app, [], screen)
    assert sum(app.state.samples) == 3
    run_script(app, [key_event(pygame.K_l)], screen)
    deadline = time.monotonic() + 10
    while not commands and time.monotonic() < deadline:  # the learner's thread starts the child
        time.sleep(0.01)
    assert commands and commands[0][-2:] == ["--data", str(tmp_path / "m.npz")]


def test_the_learning_bar_moves_with_the_time_each_step_takes():
    """learn's steps take very different times (loading, the MNIST check, writing): the bar used to sit
    at 80% for most of the run."""
    from recognizer.learn import STEPS
    from ui.learner import STEP_STARTS, step_progress

    assert len(STEP_STARTS) == len(STEPS)  # one start per step of learn
    starts = [step_progress(k, len(STEPS)) for k in range(1, len(STEPS) + 1)]
    assert starts == list(STEP_STARTS) and starts == sorted(starts) and starts[0] == 0 and starts[-1] < 0.6
    assert [step_progress(k, 4) for k in range(1, 5)] == [0.0, 0.25, 0.5, 0.75]  # another count: evenly
    assert step_progress(9, 4) == 1.0 and step_progress(1, 0) == 0.0


def test_the_learning_bar_moves_on_within_a_step_and_never_reaches_the_next():
    """The bar stood at 0% for the 9 s the child loads (and at each step's start for its length):
    it moves on as the step's expected time passes, slower and slower, short of the next step's start."""
    from ui.learner import LEARN_TYPICAL_S, STEP_MOST, STEP_STARTS, within_step

    start, end = STEP_STARTS[0], STEP_STARTS[1]
    shown = [within_step(start, end, t) for t in (0.0, 1.0, 5.0, (end - start) * LEARN_TYPICAL_S, 60.0, 600.0)]
    assert shown[0] == start and shown == sorted(shown) and shown[-1] < end
    assert shown[3] == pytest.approx(start + (end - start) * STEP_MOST * (1 - np.exp(-1)))  # 60% at the expected time
    assert within_step(0.5, 0.5, 10.0) == 0.5 and within_step(0.2, 0.5, -1.0) == 0.2


@pytest.mark.parametrize("ignores_sigterm", [False, True])
def test_a_learner_whose_child_hangs_stops_it_and_says_so(monkeypatch, tmp_path, ignores_sigterm):
    """A child stuck for good (a hung read, a deadlock) kept the app saying "already learning" until
    it closed: past LEARN_TIMEOUT_S it is stopped (killed if it ignores SIGTERM) and the pane says why."""
    ignore = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); " if ignores_sigterm else ""
    script = ignore + "import time; print('[1/5] loading', flush=True); time.sleep(120)"
    learner = learner_of(monkeypatch, tmp_path, script, LEARN_TIMEOUT_S=1.5, KILL_AFTER_S=1.0)
    assert learner.done.wait(60)
    assert learner.message == "learning stopped: it ran over 1.5 s (it takes about a minute); L tries again"
    assert learner._process.poll() == (-signal.SIGKILL if ignores_sigterm else -signal.SIGTERM)
    assert learner.recognizer is None


def test_a_learner_that_ends_in_time_is_never_stopped(monkeypatch, tmp_path):
    """The watchdog ends with the child: no timer thread lives on to stop a later run's child."""
    script = "print('error: no samples'); raise SystemExit(2)"
    learner = learner_of(monkeypatch, tmp_path, script)
    assert learner.done.wait(60)
    learner._watchdog.join(5)  # cancelled, it ends at once; left running, it would wait LEARN_TIMEOUT_S
    assert not learner._watchdog.is_alive()
    assert learner.message == "error: no samples" and not learner._timed_out


def test_a_learner_cancelled_before_its_child_starts_never_starts_it(monkeypatch, tmp_path):
    """Closing the app while the learner thread is still starting: the child must not start later
    and write a personal model nobody waits for."""
    import threading

    from ui import learner as learner_module

    started = []
    monkeypatch.setattr(learner_module.subprocess, "Popen", lambda *a, **k: started.append(a))
    gate = threading.Event()
    real_run = learner_module.Learner._run
    monkeypatch.setattr(learner_module.Learner, "_run", lambda self: (gate.wait(5), real_run(self)))
    learner = learner_module.Learner(tmp_path / "samples.npz", tmp_path / "personal.keras")
    learner.cancel()  # before the thread reaches Popen
    gate.set()
    assert learner.done.wait(5)
    assert started == [] and learner.recognizer is None and learner.message == "learning cancelled"


def test_the_readmes_screenshots_are_made_by_the_app_itself(tmp_path, capsys):
    """python -m ui.screenshots draws the README's number, letter, two-line and decimal screenshots through the
    real App and the shipped model: each one reads what its picture says."""
    from ui import screenshots

    written = screenshots.make(tmp_path)
    assert (
        sorted(p.name for p in written)
        == sorted(p.name for p in tmp_path.iterdir())
        == [
            "screenshot_decimal.png",
            "screenshot_not_a_digit.png",
            "screenshot_number.png",
            "screenshot_two_lines.png",
        ]
    )
    out = capsys.readouterr().out
    assert "screenshot_number.png: 47" in out and "screenshot_not_a_digit.png: 4?7" in out
    assert "screenshot_two_lines.png: 12 34" in out and "screenshot_decimal.png: 3.75" in out
    assert all(pygame.image.load(str(p)).get_size() == DEFAULT_WINDOW for p in written)


@pytest.fixture
def learners(monkeypatch) -> list:
    """The learning runs L started, each with the samples file it learns from, instead of child
    processes: set `message` and `done` to end one as the child would, without a model."""
    import ui.app as app_module

    started = []

    class FakeLearner:
        def __init__(self, samples, out=None, data=None):
            started.append(self)
            self.samples, self.recognizer, self.message = samples, None, ""
            self.done, self.progress, self.step = threading.Event(), 0.0, "starting"
            self.samples_read = None
            self.cancelled = None  # the message it was stopped with

        def cancel(self, message="learning cancelled"):
            self.cancelled = message

        def shown(self, now):
            return self.progress

    monkeypatch.setattr(app_module, "Learner", FakeLearner)
    return started


def save_digits(store: UserSamples, digits) -> None:
    for digit in digits:
        store.add(np.zeros((28, 28), np.float32), digit)


def test_a_kept_verdict_says_samples_saved_while_it_learned_are_not_in_it(shipped, screen, samples, learners):
    """The verdict said "your 45 samples" while the pane counted 47: samples saved after the run
    read the file are not in the personal model, and the notice now says so and what to do."""
    save_digits(samples, range(10))
    app = App(recognizer=shipped, samples=samples)
    run_script(app, [key_event(pygame.K_l)], screen)
    (run,) = learners
    save_digits(samples, (1, 2))  # saved (by another window) while it learned
    app.samples.recount()
    run.samples_read, run.recognizer = 10, shipped
    run.message = "personal model kept: your 10 samples, each read as if unseen: shipped 100%, personal 100%"
    run.done.set()
    app.update()
    assert app.samples.notice == run.message + " (2 saved since it read them: press L again to learn from those too)"
    run.samples_read = 12  # all of them read: nothing to add
    assert app._saved_since(run) == ""


def test_u_after_l_takes_the_sample_just_saved_back_and_stops_learning_from_it(shipped, screen, samples, learners):
    """A 9 saved as 7 by mistake, L pressed at once, then U: L's notice had taken the save's place,
    so U took a stroke away and the wrong sample was learned (a user trial). U takes the sample
    back and stops that run; L pressed later, with nothing to take back, leaves U to the strokes."""
    save_digits(samples, range(10))
    app = App(recognizer=shipped, samples=samples)
    draw_digit(app, 9, screen)
    run_script(app, [key_event(pygame.K_7), key_event(pygame.K_l)], screen)
    (run,) = learners
    assert app.samples.notice.startswith("learning from your 11 samples") and app.samples.notice.endswith("U to undo")
    run_script(app, [key_event(pygame.K_u)], screen)
    assert samples.load().labels.tolist() == list(range(10)) and len(app.canvas.strokes) > 0
    assert run.cancelled == UNSAVED_WHILE_LEARNING
    run.message = run.cancelled
    run.done.set()
    app.update()
    assert app.samples.notice == UNSAVED_WHILE_LEARNING and app.learner is None
    run_script(app, [key_event(pygame.K_l)], screen)  # nothing to take back now: U undoes a stroke
    strokes = len(app.canvas.strokes)
    run_script(app, [key_event(pygame.K_u)], screen)
    assert len(app.canvas.strokes) == strokes - 1 and learners[-1].cancelled is None


def test_u_on_a_sample_saved_while_learning_leaves_the_run_learning(shipped, screen, samples, learners):
    """A 3 saved and L pressed at once; later, while that run learns, a 9 saved and taken back: the
    run read the 3, never the 9, and was stopped all the same (a review)."""
    save_digits(samples, range(10))
    app = App(recognizer=shipped, samples=samples)
    draw_digit(app, 3, screen)
    run_script(app, [key_event(pygame.K_3), key_event(pygame.K_l)], screen)
    (run,) = learners
    app.update(app.last_update + NOTICE_TIME + 0.1)  # the notice gone: U undoes strokes again
    run_script(app, [key_event(pygame.K_r)], screen)
    draw_digit(app, 9, screen)
    run_script(app, [key_event(pygame.K_9), key_event(pygame.K_u)], screen)
    assert samples.load().labels.tolist() == [*range(10), 3] and run.cancelled is None and app.learner is run


def test_l_says_a_damaged_samples_file_is_damaged_and_how_to_move_it_aside(shipped, screen, samples, learners):
    """A samples file that cannot be read has no counts: L said "save at least 3 samples first" (and
    saving one then failed too)."""
    save_digits(samples, range(10))
    samples.path.write_bytes(samples.path.read_bytes()[:500])
    app = App(recognizer=shipped, samples=samples)
    run_script(app, [], screen)
    assert app.samples.notice.startswith("cannot read the samples") and app.state.samples == ()
    shown = app.last_update
    app.update(shown + NOTICE_TIME + 0.1)  # said long enough to be seen at start-up (was 2 s)
    assert app.samples.notice.startswith("cannot read the samples")
    app.update(shown + FAILED_NOTICE_TIME + 0.1)
    assert app.samples.notice == ""
    run_script(app, [key_event(pygame.K_l)], screen)
    assert app.samples.notice.startswith("cannot learn: your samples file is damaged or unreadable: ")
    assert "move it aside to start a new file (rename it, e.g. to samples.npz.damaged)" in app.samples.notice
    assert not learners and app.learner is None and not app.samples.notice_ok


def test_l_refuses_a_file_found_damaged_past_its_labels_at_start_up(shipped, screen, samples, learners):
    """Strokes out of step with their index: start-up read the whole file and said so, but L counts
    the labels alone, found them sound and started a run that failed (a user trial). Unchanged
    since, the file is refused as start-up found it; written anew, it is counted again."""
    save_digits(samples, range(10))
    arrays = dict(np.load(samples.path))
    arrays["point_start"] = arrays["point_start"].copy()
    arrays["point_start"][-1] += 7
    with open(samples.path, "wb") as f:
        np.savez(f, **arrays)
    app = App(recognizer=shipped, samples=samples)
    run_script(app, [], screen)
    assert app.samples.notice.startswith("cannot read the samples")
    run_script(app, [key_event(pygame.K_l)], screen)
    assert app.samples.notice.startswith("cannot learn: your samples file is damaged or unreadable: ")
    assert not learners and app.learner is None and app.state.samples == ()
    save_digits(UserSamples(samples.path.with_name("new.npz")), range(5))
    samples.path.with_name("new.npz").replace(samples.path)
    run_script(app, [key_event(pygame.K_l)], screen)
    assert [run.samples for run in learners] == [samples.path]


def test_l_counts_the_samples_again_when_the_file_changed_on_disk(shipped, screen, samples, learners):
    """The counts were those of the app's last save: a samples file deleted or damaged meanwhile started a
    learning run that failed later with a message for the command line."""
    save_digits(samples, range(10))
    app = App(recognizer=shipped, samples=samples)
    run_script(app, [], screen)
    assert sum(app.state.samples) == 10
    samples.path.unlink()
    run_script(app, [key_event(pygame.K_l)], screen)
    assert app.samples.notice.startswith("save at least 3 samples first") and not learners
    assert app.state.samples == (0,) * 10  # the pane's counts too
    save_digits(samples, range(10))
    samples.path.write_bytes(samples.path.read_bytes()[:500])
    run_script(app, [key_event(pygame.K_l)], screen)
    assert "your samples file is damaged" in app.samples.notice and not learners
    save_digits(UserSamples(samples.path.with_name("new.npz")), range(5))
    samples.path.with_name("new.npz").replace(samples.path)
    run_script(app, [key_event(pygame.K_l)], screen)
    assert [run.samples for run in learners] == [samples.path]
    assert app.samples.notice.startswith("learning from your 5 samples")


def test_l_never_waits_in_the_loop_for_another_windows_save(shipped, screen, samples, learners):
    """L counted the samples under the file's lock on the UI thread: while another window saved to a
    large file (or held the lock), the window froze for seconds. It now says so and learns once the
    file is free, each frame returning at once."""
    save_digits(samples, range(10))
    app = App(recognizer=shipped, samples=samples)
    run_script(app, [], screen)
    holder = (  # another window's save: the lock held for 3 s
        "import fcntl, sys, time; lock = open(sys.argv[1], 'a'); fcntl.flock(lock, fcntl.LOCK_EX); "
        "print('held', flush=True); time.sleep(3)"
    )
    lock = str(samples.path.with_name(samples.path.name + ".lock"))
    other = subprocess.Popen([sys.executable, "-c", holder, lock], stdout=subprocess.PIPE, text=True)
    assert other.stdout.readline() == "held\n"
    started = time.monotonic()
    app.handle_events([key_event(pygame.K_l)])
    for _ in range(3):
        app.update(app.last_update + 1 / 60)
    assert time.monotonic() - started < 1.0  # the loop did not wait for the lock
    assert app.samples.notice.startswith("another window is saving") and not learners
    app.handle_events([key_event(pygame.K_m)])  # M says why it waits, and that notice stays
    for _ in range(3):
        app.update(app.last_update + 1 / 60)
    assert app.samples.notice == "wait: learning starts once your samples file is saved"
    other.wait(10)
    app.update(app.last_update + 1 / 60)
    assert [run.samples for run in learners] == [samples.path]
    assert app.samples.notice.startswith("learning from your 10 samples")


def test_l_pressed_again_once_the_file_is_free_learns_once_and_says_so(shipped, screen, samples, learners):
    """L pressed while another window saved, then again once it was done: learning started, and the
    next frame, L's queued retry said "already learning" over it."""
    import fcntl

    save_digits(samples, range(10))
    app = App(recognizer=shipped, samples=samples)
    run_script(app, [], screen)
    with open(samples.path.with_name(samples.path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # this process's other handle: L cannot take it
        app.handle_events([key_event(pygame.K_l)])
        app.update(app.last_update + 1 / 60)
        assert app.samples.notice.startswith("another window is saving") and not learners
    app.handle_events([key_event(pygame.K_l)])  # the lock is free now
    for _ in range(3):
        app.update(app.last_update + 1 / 60)
    assert len(learners) == 1 and app.samples.notice.startswith("learning from your 10 samples")


def test_learning_that_failed_as_the_samples_changed_says_so_in_the_apps_words(shipped, screen, samples, learners):
    """The samples file deleted while it learns: the child's "need at least 3 saved samples ... (in the
    app, press the right digit key ...)" was shown in the app; L's own message is."""
    save_digits(samples, range(10))
    app = App(recognizer=shipped, samples=samples)
    run_script(app, [key_event(pygame.K_l)], screen)
    assert len(learners) == 1 and app.learner is learners[0]
    samples.path.unlink()
    learners[0].message = (
        f"error: need at least 3 saved samples to learn from, found 0 in {samples.path} "
        "(in the app, press the right digit key after a prediction to save one)"
    )
    learners[0].done.set()
    app.update()
    assert app.learner is None and app.samples.notice.startswith("save at least 3 samples first: draw a digit")
    assert app.state.samples == (0,) * 10
    save_digits(samples, range(10))
    run_script(app, [key_event(pygame.K_l)], screen)
    learners[-1].message = "learning failed (exit status 3): Exception: URL fetch failure"
    learners[-1].done.set()
    app.update()  # the samples are fine: the child's own message
    assert app.samples.notice == "learning failed (exit status 3): Exception: URL fetch failure"


def slow_disk(samples: UserSamples, monkeypatch, fail: str | None = None) -> threading.Event:
    """Saves wait for the returned gate to open (then fail with OSError(fail), if given)."""
    gate, add = threading.Event(), samples.add

    def add_slowly(*args):
        assert gate.wait(10)
        if fail:
            raise OSError(fail)
        return add(*args)

    monkeypatch.setattr(samples, "add", add_slowly)
    return gate


def press_during_a_save(shipped, screen, samples, monkeypatch, keys, fail: str | None = None) -> tuple:
    """An app with samples of 1 and 2 saved, a 7 drawn and being saved (7 pressed, the disk slow),
    then `keys` pressed, each in a frame of its own; the save waits for the returned gate."""
    save_digits(samples, [1, 2])
    app = App(recognizer=shipped, samples=samples)  # threaded, as the real app
    draw_digit(app, 7, screen)
    gate = slow_disk(samples, monkeypatch, fail)
    for key in (pygame.K_7, *keys):
        app.handle_events([key_event(key)])
        app.update(app.last_update + 1 / 60)
    return app, gate


def test_l_pressed_during_a_save_waits_for_it_off_the_ui_thread(shipped, screen, samples, learners, monkeypatch):
    """The 3rd sample saved and L pressed at once: L counted the file on the UI thread, waiting up to
    1 s for the save under way (the drawing froze meanwhile). It now goes on once the save is done,
    counting the sample just saved, and the frame with the key press returns at once."""
    started = time.perf_counter()
    app, gate = press_during_a_save(shipped, screen, samples, monkeypatch, [pygame.K_l])
    assert time.perf_counter() - started < 0.5  # the key press did not wait for the disk
    assert not learners and app.samples.pending and not app.settled
    assert app.samples.notice.startswith("saving your sample, then learning")
    gate.set()
    run_script(app, [], screen)
    assert [run.samples for run in learners] == [samples.path]
    assert app.samples.notice.startswith("learning from your 3 samples")


def test_a_save_that_fails_while_l_waits_for_it_says_so_and_learns_nothing(
    shipped, screen, samples, learners, monkeypatch
):
    """L waiting for a save that then failed (a full disk) went on learning, and its notice ("save at
    least 3 samples first", or "learning from ...") took the place of the failure's at once."""
    app, gate = press_during_a_save(shipped, screen, samples, monkeypatch, [pygame.K_l], fail="No space left on device")
    gate.set()
    run_script(app, [], screen)
    assert not learners and app.learner is None
    assert app.samples.notice == "cannot save the sample: No space left on device" and not app.samples.notice_ok


def test_m_waits_while_l_waits_for_a_save(shipped, screen, samples, learners, monkeypatch):
    """M pressed while L waited for a save started loading another model, and L, once the save was
    done, said "wait for the model to load" and was lost, or not, by the time the load took."""
    app, gate = press_during_a_save(shipped, screen, samples, monkeypatch, [pygame.K_l, pygame.K_m])
    assert app.samples.notice == "wait: learning starts once your samples file is saved" and app._switch is None
    gate.set()
    run_script(app, [], screen)
    assert len(learners) == 1 and app.samples.notice.startswith("learning from your 3 samples")


def test_l_refuses_samples_of_one_digit_at_once(shipped, screen, samples, learners):
    """learn's guard refuses samples that are all of one digit, after a full run (tens of seconds): the
    app has the counts and says the same at once."""
    save_digits(samples, [1, 1, 1, 1])
    app = App(recognizer=shipped, samples=samples)
    run_script(app, [key_event(pygame.K_l)], screen)
    assert app.samples.notice == "your samples are all of one digit; save samples of other digits too"
    assert not app.samples.notice_ok and not learners
    save_digits(samples, [7])
    run_script(app, [key_event(pygame.K_l)], screen)
    assert len(learners) == 1 and app.samples.notice.startswith("learning from your 5 samples")


def test_a_number_on_two_lines_shows_them_apart(app, screen):
    """The pane's number keeps lines of writing apart ("85 47"), its caption still counts digits."""
    side = app.canvas.side
    strokes = []
    for row, text in enumerate(("85", "47")):
        for i, digit in enumerate(text):
            box = (side * (0.1 + 0.3 * i), side * (0.08 + 0.5 * row), side * 0.2, side * 0.32)
            strokes += digit_strokes(int(digit), round(side), box=box)
    run_script(app, stroke_events(strokes, app.layout.canvas.topleft), screen)
    assert app.state.number == "85 47" and len(app.state.digits) == 4


def test_the_learning_progress_stays_on_the_pane_while_the_user_draws(shipped, screen, samples, learners):
    """Each new reading put up a pane without the progress bar, and the next frame put it back: drawn
    while learning, the bar flickered (the auditor's grabs: 6 of 12 without it)."""
    save_digits(samples, range(10))
    app = App(recognizer=shipped, samples=samples)
    run_script(app, [key_event(pygame.K_l)], screen)
    assert len(learners) == 1
    learners[0].progress, learners[0].step = 0.5, "fine-tuning"
    shown = []

    def on_frame(app, rects):
        shown.append((app.predictions, app.state.progress, app.state.progress_text))

    strokes = digit_strokes(3, app.canvas.side)
    run_script(app, stroke_events(strokes, app.layout.canvas.topleft), screen, on_frame=on_frame)
    readings = [s for before, s in zip(shown, shown[1:]) if s[0] > before[0]]  # frames that put up a new reading
    assert readings and all(s[1:] == (0.5, "learning: fine-tuning") for s in readings), shown


def test_a_stroke_pressed_beside_the_canvas_starts_where_it_enters(app, screen):
    """A stroke started even 1 px outside the canvas and dragged in drew nothing."""
    left, top = app.layout.canvas.topleft
    assert left > 20 and top > 20  # a margin to press in
    run_script(app, [], screen)
    stroke = [(-20, 100), (60, 100), (120, 140)]  # canvas px: pressed left of it, one move well into it
    run_script(app, stroke_events([stroke], (left, top)), screen)
    assert len(app.canvas.strokes) == 1
    x, y = app.canvas.strokes[0][0]
    assert 0 <= x < 0.2 and y == 100  # from the edge it crossed, not from the first point inside
    assert (app.canvas.pixels[100, :60] > 0).all()
    up = pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(left - 10, top + 10), button=1)
    moved = pygame.event.Event(pygame.MOUSEMOTION, pos=(left + 50, top + 50), rel=(60, 40), buttons=(0, 0, 0))
    run_script(app, [up, moved], screen)  # the button up, then a move over the canvas: nothing drawn
    assert len(app.canvas.strokes) == 1 and not app.canvas.drawing


def test_undo_while_the_button_is_held_draws_nothing_more(app, screen):
    """U mid-stroke takes the stroke back; moving on with the button still down must not start one."""
    left, top = app.layout.canvas.topleft
    down = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(left + 50, top + 50), button=1)
    move = pygame.event.Event(pygame.MOUSEMOTION, pos=(left + 90, top + 60), rel=(40, 10), buttons=(1, 0, 0))
    again = pygame.event.Event(pygame.MOUSEMOTION, pos=(left + 140, top + 90), rel=(50, 30), buttons=(1, 0, 0))
    run_script(app, [down, move, key_event(pygame.K_u), again], screen)
    assert app.canvas.strokes == [] and app.canvas.pixels.max() == 0


def test_a_press_beside_the_canvas_is_forgotten_when_the_window_loses_focus(app, screen):
    """The button's state after focus goes elsewhere is not to be trusted (its release is not heard)."""
    left, top = app.layout.canvas.topleft
    down = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(left - 10, top + 100), button=1)
    lost = pygame.event.Event(pygame.WINDOWFOCUSLOST)
    move = pygame.event.Event(pygame.MOUSEMOTION, pos=(left + 100, top + 100), rel=(110, 0), buttons=(1, 0, 0))
    run_script(app, [down, lost, move], screen)
    assert app.canvas.strokes == [] and not app.canvas.drawing


@pytest.mark.parametrize("lost", ["WINDOWFOCUSLOST", "WINDOWHIDDEN", "WINDOWMINIMIZED"])
def test_a_stroke_ends_when_the_window_is_hidden_or_loses_focus(app, screen, lost):
    """A user trial, no window manager: the window hidden mid-stroke, the button released unseen, and
    the stroke went on drawing under the hovering mouse once it was shown again (SDL still said down)."""
    left, top = app.layout.canvas.topleft
    down = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(left + 50, top + 50), button=1)
    move = pygame.event.Event(pygame.MOUSEMOTION, pos=(left + 90, top + 60), rel=(40, 10), buttons=(1, 0, 0))
    hover = pygame.event.Event(pygame.MOUSEMOTION, pos=(left + 200, top + 200), rel=(110, 140), buttons=(1, 0, 0))
    run_script(app, [down, move, pygame.event.Event(getattr(pygame, lost)), hover], screen)
    assert len(app.canvas.strokes) == 1 and not app.canvas.drawing
    assert max(x for x, _ in app.canvas.strokes[0]) < 100  # nothing drawn toward the hovering mouse
