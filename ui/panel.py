"""The right pane (predicted digit, confidence, the 10 probabilities, the 28x28 model input) and the
hint line, rendered with pygame from a small immutable PanelState.

The pane is re-rendered only when its state or size changes (a cached surface is blitted on the
other frames), so drawing it costs next to nothing while the user draws. Default font only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pygame

if TYPE_CHECKING:  # only for annotations: the pane itself needs nothing from the model
    from recognizer import Prediction

# Theme: every colour the app uses, named once.
BACKGROUND = (22, 24, 29)
CARD = (33, 36, 44)
CANVAS_BORDER = (64, 69, 82)
TEXT = (232, 234, 240)
MUTED = (140, 147, 163)
ACCENT = (88, 176, 255)
BAR = (50, 54, 65)
ERROR = (255, 110, 110)

# Panel statuses.
LOADING = "loading"
READY = "ready"
ERROR_STATUS = "error"

EMPTY_TEXT = "draw a digit"
LOADING_TEXT = "loading model\u2026"
ERROR_TITLE = "Cannot load the model"
ERROR_FOOTER = "Press any key or close the window to quit."

# Geometry at the reference pane size; everything scales with the pane.
REF_SIZE = (352, 560)
PAD = 20
CAPTION_FONT = 20
DIGIT_BOX = 150  # side of the box holding the big digit and of the scaled 28x28 image
CONFIDENCE_FONT = 30
ROW_HEIGHT = 28  # one probability bar
ROW_FONT = 22
LABEL_WIDTH = 22
PERCENT_WIDTH = 62
MESSAGE_FONT = 32
BODY_FONT = 22
HINT_FONT = 20
CORNER = 10


@dataclass(frozen=True, eq=False)
class PanelState:
    """What the right pane shows: the status, the latest prediction (None: blank canvas), a message.

    Immutable and compared by identity: a new state object means "render again"."""

    status: str = LOADING
    prediction: Prediction | None = None
    message: str = ""


class Panel:
    """Renders a PanelState into a rect; the rendering is cached until the state or size changes."""

    def __init__(self) -> None:
        pygame.font.init()
        self._fonts: dict[int, pygame.font.Font] = {}
        self._cache: tuple[PanelState, tuple[int, int], pygame.Surface] | None = None
        self.renders = 0  # how many times the pane was actually rendered (tests, benchmarks)

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, state: PanelState) -> None:
        """Blit the pane for `state` at `rect`, rendering it first if it changed."""
        if self._cache is None or self._cache[0] is not state or self._cache[1] != rect.size:
            self._cache = (state, rect.size, self.render(state, rect.size))
        surface.blit(self._cache[2], rect.topleft)

    def render(self, state: PanelState, size: tuple[int, int]) -> pygame.Surface:
        """A fresh surface of `size` showing `state`."""
        self.renders += 1
        pane = pygame.Surface(size)
        pane.fill(BACKGROUND)
        pygame.draw.rect(pane, CARD, pane.get_rect(), border_radius=CORNER)
        scale = min(size[0] / REF_SIZE[0], size[1] / REF_SIZE[1])
        if state.status == ERROR_STATUS:
            self._render_error(pane, scale, state.message)
        elif state.status == LOADING:
            self._render_centered(pane, scale, LOADING_TEXT)
        elif state.prediction is None:
            self._render_centered(pane, scale, EMPTY_TEXT)
        else:
            self._render_prediction(pane, scale, state.prediction)
        return pane

    def font(self, size: int) -> pygame.font.Font:
        """The default font at `size` (cached: creating a font costs a fraction of a millisecond)."""
        size = max(8, size)
        if size not in self._fonts:
            self._fonts[size] = pygame.font.Font(None, size)
        return self._fonts[size]

    def _render_centered(self, pane: pygame.Surface, scale: float, text: str) -> None:
        label = self.font(round(MESSAGE_FONT * scale)).render(text, True, MUTED)
        pane.blit(label, label.get_rect(center=pane.get_rect().center))

    def _render_error(self, pane: pygame.Surface, scale: float, message: str) -> None:
        pad = round(PAD * scale)
        width = pane.get_width() - 2 * pad
        y = pad
        title = self.font(round(MESSAGE_FONT * scale)).render(ERROR_TITLE, True, ERROR)
        pane.blit(title, (pad, y))
        y += title.get_height() + pad
        body = self.font(round(BODY_FONT * scale))
        for line in wrap(message, body, width):
            pane.blit(body.render(line, True, TEXT), (pad, y))
            y += body.get_linesize()
        y += body.get_linesize()
        for line in wrap(ERROR_FOOTER, body, width):
            pane.blit(body.render(line, True, MUTED), (pad, y))
            y += body.get_linesize()

    def _render_prediction(self, pane: pygame.Surface, scale: float, pred: Prediction) -> None:
        pad = round(PAD * scale)
        width = pane.get_width()
        box = round(DIGIT_BOX * scale)
        caption = self.font(round(CAPTION_FONT * scale))
        # Row 1: the digit, large, and the 28x28 image the model saw.
        pane.blit(caption.render("Prediction", True, MUTED), (pad, pad))
        image_x = width - pad - box
        pane.blit(caption.render("Model input (28\u00d728)", True, MUTED), (image_x, pad))
        top = pad + caption.get_linesize()
        digit_rect = pygame.Rect(pad, top, box, box)
        digit = self.font(round(box * 1.45)).render(str(pred.digit), True, TEXT)
        pane.blit(digit, digit.get_rect(center=digit_rect.center))
        pane.blit(model_input_surface(pred.image, box), (image_x, top))
        pygame.draw.rect(pane, CANVAS_BORDER, (image_x - 1, top - 1, box + 2, box + 2), 1)
        # Row 2: confidence.
        y = top + box + pad
        conf_font = self.font(round(CONFIDENCE_FONT * scale))
        label = conf_font.render("Confidence", True, MUTED)
        value = conf_font.render(percent(pred.confidence), True, ACCENT)
        pane.blit(label, (pad, y))
        pane.blit(value, (width - pad - value.get_width(), y))
        y += conf_font.get_linesize() + pad // 2
        # Rows 3..12: one bar per digit.
        row_h = round(ROW_HEIGHT * scale)
        row_font = self.font(round(ROW_FONT * scale))
        bar_x = pad + round(LABEL_WIDTH * scale)
        bar_w = width - pad - round(PERCENT_WIDTH * scale) - bar_x
        bar_h = max(4, row_h // 2)
        for d, p in enumerate(pred.probabilities):
            colour = ACCENT if d == pred.digit else MUTED
            text_colour = TEXT if d == pred.digit else MUTED
            mid = y + row_h // 2
            label = row_font.render(str(d), True, text_colour)
            pane.blit(label, label.get_rect(midleft=(pad, mid)))
            bar = pygame.Rect(bar_x, mid - bar_h // 2, bar_w, bar_h)
            pygame.draw.rect(pane, BAR, bar, border_radius=bar_h // 2)
            fill = round(bar_w * float(p))
            if fill >= 1:
                pygame.draw.rect(pane, colour, (bar.x, bar.y, fill, bar_h), border_radius=bar_h // 2)
            value = row_font.render(percent(float(p)), True, text_colour)
            pane.blit(value, value.get_rect(midright=(width - pad, mid)))
            y += row_h


class Hint:
    """The one-line hint of the controls, centred in its rect (rendered once per size)."""

    def __init__(self, text: str) -> None:
        pygame.font.init()
        self.text = text
        self._cache: tuple[int, pygame.Surface] | None = None

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, scale: float = 1.0) -> None:
        """Blit the hint centred in `rect`; font size follows `scale`."""
        size = max(10, round(HINT_FONT * scale))
        if self._cache is None or self._cache[0] != size:
            self._cache = (size, pygame.font.Font(None, size).render(self.text, True, MUTED))
        label = self._cache[1]
        surface.blit(label, label.get_rect(center=rect.center))


def model_input_surface(image: np.ndarray, side: int) -> pygame.Surface:
    """The 28x28 float image in [0, 1] as a grey surface scaled to `side` px, pixels kept sharp."""
    grey = np.ascontiguousarray(np.clip(image * 255.0, 0, 255).astype(np.uint8))
    small = pygame.image.frombuffer(grey, (grey.shape[1], grey.shape[0]), "P")
    small.set_palette(GREY_PALETTE)
    return pygame.transform.scale(small, (side, side))  # a copy: `grey` may be freed afterwards


GREY_PALETTE = [(i, i, i) for i in range(256)]


def percent(p: float) -> str:
    """A probability as a percentage with one decimal that never claims a certainty it is not
    (0.99996 is '>99.9%', not '100.0%')."""
    return ">99.9%" if 0.9995 <= p < 1.0 else f"{p:.1%}"


def wrap(text: str, font: pygame.font.Font, width: int) -> list[str]:
    """Split `text` into lines that fit `width` px in `font`; a word longer than a line (a file
    path) is cut where it must be."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.size(candidate)[0] <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while font.size(word)[0] > width and len(word) > 1:
                cut = max(1, next((i for i in range(len(word), 0, -1) if font.size(word[:i])[0] <= width), 1))
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines
