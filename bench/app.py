"""The app: time from launch to window and to first prediction, and frames per second while a
digit is drawn with live prediction, headless (SDL's dummy video driver).

1. Real runs: `python -m bench.app_driver` starts the real app.py loop (60 FPS cap, prediction on
   its worker thread) in a fresh process, with a synthetic user posting mouse events (see
   app_driver). Launch is when this process spawns it, so interpreter start-up and imports count.
   The frame rate is the app's own count over the frames during which a stroke was in progress.
2. Frame work, in this process: the same App driven by ui.headless.run_script with prediction in the
   frame (threaded=False, the worst case), timing handle_event + update + draw per frame: how much
   of a 60 FPS frame budget (16.7 ms) the app uses, and the frame rate it could reach uncapped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import ROOT, timing_stats

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # before anything imports pygame
FULL = {"runs": 3, "stroke_seconds": 2.0}
QUICK = {"runs": 1, "stroke_seconds": 0.3}
RUN_TIMEOUT = 120.0


def run(model: Path, quick: bool) -> dict:
    if not (ROOT / "app.py").is_file() or not (ROOT / "ui" / "app.py").is_file():
        return {"status": "skipped", "reason": "app.py or ui/app.py not found"}
    plan = QUICK if quick else FULL
    runs, errors = [], []
    for _ in range(plan["runs"]):
        try:
            runs.append(real_run(model, plan["stroke_seconds"]))
        except (RuntimeError, subprocess.SubprocessError, OSError, KeyError, ValueError) as exc:
            errors.append(f"{exc.__class__.__name__}: {exc}")
    result: dict = {"status": "ok" if runs else "failed", "runs": runs, "notes": []}
    if errors:
        result["errors"] = errors
        result["notes"].append(f"{len(errors)} of {plan['runs']} app runs failed: {errors[0]}")
        if not runs:
            result["reason"] = errors[0]
    if runs:
        result["launch"] = {key: [r[key] for r in runs] for key in ("window_s", "model_loaded_s", "first_prediction_s")}
        fps = [r["drawing_fps"] for r in runs if r["drawing_fps"] is not None]
        result["live"] = {
            "fps": fps,
            "frames": [r["drawing_frames"] for r in runs],
            "max_frame_ms": [r["drawing_max_frame_ms"] for r in runs],
            "cap": runs[0]["fps_cap"],
        }
        if any(r["tensorflow_imported"] for r in runs):
            result["notes"].append("the app imported TensorFlow (slow start-up)")
    try:
        result["frame_work"] = frame_work(model, quick)
    except Exception as exc:  # the app's internals changed: report, do not lose the other figures
        result["notes"].append(f"frame work not measured: {exc.__class__.__name__}: {exc}")
    return result


def real_run(model: Path, stroke_seconds: float) -> dict:
    """One launch of the real app with the synthetic user; timings from its debug dump."""
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        dump = Path(tmp) / "state.json"
        env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "TF_CPP_MIN_LOG_LEVEL": "2"}
        cmd = [
            sys.executable,
            "-m",
            "bench.app_driver",
            str(dump),
            "--model",
            str(model),
            "--stroke-seconds",
            str(stroke_seconds),
        ]
        spawn = time.time()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        driver = _read(Path(str(dump) + ".driver.json")) or {}
        state = _read(dump)
        if proc.returncode != 0 or state is None or driver.get("error"):
            why = driver.get("error") or (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
            raise RuntimeError(f"app run failed: {why}")
    times = state["times"]

    def since_spawn(key: str) -> float | None:
        return None if times.get(key) is None else round(times[key] - spawn, 3)

    from ui.app import FPS

    return {
        "window_s": since_spawn("window"),
        "model_loaded_s": since_spawn("model_loaded"),
        "first_prediction_s": since_spawn("first_prediction"),
        "python_start_s": round(driver["driver_start"] - spawn, 3),
        "drawing_fps": state.get("drawing_fps"),
        "drawing_frames": state.get("drawing_frames"),
        "drawing_max_frame_ms": state.get("drawing_max_frame_ms"),
        "live_events": driver.get("live_events"),
        "live_seconds": driver.get("live_seconds"),
        "predictions": state.get("predictions"),
        "tensorflow_imported": bool(state.get("tensorflow_imported")),
        "fps_cap": FPS,
    }


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def frame_work(model: Path, quick: bool) -> dict:
    """Per-frame work of the App while an 8 is drawn, prediction included (threaded=False)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    import pygame

    from recognizer.predictor import Recognizer
    from ui.app import FPS, App
    from ui.headless import key_event, run_script, stroke_events
    from ui.layout import DEFAULT_WINDOW
    from ui.worker import PREDICT_INTERVAL

    from .app_driver import MOUSE_HZ, live_strokes

    pygame.display.init()
    pygame.font.init()
    try:
        surface = pygame.Surface(DEFAULT_WINDOW)
        app = App(DEFAULT_WINDOW, recognizer=Recognizer.load(model), threaded=False)
        events = stroke_events(live_strokes(app.canvas.side, 0.3 if quick else 4.0), app.layout.canvas.topleft)
        per_frame = max(1, round(MOUSE_HZ / FPS))
        run_script(app, events[:20], surface, events_per_frame=per_frame)  # warm-up (fonts, first predict)
        app.handle_event(key_event(pygame.K_r))
        counts: list[int] = []  # predictions shown so far, after each frame
        durations = run_script(
            app,
            events,
            surface,
            events_per_frame=per_frame,
            frame_dt=1 / FPS,
            settle=False,
            on_frame=lambda a, rects: counts.append(a.predictions),
        )
    finally:
        pygame.quit()
    stats = timing_stats([d * 1e9 for d in durations], 1)
    predicted = [now > before for before, now in zip([counts[0]] + counts[:-1], counts)]
    with_prediction = [d * 1e9 for d, p in zip(durations, predicted) if p]
    without = [d * 1e9 for d, p in zip(durations, predicted) if not p]
    return {
        "frame": stats,
        "frame_with_prediction": timing_stats(with_prediction, 1) if with_prediction else None,
        "frame_without_prediction": timing_stats(without, 1) if without else None,
        "frames": len(durations),
        "events_per_frame": per_frame,
        "predict_interval_ms": round(PREDICT_INTERVAL * 1000, 1),
        "window": list(DEFAULT_WINDOW),
        "canvas": app.canvas.side,
        "budget_ms": round(1000 / FPS, 2),
        "uncapped_fps": round(1000 / stats["mean_ms"], 0) if stats["mean_ms"] else None,
    }
