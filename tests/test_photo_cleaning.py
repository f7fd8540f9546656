"""Photo cleaning (recognizer.photo) where a photo is hard on it: a page's corner poking into a dark
table (the polarity vote), a digit written much lighter than its neighbours (the faint-shade rule).
Each test draws ink it knows and checks what the canvas holds and how it reads."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from recognizer import photo
from recognizer.errors import ImageError
from recognizer.images import load_canvases, load_image
from recognizer.ink import INK_LEVEL
from recognizer.photo import ink_canvas
from recognizer.predictor import number_text
from recognizer.strokes import rasterize
from tests.test_images import PAPER, assert_canvas_is, number_ink, number_strokes, on_paper, save

PHOTOS = Path(__file__).resolve().parent / "fixtures" / "photos"  # pictures of real writing, credited there


def page_on_table(ink: np.ndarray, corner: tuple[int, int], angle: float, seed: int = 3) -> np.ndarray:
    """The ink on a page turned by `angle` degrees whose top-left corner lies at `corner` (x, y),
    the rest of the frame a dark grainy table (35 of 255, grain sd 8)."""
    h, w = ink.shape
    grain = cv2.GaussianBlur(np.random.default_rng(seed).standard_normal((h, w)).astype(np.float32), (0, 0), 2)
    table = 35 + 8 * grain / grain.std()
    t = np.radians(angle)
    along, down = np.array([np.cos(t), np.sin(t)]), np.array([-np.sin(t), np.cos(t)])
    start = np.array(corner, np.float64)
    quad = np.array([start, start + 4 * w * along, start + 4 * w * (along + down), start + 4 * w * down])
    cover = np.zeros((h, w), np.uint8)
    cv2.fillPoly(cover, [np.round(quad * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    a = cover.astype(np.float32) / 255
    return np.clip(a * on_paper(ink) + (1 - a) * table, 0, 255).astype(np.uint8)


def test_a_page_corner_poking_into_a_table_does_not_flip_the_polarity(tmp_path, shipped):
    """A page's corner in the frame, the table around it on two sides, a small number written
    with a fine pen: near the corner the local median is the table's, so the page there is all
    "lighter than its median", more of it than the ink is darker (a dev photo in 1,200 read "?1?"
    from the inverted picture). Where the median falls steeply, it does not vote."""
    h, w = 600, 800
    ink = number_ink("47", (h, w), 268, 458, 36, 2)
    picture = page_on_table(ink, (200, 250), 25)
    assert not photo._light_ink(picture)
    canvas = load_image(save(tmp_path, "corner.png", picture))
    assert_canvas_is(canvas, ink, core=0.9)
    assert number_text(shipped.read(canvas)) == "47"


def test_a_page_filling_less_of_the_frame_than_the_table_keeps_its_ink(tmp_path, shipped):
    """The table fills most of the frame: the paper's noise and the ink's strength are measured on
    the page, not on the table's grain (taken for the page's noise, it hid all the ink: "no ink
    found")."""
    h, w = 600, 800
    ink = number_ink("47", (h, w), 560, 420, 60, 4)
    picture = page_on_table(ink, (450, 280), -10)
    assert (picture < 100).mean() > 0.6
    canvas = load_image(save(tmp_path, "small-page.png", picture))
    assert_canvas_is(canvas, ink, core=0.9)
    assert number_text(shipped.read(canvas)) == "47"


def faint_number(strong: str, faint: str, share: float, at=(100, 150), height=160, pen=9, shape=(480, 720)) -> tuple:
    """(the ink of `strong` then `faint` in a row from `at` (x, y), the faint digit's ink at `share`
    of the others' darkness; the faint digit's ink alone at full strength)."""
    x, y = at
    dark = number_ink(strong, shape, x, y, height, pen)
    light = number_ink(faint, shape, int(x + len(strong) * 0.8 * height), y, height, pen)
    return np.maximum(dark, np.round(light * share).astype(np.uint8)), light


@pytest.mark.parametrize("share", [0.3, 0.36, 0.42])
def test_a_digit_written_lighter_than_its_neighbours_is_kept_at_full_strength(tmp_path, shipped, share):
    """A digit at 0.3-0.42 of its neighbours' darkness (a pencil correction, light pressure) never
    reaches the ink's full strength, as a shade does not; its edges are a pen's, sharp, so it stays,
    brought to full strength like the rest (it was dropped: "38" for "385")."""
    ink, light = faint_number("38", "5", share)
    canvas = load_image(save(tmp_path, "faint.png", on_paper(ink)))
    assert_canvas_is(canvas, np.maximum(ink, light), iou=0.85)
    assert number_text(shipped.read(canvas)) == "385"


def test_a_faint_digit_stays_and_a_faint_shade_goes_on_the_same_page(tmp_path, shipped):
    """The faint digit beside a small soft shade (30% darker, as tests/test_images' faint shadow) as
    dark against its paper as the digit: the digit is kept, the shade still dropped."""
    ink, light = faint_number("38", "5", 0.36, at=(330, 330), height=70, pen=5, shape=(480, 640))
    shade = np.zeros(ink.shape, np.float32)
    cv2.ellipse(shade, (200, 130), (90, 45), 15, 0, 360, 1.0, -1)
    paper = PAPER * (1 - 0.3 * cv2.GaussianBlur(shade, (0, 0), 15))
    canvas = load_image(save(tmp_path, "faint-and-shade.png", on_paper(ink, paper)))
    assert_canvas_is(canvas, np.maximum(ink, light), iou=0.85)
    assert number_text(shipped.read(canvas)) == "385"


def test_a_faint_digit_in_sensor_noise_is_kept(tmp_path, shipped):
    """Noise (sd 8) breaks the faint digit's ink into a ragged piece and bits, thinner than its pen:
    judged together its pieces are sharp, and of a digit's size it is writing in its own right
    (as a ragged piece it was taken for no digit and, further than half a digit from the others,
    dropped: "38")."""
    ink, light = faint_number("38", "5", 0.36)
    page = on_paper(ink).astype(np.float32) + np.random.default_rng(0).normal(0, 8, ink.shape)
    canvas = load_image(save(tmp_path, "noisy-faint.jpg", np.clip(page, 0, 255).astype(np.uint8), quality=90))
    assert (canvas[light > 128] > 0).mean() > 0.8
    assert number_text(shipped.read(canvas)) == "385"


@pytest.mark.parametrize(("paper", "noise"), [(60, 10), (50, 12)])
def test_a_number_photographed_in_low_light_is_read(tmp_path, shipped, paper, noise):
    """A photo in low light: paper 50-60 of 255, sensor noise sd 10-12, a sixth to a quarter of the
    paper's brightness. Ink starts 4 noise sds above the paper, so most of a stroke fell under it:
    the strokes broke into specks, and the photo read "no ink found" (the review's photos of 'val'
    and 'train' people's numbers in low light: 1 in 30; made here, at these levels, every one)."""
    ink = number_ink("632", (720, 960), 300, 380, 150, 10)
    page = on_paper(ink, float(paper)).astype(np.float32) + np.random.default_rng(1).normal(0, noise, ink.shape)
    path = save(tmp_path, "low-light.jpg", np.clip(page, 0, 255).astype(np.uint8), quality=85)
    assert number_text(shipped.read_picture(load_canvases(path))) == "632"


def test_a_marker_s_bold_digits_are_not_read_blurred_in_the_other_polarity(shipped):
    """Marker-bold digits are read in both polarities (photo.ink_canvases). In the other one the
    "paper" is the shapes between the strokes, as noisy as low light (0.16 of its brightness) but
    no grain: blurred, that reading won and "62" read "2" (tests/fixtures/photos). The blur is kept
    only where it cuts the noise to under half (photo.NOISY_CUT): there it hardly does."""
    path = PHOTOS / "marker_62.jpg"
    assert number_text(shipped.read_picture(load_canvases(path))) == "62"


def test_faint_pieces_inside_another_faint_piece_s_box_are_judged_too():
    """A faint digit tucked into another's box (a 1 under a 7's bar): each faint group is judged on
    its own pixels; the first judged used to blank the pieces in its box for the others, and the
    next one found no pixels at all (IndexError from a dev photo)."""
    canvas = np.zeros((300, 500), np.uint8)
    canvas[50:200, 20:40] = canvas[50:200, 80:100] = 255  # the strong writing: two bars
    canvas[50:60, 200:330] = 120  # a faint 7: its bar ...
    canvas[50:200, 320:330] = 120  # ... and its stem, down the right
    canvas[90:200, 230:240] = 120  # a faint 1 under the bar, inside the 7's box
    pieces = photo._Pieces.of(canvas > 64)
    strong = np.isin(np.arange(len(pieces.area)), np.unique(pieces.labels[canvas == 255]))
    others = ~strong
    others[0] = False  # the background
    faint, whole = photo._sharp(canvas, pieces, others, strong)
    one, seven = pieces.labels[150, 235], pieces.labels[55, 250]
    assert one != seven and faint[one] and faint[seven] and whole[one] and whole[seven]


def form_lines(shape: tuple[int, int], x: int, y: int, box: int, boxes: int, thick: int, comb: bool) -> np.ndarray:
    """A form's printed field from (x, y): `boxes` square boxes of side `box` in a row (comb: with
    the sides between them; else only the frame round them), lines `thick` px, ink 255."""
    lines = np.zeros(shape, np.uint8)
    right, bottom = x + boxes * box, y + box
    cv2.rectangle(lines, (x, y), (right, bottom), 255, thick)
    for k in range(1, boxes) if comb else ():
        cv2.line(lines, (x + k * box, y), (x + k * box, bottom), 255, thick)
    return lines


@pytest.mark.parametrize("comb", [True, False])
@pytest.mark.parametrize("thick", [1, 3])
def test_a_number_written_in_a_form_s_boxes_reads_without_them(tmp_path, shipped, comb, thick):
    """A scanned form: a number written one digit to a box, or in a frame. The boxes' upright
    sides are too short to be ruled lines, and read as sure 1s ("1311141" for "314"); they go now,
    with the lines across them, and the digits stay whole."""
    height, box = 110, 150
    ink = np.zeros((400, 800), np.uint8)
    for k, digit in enumerate("314"):
        ink = np.maximum(ink, number_ink(digit, ink.shape, 100 + k * box + 30, 120, height, 9))
    lines = form_lines(ink.shape, 100, 100, box, 3, thick, comb)
    canvas = load_image(save(tmp_path, "form.png", on_paper(np.maximum(ink, lines))))
    assert_canvas_is(canvas, ink, iou=0.85)
    assert number_text(shipped.read(canvas)) == "314"


def test_one_upright_stroke_between_two_lines_is_no_box():
    """A box has two upright sides at least: a lone straight stroke joining two lines across (a 1
    written from one ruled line to the next) stays ink."""
    ink = np.zeros((120, 200), bool)
    ink[10:13, 20:180] = ink[100:103, 20:180] = True  # two lines across, 3 px
    ink[13:100, 99:102] = True  # one upright stroke joining them
    across = ink.copy()
    across[13:100] = False
    assert not photo._box_sides(ink, across).any()
    ink[13:100, 20:23] = True  # and a second one: the sides of a box
    assert photo._box_sides(ink, across).sum() == 2 * 87 * 3


def test_a_comb_of_small_boxes_with_lines_thick_for_their_size_is_taken_out(tmp_path, shipped):
    """A comb scanned at 100-150 dpi: boxes of 30 px whose printed lines blur to 3 px, a tenth of
    the rows between them, as thick for the box as a pen's stroke is for a digit. Taken for no
    boxes, the comb and the digits touching it went as one flat piece, a fill-in line: the scan
    review's "0602" read "6". With three sides or more (photo.COMB_THIN) the boxes go; the digits
    stay and read."""
    ink = np.zeros((240, 400), np.uint8)
    for k, digit in enumerate("390412"):
        ink = np.maximum(ink, number_ink(digit, ink.shape, 100 + 30 * k + 7, 105, 25, 2))  # on the line
    lines = form_lines(ink.shape, 100, 100, 30, 6, 2, comb=True)
    scan = cv2.GaussianBlur(on_paper(np.maximum(ink, lines)), (0, 0), 0.5)
    assert number_text(shipped.read_picture(load_canvases(save(tmp_path, "comb.png", scan)))) == "390412"


def test_two_sides_that_thick_for_their_size_make_no_box():
    """A frame of two sides only keeps the stricter BOX_THIN: handwriting's boxy O (UNIPEN 'OKO',
    'oIO', written with a bold pen) had a side and lines across as thick for its size as that."""
    ink = np.zeros((60, 200), bool)
    ink[10:13, 20:180] = ink[41:44, 20:180] = True  # two lines across, 3 px, 28 rows apart (3 / 28 > BOX_THIN)
    ink[13:41, 20:23] = ink[13:41, 177:180] = True  # two sides
    across = ink.copy()
    across[13:41] = False
    assert not photo._box_sides(ink, across).any()
    ink[13:41, 99:102] = True  # a third side: a comb
    assert photo._box_sides(ink, across).sum() == 3 * 28 * 3


def test_the_edges_of_a_note_on_a_desk_are_not_read_as_ones(shipped):
    """A sticky note photographed on a desk: along its edges the paper's estimate is brighter than
    the desk beside it, and straight bits of the edge, faint but sharp, read as 1s ("13160911").
    The desk lies on one side of them only (photo._page_edges); the digits stay."""
    path = PHOTOS / "sticky_note_31609.jpg"
    assert number_text(shipped.read_picture(load_canvases(path))) == "31609"


def test_a_faint_straight_piece_with_the_desk_against_one_side_is_an_edge():
    """photo._page_edges on pieces made to measure: paper (200) on the left, desk (100) on the
    right. Of three faint strokes, only the strip against their border, at the desk's own level,
    is an edge's bit: one on the paper has paper on both sides, and so has one 5 px from the desk
    (a 1 written near the page's end)."""
    work = np.full((200, 300), 200, np.uint8)
    work[:, 200:] = 100
    ink = np.zeros(work.shape, bool)
    ink[40:140, 100:103] = True  # strong writing: the height the others are measured by
    ink[40:140, 60:63] = True  # a faint stroke on the paper
    ink[40:140, 192:195] = True  # a faint stroke 5 px from the desk
    ink[40:140, 197:200] = True  # a faint strip against the desk, as dark as the desk
    work[ink] = 120
    work[40:140, 100:103], work[40:140, 197:200] = 30, 100
    pieces = photo._Pieces.of(ink)
    strong = np.isin(np.arange(len(pieces.area)), pieces.labels[90, 101])
    candidates = ~strong
    candidates[0] = False
    edges = photo._page_edges(pieces, candidates, strong, work, np.zeros(work.shape, bool))
    assert np.flatnonzero(edges).tolist() == [pieces.labels[90, 198]]


@pytest.mark.parametrize("digit", ["3", "8"])
def test_a_faint_digit_written_near_a_darker_desk_is_kept(tmp_path, shipped, digit):
    """A digit written lighter than the rest (0.36 of their darkness) 5 px from where the page ends
    and a darker desk begins. A first version of photo._page_edges looked 1.5 stroke widths round
    a faint piece, reached the desk, found that side darker and dropped the digit ("383" read "38");
    the 2 px it looks now hold only paper there, and the digit stays."""
    ink, light = faint_number("38", digit, 0.36)
    right = np.flatnonzero(light.any(axis=0))[-1]
    paper = np.full(ink.shape, PAPER, np.float32)
    paper[:, right + 5 :] = 90
    path = save(tmp_path, "near-desk.png", on_paper(ink, paper))
    assert number_text(shipped.read_picture(load_canvases(path))) == "38" + digit


@pytest.mark.parametrize(("digit", "gap"), [("1", 6), ("9", 2)])
def test_a_faint_digit_written_near_a_shadow_s_soft_edge_is_kept(tmp_path, shipped, digit, gap):
    """The same faint digit a few px from where a soft shadow (0.6 of the paper's light, blurred
    over 6 px) begins: the shadow's slope darkens one side of its ring, less than a desk does
    against an edge's bit (photo.EDGE_SIDES); at 0.25 a faint 1 was dropped ("38" for "381"). (A 1
    4 px away, where the slope is steeper, still is: 0.45 kept it, and read tilted notes' edges.)"""
    ink, light = faint_number("38", digit, 0.36)
    right = np.flatnonzero(light.any(axis=0))[-1]
    shade = np.ones(ink.shape, np.float32)
    shade[:, right + gap :] = 0.6
    path = save(tmp_path, "near-shadow.png", on_paper(ink, PAPER * cv2.GaussianBlur(shade, (0, 0), 6)))
    assert number_text(shipped.read_picture(load_canvases(path))) == "38" + digit


def test_only_a_line_under_the_writing_is_taken_off_the_digits_on_it():
    """_off_rules takes a fill-in line off the writing standing on it, but not a box's lines round
    writing that touches them (its upright sides would be left to read as 1s)."""
    ink = np.zeros((120, 240), bool)
    ink[100:103, 20:220] = True  # a line, 3 px, ...
    ink[40:100, 60:66] = ink[40:100, 140:146] = True  # ... and two strokes standing on it
    taken = photo._off_rules(ink, photo._Pieces.of(ink))
    assert not taken[100:103, 20:50].any() and taken[40:99, 60:66].all() and taken[40:99, 140:146].all()
    ink[30:33, 20:220] = ink[30:103, 20:23] = ink[30:103, 217:220] = True  # the box round them
    assert photo._off_rules(ink, photo._Pieces.of(ink)) is ink


def test_a_line_left_askew_by_the_page_s_turn_is_taken_off_the_digits_on_it():
    """A page photographed at a slant: its ruled lines converge, so turning the page straightens
    some and leaves others askew, here 0.08 px per px (4.6 degrees). The line under the writing
    was found along none of the slants searched (0.045 at most), or was taken for a box's side as
    its far end rose above the piece's lowest third: the digits on it went with it as one line
    ('train' people's numbers on a ruled page tilted 10-25 degrees, 100 pictures: 4 refused "no
    ink found", 90 read exactly; with the slant searched on and the line's place measured along
    it, none refused, 97)."""
    ink = np.zeros((160, 600), bool)
    for x in range(20, 580):  # the line, 3 px, falling 0.08 px per px: 45 px, more than the digits' height
        y = 90 + round(0.08 * (x - 20))
        ink[y : y + 3, x] = True
    for x in (80, 160):  # two strokes standing on it
        ink[50 : 91 + round(0.08 * (x - 20)), x : x + 6] = True
    taken = photo._off_rules(ink, photo._Pieces.of(ink), photo.RULED_SLANTS)
    assert not taken[90:96, 20:60].any() and not taken[125:140, 500:580].any()  # the line went ...
    assert taken[50:90, 80:86].all() and taken[50:90, 160:166].all()  # ... and the strokes stayed


def test_a_line_at_any_angle_is_taken_off_the_strokes_it_crosses():
    """_off_crossing_lines: a 2-px line at 30 degrees across the frame through two upright strokes
    (digits' height 100 px, the line 700 px long) goes, the strokes stay, mended where it crossed
    them; the line's ends, away from the strokes, go too. A line alone is left to go as a line."""
    ink = np.zeros((500, 700), np.uint8)
    cv2.line(ink, (0, 50), (699, 50 + round(699 * np.tan(np.radians(30)))), 1, 2)
    ink[150:250, 300:310] = ink[200:300, 420:430] = 1
    ink = ink.astype(bool)
    taken = photo._off_crossing_lines(ink, photo._Pieces.of(ink))
    assert taken[150:250, 300:310].mean() > 0.95 and taken[200:300, 420:430].mean() > 0.95
    assert len(photo._Pieces.of(taken).area) == 3  # the background and two strokes, each whole
    assert not taken[:, :280].any() and not taken[:, 450:].any()
    alone = np.zeros((500, 700), np.uint8)
    cv2.line(alone, (0, 50), (699, 450), 1, 2)
    alone = alone.astype(bool)
    assert photo._off_crossing_lines(alone, photo._Pieces.of(alone)) is alone


def test_a_crease_through_the_digits_is_taken_off_them(shipped):
    """A crease across the page, a thin dark line at a slant, through the 3, 6 and 1 of "79361"
    (tests/fixtures/photos): joined to them, it went with them as one line, and the photo read
    "79" (a review's 30 photos of creased pages: 2 read right, 4 refused). Taken off as a fill-in
    line is, at its own angle (photo._off_crossing_lines)."""
    path = PHOTOS / "crease_79361.jpg"
    assert number_text(shipped.read_picture(load_canvases(path))) == "79361"


def test_a_2_s_long_rising_base_is_no_line_on_a_page_without_ruling(tmp_path, shipped):
    """A 2 whose base runs on 1.5 digit heights, rising 0.12 px per px, under the 5 after it: as
    straight and long as a fill-in line, it was cut off as one when the steeper slants were
    searched on any page ("25" read "75", an outside review). They are searched only where the page
    has ruled lines (the test above)."""
    height, pen = 150, 8
    corner = [(0.25, 0.3), (0.33, 0.16), (0.5, 0.1), (0.67, 0.15), (0.73, 0.3), (0.65, 0.48), (0.25, 0.9)]
    two = [(100 + 0.6 * height * x, 150 + height * y) for x, y in corner]
    (x, y), base = two[-1], 1.5 * height
    strokes = [[*two, (x + base, y - 0.12 * base)]]
    strokes += number_strokes("5", 100 + 0.8 * height, 150 - 0.1 * height, 0.6 * height, 0.8 * height, 0.8 * height, 3)
    path = save(tmp_path, "two-base.png", on_paper(rasterize(strokes, (600, 1000), pen)))
    assert number_text(shipped.read_picture(load_canvases(path))) == "25"


def test_a_number_on_a_ruled_page_photographed_at_a_slant_is_found(shipped):
    """The picture behind the test above (tests/fixtures/photos): "34615" written on a ruled page
    tilted 24 degrees, the line under it 5 degrees askew once the page was turned; read as "no ink
    found (only ruled lines, page edges or specks)"."""
    path = PHOTOS / "perspective_ruled_34615.jpg"
    assert number_text(shipped.read_picture(load_canvases(path))) == "34615"


@pytest.mark.parametrize("seed", [2, 3, 4, 5])
def test_a_form_scanned_a_little_askew_is_turned_straight_and_its_boxes_go(shipped, seed):
    """A form fed 1 degree askew (bench.forms' scans of font digits): its lines have no straight
    run long enough until the page is turned, and it is turned for its boxes as for ruled lines
    (these read "05?", "181510", "3?2" and "??" before)."""
    from bench import forms
    from recognizer.synthetic import font_digits

    x, y = font_digits(60, seed=1)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, 60, 3)
    scans, _ = forms.form(x[pick], rng, tilt=1.0)
    assert number_text(shipped.read(ink_canvas(scans["boxes"]))) == "".join(map(str, y[pick]))


def test_what_is_left_of_a_line_beside_it_mends_no_stub_onto_a_digit():
    """A box's side with a px of it left on both sides (a scan turned straight) and a stroke ending
    on it: no line pixel is put back there (that left a stub hanging from a 1's base, read 7); a
    stroke that crosses the line is still mended."""
    canvas = np.zeros((100, 100), np.uint8)
    down = np.zeros(canvas.shape, bool)
    down[5:95, 50:52] = True  # the side ...
    strips = cv2.dilate(down.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    canvas[down] = 255
    canvas[20:60, 49] = canvas[20:60, 52] = 255  # ... what is left beside it, in its strip
    canvas[20:24, 20:49] = 255  # a stroke ending on the side
    canvas[70:74, 25:80] = 255  # a stroke crossing it
    across = np.zeros(canvas.shape, bool)
    keep, _ = photo._writing(canvas, photo._Lines(across, down, strips))
    assert not (keep & down)[:65].any()
    assert keep[70:74, 25:80].all()  # the crossing stroke whole, the line's px in it mended


def _lines_askew(angle: float, clutter: bool, upright: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(ys, xs) of the ink of a 700 x 100 px box drawn with 1-px lines (or, upright, 100 x 700),
    turned by `angle` degrees as bench.forms turns a scan, with a slanted digit-like stroke
    crossing a long side (clutter)."""
    ink = np.zeros((900, 900), np.uint8)
    corners = ((400, 100), (500, 800)) if upright else ((100, 400), (800, 500))
    cv2.rectangle(ink, *corners, 255, 1)
    if clutter:
        start, end = ((370, 300), (530, 330)) if upright else ((300, 370), (330, 530))
        cv2.line(ink, start, end, 255, 9)
    if angle:
        turn = cv2.getRotationMatrix2D((450, 450), angle, 1.0)
        ink = cv2.warpAffine(ink, turn, (900, 900), flags=cv2.INTER_LINEAR)
    ys, xs = np.nonzero(ink > 0)
    return ys.astype(np.float64), xs.astype(np.float64)


@pytest.mark.parametrize("tilt", [0.6, 1.1, -1.4])
@pytest.mark.parametrize("clutter", [False, True])
@pytest.mark.parametrize("upright", [False, True])
def test_the_angle_is_fitted_to_the_lines_between_the_search_s_steps(tilt, clutter, upright):
    """The search in SKEW_STEP steps leaves a 700 px line up to 1.5 px askew; fitted to the lines
    (a stroke crossing one left out), across or upright, the angle comes within 0.05 degrees of
    the page's."""
    ys, xs = _lines_askew(tilt, clutter, upright)
    start = round(-tilt / photo.SKEW_STEP) * photo.SKEW_STEP
    assert abs(photo._fitted_angle(ys, xs, start) - -tilt) < 0.05


def test_a_stroke_lying_along_a_line_does_not_turn_a_straight_page():
    """A bar written just under a box's line pulls a line fitted to both askew (the fit alone
    turns this page about 0.3 degrees); the page is turned only where its ink piles up at least as
    much as at the searched angle, so it stays as it was."""
    canvas = np.zeros((600, 900), np.uint8)
    cv2.rectangle(canvas, (100, 200), (800, 300), 255, 1)
    canvas[204:207, 120:270] = 255
    assert photo._straighten(canvas)[0] is canvas


def test_straight_lines_are_not_turned_by_a_hair():
    """Lines already straight stay so: no correction under FIT_MIN is made (turning by a hair
    blurs a 1-px line into two faint ones), whatever a crossing stroke pulls."""
    ys, xs = _lines_askew(0.0, clutter=True)
    assert photo._fitted_angle(ys, xs, 0.0) == 0.0


def test_a_long_form_scanned_askew_between_the_search_s_steps_loses_its_boxes(shipped):
    """Five-box forms turned 0.6 degrees, in boxes and in a frame: turned back only to the search's
    0.5 or 0.75, their long lines broke into runs too short to be lines, and bits of them stayed
    (4 of these 32 read wrong before)."""
    from bench import forms
    from recognizer.synthetic import font_digits

    x, y = font_digits(60, seed=1)
    wrong = []
    for seed in range(16):
        rng = np.random.default_rng(seed)
        pick = rng.integers(0, 60, 5)
        scans, _ = forms.form(x[pick], rng, tilt=0.6)
        for layout in ("boxes", "frame"):
            read = number_text(shipped.read(ink_canvas(scans[layout])))
            if read != "".join(map(str, y[pick])):
                wrong.append((seed, layout, read))
    assert not wrong


@pytest.mark.parametrize("seed", range(4))
def test_long_runs_are_the_opening_they_stand_for(seed, monkeypatch):
    """photo._long_runs works out the opening with a 1 x length line on the rows with enough ink
    only: the same image as cv2.morphologyEx on every row, runs cut off at the image's edges (which
    the erosion counts as ink: they need only about half the length), odd and even lengths. Small
    images here, so picking the rows is made to apply to them too (RUNS_AREA)."""
    monkeypatch.setattr(photo, "RUNS_AREA", 0)
    rng = np.random.default_rng(seed)
    for _ in range(200):
        h, w = int(rng.integers(1, 30)), int(rng.integers(2, 200))
        image = (rng.random((h, w)) < rng.random()).astype(np.uint8)
        for _ in range(int(rng.integers(0, 4))):  # long runs, some reaching past an edge
            row, start = int(rng.integers(h)), int(rng.integers(-w // 2, w))
            image[row, max(start, 0) : max(start + int(rng.integers(1, w + 1)), 0)] = 1
        length = int(rng.integers(1, w + 3))
        expected = cv2.morphologyEx(image, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
        assert np.array_equal(photo._long_runs(image, length), expected)


def test_a_frame_gives_a_canvas_box_on_the_picture_scaled_and_turned_back():
    """The web API answered the boxes of a phone photo on the canvas (scaled to 1,600 px, maybe
    turned straight), not on the image the client sent."""
    scaled = photo.Frame(picture=(3200, 2400), canvas=(1600, 1200))
    assert scaled.to_picture((10, 20, 30, 40)) == (20, 40, 60, 80)
    assert scaled.to_picture((1590, 1190, 10, 10)) == (3180, 2380, 20, 20)
    picture = np.zeros((300, 400), np.uint8)
    picture[100:160, 220:250] = 255  # a digit-sized block, 30 x 60 px, at (220, 100)
    for angle in (3.0, -7.5):
        turned = cv2.warpAffine(picture, cv2.getRotationMatrix2D((200, 150), angle, 1.0), (400, 300))
        ys, xs = np.nonzero(turned > 127)
        box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
        x, y, w, h = photo.Frame(picture=(400, 300), canvas=(400, 300), angle=angle).to_picture(box)
        assert x <= 220 and y <= 100 and x + w >= 250 and y + h >= 160  # it holds the block ...
        assert w * h <= 1.8 * 30 * 60  # ... and little more (the box of a box turned, then turned back)
    corner = photo.Frame(picture=(400, 300), canvas=(400, 300), angle=10.0).to_picture((0, 0, 20, 20))
    assert corner[0] >= 0 and corner[1] >= 0  # never off the picture


def test_a_thin_fill_in_line_scanned_askew_goes_whole(shipped):
    """A form's 1-px fill-in line fed 1 degree askew (tests/fixtures/photos: bench.forms' scan of
    a 'val' person's "2252"): turned straight, the line smears over three rows, the outer two broken
    every few px where it stepped from row to row. Those rows made no unbroken run, so the line was
    measured one px thick and they, three px thick, were taken for a pen stroke lying on it: the
    line stayed and read "2252?" ('val' people's numbers on a fill-in line 1 degree askew, 200: 88.5%
    read exactly, 95.0% straight)."""
    path = PHOTOS / "fill_in_line_askew_2252.png"
    assert number_text(shipped.read_picture(load_canvases(path))) == "2252"


def test_a_stroke_from_a_box_s_side_is_no_line_across():
    """A 2's long base running from its box's side: at the edge of the comb's crop the opening
    lent it a run across half its length, so it parted the box in two and no side reached from
    line to line (a 'val' form 1 degree askew read "216" as "1211161", its sides read as 1s)."""
    canvas = form_lines((190, 410), 40, 40, 110, 3, 3, comb=True)
    canvas[100:105, 42:140] = 255  # the base, from the first box's left side, a third of the comb wide
    across, sides = photo._form_boxes(canvas > 0)
    assert not across[98:107].any()  # the stroke is no line, and stays with its digit
    assert sides[50:120, 40:43].all() and sides[50:120, 370:373].all()  # the boxes are found


@pytest.mark.parametrize("name, number", [("boxes_askew_216.png", "216"), ("boxes_askew_3044.png", "3044")])
def test_a_form_askew_is_turned_straight_and_its_boxes_go(shipped, name, number):
    """Two forms of 'val' people fed 1 degree askew (tests/fixtures/photos). "216": the 2's base,
    from its box's side, was taken for a line across, and the boxes were not found ("1211161").
    "3044": askew, its short boxes show as many upright sides as turned straight, and a form was
    turned only for more sides; left askew, the ends of its lines read as a 1 ("13044" once no
    stroke was taken for a line across). Turned, its lines run straight."""
    path = PHOTOS / name
    assert number_text(shipped.read_picture(load_canvases(path))) == number


def test_a_pen_stroke_along_a_line_with_soft_edges_is_no_part_of_it():
    """Ruled lines turned straight have soft edges, ink too faint to be writing on both sides,
    broken every few px where the line stepped from row to row: bridged, they are part of the line
    but do not make it thicker, so that a pen stroke lying along it (a 4's crossbar, an underline)
    is still thicker than the line and stays (measured with them, 2 px of line read 6, and an
    independent review found such strokes cut away as line: "8964" read "896?")."""
    canvas = np.zeros((200, 800), np.uint8)
    for row in (50, 150):  # two ruled lines, 2 px, each edge 2 px of faint ink, broken every 20 px
        canvas[row : row + 2] = 255
        canvas[[row - 2, row - 1, row + 2, row + 3]] = INK_LEVEL // 2
        canvas[[row - 2, row - 1, row + 2, row + 3], ::20] = 0
    canvas[146:155, 300:420] = 255  # a pen stroke 9 px thick lying along the second
    lines = photo._lines(canvas)
    assert lines is not None
    assert lines.across[150:152, :250].all() and lines.across[150:152, 470:].all()
    assert not lines.across[146:155, 310:410].any()


def test_a_light_ruled_line_is_taken_whole():
    """A light ruled line (a pale blue one, in grey) has only its middle row above INK_LEVEL: it is
    as thick as its unbroken runs of ink, not as that row, or the whole line passed for a pen
    stroke lying on itself and stayed, and a number written across it went with it as a fill-in
    line (an independent review's "635": "no ink found")."""
    canvas = np.zeros((200, 800), np.uint8)
    for row in (50, 150):  # two ruled lines, 5 px of faint ink, the middle one above INK_LEVEL
        canvas[row - 2 : row + 3] = np.array([30, 45, INK_LEVEL + 30, 45, 30], np.uint8)[:, None]
    lines = photo._lines(canvas)
    assert lines is not None
    assert lines.across[[50, 150]].all()


def test_a_pen_stroke_along_a_blurred_dark_line_stays():
    """A dark printed line, blurred, has an unbroken fringe too faint to be writing: the line is as
    thick as its ink above INK_LEVEL, not as the fringe's runs (measured so, a second independent
    review found strokes along such lines cut away: "3744" read "3714")."""
    canvas = np.zeros((200, 800), np.uint8)
    for row in (50, 150):  # two printed lines, 3 px, a 1-px fringe each side
        canvas[row - 1 : row + 2] = 255
        canvas[[row - 2, row + 2]] = INK_LEVEL // 2
    canvas[146:156, 300:420] = 255  # a pen stroke 10 px thick lying along the second
    lines = photo._lines(canvas)
    assert lines is not None
    assert lines.across[149:152, :250].all()
    assert not lines.across[146:156, 310:410].any()


def small_page(text: str, light: np.ndarray | None = None, ruled: bool = False) -> np.ndarray:
    """A 300 px square picture (under EVEN_LIGHT_SIDE) of `text` in OpenCV's script font, about 130
    px tall with strokes 9-10 px wide, in dark ink on paper lit by `light` (shares of the light, or
    evenly), with light blue ruled lines 48 px apart and a red margin line if `ruled`: grey, as
    a colour photo is loaded."""
    rng = np.random.default_rng(2)
    page = np.full((300, 300, 3), (235, 238, 240), np.float32) + rng.normal(0, 4, (300, 300, 1))
    if ruled:
        for y in range(40, 300, 48):
            cv2.line(page, (0, y), (300, y), (220, 180, 150), 2)
        cv2.line(page, (60, 0), (60, 300), (150, 150, 230), 2)
    if light is not None:
        page *= light[..., None]
    page = np.clip(page, 0, 255).astype(np.uint8)
    scale, thick = (5, 9) if ruled else (6, 10)
    cv2.putText(page, text, (90, 230), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, (40, 30, 25), thick, cv2.LINE_AA)
    return cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)


@pytest.mark.parametrize("kind", ["gradient", "shadow"])
def test_a_small_crop_in_uneven_light_is_read(tmp_path, shipped, kind):
    """A picture under 400 px was read as evenly lit, one paper level (photo.EVEN_LIGHT_SIDE): lit
    60% to 100% from top to bottom, or its left third in a hard shadow at 60%, its darker paper read
    as ink or left no contrast ("no ink found"). Where one level finds no ink it is read as a larger
    picture is, its paper followed by a grey closing."""
    assert photo.EVEN_LIGHT_SIDE > 300
    ys, xs = np.mgrid[0:300, 0:300]
    light = 0.6 + 0.4 * ys / 299 if kind == "gradient" else np.where(xs < 100, 0.6, 1.0)
    for digit in "35":
        page = small_page(digit, light.astype(np.float32))
        assert number_text(shipped.read_picture(load_canvases(save(tmp_path, "uneven.png", page)))) == digit


def test_a_blank_small_crop_in_a_vignette_has_no_ink(tmp_path):
    """The grey closing took a picture's border as lit as the paper a window in: a vignette darker
    towards the sides read as a band of ink along the frame, and bits of it as digits ("5??1") once
    small pictures could fall back on the closing. The paper is now continued past the frame as its
    light runs (photo._closing)."""
    ys, xs = np.mgrid[0:120, 0:120] / 120
    paper = PAPER * (1 - 0.5 * ((xs - 0.5) ** 2 + (ys - 0.5) ** 2) * 2)
    page = on_paper(np.zeros((120, 120), np.uint8), paper.astype(np.float32))
    with pytest.raises(ImageError, match="no ink found"):
        load_canvases(save(tmp_path, "vignette.png", page))


def test_a_digit_written_across_ruled_lines_keeps_them_lines(tmp_path, shipped):
    """A digit written three lines tall on ruled paper: the lines its bold strokes cross were
    measured as thick as all their ink over their length, the digit's in it, too thick for lines;
    they stayed, joined by the digit, and went with it ("no ink found", "?2???"). A line is now as
    thick as it is in most of its length (the median across)."""
    for digit in "0235":
        page = small_page(digit, ruled=True)
        assert number_text(shipped.read_picture(load_canvases(save(tmp_path, f"ruled-{digit}.png", page)))) == digit


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_a_blank_page_of_specks_has_no_ink(tmp_path, seed):
    """Blank paper with a sensor's noise, saved as a rough JPEG: its darkest specks (1-3 px) were the
    only ink and each read "?", a row of thirty. Ink all in marks too small to read as a digit
    (reject's rule for pictures) is no writing."""
    rng = np.random.default_rng(seed)
    page = np.clip(218 + rng.normal(0, 4, (300, 300)), 0, 255).astype(np.uint8)
    with pytest.raises(ImageError, match=r"no ink found \(only specks, or writing too small to read\)"):
        load_canvases(save(tmp_path, "blank.jpg", page, quality=60))


@pytest.mark.parametrize("name", sorted(p.name for p in PHOTOS.glob("blank_*.jpg")))
def test_a_blank_crop_in_uneven_light_has_no_ink(name):
    """A crop under EVEN_LIGHT_SIDE whose one paper level finds no ink falls back on the grey closing;
    on blank paper that found bits of a shadow's edge, a grid or grain and read them as marks. Its
    reading stands only with a mark CROP_WRITING of the crop's side long (a crop is of writing)."""
    assert max(cv2.imread(str(PHOTOS / name), cv2.IMREAD_GRAYSCALE).shape) < photo.EVEN_LIGHT_SIDE
    with pytest.raises(ImageError, match="no ink found"):
        load_canvases(PHOTOS / name)


def test_a_digit_written_big_with_a_fine_pen_is_no_line(tmp_path, shipped):
    """A digit 450 px tall drawn with a 7 px pen (1.6% of its height): its box's longer side is over
    LINE_LIKE (40) of its stroke widths, so it was taken for a line and dropped ("no ink found" for
    0, 2, 5, 8; "7?" for a 3). Curved, not reaching across the frame, and with nothing else written,
    it is writing (photo._Pieces.thin_writing)."""
    for digit in "02358":
        page = on_paper(number_ink(digit, (600, 450), 100, 60, 450, 7))
        assert number_text(shipped.read_picture(load_canvases(save(tmp_path, f"fine-{digit}.png", page)))) == digit


def test_a_number_written_big_with_a_fine_pen_beside_print_is_writing(tmp_path, shipped):
    """Digits 420 px tall drawn with an 8 px pen under a printed word ("Page"): the word's letters
    were the only digit-like pieces, so the digits, as long for their pen as lines, were no writing
    and the picture read the word alone (an outside review's big ballpoint digits under a caption: 6
    of 30 right). Two or more such curves, shaped as digits and far taller than the print, are a
    number (photo._Pieces.thin_number); the word, a line of text, is left out."""
    for number in ("323", "3 2"):
        ink = number_ink(number.replace(" ", "0"), (900, 1200), 100, 300, 420, 8)
        if " " in number:  # a 1 drawn as one straight upright stroke: no curve (THIN_ONES)
            ink[:, 420:740] = 0
            cv2.line(ink, (560, 310), (540, 715), 255, 8)
        cv2.putText(ink, "Page", (60, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 255, 2, cv2.LINE_AA)
        page = on_paper(ink)
        read = number_text(shipped.read_picture(load_canvases(save(tmp_path, "caption.png", page))))
        assert read == number.replace(" ", "1")


def test_digits_either_side_of_line_like_are_one_number(tmp_path, shipped):
    """Three digits of one number, one pen: "9" a little bolder for its size than LINE_LIKE allows a
    line, "5" and "0" a little finer, were read "9" alone. Digit-shaped curves as tall as the digit-
    like writing beside them are writing with it (photo._Pieces.thin_number)."""
    page = on_paper(rasterize(number_strokes("509", 100, 300, 220, 420, 300), (900, 1200), 8))
    assert number_text(shipped.read_picture(load_canvases(save(tmp_path, "509.png", page)))) == "509"


@pytest.mark.parametrize("shape", ["circle", "initials"])
def test_fine_curves_beside_a_number_are_no_digits(tmp_path, shipped, shape):
    """A circle drawn round a number, or a signature's two zigzags three times as tall beside it,
    with a pen as fine as a line's for its size: one curve taller than the writing, or curves whose
    pen paths are longer than a digit's, are no digits (photo.THIN_DIGITS, THIN_PATH); the number
    reads alone."""
    ink = number_ink("47", (900, 1200), 500, 400, 100, 9)
    if shape == "circle":
        cv2.ellipse(ink, (585, 450), (170, 150), 0, 0, 360, 255, 3, cv2.LINE_AA)
    for x in (750, 930) if shape == "initials" else ():
        t = np.linspace(0, 1, 300)
        path = np.stack([x + 120 * t + 10 * np.cos(10 * np.pi * t), 350 + 150 * np.sin(10 * np.pi * t)], axis=1)
        ink = np.maximum(ink, rasterize([path.tolist()], ink.shape, 4))
    page = on_paper(ink)
    assert number_text(shipped.read_picture(load_canvases(save(tmp_path, f"{shape}.png", page)))) == "47"


def test_a_printed_boxs_corners_round_a_number_are_no_digits(shipped):
    """A printed form photographed in perspective, "119309" handwritten in a thin box: cut by the
    page's lines, the box's corners are two thin curves far taller than the digits, as a number
    written big with a fine pen is, and they took the number over ("??1?1??"). Far taller curves
    count as digits only with no other writing amid them (photo._Pieces.thin_number, amid)."""
    rows = number_text(shipped.read_picture(load_canvases(PHOTOS / "form_box_perspective_119309.jpg")))
    assert "119309" in rows.split()


@pytest.mark.parametrize(
    "picture",
    [np.zeros((40, 40), np.float32), np.zeros((40, 40, 3), np.uint8), np.zeros((40, 40), np.uint16), [[0, 255]]],
    ids=["float", "RGB", "16-bit", "list"],
)
def test_a_picture_that_is_no_2d_uint8_array_is_refused_in_one_line(picture):
    """ink_canvas took only what images.load_gray makes: any other array failed inside OpenCV
    (cv2.error) or NumPy (IndexError), a list with an AttributeError."""
    with pytest.raises(ImageError, match="a picture is a 2-D uint8 grayscale array"):
        ink_canvas(picture)


def hand_drawn(corners: list[tuple[float, float]], seed: int) -> list[list[tuple[float, float]]]:
    """A stroke through the corners as a hand draws it: straight sides that drift a few px off."""
    dense = np.concatenate([np.linspace(a, b, 40) for a, b in zip(corners, corners[1:])])
    dense += np.random.default_rng(seed).normal(0, 2, dense.shape).cumsum(axis=0) * 0.05
    return [[(float(x), float(y)) for x, y in dense]]


@pytest.mark.parametrize("seed", range(8))
def test_a_box_drawn_round_a_number_by_hand_reads_without_it(tmp_path, shipped, seed):
    """A user trial: a total boxed by hand. The box was found, but the slivers its sides left where
    they drifted off upright read as 1s either side ("13731" for "373", 17 of 20 photos)."""
    ink = number_ink("373", (900, 1200), 480, 330, 160, 18)
    corners = [(420, 270), (900, 276), (896, 540), (424, 536), (420, 284)]
    box = rasterize(hand_drawn(corners, seed), ink.shape, 8)
    canvas = load_image(save(tmp_path, "boxed.png", on_paper(np.maximum(ink, box))))
    assert number_text(shipped.read(canvas, picture=True)) == "373"


def test_a_pen_lying_on_the_page_off_the_frame_is_not_read(tmp_path, shipped):
    """A user trial: a pen lying on the page, running off the photo's edge a writing's height or
    more from the number, read as a line of its own, "58 1"."""
    ink = number_ink("58", (600, 900), 300, 150, 120, 11)
    pen = rasterize([[(640.0, 420.0), (900.0, 600.0)]], ink.shape, 26)
    canvas = load_image(save(tmp_path, "pen.png", on_paper(np.maximum(ink, pen))))
    assert number_text(shipped.read(canvas, picture=True)) == "58"


@pytest.mark.parametrize("speck", [0, 3, 8])
def test_a_tight_crop_s_digits_cut_by_the_frame_are_read(tmp_path, shipped, speck):
    """An outside review of the pen's rule: a number cropped to its ink's top and bottom (every
    digit cut by the frame) with a speck or a dot in the margin, the one piece left whole, read "4"
    or "17" for "2024"; and a line of writing cut by the top edge, far above the next, was dropped."""
    ink = number_ink("2024", (300, 700), 60, 100, 100, 9)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] - 20 : cols[-1] + 40].copy()
    if speck:
        cv2.circle(crop, (crop.shape[1] - 18, crop.shape[0] // 2), speck, 255, -1)
    canvas = load_image(save(tmp_path, "tight.png", on_paper(crop)))
    assert number_text(shipped.read(canvas, picture=True)) == "2024"
    lines = np.maximum(number_ink("123", (600, 600), 100, 40, 100, 9), number_ink("456", (600, 600), 100, 270, 100, 9))
    top = np.flatnonzero(lines.any(axis=1))[0] + 3  # the first line's tops cut off
    canvas = load_image(save(tmp_path, "lines.png", on_paper(lines[top:])))
    assert number_text(shipped.read(canvas, picture=True)) == "123 456"


def test_a_finger_in_the_photo_leaves_the_thin_digits_whole(tmp_path, shipped):
    """A user trial: a finger at the photo's lower edge, beside a number written with a fine pen.
    Its blob made the digits specks beside it, and the number read "1" (74%) where it read "74"."""
    ink = number_ink("74", (900, 1200), 560, 300, 110, 4)
    finger = np.zeros(ink.shape, np.uint8)
    cv2.ellipse(finger, (800, 900), (95, 260), -12, 0, 360, 255, -1)
    page = on_paper(np.maximum(ink, finger // 2))  # a finger is a shade lighter than ink
    canvas = load_image(save(tmp_path, "finger.png", page))
    assert number_text(shipped.read(canvas, picture=True)) == "74"


def test_two_specks_whole_in_a_tight_crop_are_no_writing(tmp_path, shipped):
    """A second review: the tight crop's digits all cut by the frame, and two specks whole beside
    them, taken for "the writing": the digits, taller and far from them, went ("2024" read "17 17").
    The writing is pieces a few of their strokes' widths tall: specks and dots are none."""
    ink = number_ink("2024", (300, 700), 60, 100, 100, 9)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] - 20 : cols[-1] + 40].copy()
    h, w = crop.shape
    cv2.circle(crop, (w - 12, h // 3), 3, 255, -1)
    cv2.circle(crop, (w - 25, 3 * h // 4), 3, 255, -1)
    canvas = load_image(save(tmp_path, "specks.png", on_paper(crop)))
    assert number_text(shipped.read(canvas, picture=True)) == "2024"


def test_a_fine_pen_s_1_by_a_bold_printed_side_is_no_sliver(tmp_path, shipped):
    """A second review: a 1 written with a 2 px pen close to a comb's 8 px side was taken for a
    sliver the side left ("1740" read "740"): slivers are thinner than half the writing's strokes too."""
    strokes = [[(109.0, 118.0), (106.0, 205.0)]]
    for k, digit in enumerate("740"):
        strokes += number_strokes(digit, 245 + 120 * k, 120, 65, 90, 0, 3 + k)
    page = np.maximum(rasterize(strokes, (400, 800), 2), form_lines((400, 800), 100, 100, 120, 4, 8, True))
    canvas = load_image(save(tmp_path, "comb.png", on_paper(page)))
    assert number_text(shipped.read(canvas, picture=True)) == "1740"


def test_empty_printed_boxes_still_go(tmp_path, shipped):
    """A second review of a rule measured and not kept (an empty box alone taken for a square 0):
    an empty comb under a filled one read "1111111", a checkbox beside a number "?"."""
    shape = (560, 680)
    ink = np.zeros(shape, np.uint8)
    for k, digit in enumerate("2718"):
        ink = np.maximum(ink, number_ink(digit, shape, 100 + k * 80 + 16, 112, 56, 6))
    combs = np.maximum(form_lines(shape, 100, 100, 80, 4, 2, True), form_lines(shape, 100, 330, 80, 6, 2, True))
    canvas = load_image(save(tmp_path, "combs.png", on_paper(np.maximum(ink, combs))))
    assert number_text(shipped.read(canvas, picture=True)) == "2718"
    ink = number_ink("4096", (450, 900), 250, 130, 110, 8)
    cv2.rectangle(ink, (700, 160), (760, 220), 255, 2)
    canvas = load_image(save(tmp_path, "checkbox.png", on_paper(ink)))
    assert number_text(shipped.read(canvas, picture=True)) == "4096"


def pencil_drawing(text: str, shape: tuple[int, int], height: int, light: bool = False) -> np.ndarray:
    """`text` drawn as a paint program's 1 px pencil draws it: two shades, no anti-aliasing, dark
    on white (or white on black: light)."""
    picture = np.full(shape, 255, np.uint8)
    for stroke in number_strokes(text, 40, (shape[0] - height) / 2, 0.6 * height, height, 0.8 * height, seed=5):
        cv2.polylines(picture, [np.round(np.asarray(stroke)).astype(np.int32)], False, 0, 1, cv2.LINE_8)
    return 255 - picture if light else picture


@pytest.mark.parametrize("height, light", [(150, False), (300, False), (150, True), (20, False)])
def test_a_number_drawn_with_a_1_px_pencil_is_read(tmp_path, shipped, height, light):
    """A paint program's 1 px pencil draws strokes as thin as ruled lines: a drawing of a few
    hundred px read "no ink found" (only ruled lines), or lost a 4's stem as a line. It is drawn
    again with a pen of a sixteenth of the writing's height (3 px at least, so a small one stays)."""
    shape = (max(2 * height, 60), int(80 + 4 * 0.8 * height))
    picture = pencil_drawing("4718", shape, height, light)
    ink = picture if light else 255 - picture
    blocks = cv2.erode(ink, np.ones((2, 2), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    assert np.count_nonzero(blocks) < photo.ONE_PX_BLOCKS * np.count_nonzero(ink)  # a 1 px pencil's
    path = save(tmp_path, "pencil.png", picture)
    assert number_text(shipped.read_picture(load_canvases(path))) == "4718"


@pytest.mark.parametrize("around", ["frame", "grid", "ruled", "dust"])
def test_lines_and_dust_around_a_1_px_pencil_s_number_stay_as_they_are(tmp_path, shipped, around):
    """An outside review: with a 1 px frame or grid, the largest piece, the pen was the frame's
    height / 16 and the digits blobs ("4718" read "??"); 1 px ruled lines drawn again as thick
    as the digits took them away with them ("no ink found"); dust drawn again read as decimal
    points ("7479" read "7.479"). Lines and specks stay 1 px; only the writing is drawn again."""
    shape = (300, 560)
    picture = pencil_drawing("4718", shape, 150)
    if around == "frame":
        cv2.rectangle(picture, (5, 5), (shape[1] - 6, shape[0] - 6), 0, 1)
    elif around == "grid":  # the number in a table's cell
        picture[[10, 45, 255, 290], :] = 0
        picture[:, [10, 25, 535, 550]] = 0
    elif around == "ruled":
        picture[30::45, :] = 0
    else:
        rng = np.random.default_rng(3)
        picture[rng.integers(0, shape[0], 40), rng.integers(0, shape[1], 40)] = 0
    drawn = photo._pencil_drawn_again(picture)
    digits = pencil_drawing("4718", shape, 150) == 0
    near = cv2.dilate(digits.astype(np.uint8), np.ones((25, 25), np.uint8)) > 0
    assert np.array_equal(drawn[~near], picture[~near])  # lines and dust as they were, away from the digits
    assert np.count_nonzero((drawn == 0) & near) > 3 * np.count_nonzero(digits)  # the digits drawn bolder
    path = save(tmp_path, "pencil.png", picture)
    assert number_text(shipped.read_picture(load_canvases(path))) == "4718"


def test_only_a_two_shade_drawing_with_a_1_px_pencil_is_drawn_again():
    """A bolder pen's drawing, a grey picture and a drawing whose pencil is 1 px are told apart:
    only the last is drawn again, with its strokes where they were."""
    pencil = pencil_drawing("4718", (300, 560), 150)
    again = photo._pencil_drawn_again(pencil)
    assert set(np.unique(again)) == {0, 255}
    assert np.all(again[pencil == 0] == 0)  # every stroke kept where it was ...
    assert 5 <= photo._stroke_width(again < 128) <= 15  # ... about 150 / 16 px wide
    bold = cv2.erode(pencil, np.ones((3, 3), np.uint8))
    assert photo._pencil_drawn_again(bold) is bold
    grey = np.where(pencil == 0, 40, 230).astype(np.uint8)
    grey[0, 0] = 100
    assert photo._pencil_drawn_again(grey) is grey
