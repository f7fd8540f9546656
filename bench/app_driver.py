"""The real app with a synthetic user, for the benchmark (run by bench/app.py in a fresh process):

    SDL_VIDEODRIVER=dummy python -m bench.app_driver DUMP [--model PATH] [--stroke-seconds S]

The main thread runs app.py's own main() (the same loop, clock and 60 FPS cap as `make run`)
with --debug-dump DUMP. A second thread plays the user through pygame's event queue, as the OS
would: the moment the window is up it draws a digit in one go (so the first prediction waits only
for the model), then clears the canvas, draws an 8 in real time (mouse events at MOUSE_HZ), waits
for the prediction to catch up and quits. The app writes its timings and its frame rate while
drawing to DUMP; this driver adds DUMP.driver.json (its own start time and any error).
"""

from __future__ import annotations

import time

DRIVER_START = time.time()  # before any import: launch is measured by the parent from its spawn

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

MOUSE_HZ = 120  # a typical mouse reports 125 Hz
STEP_PX = 4.0  # mouse movement between events, px (about 0.5 m/s on a 100 dpi screen at 120 Hz)
FIRST_DIGIT, LIVE_DIGIT = 3, 8
TIMEOUT = 60.0


def live_strokes(side: int, seconds: float) -> list[list[tuple[float, float]]]:
    """The LIVE_DIGIT drawn at STEP_PX per event, repeated or cut to last about `seconds`."""
    from recognizer.strokes import densify
    from recognizer.synthetic import digit_strokes

    strokes = [[(x, y) for x, y in densify(s, STEP_PX).tolist()] for s in digit_strokes(LIVE_DIGIT, side)]
    wanted = max(2, int(seconds * MOUSE_HZ))
    points = [p for s in strokes for p in s]
    reps = -(-wanted // len(points))
    return [points * reps][:1] if reps > 1 else [points[:wanted]]


def read_dump(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):  # not written yet (the app replaces it atomically)
        return None


def wait_for(path: Path, test, what: str, timeout: float = TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = read_dump(path)
        if state is not None and test(state):
            return state
        time.sleep(0.002)
    raise TimeoutError(f"the app did not reach '{what}' within {timeout:.0f} s")


def user(dump: Path, stroke_seconds: float, report: dict) -> None:
    state = None
    try:
        state = wait_for(dump, lambda s: s["times"]["window"] is not None, "window shown")
    except Exception as exc:
        report["error"] = f"{exc.__class__.__name__}: {exc}"
    # Imports only now, so that they cannot slow down the app's start-up.
    import pygame

    from recognizer.synthetic import digit_strokes
    from ui.headless import key_event, stroke_events
    from ui.panel import ERROR_STATUS

    try:
        if state is None:
            return
        x, y, side, _ = state["canvas_rect"]
        for event in stroke_events(digit_strokes(FIRST_DIGIT, side), (x, y)):
            pygame.event.post(event)
        report["first_digit_posted"] = time.time()
        state = wait_for(dump, lambda s: s["predictions"] >= 1 or s["status"] == ERROR_STATUS, "first prediction")
        if state["status"] == ERROR_STATUS:
            raise RuntimeError(f"the app failed: {state['message']}")
        pygame.event.post(key_event(pygame.K_r))
        wait_for(dump, lambda s: s["strokes"] == 0, "canvas cleared")
        events = stroke_events(live_strokes(side, stroke_seconds), (x, y))
        start = time.perf_counter()
        for k, event in enumerate(events):  # on a fixed schedule, like a mouse: no drift
            delay = start + k / MOUSE_HZ - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pygame.event.post(event)
        report["live_events"] = len(events)
        report["live_seconds"] = round(time.perf_counter() - start, 3)
        wait_for(dump, lambda s: not s["drawing"] and s["shown_version"] == s["version"], "prediction caught up")
    except Exception as exc:  # reported to the parent; the app is told to quit either way
        report["error"] = f"{exc.__class__.__name__}: {exc}"
    finally:
        try:
            pygame.event.post(pygame.event.Event(pygame.QUIT))
        except pygame.error:  # no window was ever opened: the app has exited already
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.app_driver")
    parser.add_argument("dump", type=Path)
    parser.add_argument("--model")
    parser.add_argument("--stroke-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    report: dict = {"driver_start": DRIVER_START}
    from ui import main as app_module  # app.py's loop: its LAUNCH_TIME is taken at this import

    thread = threading.Thread(target=user, args=(args.dump, args.stroke_seconds, report), daemon=True)
    thread.start()
    app_args = ["--debug-dump", str(args.dump)] + (["--model", args.model] if args.model else [])
    code = app_module.main(app_args)
    thread.join(5.0)
    report["exit_code"] = code
    Path(str(args.dump) + ".driver.json").write_text(json.dumps(report))
    return code


if __name__ == "__main__":
    sys.exit(main())
