"""Driving the App without a person or a screen, for tests, scripts and the benchmark: synthetic
pygame events, and run_script, a frame loop on a simulated clock through the very methods app.py's
loop calls (handle_event, update, draw), so a script exercises exactly what a user does.

The app itself never imports this module.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence

import pygame

from recognizer.strokes import Point

from .app import DRAW_BUTTON, FPS, App


def stroke_events(
    strokes: Iterable[Sequence[Point]], origin: tuple[int, int] = (0, 0), button: int = DRAW_BUTTON
) -> list[pygame.event.Event]:
    """Mouse down / motion / up events drawing `strokes` (canvas px) on a canvas placed at `origin`."""
    events = []
    pressed = (1, 0, 0) if button == DRAW_BUTTON else (0, 0, 1)
    for stroke in strokes:
        points = [(round(x + origin[0]), round(y + origin[1])) for x, y in stroke]
        if not points:
            continue
        events.append(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=points[0], button=button))
        for prev, pos in zip(points, points[1:]):
            rel = (pos[0] - prev[0], pos[1] - prev[1])
            events.append(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=rel, buttons=pressed))
        events.append(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=points[-1], button=button))
    return events


def key_event(key: int, mod: int = 0, text: str = "") -> pygame.event.Event:
    """A KEYDOWN event as pygame would post it (text: the character it types, if any)."""
    return pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode=text, scancode=0)


def run_script(
    app: App,
    events: Sequence[pygame.event.Event],
    surface: pygame.Surface | None = None,
    *,
    events_per_frame: int = 2,
    frame_dt: float = 1 / FPS,
    start: float | None = None,
    settle: bool = True,
    on_frame: Callable[[App, list[pygame.Rect]], None] | None = None,
) -> list[float]:
    """Play `events` through the real handlers, `events_per_frame` per frame; each frame then runs
    update() on a simulated clock advancing `frame_dt` (from `start`; by default it goes on from the
    app's last update), and draw() onto `surface` (None: no drawing) whose changed rects go to
    `on_frame` (e.g. pygame.display.update). With `settle`, frames go on without events until the
    app is settled (model loaded, the pane caught up with the ink, samples and dump written).
    Returns the real duration of each frame's work in seconds (handle + update + draw)."""
    durations = []
    now = (app.last_update + frame_dt if app.last_update > -math.inf else 0.0) if start is None else start
    step = max(1, events_per_frame)
    frames = [events[i : i + step] for i in range(0, len(events), step)]
    index = 0
    while app.running and (index < len(frames) or (settle and not app.settled)):
        batch = frames[index] if index < len(frames) else ()
        index += 1
        if not batch and not app.wait():
            raise TimeoutError("the app's background work did not finish")
        t0 = time.perf_counter()
        app.handle_events(batch)
        app.update(now)
        rects = app.draw(surface, now) if surface is not None else []
        durations.append(time.perf_counter() - t0)
        if on_frame is not None:
            on_frame(app, rects)
        now += frame_dt
    return durations
