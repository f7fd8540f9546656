"""The right pane (predicted digit or number, confidence, the 10 probabilities, the 28x28 model
input), the digit boxes over the canvas and the hint line, rendered with pygame from a small
immutable PanelState.

The pane is re-rendered only when its state or size changes (a cached surface is blitted on the
other frames), so drawing it costs next to nothing while the user draws. Default font only.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pygame

from recognizer.predictor import percent

if TYPE_CHECKING:  # only for annotations: the pane draws predictions, it never makes them
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
WARNING = (255, 184, 77)  # "not sure"
BOX = (104, 112, 130)  # a digit's box on the canvas: visible, not loud

# Panel statuses.
LOADING = "loading"
READY = "ready"
ERROR_STATUS = "error"

EMPTY_TEXT = "draw a digit"
NOT_SURE_TEXT = "not sure"
UNSURE_MARK = "?"  # an unsure digit in a number and on its box
SINGLE_TITLE = "Prediction"
NUMBER_TITLE = "Number"
FOCUS_TITLE = (
    "Last digit"  # with several digits the bars and the 28x28 view show the last one read (rightmost, lowest row)
)
CONFIDENCE_TITLE = "Confidence"
GUESS_TITLE = "Best guess"  # when not sure: what the classifier would have said, greyed
INPUT_TITLE = "Model input (28\u00d728)"
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
NUMBER_FONT = 96  # the number read, when there are several digits
FOCUS_BOX = 90  # the last digit's box and image, below the number
NOTE_FONT = 17  # small print: the reason for "not sure", "personal model"
BOX_FONT = 18  # a digit's label on the canvas
PROGRESS_WIDTH = 90  # the learning progress bar
MIN_PROGRESS_WIDTH = 30  # the bar keeps this much room; a longer step label is cut short
SAMPLES_TEXT = "my samples  "
MIN_FONT = 11  # px; text is never drawn smaller (at 8, a 480x320 window's "scribble" read "sorlbbl c")
FONT_CACHE = 32  # font sizes kept loaded (each holds the font file open): a window dragged wider needs new ones
HINT_LINES = 2  # a notice too long for the window's width wraps to this many lines, then shrinks
ELLIPSIS = "\u2026"
SEPARATOR = "  \u00b7  "  # between the hint's controls: a wrapped hint breaks here, never inside one


@dataclass(frozen=True, eq=False)
class PanelState:
    """What the right pane shows: the status, the latest prediction (None: blank canvas; with several
    digits, the last read), a message; all the digits read with the number they make, the canvas
    side their boxes are measured on, and a small note (e.g. "personal model").

    Immutable and compared by identity: a new state object means "render again"."""

    status: str = LOADING
    prediction: Prediction | None = None
    message: str = ""
    digits: tuple[Prediction, ...] = ()
    number: str = ""
    canvas_side: int = 0
    note: str = ""
    samples: tuple[int, ...] = ()  # the user's saved samples of each digit, 0-9 (() while not known)
    progress: float | None = None  # learning from the samples (key L): 0-1, None when not learning
    progress_text: str = ""  # the step under way

    @property
    def footer_lines(self) -> int:
        """Lines of small print under the digit: the samples saved, then the model (or the learning)."""
        return (1 if self.samples else 0) + (1 if self.note or self.progress is not None else 0)

    @property
    def has_boxes(self) -> bool:
        """True when the canvas shows each digit's box (more than one digit read)."""
        return self.status == READY and len(self.digits) > 1


class Fonts:
    """The default font by size, the FONT_CACHE sizes used last kept: a new Font costs a fraction of a
    millisecond and starts with cold glyph caches (its first measures and renders cost several times
    more), and every size of a window being resized would pile up (each holds the font file open)."""

    def __init__(self) -> None:
        pygame.font.init()
        self._fonts: OrderedDict[int, pygame.font.Font] = OrderedDict()

    def __call__(self, size: int) -> pygame.font.Font:
        """The default font at `size` px, made once and kept while used."""
        if size in self._fonts:
            self._fonts.move_to_end(size)
        else:
            self._fonts[size] = pygame.font.Font(None, size)
            if len(self._fonts) > FONT_CACHE:
                self._fonts.popitem(last=False)
        return self._fonts[size]

    def __len__(self) -> int:
        """How many sizes are kept."""
        return len(self._fonts)


class Panel:
    """Renders a PanelState into a rect; the rendering is cached until the state or size changes."""

    def __init__(self) -> None:
        self.fonts = Fonts()
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
        elif state.has_boxes:
            top = self._render_number(pane, scale, state.number, state.digits)
            self._render_prediction(
                pane, scale, state.prediction, top, round(FOCUS_BOX * scale), FOCUS_TITLE, state.footer_lines
            )
        else:
            self._render_prediction(
                pane,
                scale,
                state.prediction,
                round(PAD * scale),
                round(DIGIT_BOX * scale),
                SINGLE_TITLE,
                state.footer_lines,
            )
        if state.status == READY:
            self._render_footer(pane, scale, state)
        return pane

    def _render_footer(self, pane: pygame.Surface, scale: float, state: PanelState) -> None:
        """The small print at the bottom: the samples saved of each digit; below it the model in use
        on the right and, while learning, a progress bar with the step on the left."""
        font = self.font(round(NOTE_FONT * scale))
        pad = round(PAD * scale)
        width, bottom = pane.get_width(), pane.get_height() - pad // 2
        line = font.get_linesize()
        if state.note or state.progress is not None:
            right = width - pad
            if state.note:  # a long one (--model's file name) is cut short, leaving the progress half the line
                room = width - 2 * pad if state.progress is None else (width - 2 * pad) // 2
                note = font.render(elide(state.note, font, room), True, MUTED)
                pane.blit(note, note.get_rect(bottomright=(right, bottom)))
                right = note.get_rect(bottomright=(right, bottom)).left - pad // 2
            if state.progress is not None:
                room = right - pad - round(MIN_PROGRESS_WIDTH * scale) - pad // 2
                label = font.render(elide(state.progress_text, font, max(0, room)), True, ACCENT)
                bar_w = max(0, min(round(PROGRESS_WIDTH * scale), right - pad - label.get_width() - pad // 2))
                bar = pygame.Rect(pad, bottom - line // 2 - 3, bar_w, 6)
                pygame.draw.rect(pane, BAR, bar, border_radius=3)
                done = round(bar_w * min(1.0, max(0.0, state.progress)))
                if done:
                    pygame.draw.rect(pane, ACCENT, (bar.x, bar.y, done, bar.height), border_radius=3)
                pane.blit(label, label.get_rect(midleft=(bar.right + pad // 2, bar.centery)))
            bottom -= line
        if state.samples:
            counts = "  ".join(f"{d}:{n}" for d, n in enumerate(state.samples))
            for text in (SAMPLES_TEXT + counts, counts, counts.replace("  ", " ")):  # the first that fits
                if font.size(text)[0] <= width - 2 * pad:
                    break
            else:  # many samples in a narrow pane: a smaller font (down to MIN_FONT)
                size = max(MIN_FONT, round(NOTE_FONT * scale))
                while self.font(size).size(text)[0] > width - 2 * pad and size > MIN_FONT:
                    size -= 1
                font = self.font(size)
            label = font.render(text, True, MUTED)
            pane.blit(label, label.get_rect(bottomleft=(pad, bottom)))

    def draw_boxes(self, surface: pygame.Surface, rect: pygame.Rect, state: PanelState) -> None:
        """Each digit's box and label over the canvas shown at `rect` (boxes are measured on a canvas
        of state.canvas_side px, scaled to the rect); unsure ones in WARNING with a "?"."""
        if not state.has_boxes or state.canvas_side <= 0:
            return
        f = rect.width / state.canvas_side
        font = self.font(round(BOX_FONT * max(0.6, rect.width / REF_SIZE[1])))
        for pred in state.digits:
            x, y, w, h = pred.box
            box = pygame.Rect(rect.x + round(x * f), rect.y + round(y * f), max(1, round(w * f)), max(1, round(h * f)))
            colour = WARNING if pred.unsure else BOX
            pygame.draw.rect(surface, colour, box, 1)
            label = font.render(UNSURE_MARK if pred.unsure else str(pred.digit), True, colour)
            where = label.get_rect(bottomleft=(box.x, box.y - 2))
            if where.top < rect.top:  # no room above: inside the box's corner
                where.topleft = (box.x + 3, box.y + 2)
            surface.blit(label, where)

    def font(self, size: int) -> pygame.font.Font:
        """The default font at `size` (at least MIN_FONT), from the pane's Fonts."""
        return self.fonts(max(MIN_FONT, size))

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

    def _fitted(self, text: str, size: int, room: int) -> pygame.font.Font:
        """The font of `size` px, or smaller where `text` would be wider than `room` px."""
        width = self.font(size).size(text)[0]
        return self.font(max(1, int(size * room / width)) if width > room else size)

    def _render_number(self, pane: pygame.Surface, scale: float, number: str, digits: Sequence[Prediction]) -> int:
        """The number read, large, "?" for unsure digits, and why they are unsure under it; returns
        the y below it."""
        pad = round(PAD * scale)
        caption = self.font(round(CAPTION_FONT * scale))
        pane.blit(caption.render(f"{NUMBER_TITLE} ({len(digits)} digits)", True, MUTED), (pad, pad))
        y = pad + caption.get_linesize()
        room = pane.get_width() - 2 * pad
        font = self._fitted(number, round(NUMBER_FONT * scale), room)
        x = pad
        for ch in number:
            glyph = font.render(ch, True, WARNING if ch == UNSURE_MARK else TEXT)
            pane.blit(glyph, (x, y))
            x += glyph.get_width()
        y += font.get_linesize()
        why = unsure_reasons(digits)
        if why:  # the pane's bars show one digit: the reasons of every "?" are said here
            small = self.font(round(NOTE_FONT * scale))
            pane.blit(small.render(elide(why, small, room), True, WARNING), (pad, y))
            y += small.get_linesize()
        return y + pad // 2

    def _render_prediction(
        self, pane: pygame.Surface, scale: float, pred: Prediction, top: int, box: int, title: str, footer: int = 0
    ) -> None:
        """One digit from `top` down: the digit (or "not sure") in a `box` px square beside the 28x28
        image, the confidence, and the 10 bars (greyed when not sure), fitted above the footer."""
        pad = round(PAD * scale)
        width = pane.get_width()
        caption = self.font(round(CAPTION_FONT * scale))
        # Row 1: the digit, large, and the 28x28 image the model saw.
        pane.blit(caption.render(title, True, MUTED), (pad, top))
        image_x = width - pad - box
        input_label = caption.render(INPUT_TITLE, True, MUTED)
        pane.blit(input_label, (min(image_x, width - pad - input_label.get_width()), top))
        top += caption.get_linesize()
        digit_rect = pygame.Rect(pad, top, box, box)
        if pred.unsure:
            self._render_unsure(pane, digit_rect, scale, pred.unsure, title == SINGLE_TITLE)
        else:
            text = pred.before + str(pred.digit)  # "-5": a minus written before it, in the digit's box
            digit = self._fitted(text, round(box * 1.45), box).render(text, True, TEXT)
            pane.blit(digit, digit.get_rect(center=digit_rect.center))
        pane.blit(model_input_surface(pred.image, box), (image_x, top))
        pygame.draw.rect(pane, CANVAS_BORDER, (image_x - 1, top - 1, box + 2, box + 2), 1)
        # Row 2: confidence.
        sure = pred.unsure is None
        y = top + box + pad
        conf_font = self.font(round(CONFIDENCE_FONT * scale))
        title, text = confidence_row(pred)
        label = conf_font.render(title, True, MUTED)
        value = conf_font.render(text, True, ACCENT if sure else MUTED)
        pane.blit(label, (pad, y))
        pane.blit(value, (width - pad - value.get_width(), y))
        y += conf_font.get_linesize() + pad // 2
        # Rows 3..12: one bar per digit, as tall as fits above the footer.
        bottom = pane.get_height() - pad // 2 - footer * self.font(round(NOTE_FONT * scale)).get_linesize()
        row_h = max(1, min(round(ROW_HEIGHT * scale), (bottom - y) // 10))
        row_font = self.font(min(round(ROW_FONT * scale), round(row_h * 0.8)))
        bar_x = pad + round(LABEL_WIDTH * scale)
        bar_w = width - pad - round(PERCENT_WIDTH * scale) - bar_x
        bar_h = max(4, row_h // 2)
        for d, p in enumerate(pred.probabilities):
            top_digit = d == pred.digit
            colour = ACCENT if top_digit and sure else MUTED
            text_colour = TEXT if top_digit else MUTED
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

    def _render_unsure(self, pane: pygame.Surface, rect: pygame.Rect, scale: float, reason: str, words: bool) -> None:
        """ "not sure" (or "?" in a small box) in WARNING where the digit would be, the reason below it."""
        text = NOT_SURE_TEXT if words else UNSURE_MARK
        size = round(rect.width * 1.45) if not words else round(rect.width * 0.34)
        big = self.font(size).render(text, True, WARNING)
        small = self.font(round(NOTE_FONT * scale)).render(reason, True, MUTED)
        gap = round(4 * scale)
        y = rect.centery - (big.get_height() + gap + small.get_height()) // 2
        pane.blit(big, big.get_rect(midtop=(rect.centerx, y)))
        pane.blit(small, small.get_rect(midtop=(rect.centerx, y + big.get_height() + gap)))


class Hint:
    """The one-line hint of the controls, centred in its rect, or a notice in its place; text too wide
    for the rect wraps to HINT_LINES lines, then shrinks. The lines are fitted again only when the
    text, font size or rect size changes, and rendered again only when the fitted lines, their font
    size or the colour change: a resize drag mostly reuses the label, and the fonts stay warm."""

    def __init__(self, text: str, fonts: Fonts | None = None) -> None:
        self.text = text
        self.fonts = fonts if fonts is not None else Fonts()
        self._fitted: tuple[tuple[int, str, tuple[int, int]], tuple[int, tuple[str, ...]]] | None = None
        self._label: tuple[tuple[int, tuple[str, ...], tuple[int, int, int]], pygame.Surface] | None = None

    @property
    def label(self) -> pygame.Surface | None:
        """The text last drawn, as rendered (None before the first draw)."""
        return None if self._label is None else self._label[1]

    @property
    def font_size(self) -> int | None:
        """The font size the text last drawn was fitted to (None before the first draw)."""
        return None if self._fitted is None else self._fitted[1][0]

    def draw(
        self,
        surface: pygame.Surface,
        rect: pygame.Rect,
        scale: float = 1.0,
        notice: str = "",
        colour: tuple[int, int, int] = ACCENT,
    ) -> None:
        """Fill `rect` and blit the hint (or `notice`, in `colour`) centred in it; font size follows `scale`."""
        size = max(10, round(HINT_FONT * scale))
        text, colour = (notice, colour) if notice else (self.text, MUTED)
        if self._fitted is None or self._fitted[0] != (size, text, rect.size):
            self._fitted = ((size, text, rect.size), fit_lines(text, self.fonts, size, rect.size))
        key = (*self._fitted[1], colour)
        if self._label is None or self._label[0] != key:
            self._label = (key, render_lines(self.fonts(key[0]), key[1], colour))
        label = self._label[1]
        surface.fill(BACKGROUND, rect)
        surface.blit(label, label.get_rect(center=rect.center))


def fit_lines(text: str, fonts: Fonts, size: int, room: tuple[int, int]) -> tuple[int, tuple[str, ...]]:
    """The font size (`size` or smaller) and the lines, at most HINT_LINES, that show `text` within
    `room` (w, h) less a margin (broken between SEPARATORs where it has them); the last line cut
    short if even MIN_FONT needs more."""
    width, height = max(1, room[0] - PAD), room[1]
    sep = SEPARATOR if SEPARATOR in text else " "
    while True:
        font = fonts(size)
        lines = wrap(text, font, width, sep)
        if (len(lines) <= HINT_LINES and len(lines) * font.get_linesize() <= height) or size <= MIN_FONT:
            break
        size = max(MIN_FONT, size - 2)
    if len(lines) > HINT_LINES:
        lines = [*lines[: HINT_LINES - 1], elide(sep.join(lines[HINT_LINES - 1 :]), font, width)]
    return size, tuple(lines)


def render_lines(font: pygame.font.Font, lines: Sequence[str], colour: tuple[int, int, int]) -> pygame.Surface:
    """`lines` in `font` and `colour`, centred one under the other on a transparent surface."""
    rendered = [font.render(line, True, colour) for line in lines]
    out = pygame.Surface((max(r.get_width() for r in rendered), font.get_linesize() * len(rendered)), pygame.SRCALPHA)
    for k, r in enumerate(rendered):
        out.blit(r, r.get_rect(midtop=(out.get_width() // 2, k * font.get_linesize())))
    return out


def model_input_surface(image: np.ndarray, side: int) -> pygame.Surface:
    """The 28x28 float image in [0, 1] as a grey surface scaled to `side` px, pixels kept sharp."""
    grey = np.ascontiguousarray(np.clip(image * 255.0, 0, 255).astype(np.uint8))
    small = pygame.image.frombuffer(grey, (grey.shape[1], grey.shape[0]), "P")
    small.set_palette(GREY_PALETTE)
    return pygame.transform.scale(small, (side, side))  # a copy: `grey` may be freed afterwards


GREY_PALETTE = [(i, i, i) for i in range(256)]


def confidence_row(pred: Prediction) -> tuple[str, str]:
    """The row under the digit: its confidence when sure; when not sure, the classifier's best guess
    and its probability, so that "not a digit" beside "Confidence >99.9%" does not contradict itself."""
    if pred.unsure is None:
        return CONFIDENCE_TITLE, percent(pred.confidence)
    return GUESS_TITLE, f"{pred.digit}, {percent(pred.confidence)}"


def unsure_reasons(digits: Sequence[Prediction]) -> str:
    """Why the digits of a number read "?", in order, each reason once ("" when all are sure)."""
    reasons = list(dict.fromkeys(d.unsure for d in digits if d.unsure))
    return f"{UNSURE_MARK} {', '.join(reasons)}" if reasons else ""


def elide(text: str, font: pygame.font.Font, width: int) -> str:
    """`text`, or as much of its start as fits `width` px in `font` followed by an ellipsis."""
    if font.size(text)[0] <= width:
        return text
    cut = longest_start(text, lambda start: font.size(start + ELLIPSIS)[0] <= width)
    return text[:cut].rstrip() + ELLIPSIS


def wrap(text: str, font: pygame.font.Font, width: int, sep: str = " ") -> list[str]:
    """Split `text` into lines that fit `width` px in `font`, between the words `sep` parts; a word
    longer than a line (a file path) is cut where it must be (a line holds one character however
    narrow)."""

    def fits(part: str) -> bool:
        return font.size(part)[0] <= width

    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(sep):
            candidate = f"{line}{sep}{word}" if line else word
            if fits(candidate):
                line = candidate
                continue
            if line:
                lines.append(line)
            while len(word) > 1 and (cut := longest_start(word, fits, least=1)) < len(word):
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def longest_start(text: str, fits: Callable[[str], bool], least: int = 0) -> int:
    """The length of the longest start of `text` that `fits` (`least` if none longer does), found by
    doubling, then halving: a few measures of a line's length, not one per character of the text
    (a longer start is never narrower)."""
    good, bad = least, least + 1
    while bad <= len(text) and fits(text[:bad]):
        good, bad = bad, 2 * bad
    bad = min(bad, len(text) + 1)
    while bad - good > 1:
        middle = (good + bad) // 2
        good, bad = (middle, bad) if fits(text[:middle]) else (good, middle)
    return good
