"""Clean a photo or scan of handwriting into a canvas: the ink, bright on black, and nothing else.

Phone photos of a note have uneven light, soft shadows, paper grain, noise, ruled or squared lines
and a table around the page; scans are cleaner but may be light ink on dark. The steps, on a copy
at most WORK_SIDE px long (enough for digits; it keeps a 12-megapixel photo well under a second):

1. Polarity from the ink/paper statistics: the ink is the minority that strays far from the local
   median (made on a small copy, where the median keeps a table's edge sharp), away from where that
   median falls steeply (a table's or page's edge); the side, darker or lighter, holding more of
   that is the ink. Light ink is inverted, so from here on ink is dark. A marker's strokes close up
   can be as wide as that median's window, whose median is then ink: when the strokes found are
   that bold, ink_canvases makes the other polarity's canvas too, and the reading chooses.
2. The paper's brightness everywhere (light falling off, shadows): a grey closing (local maximum,
   then minimum) on a small copy, a few times wider than the strokes (measured on a first pass
   with a wide one), so that it follows narrow shadows too. Ink is how much darker than its own
   paper a pixel is, as a share of that paper's brightness, so that it reads the same in a shadow.
3. A threshold above the page's own noise (its median and spread, the table's grain aside); the
   strongest ink saturates, with soft edges as in MNIST.
4. What is not writing: a table (far darker than the page, along a side of the frame, its lighter
   grain closed over), pieces running along a side of the frame (a page's edge), bits of a page's
   edge inside the frame (faint, the desk darker on one side of them than on the other, where a
   stroke has paper on both), ruled and squared lines (long thin runs, found after turning the page
   straight by the lines' own angle; strokes they cut are mended, strokes far thicker than the lines
   that lie along them stay), a form's boxes (a piece's straight runs across joined by two upright
   sides or more, thin next to the box: short sides would read as 1s), a fill-in line under the
   writing (taken off the digits standing on it, and a comb's ticks with it), specks, and faint
   shades the paper's estimate missed (pieces that nowhere reach full strength and whose edges fade
   out over many px; a digit written lighter than the rest has a pen's sharp edges: it stays,
   brought to full strength).
The canvas keeps the picture's geometry (scaled to WORK_SIDE, and turned straight if it has lines).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from .errors import ImageError, NoInk, TooManyMarks
from .ink import INK_LEVEL, Box
from .reject import MIN_SIZE, picture_shape

WORK_SIDE = 1600  # px: larger pictures are read at this longer side
SMALL_SIDE = 512  # px: polarity and background are judged on a copy this long
EVEN_LIGHT_SIDE = 400  # px: a smaller picture is a crop of a digit or two, evenly lit: one paper level
# ... or, where that finds no ink, a crop in uneven light whose writing has a mark this share of its
# shorter side long (a review's 758 small crops: with 0.2, 309 read right of the 311 without it, and
# 10 blank crops of 240 that one level refused read as marks, 38 without it; with 0.35: 293 and 6)
CROP_WRITING = 0.2
MEDIAN_SHARE = 0.1  # the polarity's local median spans this share of the longer side
# Ink whose strokes are this share of that window wide or wider may fool the check (the median within a
# stroke is ink): ink_canvases offers both polarities. bench.photos' photos reach 0.15 at most; of bold
# close-ups (training-side digits, 0.3-0.9 of the frame, pens of 0.06-0.16 of the digit), half reach 0.29
BOLD_STROKES = 0.25
CLOSING_SHARE = 0.15  # the paper's closing spans this share of the longer side (wider than strokes) ...
STROKE_CLOSING = 4.0  # ... or, when narrower, this many of the ink's own stroke widths (a first pass's)
MIN_CLOSING_SHARE = 0.05  # ... but never narrower than this share (a stroke width misjudged from bits of line)
MAD_SD = 1.4826  # the median absolute deviation of normal noise times this is its standard deviation
TAIL_SIGMAS = 3.0  # pixels further than this many noise sds from the median count for polarity ...
EDGE_RATIO = 0.5  # ... but not where the median falls below this share of its nearby maximum: a table's
# or a page's edge (the median there is whichever side is wider: a page's corner poking into a table
# is all "lighter than the median", as much as the writing is darker; shadows and light fall off less)
DARK_PAPER = 0.3  # darker than this share of the page's brightness is not page (a table), and no
# paper is taken as darker (its noise would be magnified)
NOISE_SIGMAS = 4.0  # ink starts this many of the paper's noise sds above its median ...
MIN_NOISE = 0.03  # ... and at least this far (a share of the paper's brightness)
NOISE_SAMPLES = 100_000  # pixels, evenly spread, that the paper's median and spread are taken from
NOISY = 0.05  # paper whose noise sd is above this share of its brightness (a photo in low light) ...
NOISY_BLUR = 1.5  # ... is read blurred by this sigma, px: its strokes would break into specks ...
# ... when that cuts the noise to under this share (a sensor's grain: to a fifth or less; the other
# polarity of a marker's bold digits, whose "paper" is shapes, not grain: hardly at all)
NOISY_CUT = 0.5
MIN_CONTRAST = 0.15  # no pixel this much darker than its paper: no ink at all
INK_CORE = 0.9  # the percentile of ink darkness taken as full-strength ink ...
HALF = 0.5  # ... and ink at least this share of the way to it becomes FULL
FULL = 255  # full-strength ink on the canvas: every piece of writing has some ...
STRONG = 224  # ... that is, this much or more once the canvas is turned straight and interpolated,
SHARP = 0.15  # ... or its edges fall by this share of its peak per px at least (a pen's, not a shade's)
FAINT_SIZE = 0.3  # ... and it is this share of the writing's height long at least (not a speck)
TABLE_CONTACT = 0.2  # a dark region along this share of a side of the frame is a table
TABLE_GRAIN = 7  # px on the small copy: lighter specks in a table this wide are table too
EDGE_CONTACT = 0.3  # ink along this share of a side of the frame is not writing
LINE_WINDOW = 0.2  # lines: LINE_FILL of every window this share of the frame's side is inked ...
LINE_FILL = 0.75
LINE_SPAN = 0.3  # ... the ink runs over this share of it at least ...
LINE_THINNESS = 60  # ... and is this many times as long as it is thick, at half size, in most of its
# length (the median: a bold digit written across a line thickens it where it crosses; printed lines
# 1-3 px thick at 1000 px: 100-500; a digit's stem: 2-25, or 40 for a pen 2.5% of the digit's height)
SOLO_THINNESS = 100  # a line alone (a margin line, the others too faint) counts only this thin
LINE_RUN = 0.1  # line pixels are ink in unbroken runs this share of the side long (a 0.6-degree tilt)
LINE_GAPS = 5  # ... once gaps of fewer px along it are bridged: a thin line turned straight smears over three
# rows, the outer two broken every few px where it stepped from row to row (3 and 9 read as 5 on 'val' forms)
THICKER = 2.0  # ink this many times as thick across a line as the line (+1 px) is a stroke on it
PALE_LINE = 0.5  # a line whose ink above INK_LEVEL is less than this share as thick as all its ink is pale
BOX_LINE = 0.5  # a form's boxes: in a piece of ink, straight runs across this share of its width ...
BOX_SIDE = 0.95  # ... two or more joined by upright ink in this share of the rows between them ...
BOX_GAP = 8  # ... at least this many px apart, no thicker than the lines across (+1 px), at 2 sides or more
BOX_THIN = 0.08  # ... and the lines no thicker than this share of the rows between them (a pen's are 0.1-0.2)
COMB_THIN = 0.13  # ... or this share, where three sides or more join them (a comb of boxes: _box_sides)
SLIVER = 0.5  # what a side drawn by hand leaves beside a box's lines is less than this share as thick
# (and as the writing's strokes)
MEND = 11  # px: line pixels between the two ends of a stroke the line cut, this close, are put back
MAX_SKEW = 10.0  # degrees: the lines' angle is searched within +-MAX_SKEW ...
SKEW_STEP = 0.25  # ... in steps of this many degrees
SKEW_POINTS = 20_000  # ink pixels sampled to find the lines' angle
# The search's steps leave a long line a px or two askew, enough to break it into short runs. So the
# angle is then fitted (FIT_ROUNDS times) to the lines themselves: the rows (and columns) whose
# band FIT_BAND px each side holds FIT_PEAK of the most inked band's ink; in each, the ink within
# FIT_INLIER px of a straight line fitted to it (a digit's stroke crossing it is dropped).
FIT_BAND = 3
FIT_PEAK = 0.5
FIT_INLIER = 1.5
FIT_PASSES = 3  # fits to a line, each dropping the ink off the one before
FIT_LINES = 8  # the most inked lines fitted at most, along rows and along columns each
FIT_ROUNDS = 2
FIT_MIN_POINTS = 10  # a line holds at least this many ink pixels
FIT_MIN = 0.06  # degrees: a smaller correction is not made (turning a page by a hair blurs 1-px lines)
SPECK_SHARE = 0.02  # pieces with less ink than this share of the largest piece's are specks ...
# ... but for a dot between two digits (a decimal point, recognizer.marks; _dots):
PHOTO_DOT_FILL = 0.4  # solid: this share of its box inked ...
PHOTO_DOT_ASPECT = 2.2  # ... at most this many times as long as wide ...
PHOTO_DOT_PENS = (0.8, 3.0)  # ... this many of the writing's stroke widths across ...
PHOTO_DOT_LOW = 0.4  # ... in this lowest share of the big pieces either side ...
PHOTO_DOT_BELOW = 0.2  # ... or at most this share of their height under them ...
PHOTO_DOT_GAP = 1.2  # ... at most this many of the writing's heights from each ...
PHOTO_DOT_SAME = 1.5  # ... two of them within this ratio of each other's height ("No. 8": no point) ...
PHOTO_DOT_ALONE, PHOTO_DOT_LEVEL = 0.5, 0.1  # ... with no speck beside it this close, at its level (small print)
PHOTO_DOT_MIDDLE = (0.2, 0.7)  # ... or a colon's upper dot: this far down them, over such a dot
FLAT = 0.25  # a piece less tall than this share of its width is flat: not a digit (a dash)
RULE = 1.5  # a flat or line-thin piece longer than this many of the writing's heights is no writing (a fill-in line)
UNDER = 0.33  # a fill-in line lies in this lowest share of the piece it makes with the writing on it
RULE_THIN = 20  # ... and is this many times as long as it is thick at least (a printed line: 1-4 px)
RULE_SLANTS = (0.0, -0.01, 0.01, -0.02, 0.02, -0.03, 0.03, -0.045, 0.045)  # ... along one of these (y per x)
# ... and on a ruled page, these too: photographed at a slant, its lines converge, and the turn that
# straightens some leaves others askew. Not elsewhere: a 2's long base rising under the next digit
# is as straight, and was taken for a line ("25" read "75" at 0.12, an outside review).
RULED_SLANTS = (*RULE_SLANTS, -0.06, 0.06, -0.075, 0.075, -0.09, 0.09, -0.105, 0.105, -0.12, 0.12)
SLANT_GAIN = 1.25  # ... a slant taken over a lesser one for this many times its pixels (_straight_runs)
# A straight line at any angle through the writing (a crease, a fold's shadow, a line drawn across the
# page), joined to the digits it crosses: the piece's straightest line (Hough, in ANGLE_STEP degrees)
# holding CROSS_RUN of its longer side in one run at least, CROSS_LONG times as long as the tallest
# digit left once it is off and at most CROSS_THIN as thick as their strokes, is taken off, as a
# fill-in line is; what is left goes but for digits TICK of the writing's height tall and what lies
# near them. (Without CROSS_LONG and CROSS_THIN, digits written big with a fine pen, as long and
# thin as lines, lost a 7's bar and read as 1s, and a window's frame left 1s beside them.)
CROSS_RUN = 0.5
CROSS_LONG = 3.0
CROSS_THIN = 0.8
CROSS_BAND = 2 * MEND  # px each side of the line searched once it is turned flat (the slants' drift, the mending)
ANGLE_STEP = 0.5
RUNS_AREA = 20_000  # px; _long_runs opens a smaller image whole (picking its rows would cost more)
UPRIGHT = 2.0  # what is left of it no wider than this many of its thickness (+2 px) ...
TICKS, TICK_SPREAD = 3, 0.15  # ... this many or more of one height (within this share) are a comb's ticks
TICK = 0.6  # what is left of a fill-in line less tall than this share of the writing is its ticks (a comb's)
PART = 0.2  # ... unless this share tall at least, no tick, and over or beside writing: a 6's bowl cut from its stem
LINE_LIKE = 40  # a piece this many times as long as its stroke is wide is a line (a "1": 4-25) ...
# ... unless nothing else is writing and its pen path is this many times its box's diagonal (a digit
# drawn big with a fine pen: a line's is 1, a "5"'s about 2.5; two lines joined in an L, 1.4), and
# it does not reach across SPANS of the frame (ruled lines, a margin line, a page's edge)
CURVED = 1.3
SPANS = 0.9
# ... and beside other writing where shaped as a digit and as tall as it, or as a number written
# big beside smaller writing (_Pieces.thin_number)
THIN_WIDE, THIN_NARROW, THIN_PATH = 1.2, 0.3, 5.0
THIN_SHARE, THIN_SAME, THIN_DIGITS = 0.6, 1.5, 2
THIN_PEN = 0.7  # ... their pen this share of the other writing's at least (a printed box's corners are finer)
# ... and a 1 between two of them in their row: THIN_ONES of their height to 1 / THIN_ONES of it, its pen
# at most 1 / THIN_ONES of theirs, no wider than ONE_WIDE of its height (a fine upright stroke is no
# curve: thin_writing; a box's side, a bracket or a table's rule beside a number is not between digits)
THIN_ONES, ONE_WIDE = 0.7, 0.5
# A picture of more separate marks is no handwriting to read (tens of thousands of dots, as a dithered
# 1-bit scan was before DITHER_BLUR smoothed it; 1,440 photos and scans of handwriting held 1,637 at
# most): refused, not read for seconds. (Refusing pictures of marks as dense as dots, 20,000 a
# megapixel, also refused small photos of a digit under heavy pepper noise that read right.)
MAX_MARKS = 5_000
# A dithered 1-bit scan's pixels are smoothed with a Gaussian this wide (px) before reading: a stroke's
# grey edge is a halo of dots that made every digit "scribble" (its ink much longer than its strokes are
# wide), where the model was sure of each; smoothed, they are grey again, as in a grey scan
DITHER_BLUR = 1.0
DITHER_DOTS = 0.01  # ... one whose pixels alone among the other shade, of each shade, are this share of the rarer's
# A drawing made with a paint program's 1 px pencil (two shades, its ink in no 2x2 block but under ONE_PX_BLOCKS
# of it, where a line crosses itself) is drawn again with a pen PENCIL_PEN of its writing's height wide (3 px
# at least): its strokes, as thin as ruled lines, read as lines and were dropped ("no ink found"), a 4's
# stem apart from its bar as a line beside it
ONE_PX_BLOCKS = 0.1
PENCIL_PEN = 1 / 16
PENCIL_LINE = 0.9  # ... its lines (runs, or pieces reaching across, this share of the picture's side) kept 1 px
GAP_CELLS = 1_000_000  # _gap compares this many pairs of pieces at a time (its memory, not its answer)
BIG_PIECE = 0.1  # pieces with this share of the largest piece's ink are writing ...
NEAR_WRITING = 0.5  # ... smaller ones only this close to one (a share of the big pieces' height)
# Pieces cut off by the frame this many of the writing's heights from it (_foreign), this many times as
# thick as its strokes or as long as it is tall, are none of it: a pen lying on the page, a finger
CUT_OFF_FAR, FOREIGN_PEN, FOREIGN_SIZE = 1.0, 2.5, 1.3
# ... the writing: the pieces the frame does not cut of this share of the tallest's height and this many
# of their stroke widths tall (no speck, no dot: two in a tight crop were taken for it), this many at least
FOREIGN_SHARE, FOREIGN_STROKES, FOREIGN_WRITING = 0.5, 3.0, 2
# A page's edge on a darker desk reads as ink where the paper's estimate, smoothed over the edge, is
# brighter than the desk beside it: a strip of straight bits along the edge, faint but as sharp as a
# pen's stroke, read as 1s (the scan review's sticky notes: "40589" -> "140589"; with the number
# written near the note's edge, 17 of 40 right). A stroke has paper on both sides; such a bit has
# the desk on one: a faint piece (nowhere STRONG) whose ring (the pixels within EDGE_RING px of it:
# the desk lies right against an edge's bit, while a faint digit written a few px from the desk has
# paper on both sides; a ring as wide as 1.5 stroke widths dropped faint 1s, 3s, 8s and 9s written
# 5 px from a darker desk, a grey field or a shadow) is darker on one side of it (across its main
# axis) than on the other by EDGE_SIDES of the way from its own darkness to the lighter side's, is
# no writing. A curved digit touching the desk has both on each side of its axis. A faint 1 or 9
# written 2-6 px from a shadow's soft edge differs by 0.28-0.4 of that way and was dropped at 0.25;
# the edges' bits of the scan review's notes and the fixture by 0.5 or more but one (0.33), but those
# of notes on a light desk with a hard shadow, tilted, by 0.3-0.45 too (docs/measurements.md): 0.35
# kept 34 of 58 such faint digits dropped at 0.25, and read 1 of a review's 880 note pictures wrong
# that 0.25 read right (0.45: 45 kept, 3 wrong).
EDGE_RING = 2
EDGE_SIDES = 0.35
EDGE_LONG = 8  # ... judged when this many of its stroke widths long at least (a pencil's grain: its specks are 2-4)
EDGE_PIECES = 64  # ... and only the longest this many faint pieces (a page's edge leaves tens; hatching, thousands)


@dataclass(frozen=True)
class Frame:
    """Where a canvas lies on the picture it was made from: the picture scaled to the canvas's size
    (at most WORK_SIDE px long), then turned by `angle` degrees about the canvas's centre
    (cv2.getRotationMatrix2D's sense) when its lines or boxes ran askew."""

    picture: tuple[int, int]  # the picture's (width, height), px
    canvas: tuple[int, int]  # the canvas's (width, height), px
    angle: float = 0.0

    def to_picture(self, box: Box) -> Box:
        """A box (x, y, w, h) on the canvas -> the box (x, y, w, h) holding it on the picture."""
        x, y, w, h = box
        corners = np.array([[x, y], [x + w, y], [x, y + h], [x + w, y + h]], np.float64)
        if self.angle:
            centre = (self.canvas[0] / 2, self.canvas[1] / 2)
            back = cv2.invertAffineTransform(cv2.getRotationMatrix2D(centre, self.angle, 1.0))
            corners = corners @ back[:, :2].T + back[:, 2]
        corners *= (self.picture[0] / self.canvas[0], self.picture[1] / self.canvas[1])
        (x0, y0), (x1, y1) = np.floor(corners.min(axis=0)), np.ceil(corners.max(axis=0))
        x0, y0 = max(0, int(x0)), max(0, int(y0))
        x1, y1 = min(self.picture[0], int(x1)), min(self.picture[1], int(y1))
        return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def ink_canvas(gray: np.ndarray, name: str = "image") -> np.ndarray:
    """Grayscale picture (2-D uint8) -> canvas (2-D uint8, ink bright on black), at most WORK_SIDE
    px long. ImageError when there is no ink, or nothing but lines, edges and specks."""
    work = _work(gray, name)
    return _canvas(255 - work if _light_ink(work) else work, name)[0]


def ink_canvases(gray: np.ndarray, name: str = "image") -> list[np.ndarray]:
    """ink_canvas's canvas, then the other polarity's when the polarity check may have been fooled:
    when the ink's strokes are bold against the check's window (_bold: a marker's digit close up,
    where the window's median is ink and the paper beside a stroke reads as ink), or when the check's
    polarity finds no ink and the other's strokes are that bold. Recognizer.read_picture reads them
    and keeps the better reading; any other picture has one canvas, as ink_canvas makes it."""
    return [canvas for canvas, _ in framed_canvases(gray, name)]


def framed_canvases(gray: np.ndarray, name: str = "image") -> list[tuple[np.ndarray, Frame]]:
    """ink_canvases's canvases, each with its Frame: where its boxes lie on the picture."""
    work = _work(gray, name)
    light = _light_ink(work)

    def framed(polarity: np.ndarray) -> tuple[np.ndarray, Frame]:
        canvas, angle = _canvas(polarity, name)
        return canvas, Frame(gray.shape[::-1], work.shape[::-1], angle)

    try:
        checked = framed(255 - work if light else work)
    except ImageError as exc:
        checked, error = None, exc
    if checked is not None and not _bold(checked[0], max(work.shape)):
        return [checked]
    try:
        other = framed(work if light else 255 - work)
    except ImageError:
        other = None
    if checked is None:
        if other is None or not _bold(other[0], max(work.shape)):
            raise error
        return [other]
    return [checked] if other is None else [checked, other]


def _work(gray: np.ndarray, name: str) -> np.ndarray:
    """The picture at most WORK_SIDE px long, a dithered 1-bit scan smoothed (_dithered), a 1 px
    pencil's drawing drawn again (_pencil_drawn_again); ImageError when it has no pixels, or is not
    the 2-D uint8 array images.load_gray makes (another failed inside OpenCV, a float or an RGB one)."""
    if not isinstance(gray, np.ndarray) or gray.ndim != 2 or gray.dtype != np.uint8:
        what = f"an array of {gray.dtype} {gray.shape}" if isinstance(gray, np.ndarray) else type(gray).__name__
        raise ImageError(f"{name}: a picture is a 2-D uint8 grayscale array (images.load_gray), not {what}")
    if gray.size == 0:
        raise ImageError(f"{name}: empty image")
    work = _shrink(gray, WORK_SIDE)
    shades = _shades(work)  # counted once for both checks below
    if len(shades) != 2:
        return work  # a photo or a grey scan
    if _dithered(work, shades):
        return cv2.GaussianBlur(work, (0, 0), DITHER_BLUR)
    return _pencil_drawn_again(work, shades)


def _shades(image: np.ndarray) -> np.ndarray:
    """The grey levels a uint8 picture holds, darkest first."""
    return np.flatnonzero(np.bincount(image.ravel(), minlength=256))


def _dithered(image: np.ndarray, shades: np.ndarray | None = None) -> bool:
    """Whether a picture is a dithered 1-bit scan: two shades, and pixels of each shade alone among
    eight of the other, DITHER_DOTS of the rarer shade's at least of each (a grey dithered into
    dots of both). Clean 1-bit ink (a drawing program's, a scan thresholded) has none, and is read
    pixel for pixel as it is; specks on it are dots of one shade (dark on the paper), and so is it.
    shades: _shades(image), where counted already."""
    if image.dtype != np.uint8 or len(_shades(image) if shades is None else shades) != 2:
        return False
    dark = (image < image.max()).astype(np.uint8)
    around = cv2.boxFilter(dark, -1, (3, 3), normalize=False, borderType=cv2.BORDER_REPLICATE)
    alone = min(np.count_nonzero((dark == 1) & (around == 1)), np.count_nonzero((dark == 0) & (around == 8)))
    rarer = min(int(dark.sum()), dark.size - int(dark.sum()))
    return alone >= DITHER_DOTS * rarer


def _pencil_drawn_again(image: np.ndarray, shades: np.ndarray | None = None) -> np.ndarray:
    """A drawing in two shades whose ink (the rarer shade) is a 1 px pencil's, its writing drawn
    again with a pen PENCIL_PEN of the writing's height (the median height of its pieces with a
    tenth of the largest's ink at least); any other picture as it is. Lines stay 1 px, as the
    cleaning finds them: runs PENCIL_LINE of the picture's side long along a row or a column, and
    pieces reaching across PENCIL_LINE of it (a frame, a grid, a slanted ruled line: with them the
    pen had been the frame's height / 16, the digits blobs); so do specks (SPECK_SHARE of the
    largest piece's ink: dust drawn again read as decimal points). shades: _shades(image), where
    counted already."""
    shades = _shades(image) if shades is None else shades
    if len(shades) != 2:
        return image
    dark = image == shades[0]
    ink = (dark if np.count_nonzero(dark) <= dark.size / 2 else ~dark).astype(np.uint8)
    blocks = cv2.erode(ink, np.ones((2, 2), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    if np.count_nonzero(blocks) >= ONE_PX_BLOCKS * np.count_nonzero(ink):
        return image
    h, w = ink.shape
    runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(3, int(PENCIL_LINE * w))), np.uint8))
    runs |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(3, int(PENCIL_LINE * h)), 1), np.uint8))
    strokes = ink & ~runs
    joined = cv2.dilate(strokes, np.ones((3, 3), np.uint8))  # a digit a 1 px line crossed: one piece again
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    x, y, pw, ph, area = stats[1:].T
    writing = (pw < PENCIL_LINE * w) & (ph < PENCIL_LINE * h)
    if not writing.any():
        return image
    writing &= area >= SPECK_SHARE * area[writing].max()
    pen = max(3, round(PENCIL_PEN * float(np.median(ph[writing & (area >= BIG_PIECE * area[writing].max())]))))
    drawn = (np.isin(labels, np.flatnonzero(writing) + 1) & strokes.astype(bool)).astype(np.uint8)
    thick = cv2.dilate(drawn, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (pen, pen))).astype(bool) | ink.astype(bool)
    return np.where(thick, image[ink.astype(bool)][0], image[~ink.astype(bool)][0]).astype(np.uint8)


def _bold(canvas: np.ndarray, side: int) -> bool:
    """Whether a canvas's strokes are at least BOLD_STROKES of the polarity check's median window
    wide (side: the picture's longer side; one smaller than EVEN_LIGHT_SIDE has no window, its
    median is the whole picture's)."""
    window = MEDIAN_SHARE * side
    return side >= EVEN_LIGHT_SIDE and _stroke_width(canvas > INK_LEVEL) >= BOLD_STROKES * window


def _canvas(work: np.ndarray, name: str) -> tuple[np.ndarray, float]:
    """The canvas of a picture whose ink is darker than its paper (work: at most WORK_SIDE px long),
    and the angle it was turned by (degrees, 0 when not: _straighten). A picture smaller than
    EVEN_LIGHT_SIDE is read as evenly lit (one paper level: a grey closing would hollow a close-up's
    bold strokes), and where that finds no ink, as a larger one is: a small crop of a page in uneven
    light or half in a shadow, whose darker paper had read as ink or as no contrast at all. That
    second reading stands only with a mark CROP_WRITING of the crop's shorter side long: a crop is
    of writing, and what the closing finds on a blank crop is bits of grain, grid or shade."""
    if max(work.shape) >= EVEN_LIGHT_SIDE:
        return _cleaned(work, name, even=False)
    try:
        return _cleaned(work, name, even=True)
    except ImageError as exc:
        try:
            canvas, angle = _cleaned(work, name, even=False)
        except ImageError:
            raise exc from None
        if _Pieces.of(canvas > INK_LEVEL).box[1:, 2:].max(initial=0) < CROP_WRITING * min(work.shape):
            raise exc from None  # no mark as long as a crop's writing: bits of grain, grid or shade
        return canvas, angle


def _cleaned(work: np.ndarray, name: str, even: bool) -> tuple[np.ndarray, float]:
    """_canvas's canvas and angle, the paper taken as one level (even) or followed by a grey closing."""
    side = max(work.shape)
    ink, table = _ink_darkness(work, CLOSING_SHARE * side, even)
    canvas = _to_canvas(ink, table, name)
    if not even:  # thin strokes: follow the light more closely (one paper level has no closing)
        closing = max(STROKE_CLOSING * _stroke_width((canvas > INK_LEVEL) & ~table), MIN_CLOSING_SHARE * side)
        if closing < CLOSING_SHARE * side / 2:
            ink, table = _ink_darkness(work, closing)
            canvas = _to_canvas(ink, table, name)
    canvas[table] = 0
    canvas, lines, angle = _straighten(canvas)
    if angle:  # the picture and its table turned as the canvas was (outside the frame: table)
        work = _turn(work, angle)
        table = _turn(table.view(np.uint8), angle, cv2.INTER_NEAREST, border=1).view(bool)
    keep, faint = _writing(canvas, lines, name, (work, table))
    if not keep.any():
        raise NoInk(f"{name}: no ink found (only ruled lines, page edges or specks)")
    edge = cv2.dilate(keep.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & (canvas <= INK_LEVEL)
    return _full_strength(np.where(keep | edge, canvas, 0).astype(np.uint8), faint), angle


def _shrink(image: np.ndarray, side: int) -> np.ndarray:
    """The image scaled down (pixels averaged) so that its longer side is at most `side` px."""
    scale = side / max(image.shape)
    if scale >= 1:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _odd(n: float) -> int:
    return max(3, int(n) // 2 * 2 + 1)


def _light_ink(work: np.ndarray) -> bool:
    """True when the ink is lighter than the paper: of what strays far from the local median (made
    on a small copy, where the median keeps a table's edge sharp), more lies on the light side.
    The ink is the minority, so the median is the paper. Where the median itself falls steeply (a
    table's or page's edge within its reach) the median is no paper: those pixels do not count."""
    if max(work.shape) < EVEN_LIGHT_SIDE:
        diff = work.astype(np.float32) - float(np.median(work))
        smooth = np.ones(work.shape, bool)
    else:
        small = _shrink(work, SMALL_SIDE)
        size = _odd(MEDIAN_SHARE * max(small.shape))
        median = cv2.medianBlur(small, size)
        diff = small.astype(np.float32) - median
        square = np.ones((size, size), np.uint8)
        smooth = cv2.erode(median, square) >= EDGE_RATIO * cv2.dilate(median, square).astype(np.float32)
    far = TAIL_SIGMAS * (MAD_SD * float(np.median(np.abs(diff))) + 1.0)
    light, dark = np.clip(diff - far, 0, None), np.clip(-diff - far, 0, None)
    if light[smooth].any() or dark[smooth].any():  # away from edges, unless the writing is all near one
        light, dark = light[smooth], dark[smooth]
    return float(light.sum()) > float(dark.sum())


def _ink_darkness(work: np.ndarray, closing: float, even: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(how much darker than its paper each pixel is, as a share of the paper's brightness, the
    paper being a grey closing `closing` px wide, or with `even`, one level: the picture's 90th
    percentile; the table: what is far darker than the page's brightness along a side of the frame)."""
    if even:
        paper = np.full(work.shape, float(np.percentile(work, 90)) + 1.0, np.float32)
        return (paper - work) / paper, np.zeros(work.shape, bool)
    small = _shrink(work, SMALL_SIDE)
    square = np.ones((_odd(closing * max(small.shape) / max(work.shape)),) * 2, np.uint8)
    if max(work.shape) < EVEN_LIGHT_SIDE:  # a small crop fallen back on the closing: see _closing
        background = _closing(small, square) + 1.0
    else:
        background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, square).astype(np.float32) + 1.0
    level = float(np.percentile(background, 90))
    dark = (small < DARK_PAPER * level).astype(np.uint8)
    # A table's grain and noise leave lighter specks in it: closed over, else they read as ink
    dark = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((TABLE_GRAIN, TABLE_GRAIN), np.uint8))
    table = _along_frame(dark.astype(bool), TABLE_CONTACT)
    table = cv2.dilate(table.astype(np.uint8), np.ones((5, 5), np.uint8))
    size = work.shape[::-1]
    paper = cv2.resize(background, size, interpolation=cv2.INTER_LINEAR)
    table = cv2.resize(table, size, interpolation=cv2.INTER_NEAREST).astype(bool)
    return (paper - work) / np.maximum(paper, DARK_PAPER * level), table


def _closing(image: np.ndarray, square: np.ndarray) -> np.ndarray:
    """A grey closing (float32) of a small crop continued past its frame as its light runs: mirrored
    and turned about the frame's level (2 x edge - mirror, the edge smoothed so that its noise is not
    doubled). With OpenCV's border, a blank crop growing darker towards its sides (a vignette) was
    lit there as brightly as a window in, a band of ink along the frame whose bits read as digits
    ("5??1"). Only for crops under EVEN_LIGHT_SIDE, where the frame is within a window of most of
    the picture: on larger pictures an independent review found it turned 14 right readings of its
    1,804 pictures wrong, a digit touching the frame under a vignette lost (the edge's level there
    is the ink's), and the frame's band is left to the rules for a page's edges."""
    pad = square.shape[0]
    pixels = image.astype(np.float32)
    smooth = cv2.blur(pixels, (_odd(pad / 2),) * 2)
    mirrored = np.pad(pixels, pad, mode="reflect")
    edge = np.pad(smooth, pad, mode="edge")
    padded = 2 * edge - mirrored
    padded[pad:-pad, pad:-pad] = pixels
    return cv2.morphologyEx(padded, cv2.MORPH_CLOSE, square)[pad:-pad, pad:-pad]


@dataclass(frozen=True)
class _Pieces:
    """The connected pieces of an ink mask: their labels, and for each (0: the background) its box
    (x, y, w, h), its ink in px and its stroke width (twice the area over the outline)."""

    labels: np.ndarray
    box: np.ndarray
    area: np.ndarray
    width: np.ndarray

    @classmethod
    def of(cls, ink: np.ndarray) -> _Pieces:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
        outline = ink & ~cv2.erode(ink.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        area = stats[:, cv2.CC_STAT_AREA]
        width = 2 * area / np.maximum(np.bincount(labels[outline], minlength=count), 1)
        return cls(labels, stats[:, :4], area, width)

    def path(self) -> np.ndarray:
        """Each piece's pen path, px: its ink over its stroke width."""
        return self.area / np.maximum(self.width, 1e-9)

    def digit_like(self) -> np.ndarray:
        """Pieces shaped as a digit could be: not flat (a dash, a bit of a line: no digit is wide
        and flat) nor as long for their stroke width as only lines are."""
        w, h = self.box[:, 2], self.box[:, 3]
        like = (h >= FLAT * w) & (np.maximum(w, h) < LINE_LIKE * self.width)
        like[0] = False
        return like

    def big(self, candidates: np.ndarray) -> np.ndarray:
        """The digit-like candidates with BIG_PIECE of the ink of the largest such at least; where
        none is digit-like, the curved ones (thin_writing), and beside them those of a number
        written big with a fine pen (thin_number)."""
        like = candidates & self.digit_like()
        if not like.any():
            like = candidates & self.thin_writing()
        else:
            like |= self.thin_number(candidates, like)
        area = np.where(like, self.area, 0)
        return (area > 0) & (area >= BIG_PIECE * area.max())

    def writing_height(self) -> float:
        """The writing's height (px): the median height of the big pieces (big, of all); 0 if none."""
        big = self.big(np.ones(len(self.area), bool))
        return float(np.median(self.box[big, 3])) if big.any() else 0.0

    def thin_number(self, candidates: np.ndarray, like: np.ndarray) -> np.ndarray:
        """The thin_writing candidates shaped as a digit is (no wider than THIN_WIDE of their
        height nor narrower than THIN_NARROW of it, as a bracket is; their pen path THIN_PATH of it
        at most: an 8's is about 4) and THIN_SHARE of the height of the tallest of `like` (the
        digit-like candidates) at least: digits written with a fine pen beside the number's bolder
        ones (for their size), or a number written big with a fine pen beside smaller writing (a
        printed caption). Those as tall as that writing have a pen THIN_PEN of its at least (a
        printed box's corners, as curved as a 7, are finer than the digits in it); those over
        THIN_SAME of its height count only where THIN_DIGITS of them stand with none of that
        writing amid them (a circle drawn round a number, one curve, or a box's corners round a
        number are no number). A signature's curves are wider, or their paths longer. Between such
        digits in their row, the number's 1s (upright strokes as thin, as tall: THIN_ONES) are
        digits too."""
        x, y, w, h = self.box.T
        tallest = h[like].max()
        digits = candidates & ~like & self.thin_writing() & (w <= THIN_WIDE * h) & (w >= THIN_NARROW * h)
        digits &= self.path() <= THIN_PATH * h
        pen = np.median(self.width[like & (h >= THIN_SHARE * tallest)])  # the tallest writing's
        digits &= h >= THIN_SHARE * tallest
        taller = digits & (h > THIN_SAME * tallest)
        digits &= taller | (self.width >= THIN_PEN * pen)  # as tall as that writing: not finer
        if np.count_nonzero(taller) < THIN_DIGITS or self.amid(like, taller).any():
            digits &= ~taller  # one curve, or a box's corners round other writing
        if not digits.any():
            return digits
        low, high = THIN_ONES * np.median(h[digits]), h[digits].max() / THIN_ONES
        ones = candidates & ~like & (w <= ONE_WIDE * h) & (h >= low) & (h <= high)
        ones &= self.width <= THIN_ONES**-1 * np.median(self.width[digits])
        row = (y[:, None] < (y + h)[digits][None]) & ((y + h)[:, None] > y[digits][None])
        left, right = (x[:, None] > (x + w)[digits][None]) & row, ((x + w)[:, None] < x[digits][None]) & row
        return digits | (ones & left.any(axis=1) & right.any(axis=1))  # between two: no box's or bracket's side

    def amid(self, pieces: np.ndarray, around: np.ndarray) -> np.ndarray:
        """Which of `pieces` lie wholly within the box that holds all of `around` (some)."""
        x, y, w, h = self.box.T
        x0, y0 = x[around].min(), y[around].min()
        x1, y1 = (x + w)[around].max(), (y + h)[around].max()
        return pieces & (x >= x0) & (y >= y0) & (x + w <= x1) & (y + h <= y1)

    def thin_writing(self) -> np.ndarray:
        """Pieces as long for their stroke width as lines, but curved (a pen path CURVED times the
        box's diagonal at least), not flat, and not from side to side of the frame (SPANS): a digit
        written big with a fine pen, which LINE_LIKE takes for a line. Writing where nothing else
        is, or as a number's digits (thin_number): a signature's or a stamp's long curves beside a
        number would take it over."""
        w, h = self.box[:, 2], self.box[:, 3]
        rows, cols = self.labels.shape
        curved = self.path() >= CURVED * np.hypot(w, h)
        across = (w >= SPANS * cols) | (h >= SPANS * rows)
        thin = curved & (h >= FLAT * w) & ~across
        thin[0] = False
        return thin


def _stroke_width(ink: np.ndarray) -> float:
    """Typical stroke width (px) of an ink mask: the median over its big digit-like pieces. A broad
    blob (a shadow) is one piece among the digits' several. 0 if there is none."""
    pieces = _Pieces.of(ink)
    big = pieces.big(np.ones(len(pieces.area), bool))
    return float(np.median(pieces.width[big])) if big.any() else 0.0


def _along_frame(mask: np.ndarray, share: float) -> np.ndarray:
    """The connected pieces of `mask` that touch a side of the frame along `share` of its length
    or more (a table, a page's edge: writing touches the frame at a stroke's end, if at all)."""
    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    h, w = mask.shape
    along = np.zeros(count, bool)
    for edge, side in ((labels[0], w), (labels[-1], w), (labels[:, 0], h), (labels[:, -1], h)):
        along |= np.bincount(edge, minlength=count) >= share * side
    along[0] = False
    return along[labels]


def _to_canvas(ink: np.ndarray, table: np.ndarray, name: str) -> np.ndarray:
    """Ink darkness -> 0-255: zero up to the paper's noise, 255 from halfway to the ink's core.
    The noise and the ink are the page's, not the table's (its grain would hide the ink when it
    fills most of the frame)."""
    step = max(1, round(np.sqrt(ink.size / NOISE_SAMPLES)))
    paper = ~table[::step, ::step]
    if not paper.any():
        raise NoInk(f"{name}: no ink found (no page, only a dark surface)")
    median, noise = _spread(ink[::step, ::step][paper])
    if noise > NOISY:
        blurred = cv2.GaussianBlur(ink, (0, 0), NOISY_BLUR)
        spread = _spread(blurred[::step, ::step][paper])
        if spread[1] < NOISY_CUT * noise:  # a sensor's grain, not what a blur leaves as it was
            ink, (median, noise) = blurred, spread
    low = median + max(NOISE_SIGMAS * noise, MIN_NOISE)
    strong = ink[(ink > low + MIN_CONTRAST) & ~table]
    if strong.size == 0:
        raise NoInk(f"{name}: no ink found (the image is blank or has too little contrast)")
    core = float(np.percentile(strong, 100 * INK_CORE))
    high = low + HALF * (core - low)
    return (np.clip((ink - low) / (high - low), 0, 1) * FULL).astype(np.uint8)


def _spread(sample: np.ndarray) -> tuple[float, float]:
    """(median, standard deviation) of the paper's darkness, the latter from the median absolute
    deviation: the ink among the sample does not count."""
    median = float(np.median(sample))
    return median, MAD_SD * float(np.median(np.abs(sample - median)))


def _straighten(canvas: np.ndarray) -> tuple[np.ndarray, _Lines | None, float]:
    """(the canvas turned so that ruled or squared lines or a form's boxes, if any, run straight
    across; the lines and boxes in it, _with_boxes; the angle it was turned by, 0 when not). The
    angle is the one at which the ink piles up most in rows and columns: searched in whole degrees,
    then in SKEW_STEP around the best, then fitted to the lines (_fitted_angle) where the ink piles
    up at least as much (1-px rows) at the fitted angle. Turned, the canvas is kept when it has
    ruled lines, or shows more of a form's box sides than as it was (a tilted line has no long
    straight run), or as many sides and more of the lines across (the sides of short boxes still
    stand upright enough a degree askew)."""
    ys, xs = np.nonzero(canvas)
    if ys.size < 2:
        return canvas, None, 0.0  # no box in fewer than two ink pixels
    stride = max(1, ys.size // SKEW_POINTS)
    ys, xs = ys[::stride].astype(np.float64), xs[::stride].astype(np.float64)
    h, w = canvas.shape

    def pile_up(angle: float, bin_px: int = 2) -> float:
        across, along = _turned(ys, xs, angle)
        rows = np.bincount((across + w).astype(np.int64) // bin_px).astype(np.float64)
        cols = np.bincount((along + h).astype(np.int64) // bin_px).astype(np.float64)
        return float(rows @ rows + cols @ cols)

    coarse = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.5), key=pile_up)
    searched = float(max(np.arange(coarse - 1 + SKEW_STEP, coarse + 1, SKEW_STEP), key=pile_up))
    fitted = _fitted_angle(ys, xs, searched)
    angle = fitted if pile_up(fitted, 1) >= pile_up(searched, 1) else searched  # a stroke along a line pulls a fit
    if angle:
        turned = _turn(canvas, angle)
        lines, boxes = _lines(turned), _form_boxes(turned > INK_LEVEL)
        if lines is not None:
            return turned, _with_boxes(lines, boxes), angle
        as_it_was = _form_boxes(canvas > INK_LEVEL)
        if (boxes[1].sum(), boxes[0].sum()) > (as_it_was[1].sum(), as_it_was[0].sum()):
            return turned, _with_boxes(None, boxes), angle
        return canvas, _with_boxes(_lines(canvas), as_it_was), 0.0
    return canvas, _with_boxes(_lines(canvas), _form_boxes(canvas > INK_LEVEL)), 0.0


def _turn(image: np.ndarray, angle: float, flags: int = cv2.INTER_LINEAR, border: int = 0) -> np.ndarray:
    """The image turned by `angle` degrees about its centre (as Frame.angle), the same size, `border`
    where the frame was not."""
    h, w = image.shape
    return cv2.warpAffine(
        image, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h), flags=flags, borderValue=border
    )


def _fitted_angle(ys: np.ndarray, xs: np.ndarray, angle: float) -> float:
    """The angle (degrees) at which the lines among the ink at ys, xs run straight, fitted to
    them starting from `angle` (see FIT_BAND); moved by SKEW_STEP at most a round, and only by
    FIT_MIN or more."""
    for _ in range(FIT_ROUNDS):
        rows, cols = _turned(ys, xs, angle)
        (rows_across, rows_along), (cols_across, cols_along) = _line_sums(rows, cols), _line_sums(cols, rows)
        if rows_along + cols_along == 0:
            break
        delta = float(np.degrees(np.arctan((rows_across - cols_across) / (rows_along + cols_along))))
        if abs(delta) < FIT_MIN:
            break
        angle = round(angle + float(np.clip(delta, -SKEW_STEP, SKEW_STEP)), 2)
    return angle


def _turned(ys: np.ndarray, xs: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of the points ys, xs on the page turned by `angle` degrees (before any shift)."""
    t = np.radians(angle)
    return ys * np.cos(t) - xs * np.sin(t), xs * np.cos(t) + ys * np.sin(t)


def _line_sums(across: np.ndarray, along: np.ndarray) -> tuple[float, float]:
    """(sum of along * across, sum of along ** 2), each line's points centred, over the lines
    running along `along` (FIT_BAND): a least-squares slope of all of them at once."""
    at = np.round(across - across.min()).astype(np.int64)
    bands = np.convolve(np.bincount(at).astype(np.float64), np.ones(2 * FIT_BAND + 1), "same")
    peaks, floor = [], FIT_PEAK * bands.max()
    while len(peaks) < FIT_LINES and bands.max() >= floor:  # the most inked band, then the next apart from it ...
        peaks.append(int(np.argmax(bands)))
        bands[max(0, peaks[-1] - 2 * FIT_BAND) : peaks[-1] + 2 * FIT_BAND + 1] = 0
    sums = [0.0, 0.0]
    for peak in peaks:
        near = np.abs(at - peak) <= FIT_BAND
        a, b = along[near], across[near]
        for _ in range(FIT_PASSES):
            if a.size < FIT_MIN_POINTS or np.ptp(a) == 0:
                break
            slope, offset = np.polyfit(a, b, 1)
            inliers = np.abs(b - (slope * a + offset)) <= FIT_INLIER
            a, b = a[inliers], b[inliers]
        if a.size >= FIT_MIN_POINTS:
            a, b = a - a.mean(), b - b.mean()
            sums[0] += float(a @ b)
            sums[1] += float(a @ a)
    return sums[0], sums[1]


@dataclass(frozen=True)
class _Lines:
    """Ruled or squared lines on a canvas: their pixels along rows and along columns, and the strips
    a few px wide they run in, less the ink thicker than the lines (ink wholly inside a strip is
    what is left of a line); with a form's boxes, the zone round their lines and their thickness."""

    across: np.ndarray
    down: np.ndarray
    strips: np.ndarray
    # A form's boxes (_form_boxes): the zone a line's thickness round them, and that thickness, px.
    # Slivers in the zone under SLIVER of it thick are what is left of a side drawn by hand.
    box_zone: np.ndarray | None = None
    box_thickness: float = 0.0


def _lines(canvas: np.ndarray) -> _Lines | None:
    """The canvas's ruled or squared lines, or None: ink that runs on along a row or column,
    LINE_FILL of every LINE_WINDOW of the frame inked (1 px of wobble allowed), over LINE_SPAN of it
    at least, and LINE_THINNESS times as long as it is thick across most of its length (a digit's
    strokes crossing it count in a few places only): two or more such, or one SOLO_THINNESS thin
    (a single stroke of a tight crop may be as long). Found on a copy of half the size (any ink in
    2x2 px counts, which keeps thin lines); their pixels are then the ink in runs of LINE_RUN of
    the side, unbroken but for gaps under LINE_GAPS px, at full size, so that a stroke crossing a
    line or beside it stays, less the ink THICKER times as thick across the line as the line itself
    (its ink above INK_LEVEL, without the soft edges of a line turned straight or blurred; a pale
    line, whose middle row alone may be above INK_LEVEL, all its ink in unbroken runs): a pen
    stroke lying on it."""
    ink = canvas > 0
    half = (
        cv2.resize(
            ink.astype(np.uint8) * 255,
            (max(1, ink.shape[1] // 2), max(1, ink.shape[0] // 2)),
            interpolation=cv2.INTER_AREA,
        )
        > 0
    )
    strips, thinness = [], []
    for axis in (1, 0):  # rows, then columns
        side = half.shape[axis]
        length = max(3, int(LINE_WINDOW * side))
        window = (length, 1) if axis == 1 else (1, length)  # cv2 sizes are (width, height)
        inked = cv2.dilate(half.astype(np.uint8), np.ones((3, 1) if axis == 1 else (1, 3), np.uint8))
        core = (cv2.boxFilter(inked, cv2.CV_16U, window, normalize=False) >= LINE_FILL * length).astype(np.uint8)
        band, n = ndimage.label(cv2.boxFilter(core, cv2.CV_16U, window, normalize=False) > 0)
        on_band = np.where(half, band, 0)
        found = np.zeros(half.shape, bool)
        for label, box in enumerate(ndimage.find_objects(on_band, n), start=1):
            span = 0 if box is None else box[axis].stop - box[axis].start
            if span < LINE_SPAN * side:
                continue
            thick = max(float(np.median((on_band[box] == label).sum(axis=1 - axis))), 1.0)
            if span >= LINE_THINNESS * thick:
                found |= band == label
                thinness.append(span / thick)
        strips.append(cv2.resize(found.astype(np.uint8), ink.shape[::-1], interpolation=cv2.INTER_NEAREST))
    if len(thinness) < 2 and not any(t >= SOLO_THINNESS for t in thinness):
        return None
    ink8 = ink.astype(np.uint8)
    runs, unbroken = [], []  # ink in long runs in a strip: line, or a pen stroke lying on a line or crossing it
    for axis, strip in zip((1, 0), strips):
        run = max(3, int(LINE_RUN * ink.shape[axis]))
        bar = np.ones((1, run) if axis == 1 else (run, 1), np.uint8)
        gaps = np.ones((1, LINE_GAPS) if axis == 1 else (LINE_GAPS, 1), np.uint8)
        bridged = cv2.morphologyEx(ink8, cv2.MORPH_CLOSE, gaps)
        runs.append((cv2.morphologyEx(bridged, cv2.MORPH_OPEN, bar) & strip & ink).astype(bool))
        unbroken.append((cv2.morphologyEx(ink8, cv2.MORPH_OPEN, bar) & strip).astype(bool))
    strong = canvas > INK_LEVEL
    pixels, bands = [], []
    for axis, strip, line, plain, other in zip((1, 0), strips, runs, unbroken, runs[::-1]):
        if line.any():  # a pen stroke is no part of the line; the lines crossing it (a grid's) are
            thick = _line_thickness(line & strong, plain, axis)
            stroke = _thicker(ink, axis, THICKER * thick + 1) & ~other
            line = line & ~stroke
            strip = strip.astype(bool) & ~stroke
        pixels.append(line)
        bands.append(strip.astype(bool))
    return _Lines(pixels[0], pixels[1], bands[0] | bands[1])


def _with_boxes(lines: _Lines | None, boxes: tuple[np.ndarray, np.ndarray]) -> _Lines | None:
    """The lines, and the boxes of a form (_form_boxes: (lines across, sides)) as lines too: their
    lines across, their upright sides down."""
    across, sides = boxes
    if not sides.any():
        return lines
    strips = cv2.dilate((across | sides).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)  # soft edges
    # ... and the zone a line's thickness round them, where a side drawn by hand, drifting off upright,
    # leaves slivers (a box drawn round a number: they read as 1s either side, "13731" for "373")
    thick = max(_thickness(across, 1), _thickness(sides, 0))
    reach = 2 * int(np.ceil(thick)) + 1
    zone = cv2.dilate((across | sides).astype(np.uint8), np.ones((reach, reach), np.uint8)).astype(bool)
    if lines is None:
        return _Lines(across, sides, strips, zone, thick)
    return _Lines(lines.across | across, lines.down | sides, lines.strips | strips, zone, thick)


def _form_boxes(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lines across, upright sides) of a form's boxes, one digit to a box or a frame round a
    number, which are too short or too thick to be ruled lines: in each piece of ink at least
    BOX_GAP px tall, the straight runs across BOX_LINE of its width (the rows of a line together
    spanning that much: at the crop's edge the opening lends a run half its length, and a 2's base
    drawn from its box's side parted the box in two), where two of them are joined by two or more
    sides (_box_sides). A hand's strokes are seldom so straight, upright and thin."""
    across, sides = np.zeros(ink.shape, bool), np.zeros(ink.shape, bool)
    seen = set()  # pieces whose boxes overlap (hatching, long slanted strokes) share crops: each is looked at once
    for crop in _large_pieces(ink, BOX_GAP, 2 * BOX_GAP):
        count, labels, stats, _ = cv2.connectedComponentsWithStats(ink[crop].astype(np.uint8), connectivity=8)
        for k in range(1, count):
            x, y, w, h = stats[k, :4]
            at = (slice(crop[0].start + y, crop[0].start + y + h), slice(crop[1].start + x, crop[1].start + x + w))
            if h < BOX_GAP or w < 2 * BOX_GAP or (key := (at[0].start, at[1].start, w, h)) in seen:
                continue
            seen.add(key)
            piece = labels[y : y + h, x : x + w] == k
            run = max(3, int(BOX_LINE * w))
            if piece.sum(axis=1).max() < run:  # no row inked that far: no straight run across, no box
                continue
            lines = cv2.morphologyEx(piece.view(np.uint8), cv2.MORPH_OPEN, np.ones((1, run), np.uint8)).view(bool)
            for top, bottom in _runs(lines.any(axis=1)):
                if lines[top:bottom].any(axis=0).sum() < run:
                    lines[top:bottom] = False
            upright = _box_sides(piece, lines)
            if upright.any():
                across[at] |= lines
                sides[at] |= upright
    return across, sides


def _large_pieces(ink: np.ndarray, tall: int, wide: int) -> list[tuple[slice, slice]]:
    """The boxes (as slices, a px of margin) of the pieces of ink at least `tall` px tall and `wide`
    px wide, found on a copy of half the size (any ink in 2x2 px counts): the statistics of every
    piece at full size cost several times more."""
    size = (max(1, ink.shape[1] // 2), max(1, ink.shape[0] // 2))
    half = cv2.resize(ink.view(np.uint8) * np.uint8(255), size, interpolation=cv2.INTER_AREA)
    count, _, stats, _ = cv2.connectedComponentsWithStats((half > 0).astype(np.uint8), connectivity=8)
    out = []
    for x, y, w, h, _ in stats[1:]:
        if 2 * h + 2 >= tall and 2 * w + 2 >= wide:
            out.append((slice(max(0, 2 * y - 1), 2 * (y + h) + 1), slice(max(0, 2 * x - 1), 2 * (x + w) + 1)))
    return out


def _box_sides(ink: np.ndarray, across: np.ndarray) -> np.ndarray:
    """The upright sides of boxes between lines across (across: their pixels): between two of
    them, runs of columns inked in BOX_SIDE of the rows from one to the other, no thicker than the
    lines (+1 px) and touching both, where there are two such sides or more and the lines are
    BOX_THIN of the rows between them at most, or three or more and COMB_THIN (a comb's small boxes
    scanned at 100-150 dpi have lines a tenth of their size: taken for no boxes, the comb went as a
    fill-in line with the digits touching it; a boxy O written bold has two sides that thick)."""
    sides = np.zeros(ink.shape, bool)
    rows = across.any(axis=1)
    if not rows.any():
        return sides
    bands = _runs(rows)  # (first row, row after the last) of each line across, top to bottom
    thick = _thickness(across, 1)
    widest = max(1, int(np.ceil(thick))) + 1
    for (above, top), (bottom, below) in zip(bands[:-1], bands[1:]):
        if bottom - top < max(BOX_GAP, thick / COMB_THIN):
            continue
        between = ink[top:bottom]
        upright = between.mean(axis=0) >= BOX_SIDE
        found = []
        for start, stop in _runs(upright):
            near = slice(max(0, start - widest), stop + widest)  # a line's end may stop short of a side
            if stop - start <= widest and across[above:top, near].any() and across[bottom:below, near].any():
                found.append((start, stop))
        if len(found) >= 3 or (len(found) == 2 and bottom - top >= thick / BOX_THIN):
            for start, stop in found:
                sides[top:bottom, start:stop] = between[:, start:stop]
    return sides


def _runs(flags: np.ndarray) -> np.ndarray:
    """(n, 2) (start, stop) of each run of True in a 1-D boolean array, stop exclusive."""
    return np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))).reshape(-1, 2)


def _thickness(line: np.ndarray, axis: int) -> float:
    """The mean thickness (px) of lines running along `axis` (1: rows, 0: columns): their pixels
    over the runs they make across them."""
    across = line if axis == 1 else line.T
    starts = across[0].sum() + (across[1:] & ~across[:-1]).sum()
    return float(across.sum()) / max(int(starts), 1)


def _line_thickness(strong: np.ndarray, unbroken: np.ndarray, axis: int) -> float:
    """How thick the lines along `axis` are: their ink above INK_LEVEL (`strong`: without the soft
    edges of a line turned straight or blurred), but a pale line's (under PALE_LINE as thick so,
    its middle row alone above INK_LEVEL) all its ink in unbroken runs (`unbroken`)."""
    thick, all_ink = _thickness(strong, axis), _thickness(unbroken, axis)
    return thick if thick >= PALE_LINE * all_ink else all_ink


def _thicker(ink: np.ndarray, axis: int, side: float) -> np.ndarray:
    """The ink in runs at least `side` px long across lines along `axis`: a pen stroke lying on
    such a line, or crossing it, rather than the line itself."""
    k = max(2, int(np.ceil(side)))
    bar = np.ones((k, 1) if axis == 1 else (1, k), np.uint8)
    return cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_OPEN, bar).astype(bool)


def _writing(
    canvas: np.ndarray,
    lines: _Lines | None,
    name: str = "image",
    picture: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(the ink that is writing, the part of it written faint). Writing is the ink without the lines
    (strokes that crossed one mended) and what is left of them, without pieces running along a side
    of the frame, without specks, and without pieces that nowhere reach full strength (STRONG) unless
    their edges are as sharp as a pen's (a digit written lighter than the rest: a pencil correction,
    light pressure); a shade the paper's estimate missed, such as the narrow end of a shadow, fades
    out over many px (and writing is as dark against its own paper in a shadow as in the light).
    picture: (the picture, ink dark, and its table) in the canvas's frame, where faint bits of a
    page's edge are told from writing (_page_edges); without it, none are.
    TooManyMarks for a picture of more than MAX_MARKS separate marks."""
    ink = canvas > INK_LEVEL
    kept = ink.copy()
    if lines is not None:
        kept &= ~(lines.across | lines.down)
        if lines.box_zone is not None:  # before mending: slivers would mend a side back whole
            kept &= ~_slivers(kept, lines.box_zone, lines.box_thickness)
        # Strokes a line cut are mended between their ends outside the line's strip: what is left of
        # the line in its strip (a side's edge, a px off after the page was turned) mends nothing.
        ends = (kept & ~lines.strips).astype(np.uint8)
        for line, mend in ((lines.across, (MEND, 1)), (lines.down, (1, MEND))):
            closed = cv2.morphologyEx(ends, cv2.MORPH_CLOSE, np.ones(mend, np.uint8))
            kept |= line & closed.astype(bool)
    kept &= ~_along_frame(kept, EDGE_CONTACT)
    pieces = _Pieces.of(kept)
    marks = len(pieces.area) - 1
    if marks > MAX_MARKS:
        raise TooManyMarks(
            f"{name}: {marks:,} separate marks, more than handwriting makes "
            "(a dithered scan, or a photo in too little light?): save it in grayscale, or take it in more light"
        )
    if (off := _off_rules(kept, pieces, RULE_SLANTS if lines is None else RULED_SLANTS)) is not kept:
        kept, pieces = off, _Pieces.of(off)
    if (off := _off_crossing_lines(kept, pieces)) is not kept:
        kept, pieces = off, _Pieces.of(off)
    good = np.ones(len(pieces.area), bool)
    if lines is not None:  # pieces wholly inside a line's strip: bits of the line
        good[:] = False
        good[np.unique(pieces.labels[kept & ~lines.strips])] = True
    good[0] = False
    strong = np.zeros_like(good)
    strong[np.unique(pieces.labels[kept & (canvas >= STRONG)])] = True
    if picture is not None:
        good &= ~_page_edges(pieces, good & ~strong, good & strong, *picture)
    faint, whole = _sharp(canvas, pieces, good & ~strong, good & strong)
    good &= strong | faint
    keep = good & _near_writing(pieces, good, whole)
    if keep.any() and np.maximum(pieces.box[keep, 2], pieces.box[keep, 3]).max() < _readable(canvas.shape):
        raise NoInk(f"{name}: no ink found (only specks, or writing too small to read)")
    return keep[pieces.labels], (keep & faint)[pieces.labels]


def _foreign(pieces: _Pieces, candidates: np.ndarray) -> np.ndarray:
    """The candidates no writing: cut off by the frame, CUT_OFF_FAR of the writing's height or
    more from it, and FOREIGN_PEN times as thick as its strokes or FOREIGN_SIZE times as long as
    it is tall: a pen lying on the page (read as a line "1"), a finger (beside which a fine pen's
    digits were specks). The writing: the big pieces the frame does not cut (Pieces.big) of
    FOREIGN_SHARE of the tallest one's height and FOREIGN_STROKES of their strokes' width,
    FOREIGN_WRITING of them, of a readable size. A tight crop's digits, cut by the frame, are as
    thick and as tall as the rest, and stay; with only specks or dots whole, nothing goes."""
    x, y, w, h = pieces.box.T
    rows, cols = pieces.labels.shape
    cut_off = candidates & ((x == 0) | (y == 0) | (x + w == cols) | (y + h == rows))
    inside = pieces.big(candidates & ~cut_off)
    if not cut_off.any() or not inside.any() or h[inside].max() < _readable(pieces.labels.shape):
        return np.zeros_like(candidates)
    writing = inside & (h >= FOREIGN_SHARE * h[inside].max()) & (h >= FOREIGN_STROKES * pieces.width)
    if np.count_nonzero(writing) < FOREIGN_WRITING:  # specks, a colon, or a digit the frame left whole
        return np.zeros_like(candidates)
    height, pen = float(np.median(h[writing])), float(np.median(pieces.width[writing]))
    unlike = (pieces.width >= FOREIGN_PEN * pen) | (np.maximum(w, h) >= FOREIGN_SIZE * height)
    return cut_off & unlike & (_gap(pieces, writing) > CUT_OFF_FAR * height)


def _slivers(ink: np.ndarray, zone: np.ndarray, line: float) -> np.ndarray:
    """The pieces of ink wholly inside the zone round a box's lines, `line` px thick, and less than
    SLIVER as thick as those lines and as the writing's strokes (the big pieces outside the zone:
    a fine pen's 1 written by a bold printed side is no sliver)."""
    pieces = _Pieces.of(ink)
    inside = np.ones(len(pieces.area), bool)
    inside[np.unique(pieces.labels[ink & ~zone])] = False
    inside[0] = False
    writing = pieces.big(~inside)
    stroke = float(np.median(pieces.width[writing])) if writing.any() else np.inf
    return (inside & (pieces.width < SLIVER * min(line, stroke)))[pieces.labels]


def _readable(shape: tuple[int, int]) -> float:
    """The longest side, in px, of a mark too small to read as a digit in a picture of this shape
    (reject's rule, MIN_SIZE of picture_shape's side): ink all in marks this small is noise, specks
    or dust, not writing, each of whose marks would read "?"."""
    return MIN_SIZE * picture_shape(shape)[0]


def _page_edges(
    pieces: _Pieces, candidates: np.ndarray, strong: np.ndarray, work: np.ndarray, table: np.ndarray
) -> np.ndarray:
    """Which faint candidate pieces are bits of a page's or a note's edge (see EDGE_SIDES): no specks
    (SPECK_SHARE of the largest big strong piece's ink at least), FAINT_SIZE of the strong pieces'
    height and EDGE_LONG of their own stroke width long at least (the EDGE_PIECES longest), whose
    ring, the table and other ink aside, is darker in `work` (the picture, ink dark, in the
    canvas's frame) on one side of the piece (across its main axis) than on the other. Strong ink
    is never a candidate: a digit written near the edge is as dark as the rest."""
    edges = np.zeros(len(pieces.area), bool)
    big = pieces.big(strong)
    if not big.any():
        return edges
    x, y, w, h = pieces.box.T
    length = np.maximum(w, h)
    long = (length >= FAINT_SIZE * np.median(h[big])) & (length >= EDGE_LONG * pieces.width)
    judged = np.flatnonzero(candidates & long & (pieces.area >= SPECK_SHARE * pieces.area[big].max()))
    other = (pieces.labels > 0) | table
    for k in sorted(judged, key=lambda k: -length[k])[:EDGE_PIECES]:
        top, left = max(0, y[k] - EDGE_RING), max(0, x[k] - EDGE_RING)
        near = np.s_[top : y[k] + h[k] + EDGE_RING, left : x[k] + w[k] + EDGE_RING]
        mine = (pieces.labels[near] == k).view(np.uint8)
        ys, xs = np.nonzero(mine)
        points = np.stack([xs, ys], axis=1).astype(np.float64)
        ring = cv2.dilate(mine, np.ones((2 * EDGE_RING + 1,) * 2, np.uint8)).view(bool) & ~other[near]
        centre = points.mean(axis=0)
        across = np.linalg.eigh(np.cov((points - centre).T))[1][:, 0]  # the direction it is thinnest in
        ring_y, ring_x = np.nonzero(ring)
        side = (np.stack([ring_x, ring_y], axis=1) - centre) @ across > 0
        if side.all() or not side.any():
            continue
        levels = work[near].astype(np.float32)
        around = levels[ring]
        one, two = float(around[side].mean()), float(around[~side].mean())
        dark = float(np.median(levels[mine.view(bool)]))
        edges[k] = abs(one - two) >= EDGE_SIDES * max(max(one, two) - dark, 1.0)
    return edges


def _off_rules(ink: np.ndarray, pieces: _Pieces, slants: tuple[float, ...] = RULE_SLANTS) -> np.ndarray:
    """The ink (its pieces: `pieces`) less the printed fill-in lines that writing touches (digits
    sit on a line; a 7 or 9 crosses it). In each piece wider than tall and than RULE of the
    writing's height (the median height of the big digit-like pieces; any such piece when there is
    none: all the digits touch the line): the straight runs across half its width or more (1 px of
    wobble, along one of `slants`) when they all lie in its lowest UNDER along them (a line under
    the writing, not a box round it: _under), are RULE_THIN thin and RULE heights long; strokes
    they cut are mended, and what is left goes with them where it is printed on the line (_ticks: a
    comb's, a field's ends) or under TICK of the writing's height (or of the tallest other piece left: a
    comb's short ticks, crumbs), but for the rest of a digit the line cut off (_parts_of_writing: a
    6's bowl that ran along it). A line with no writing on it goes whole. Left whole, the piece was
    dropped as a line, with the digits on it. `ink` itself when there is no such line."""
    w, h = pieces.box[:, 2], pieces.box[:, 3]
    height = pieces.writing_height()
    wide = (w >= h) & (w > RULE * height)
    wide[0] = False
    out = ink
    for k in np.flatnonzero(wide):
        x, y, bw, bh = pieces.box[k]
        box = np.s_[y : y + bh, x : x + bw]
        # the piece with paper above and below: a closing treats the crop's edge as ink, a slant shifts rows
        pad = MEND + int(np.ceil(max(np.abs(slants)) * bw / 2))
        piece = np.pad(pieces.labels[box] == k, ((pad, pad), (0, 0))).astype(np.uint8)
        rule, slant = _straight_runs(piece, max(3, bw // 2), slants)
        if not rule.any() or not _under(piece, rule, slant):  # none, or one over the writing: a box
            continue
        thick, cols = _thickness(rule.astype(bool), 1), np.flatnonzero(rule.any(axis=0))
        if len(cols) < max(RULE_THIN * thick, RULE * height):  # a bold stroke's flat side, two digits' flat feet
            continue
        left = piece & ~_line_alone(piece, rule)
        _, labels, stats, _ = cv2.connectedComponentsWithStats(left, connectivity=8)
        heights = np.where(_ticks(stats[1:], thick, (cols[0], cols[-1])), 0, stats[1:, cv2.CC_STAT_HEIGHT])
        writing = heights >= TICK * max(height, heights.max(initial=0))
        of = _parts_of_writing(stats[1:], writing, thick, heights, height)
        along = rule[pad:-pad].astype(bool) & _stroke_along(stats[1:], of, bw)[None, :]
        out = out.copy() if out is ink else out
        out[box] &= (
            ~piece[pad:-pad].astype(bool) | np.isin(labels[pad:-pad], np.flatnonzero(writing | (of >= 0)) + 1) | along
        )
    return out


def _off_crossing_lines(ink: np.ndarray, pieces: _Pieces) -> np.ndarray:
    """The ink (its pieces: `pieces`) less the straight lines at any angle that run through the
    writing they are joined to (a crease, a fold's shadow, a line drawn across the page), which
    would otherwise go with it as one line (_near_writing): in each piece longer than RULE of the
    writing's height (as _off_rules measures it) and not digit-like, the line along which the most
    of its px lie (cv2.HoughLines), turned flat, its straight runs (_straight_runs) CROSS_RUN of
    the piece's longer side long and RULE_THIN thin at least, taken off but where a stroke crosses
    them (_line_alone, as in _off_rules); kept of the rest, only the pieces digit-like and TICK of the
    writing's height tall, and those within NEAR_WRITING of it of one (a digit's loose bit), not
    the line's ends. A piece with no such line, no digit left, or a line less than CROSS_LONG
    times as long as the tallest digit left or thicker than CROSS_THIN of their strokes is left
    whole (a line alone goes as before). `ink` itself when nothing is taken off."""
    height = max(pieces.writing_height(), 1.0)
    long = (np.maximum(pieces.box[:, 2], pieces.box[:, 3]) > RULE * height) & ~pieces.digit_like()
    long[0] = False
    out = ink
    for k in np.flatnonzero(long):
        x, y, bw, bh = pieces.box[k]
        side = int(np.ceil(np.hypot(bw, bh))) + 2 * MEND  # room to turn the piece whichever way
        top, left = (side - bh) // 2, (side - bw) // 2
        piece = pieces.labels[y : y + bh, x : x + bw] == k
        crop = np.zeros((side, side), np.uint8)
        crop[top : top + bh, left : left + bw] = piece
        length = int(CROSS_RUN * max(bw, bh))
        found = cv2.HoughLines(crop, 1, np.radians(ANGLE_STEP), length)
        if found is None:
            continue
        rho, theta = found[0, 0]
        turn = cv2.getRotationMatrix2D((side / 2, side / 2), float(np.degrees(theta)) - 90, 1.0)
        flat = cv2.warpAffine(crop, turn, (side, side), flags=cv2.INTER_NEAREST)
        # Only the rows along the line, turned flat, are searched: a crop a few times the line's side
        row = int(round(turn[1] @ (rho * np.cos(theta), rho * np.sin(theta), 1.0)))
        band = np.s_[max(0, row - CROSS_BAND) : row + CROSS_BAND + 1]
        rule = np.zeros_like(flat)
        rule[band], _ = _straight_runs(flat[band], length)  # the small slants: what ANGLE_STEP leaves askew
        span, thick = len(np.flatnonzero(rule.any(axis=0))), _thickness(rule.astype(bool), 1)
        if not span or span < RULE_THIN * thick:
            continue  # none, or a bold stroke's straight side
        gone = np.zeros_like(flat)
        gone[band] = _line_alone(flat[band], rule[band])
        back = cv2.warpAffine(gone, turn, (side, side), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
        line = cv2.dilate(back, np.ones((3, 3), np.uint8)).astype(bool)[top : top + bh, left : left + bw]
        rest = _Pieces.of(piece & ~line)
        digits = rest.digit_like() & (rest.box[:, 3] >= TICK * height)
        if not digits.any() or span < CROSS_LONG * rest.box[digits, 3].max():
            continue  # no digit on it, or a digit's own stroke
        if thick > CROSS_THIN * float(np.median(rest.width[digits])):
            continue  # as thick as the strokes left: a fine pen's, or a frame's beside thin marks
        near = _gap(rest, digits) <= NEAR_WRITING * height
        near[0] = False
        out = out.copy() if out is ink else out
        out[y : y + bh, x : x + bw] &= ~piece | near[rest.labels]
    return out


def _line_alone(piece: np.ndarray, rule: np.ndarray) -> np.ndarray:
    """A line's px (`rule`, running along the rows of a 0/1 uint8 `piece`) but where a stroke
    crosses it: there the piece's other ink lies within MEND px above and below, and the stroke is
    mended through the line rather than cut."""
    return rule & ~cv2.morphologyEx(piece & ~rule, cv2.MORPH_CLOSE, np.ones((MEND, 1), np.uint8))


def _parts_of_writing(
    stats: np.ndarray, writing: np.ndarray, thick: float, heights: np.ndarray, height: float
) -> np.ndarray:
    """For each piece left of a fill-in line (connectedComponentsWithStats rows; `heights` 0 for
    its ticks), the piece of writing it is the rest of, or -1: a piece not tall enough for writing
    whose stroke ran along the line and was cut from that piece with it (a 6's bowl from its stem):
    PART of the writing's height (`height`, else the tallest piece of writing left) and two of the
    line's thicknesses tall at least (no crumb of the line), no taller than wide (no tick, however
    bold: an independent review found a comb's bold ticks taken for such parts, "952" read
    "915121"), and over or beside that piece of writing (the nearest), a line's thickness apart at most."""
    x, w = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_WIDTH]
    tall = max(height, heights[writing].max(initial=0))
    near = np.flatnonzero(writing)
    of = np.full(len(stats), -1)
    lying = w >= stats[:, cv2.CC_STAT_HEIGHT]  # a bowl's rest lies along the line; a comb's tick, bold or not, stands
    for k in np.flatnonzero(~writing & lying & ~_upright_thin(stats, thick) & (heights >= max(PART * tall, 2 * thick))):
        overlap = np.minimum(x[k] + w[k], x[near] + w[near]) - np.maximum(x[k], x[near])
        if overlap.size and overlap.max() >= -thick:
            of[k] = near[np.argmax(overlap)]
    return of


def _stroke_along(stats: np.ndarray, of: np.ndarray, width: int) -> np.ndarray:
    """The columns (of `width`) where a digit's stroke ran along the line: under each part of
    writing the line cut off and from it to its piece of writing (`of`: _parts_of_writing; a 6's
    bowl's bottom, from its stem to the rest of the bowl). The line is kept there."""
    x, w = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_WIDTH]
    columns = np.zeros(width, bool)
    for k in np.flatnonzero(of >= 0):
        j = of[k]
        columns[min(x[k], x[j] + w[j]) : max(x[k] + w[k], x[j])] = True
    return columns


def _upright_thin(stats: np.ndarray, thick: float) -> np.ndarray:
    """Which pieces (connectedComponentsWithStats rows) are upright and as thin as a line `thick`
    px thick: no wider than UPRIGHT of its thickness + 2 px, no more ink than its thickness + 1 px a row."""
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    return (w <= UPRIGHT * thick + 2) & (stats[:, cv2.CC_STAT_AREA] <= (thick + 1) * h)


def _ticks(stats: np.ndarray, thick: float, ends: tuple[int, int]) -> np.ndarray:
    """Which pieces left of a line (connectedComponentsWithStats rows; the line's first and last
    column: `ends`) are printed on it: upright and as thin as the line (no wider than UPRIGHT of its
    thickness + 2 px, no more ink than its thickness + 1 px a row), and either where it ends (a
    field's ends, the line stopping at them) or TICKS or more of one height (TICK_SPREAD) with one
    at each end (a comb's). 1s written upright on the line stand away from its ends."""
    x, w, h = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    thin = _upright_thin(stats, thick)
    first, last = thin & (x <= ends[0] + 1), thin & (x + w >= ends[1])
    if thin.sum() < TICKS:
        return first | last
    comb = thin & (np.abs(h - np.median(h[thin])) <= TICK_SPREAD * np.median(h[thin]))
    return comb if comb.sum() >= TICKS and (comb & first).any() and (comb & last).any() else first | last


def _under(piece: np.ndarray, rule: np.ndarray, slant: float) -> bool:
    """Whether a line's pixels (`rule`, along `slant`, y per x) all lie in the lowest UNDER of the
    piece (both 0/1 uint8) measured along the line: a line under the writing, not a box round it.
    Measured along it, as a line seen askew runs across more than its piece's lowest rows."""
    ys, xs = np.nonzero(piece)
    along = ys - slant * xs  # rows, the slant taken out
    top, bottom = along.min(), along.max()
    limit = top + (bottom - top + 1) - int((bottom - top + 1) * UNDER)
    ys, xs = np.nonzero(rule)
    return bool((ys - slant * xs >= limit - 0.5).all())  # 0.5: rows along a slant fall between whole ones


def _straight_runs(piece: np.ndarray, length: int, slants: tuple[float, ...] = RULE_SLANTS) -> tuple[np.ndarray, float]:
    """The piece's (uint8) pixels in straight runs across `length` px long at least, with 1 px of
    wobble, along the slant of `slants` (in order of size; a line photographed a little askew)
    whose runs hold the most, a slant taken over a lesser one only for SLANT_GAIN times as many: a
    line a little askew has runs along a lesser slant too, a row or two of it thick, and a slant
    beside a straight line's takes a px more of the strokes standing on it. Returns them and that
    slant; a slant is not tried where no band of 5 rows along it holds the px a run needs (the
    run's 3 rows of wobble, and 1 on each side for the shear's rounding), which skips only slants
    that would find nothing."""
    h, w = piece.shape
    best, best_slant = np.zeros_like(piece), 0.0
    ys, xs = np.nonzero(piece)
    if not ys.size:
        return best, best_slant
    least = _run_least(length, w)
    for slant in slants:
        along = np.round(ys - slant * (xs - w / 2)).astype(np.int64)
        if np.convolve(np.bincount(along - along.min()), np.ones(5, np.int64)).max() < least:
            continue
        turn = np.float32([[1, 0, 0], [-slant, 1, slant * w / 2]])  # rows sheared so the slant lies flat
        flat = cv2.warpAffine(piece, turn, (w, h), flags=cv2.INTER_NEAREST) if slant else piece
        wobbly = cv2.dilate(flat, np.ones((3, 1), np.uint8))
        runs = _long_runs(wobbly, length) & flat
        if slant:  # back, and the px of the line the round trip missed along its edges
            runs = cv2.warpAffine(runs, turn, (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
            runs = cv2.dilate(runs, np.ones((3, 1), np.uint8)) & piece
        if runs.sum() > SLANT_GAIN * best.sum():
            best, best_slant = runs, slant
    return best, best_slant


def _run_least(length: int, width: int) -> int:
    """The fewest px of a row that can hold a run `length` px long in an image `width` px wide once
    opened (_long_runs): about half of it, at the image's edge, where outside counts as ink."""
    return min(length - length // 2, length // 2 + 1, width)


def _long_runs(image: np.ndarray, length: int) -> np.ndarray:
    """cv2.morphologyEx(image, MORPH_OPEN) of a 0/1 uint8 image with a 1 x `length` line (its rows'
    runs of ink `length` px long), worked out only on the rows with enough ink to hold one: the
    others come out blank (outside the image counts as ink to the erosion, so a run at an edge
    needs only about half of `length`). A line's few rows, not all the rows of the digits on it:
    the opening costs about 1 ms for 100 rows of 1,000 px. An image under RUNS_AREA is opened
    whole: picking its rows would cost more."""
    kernel = np.ones((1, length), np.uint8)
    if image.size < RUNS_AREA:
        return cv2.morphologyEx(image, cv2.MORPH_OPEN, kernel)
    least = _run_least(length, image.shape[1])
    rows = np.flatnonzero(np.count_nonzero(image, axis=1) >= least)
    out = np.zeros_like(image)
    if rows.size:
        out[rows] = cv2.morphologyEx(image[rows], cv2.MORPH_OPEN, kernel)
    return out


def _sharp(
    canvas: np.ndarray, pieces: _Pieces, candidates: np.ndarray, strong: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(which candidate pieces have a pen's sharp edges; which of those are of a digit's size on
    their own: writing, whatever their ragged outline makes of their shape). Sharp: darkness on
    their outline falls by SHARP of their peak (INK_CORE) per px at least (a stroke's edge falls in
    a px or two, a shade's over tens). A faint stroke breaks up in noise, so pieces within the
    writing's stroke width of each other are judged together (specks aside: under SPECK_SHARE of
    the largest strong piece's ink), and only groups of a digit's size, not flat, are looked at:
    FAINT_SIZE of the strong big pieces' height at least (a speck, a bit of a line, is no digit
    written faint)."""
    sharp = np.zeros_like(candidates)
    big = pieces.big(strong)
    if not (candidates.any() and big.any()):
        return sharp, sharp
    least = FAINT_SIZE * np.median(pieces.box[big, 3])
    weak = (candidates & (pieces.area >= SPECK_SHARE * pieces.area[big].max()))[pieces.labels]
    rows, cols = np.flatnonzero(weak.any(axis=1)), np.flatnonzero(weak.any(axis=0))
    if rows.size == 0:
        return sharp, sharp
    top, left = rows[0], cols[0]  # the groups are found in the weak pieces' box only (less work)
    box = weak[top : rows[-1] + 1, left : cols[-1] + 1].astype(np.uint8)
    gap = np.ones((_odd(np.median(pieces.width[big])),) * 2, np.uint8)
    count, groups, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(box, gap), connectivity=8)
    groups = np.pad(groups, ((top, weak.shape[0] - rows[-1] - 1), (left, weak.shape[1] - cols[-1] - 1)))
    x, y, w, h = stats[:, :4].T
    x, y = x + left, y + top
    sized = (h >= FLAT * w) & (np.maximum(w, h) >= least)
    for group in np.flatnonzero(sized[1:]) + 1:
        area = np.s_[y[group] : y[group] + h[group], x[group] : x[group] + w[group]]
        crop, labels = canvas[area].astype(np.float32), pieces.labels[area]
        mask = weak[area] & (groups[area] == group)  # a new array: `weak` stays whole for the next group
        outline = mask & ~cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        if not outline.any():  # ink filling its box to the frame's edge (a corrupt file's): no edge to judge
            continue
        slope = np.hypot(cv2.Sobel(crop, cv2.CV_32F, 1, 0), cv2.Sobel(crop, cv2.CV_32F, 0, 1)) / 8
        peak = float(np.percentile(crop[mask], 100 * INK_CORE))  # not the max: noise's peaks
        if float(slope[outline].mean()) >= SHARP * peak:
            sharp[np.unique(labels[mask])] = True
    sharp &= candidates
    return sharp, sharp & (np.maximum(pieces.box[:, 2], pieces.box[:, 3]) >= least)


def _full_strength(canvas: np.ndarray, faint: np.ndarray) -> np.ndarray:
    """The canvas with each faint piece of writing brought to full strength as the rest is: its
    levels scaled so that HALF of its own core (INK_CORE) saturates, the px around it alike."""
    rows, cols = np.flatnonzero(faint.any(axis=1)), np.flatnonzero(faint.any(axis=0))
    if rows.size == 0:
        return canvas
    # the faint pieces' box and a px around it: all the work is done in it
    top, left = max(rows[0] - 1, 0), max(cols[0] - 1, 0)
    area = np.s_[top : rows[-1] + 2, left : cols[-1] + 2]
    count, labels, stats, _ = cv2.connectedComponentsWithStats(faint[area].astype(np.uint8), connectivity=8)
    out = canvas.copy()
    inside, result = canvas[area], out[area]
    for label, (x, y, w, h) in enumerate(stats[1:, :4], start=1):
        box = np.s_[max(y - 1, 0) : y + h + 1, max(x - 1, 0) : x + w + 1]  # the piece and a px around it
        piece = labels[box] == label
        core = float(np.percentile(inside[box][piece], 100 * INK_CORE))
        near = cv2.dilate(piece.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        gain = FULL / (HALF * max(core, 1.0))
        result[box][near] = np.clip(inside[box][near] * gain, 0, FULL).astype(np.uint8)
    return out


def _near_writing(pieces: _Pieces, candidates: np.ndarray, faint: np.ndarray) -> np.ndarray:
    """Which pieces to keep among the candidates: the big digit-like ones, faint digits (`faint`,
    whatever their ragged outline makes of their shape) within a big one's height of one, and
    others but specks (under SPECK_SHARE of the largest's ink) within NEAR_WRITING of the big
    ones' height from one (a digit's loose bit, a 5's flag), and specks that may be a decimal point
    or a colon between two digits (_dots: recognizer.marks reads them); none longer than RULE of those heights
    and flat (a printed fill-in line under the number: a 5's flag or a 7's bar is shorter) or as
    thin as a line (a sticky note's or a page's edge, faint in its shadow, beside the writing).
    Pieces elsewhere would join a digit above or below them when the digits are read, or read as
    digits themselves (a bit of a margin line). _foreign pieces are no candidates: a pen lying on
    the page, a finger."""
    candidates = candidates & ~_foreign(pieces, candidates)
    big = pieces.big(candidates)
    if not big.any():
        return np.zeros_like(candidates)
    height = float(np.median(pieces.box[big, 3]))
    line = (pieces.box[:, 2:4].max(axis=1) > RULE * height) & ~pieces.digit_like()  # flat, or line-thin
    big |= faint & ~line & (_gap(pieces, big) <= height)
    near = ~line & (_gap(pieces, big) <= NEAR_WRITING * height)
    specks = pieces.area < SPECK_SHARE * pieces.area[big].max()
    return candidates & (big | (near & ~specks) | (specks & _dots(pieces, candidates, big, height)))


def _dots(pieces: _Pieces, candidates: np.ndarray, big: np.ndarray, height: float) -> np.ndarray:
    """Which candidates may be a decimal point or a colon's dots (recognizer.marks reads them):
    solid, PHOTO_DOT_PENS of the writing's stroke width across, between two big pieces side by side at
    most PHOTO_DOT_GAP of their height apart, in the lowest PHOTO_DOT_LOW of both, or over such a dot half way
    up them (PHOTO_DOT_MIDDLE), the two about as tall (PHOTO_DOT_SAME), and no other speck beside it
    (PHOTO_DOT_ALONE: a line of small print). A speck elsewhere, noise or dust, stays out."""
    pen = float(np.median(pieces.width[big]))
    x, y, w, h = pieces.box.T.astype(np.float64)
    side, short = np.maximum(w, h), np.maximum(np.minimum(w, h), 1.0)
    solid = (pieces.area >= PHOTO_DOT_FILL * w * h) & (side <= PHOTO_DOT_ASPECT * short)
    dots = np.flatnonzero(
        candidates & ~big & solid & (side >= PHOTO_DOT_PENS[0] * pen) & (side <= PHOTO_DOT_PENS[1] * pen)
    )
    out = np.zeros_like(candidates)
    if not len(dots):
        return out
    b = np.flatnonzero(big)
    lo, hi = x[dots, None], (x + w)[dots, None]
    left = ((x + w)[b] <= (lo + hi) / 2) & (lo - (x + w)[b] <= PHOTO_DOT_GAP * height)
    right = (x[b] >= (lo + hi) / 2) & (x[b] - hi <= PHOTO_DOT_GAP * height)
    share = ((y + h / 2)[dots, None] - y[b]) / h[b]  # how far down the big pieces each dot's middle is
    low = (share >= 1 - PHOTO_DOT_LOW) & (share <= 1 + PHOTO_DOT_BELOW)
    middle = (share >= PHOTO_DOT_MIDDLE[0]) & (share <= PHOTO_DOT_MIDDLE[1])
    tall = h[b]
    alike = np.maximum(tall[:, None], tall[None]) <= PHOTO_DOT_SAME * np.minimum(tall[:, None], tall[None])

    def between(band: np.ndarray) -> np.ndarray:  # a big piece each side, as tall as each other
        pairs = (left & band)[:, :, None] & (right & band)[:, None, :] & alike[None]
        return pairs.any(axis=(1, 2))

    on_base, over = between(low), between(middle)
    stacked = (np.minimum(hi, hi[on_base].T) - np.maximum(lo, lo[on_base].T) > 0).any(axis=1)
    # alone in its line: a small print's letters, a line of specks, stand side by side
    small = np.flatnonzero(candidates & ~big)
    mid = (y + h / 2)[small]
    level = np.abs(mid[None] - (y + h / 2)[dots, None]) <= np.maximum(side[dots, None], PHOTO_DOT_LEVEL * height)
    gap = np.maximum(x[small][None] - hi, lo - (x + w)[small][None])
    beside = level & (gap > 0) & (gap <= PHOTO_DOT_ALONE * height)
    out[dots] = (on_base | (over & stacked)) & ~beside.any(axis=1)
    return out


def _gap(pieces: _Pieces, to: np.ndarray) -> np.ndarray:
    """Each piece's gap (px, the larger of across and down) to the nearest of the pieces `to`,
    for GAP_CELLS pairs at a time."""
    x0, y0, w, h = pieces.box.T
    x1, y1 = x0 + w, y0 + h
    gaps = np.empty(len(x0), x0.dtype)
    step = max(1, GAP_CELLS // max(int(np.count_nonzero(to)), 1))
    for a in range(0, len(x0), step):
        b = np.s_[a : a + step]
        gap_x = np.maximum(0, np.maximum(x0[b, None] - x1[to][None], x0[to][None] - x1[b, None]))
        gap_y = np.maximum(0, np.maximum(y0[b, None] - y1[to][None], y0[to][None] - y1[b, None]))
        gaps[b] = np.maximum(gap_x, gap_y).min(axis=1)
    return gaps
