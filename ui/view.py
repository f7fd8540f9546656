"""Drawing the app: the canvas, the digit boxes over it, the pane and the hint line (or a notice in
its place). Each frame draws only what changed (the new bit of stroke, the pane when its state
changed) and says which rects to update, so the loop keeps its frame rate while the user draws."""

from __future__ import annotations

import math

import numpy as np
import pygame

from .canvas import Canvas
from .layout import Layout
from .panel import ACCENT, BACKGROUND, CANVAS_BORDER, ERROR, GREY_PALETTE, Hint, Panel, PanelState

IDLE_REDRAW = 1.0  # s; the whole window is redrawn at least this often (insurance against a lost expose)


class View:
    """Draws the app's layout, canvas, pane state and notice ((text, ok); text "" shows `hint`)."""

    def __init__(self, hint: str) -> None:
        self.panel = Panel()
        self.hint = Hint(hint, self.panel.fonts)  # the same sizes as the pane's captions: one font each
        self._full_redraw = True  # the whole window must be drawn (first frame, resize, expose)
        self._drawn_state: PanelState | None = None
        self._drawn_notice: tuple[str, bool] | None = None
        self._last_draw = -math.inf
        self._canvas_surface: tuple[np.ndarray, pygame.Surface] | None = None  # (pixels, surface sharing them)

    def invalidate(self) -> None:
        """Draw the whole window next time (resize, or the window's pixels may have been lost)."""
        self._full_redraw = True

    def needs_draw(self, now: float, canvas: Canvas, state: PanelState, notice: tuple[str, bool]) -> bool:
        """True when some of the screen is out of date (or IDLE_REDRAW passed): idle frames draw nothing."""
        return (
            self._full_redraw
            or canvas.has_dirty
            or state is not self._drawn_state
            or notice != self._drawn_notice
            or now - self._last_draw >= IDLE_REDRAW
        )

    def draw(
        self,
        surface: pygame.Surface,
        now: float,
        layout: Layout,
        canvas: Canvas,
        state: PanelState,
        notice: tuple[str, bool],
    ) -> list[pygame.Rect]:
        """Draw what changed since the last call onto `surface` and return the changed rects."""
        dirty = canvas.take_dirty()
        if self._full_redraw or now - self._last_draw >= IDLE_REDRAW:
            surface.fill(BACKGROUND)
            pygame.draw.rect(surface, CANVAS_BORDER, layout.canvas.inflate(2, 2), 1)
            surface.blit(self._canvas_view(canvas), layout.canvas.topleft)
            self.panel.draw_boxes(surface, layout.canvas, state)
            self.panel.draw(surface, layout.panel, state)
            self._draw_hint(surface, layout, notice)
            rects = [surface.get_rect()]
        else:
            rects = []
            boxes_changed = state is not self._drawn_state and (
                state.has_boxes or (self._drawn_state is not None and self._drawn_state.has_boxes)
            )
            if boxes_changed:  # the old boxes must go: the whole canvas, then the new boxes
                surface.blit(self._canvas_view(canvas), layout.canvas.topleft)
                self.panel.draw_boxes(surface, layout.canvas, state)
                rects.append(layout.canvas.copy())
            elif dirty is not None:
                area = pygame.Rect(dirty)
                rect = surface.blit(self._canvas_view(canvas), area.move(layout.canvas.topleft), area)
                if state.has_boxes:  # the new ink may have covered bits of boxes: redraw them there only
                    surface.set_clip(rect)
                    self.panel.draw_boxes(surface, layout.canvas, state)
                    surface.set_clip(None)
                rects.append(rect)
            if state is not self._drawn_state:
                self.panel.draw(surface, layout.panel, state)
                rects.append(layout.panel.copy())
            if notice != self._drawn_notice:
                rects.append(self._draw_hint(surface, layout, notice))
        self._full_redraw = False
        self._drawn_state = state
        self._drawn_notice = notice
        self._last_draw = now
        return rects

    def _draw_hint(self, surface: pygame.Surface, layout: Layout, notice: tuple[str, bool]) -> pygame.Rect:
        """The hint line, or the notice in its place; returns its rect."""
        text, ok = notice
        self.hint.draw(surface, layout.hint, layout.scale, text, ACCENT if ok else ERROR)
        return layout.hint.copy()

    def _canvas_view(self, canvas: Canvas) -> pygame.Surface:
        """An 8-bit surface sharing memory with the canvas pixels: no copy per frame."""
        pixels = canvas.pixels
        if self._canvas_surface is None or self._canvas_surface[0] is not pixels:  # a new canvas array (resize)
            surface = pygame.image.frombuffer(pixels, (pixels.shape[1], pixels.shape[0]), "P")
            surface.set_palette(GREY_PALETTE)
            self._canvas_surface = (pixels, surface)
        return self._canvas_surface[1]
