"""Where things go in the window: a square canvas on the left, the pane beside it, the hint line
below, all scaled with the window size."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

DEFAULT_WINDOW = (984, 640)  # gives a 560x560 canvas and a 352 px wide right pane
MIN_WINDOW = (480, 320)  # smaller windows are laid out as if this size (and clipped)
MARGIN = 24
HINT_HEIGHT = 32
PANEL_WIDTH = 352  # at the default size; the pane may grow up to PANEL_MAX_GROWTH times this
PANEL_MAX_GROWTH = 1.25


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
