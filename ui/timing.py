"""The app's own measurements, for the debug dump and the benchmark: start-up milestones and the
frame rate while a stroke is being drawn."""

from __future__ import annotations

import time


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
