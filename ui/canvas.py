"""The drawing canvas: strokes kept as point lists and rasterized incrementally into a uint8 array.

White ink (255) on black (0), like MNIST, at the resolution it is shown on screen. Each new mouse
position is joined to the previous one by a round-capped segment (no gaps however fast the mouse
moves); undo pastes back the pixels the stroke covered as they were before it (or, past what
UNDO_MEMORY keeps and after a resize, re-rasterizes from the point lists). `version` grows with every
change of ink, so the app predicts only when there is something new to read. No pygame here.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from recognizer.strokes import Point, brush_width, draw_stroke, scaled_strokes

# A move shorter than POINT_STEP px (or 1/STEP_SIDES of a smaller canvas's side, 1 px at least) from the
# stroke's last point adds no point: a pen or finger resting on a tablet jitters 1-2 px hundreds of times a
# second (a user trial: 900 points a second, its 4 read "scribble", and read again 22 times a second on ink
# that looked the same). 6 px takes a +-2 px jitter's every step; the stroke may end that far short of
# where the pen lifts, under its brush's round end. Real pen strokes as the benches draw them (UNIPEN) step
# 0.43 of the pen at the median, 0.73 at the 75th percentile: 6 px is 0.24 of the app's 560 px brush, 0.55
# of a 240 px canvas's.
POINT_STEP = 6.0
STEP_SIDES = 40
MAX_UNDO = 100  # strokes kept as point lists; older ones are baked into a bitmap, keeping memory flat
MIN_SIDE = 28  # px; no canvas is smaller than the image the model sees
# Under each undoable stroke's box the pixels from before it are kept, so that undoing it is a copy,
# not a redraw of every stroke (a circle per point: 0.2 s for a canvas of 10,000 points), up to this
# many bytes in all (the oldest go first: 100 strokes across a 560 px canvas take 31 MB; a digit's
# stroke 20-60 KB); kept whole before each of the last 16 strokes, this had taken 5 MB at 560 px and
# 31 MB at 1,400 px, and every 17th undo in a row redrew every stroke on the UI thread.
UNDO_MEMORY = 32 * 2**20

Patch = tuple[int, int, np.ndarray]  # (x, y, pixels): a stroke's box on the canvas before it was drawn


def stroke_box(points: list[Point], brush: int, side: int) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the pixels a stroke of `points` drawn with `brush` can touch on a side x side
    canvas (its width and anti-aliasing included), or None when it lies off the canvas."""
    reach = brush // 2 + 2
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, y0 = max(0, int(min(xs) - reach)), max(0, int(min(ys) - reach))
    x1 = min(side, int(math.ceil(max(xs) + reach + 1)))
    y1 = min(side, int(math.ceil(max(ys) + reach + 1)))
    return None if x1 <= x0 or y1 <= y0 else (x0, y0, x1, y1)


def patch_of(pixels: np.ndarray, box: tuple[int, int, int, int] | None) -> Patch:
    """The pixels under box, copied (an empty patch for None)."""
    if box is None:
        return 0, 0, pixels[:0, :0].copy()
    x0, y0, x1, y1 = box
    return x0, y0, pixels[y0:y1, x0:x1].copy()


def first_kept(sizes: list[int]) -> int:
    """The index of the oldest of the newest patches (their sizes in bytes, oldest first) that fit
    UNDO_MEMORY together."""
    total, first = 0, len(sizes)
    while first > 0 and total + sizes[first - 1] <= UNDO_MEMORY:
        first -= 1
        total += sizes[first]
    return first


def within_memory(patches: list[Patch]) -> list[Patch]:
    """The newest patches whose pixels fit UNDO_MEMORY together (oldest dropped)."""
    return patches[first_kept([patch.nbytes for _, _, patch in patches]) :]


def render(
    strokes: list[list[Point]], base: np.ndarray | None, side: int, brush: int
) -> tuple[np.ndarray, list[Patch]]:
    """`strokes` drawn over `base` (None: black) on a side x side canvas, and under each stroke's box
    the pixels before it (for undo, within UNDO_MEMORY): what a canvas redraw makes, on any thread."""
    pixels = np.zeros((side, side), np.uint8) if base is None else base.copy()
    boxes = [stroke_box(stroke, brush, side) for stroke in strokes]
    first = first_kept([0 if b is None else (b[2] - b[0]) * (b[3] - b[1]) for b in boxes])  # only those copied
    before = []
    for k, (stroke, box) in enumerate(zip(strokes, boxes)):
        if k >= first:
            before.append(patch_of(pixels, box))
        draw_stroke(pixels, stroke, brush)
    return pixels, before


class Canvas:
    """A square canvas of `side` px: strokes (the last one may be in progress), pixels, version."""

    def __init__(self, side: int):
        self.side = max(MIN_SIDE, int(side))
        self.strokes: list[list[Point]] = []  # undoable strokes, oldest first; the last may be in progress
        self.drawing = False  # True between begin() and end(): the last stroke is still growing
        self.version = 0  # incremented on every change of ink
        self.erased_version = 0  # the version made by the last undo or clear: a reading of older ink shows ink now gone
        self.pixels = np.zeros((self.side, self.side), np.uint8)  # updated in place where possible
        self._base: np.ndarray | None = None  # strokes older than MAX_UNDO, flattened; None while there are none
        # under the box of each of the last strokes, the pixels before it (UNDO_MEMORY), oldest first; the
        # stroke drawn last has the whole canvas from before it in _snapshot until the next one begins
        self._before: list[Patch] = []
        self._snapshot: np.ndarray | None = None
        self.redraw_due = False  # the pixels were scaled by a resize, not drawn at this size (redrawn())
        # what clear() took away (strokes, patches, base, pixels, redraw_due), until the next stroke or
        # resize: undo() puts it back (a right click clears at a touch, and the drawing was gone for good)
        self._cleared: tuple | None = None
        self._dirty: tuple[int, int, int, int] | None = (0, 0, self.side, self.side)  # changed since take_dirty()

    @property
    def brush_width(self) -> int:
        """Stroke width in px for this canvas size (proportional, so any window size reads alike)."""
        return brush_width(self.side)

    @property
    def point_step(self) -> float:
        """The least move, in px, that adds a point to a stroke (POINT_STEP, STEP_SIDES)."""
        return max(1.0, min(POINT_STEP, self.side / STEP_SIDES))

    @property
    def is_empty(self) -> bool:
        """True when there is no ink at all (nothing to predict)."""
        return not self.strokes and self._base is None

    @property
    def all_strokes_kept(self) -> bool:
        """True while every bit of ink is in `strokes` (none baked): the strokes describe the canvas."""
        return self._base is None

    def begin(self, point: Point) -> None:
        """Start a stroke at `point` (canvas px); a dot is drawn at once."""
        self.end()
        self._cleared = None  # a new drawing: undo takes its strokes back, not the one cleared before
        if len(self.strokes) >= MAX_UNDO:
            self._bake_oldest()
        point = self._clamp(point)
        self._seal()
        self._snapshot = self.pixels.copy()
        self.strokes.append([point])
        self.drawing = True
        draw_stroke(self.pixels, [point], self.brush_width)
        self._mark(point, point)
        self.version += 1

    def extend(self, point: Point) -> None:
        """Continue the stroke in progress to `point`: draws only the new segment."""
        if not self.drawing:
            return
        stroke = self.strokes[-1]
        point = self._clamp(point)
        last = stroke[-1]
        if math.hypot(point[0] - last[0], point[1] - last[1]) < self.point_step:
            return
        stroke.append(point)
        draw_stroke(self.pixels, [last, point], self.brush_width)
        self._mark(last, point)
        self.version += 1

    def end(self) -> None:
        """Finish the stroke in progress (if any); it stays on the canvas and can be undone."""
        self.drawing = False

    def undo(self) -> bool:
        """Remove the last stroke (also one in progress), or put back what clear() took away when
        nothing was drawn since; False when there is nothing to undo."""
        self.drawing = False
        if not self.strokes and self._cleared is not None and self.is_empty:
            self.strokes, self._before, self._base, pixels, self.redraw_due = self._cleared
            self._cleared = None
            np.copyto(self.pixels, pixels)
            self._dirty = (0, 0, self.side, self.side)
            self.version += 1
            return True
        if not self.strokes:
            return False
        self._seal()
        self.strokes.pop()
        if self._before:  # the pixels under the stroke as they were before it: exactly what was on screen then
            x, y, patch = self._before.pop()
            self.pixels[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
            self._dirty = (x, y, x + patch.shape[1], y + patch.shape[0])
        else:  # drawn again, keeping patches for the undos after this one
            self._rasterize()
            self.redraw_due = False  # drawn at this size: a redraw after a resize has nothing left to do
        self.version += 1
        self.erased_version = self.version
        return True

    def clear(self) -> bool:
        """Remove all ink; False when the canvas was already empty."""
        self.drawing = False
        if self.is_empty:
            return False
        self._seal()
        self._cleared = (self.strokes, self._before, self._base, self.pixels.copy(), self.redraw_due)
        self.strokes, self._before = [], []
        self.redraw_due = False
        self._base = None
        self.pixels.fill(0)
        self._dirty = (0, 0, self.side, self.side)
        self.version += 1
        self.erased_version = self.version
        return True

    def resize(self, side: int, exact: bool = True) -> None:
        """Change the canvas size, scaling what was drawn with it (new `pixels` array). exact=False
        (a window being dragged: many sizes a second) scales the pixels themselves, a fraction of a
        millisecond, and leaves redrawing the strokes to redrawn() once the size settles: a redraw
        costs a circle per point, 0.3 s for a canvas of 10,000 points."""
        side = max(MIN_SIDE, int(side))
        if side == self.side:
            return
        scale = side / self.side
        self._cleared = None  # pixels of the old size
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        self.strokes = scaled_strokes(self.strokes, scale)
        if self._base is not None:
            self._base = cv2.resize(self._base, (side, side), interpolation=interpolation)
        old, self.side = self.pixels, side
        self._before.clear()  # pixels of the old size
        self._snapshot = None
        if exact:
            self.pixels = np.zeros((side, side), np.uint8)
            self._rasterize()
        else:  # a preview until redrawn(): linear, 6 times as fast as INTER_AREA shrinking 1,260 px (5.5 -> 0.85 ms)
            self.pixels = cv2.resize(old, (side, side), interpolation=cv2.INTER_LINEAR)
            self._dirty = (0, 0, side, side)
        self.redraw_due = not exact
        self.version += 1

    def redraw_job(self) -> tuple[int, int, list[list[Point]], np.ndarray | None, int]:
        """What a redraw off the loop needs (render's arguments, copied) and the ink version it is for:
        (version, side, strokes, base, brush width)."""
        base = None if self._base is None else self._base.copy()
        return self.version, self.side, [list(s) for s in self.strokes], base, self.brush_width

    def redrawn(self, version: int, side: int, pixels: np.ndarray, before: list[Patch]) -> bool:
        """Put in a redraw made off the loop (render's, of redraw_job at `version`) if the canvas is
        still as it was then and still waits for one; False if not (the ink or size changed since)."""
        if not self.redraw_due or version != self.version or side != self.side:
            return False
        np.copyto(self.pixels, pixels)
        self._before, self.redraw_due = before, False
        self._reopen()
        self._dirty = (0, 0, self.side, self.side)
        self.version += 1
        return True

    @property
    def has_dirty(self) -> bool:
        """True when some pixels changed since the last take_dirty()."""
        return self._dirty is not None

    def take_dirty(self) -> tuple[int, int, int, int] | None:
        """The area (x, y, w, h) whose pixels changed since the last call, or None: lets the screen
        update only what the last mouse move drew."""
        dirty, self._dirty = self._dirty, None
        if dirty is None:
            return None
        x0, y0, x1, y1 = dirty
        return (x0, y0, x1 - x0, y1 - y0)

    def _mark(self, a: Point, b: Point) -> None:
        """Add the box around the segment a-b (brush and anti-aliasing included) to the dirty area."""
        box = stroke_box([a, b], self.brush_width, self.side)
        if box is None:
            return
        x0, y0, x1, y1 = box
        if self._dirty is not None:
            x0, y0 = min(x0, self._dirty[0]), min(y0, self._dirty[1])
            x1, y1 = max(x1, self._dirty[2]), max(y1, self._dirty[3])
        self._dirty = (x0, y0, x1, y1)

    def _rasterize(self) -> None:
        """Redraw every stroke into `pixels` in place (undo) or into a fresh array (resize), keeping
        the pixels under each stroke from before it as it goes (render), for the undos after it."""
        self._dirty = (0, 0, self.side, self.side)
        pixels, self._before = render(self.strokes, self._base, self.side, self.brush_width)
        np.copyto(self.pixels, pixels)
        self._reopen()

    def _reopen(self) -> None:
        """After a redraw: the stroke in progress keeps the whole canvas from before it (_snapshot),
        not the patch of the points drawn so far (it may grow past that box), as begin() left it."""
        self._snapshot = None
        if self.drawing and self._before:  # the newest patch is the last stroke's (render keeps the newest)
            x, y, patch = self._before.pop()
            self._snapshot = self.pixels.copy()
            self._snapshot[y : y + patch.shape[0], x : x + patch.shape[1]] = patch

    def _seal(self) -> None:
        """Keep, of the whole canvas from before the stroke drawn last, only what lies under the
        stroke (a patch, within UNDO_MEMORY)."""
        if self._snapshot is None:
            return
        box = stroke_box(self.strokes[-1], self.brush_width, self.side)
        self._before = within_memory([*self._before, patch_of(self._snapshot, box)])
        self._snapshot = None

    def _bake_oldest(self) -> None:
        """Flatten the oldest stroke into the base bitmap: it can no longer be undone."""
        self._seal()
        if len(self._before) == len(self.strokes):  # its pixels from before it are not needed
            self._before.pop(0)
        if self._base is None:
            self._base = np.zeros_like(self.pixels)
        draw_stroke(self._base, self.strokes.pop(0), self.brush_width)

    def _clamp(self, point: Point) -> Point:
        """Keep points within one canvas side of the canvas: ink off the edge is cut, not wrapped."""
        low, high = -self.side, 2 * self.side
        return (min(max(float(point[0]), low), high), min(max(float(point[1]), low), high))
