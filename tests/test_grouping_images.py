"""Segmentation of images (no strokes) by recognition: where touching digits are cut, and which
candidates are read (recognizer.grouping's image side)."""

import cv2
import numpy as np
import pytest

from recognizer import grouping
from recognizer.grouping import group_digits
from recognizer.ink import ink_from_canvas, stroke_width
from recognizer.predictor import Recognizer, number_text
from recognizer.preprocess import ink_to_mnist
from recognizer.strokes import rasterize
from recognizer.synthetic import DIGIT_STROKES, place_strokes
from tests.test_grouping import counting, models

HEIGHT = 160  # px, a digit's box


def write(*digits: int, gap: float, pen: int) -> np.ndarray:
    """Digits written left to right, each 0.6 as wide as tall, `gap` px apart (negative: their
    boxes overlap), with a pen `pen` px wide."""
    strokes, x = [], 30.0
    for d in digits:
        strokes += place_strokes(DIGIT_STROKES[d], box=(x, 60, 0.6 * HEIGHT, HEIGHT))
        x += 0.6 * HEIGHT + gap
    return rasterize(strokes, (HEIGHT + 120, int(x + 0.6 * HEIGHT + 30)), pen)


def stroke_px(image: np.ndarray) -> float:
    """The stroke width of a 28x28 image, in its pixels."""
    big = cv2.resize((image * 255).astype(np.uint8), None, fx=4, fy=4, interpolation=cv2.INTER_LINEAR)
    return stroke_width(big) / 4


def one_piece(canvas: np.ndarray) -> bool:
    return cv2.connectedComponents((canvas > 64).astype(np.uint8))[0] - 1 == 1


@pytest.mark.parametrize(
    ("digits", "gap", "pen"),
    [
        ((0, 8), -35, 40),
        ((7, 2), -35, 40),
        ((5, 0), -20, 40),
        ((4, 5), -35, 28),
        pytest.param(
            (0, 0),
            -20,
            28,
            marks=pytest.mark.xfail(
                strict=True, reason="the touching-digits model reads these two bold template 0s as one character"
            ),
        ),
    ],
)
def test_thick_touching_digits_in_an_image_are_cut(shipped, digits, gap, pen):
    """Neighbours written with a thick pen whose ink runs together (as people's pen numbers do,
    and as the least-ink winding path alone did not part): a straight cut parts them."""
    canvas = write(*digits, gap=gap, pen=pen)
    assert one_piece(canvas)
    assert number_text(shipped.read(canvas)) == "".join(map(str, digits))


def test_straight_cuts_take_the_thinnest_columns_apart():
    """Upright cuts cross the least ink first, never two nearer than CUT_APART heights, at most
    CUTS, none crossing more than CUT_RUNS strokes; left to right."""
    typical, radius = 100.0, 4.0
    mask = np.zeros((100, 300), bool)
    mask[20:80, 30:270] = True  # a slab far too thick to cut ...
    mask[40:48, :] = False  # ... but for a slot across it: two strokes, 52 px of ink a column
    for column in (120, 200):  # and two thin necks, one stroke of 6 px
        mask[:, column - 3 : column + 3] = False
        mask[48:54, column - 3 : column + 3] = True
    cuts = grouping._straight_cuts(mask, typical, radius, slants=(0.0,))
    assert all((path == path[0]).all() for path, _ in cuts)  # upright: one column in every row
    columns = [int(path[0]) for path, _ in cuts]
    assert columns == sorted(columns) and len(cuts) <= grouping.CUTS
    assert all(b - a >= grouping.CUT_APART * typical for a, b in zip(columns, columns[1:]))
    assert all(runs <= grouping.CUT_RUNS for _, runs in cuts)
    assert {117, 197} <= set(columns)  # both necks, at their first column


def leaning_bars(slant: float, gap: int, pen: int, height: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Two parallel bars `gap` px apart leaning by `slant` (x per y, < 0: top to the right, as
    handwriting leans), joined by a thin link at mid height: two leaning 1s that touch. The mask
    of the two, and of the left bar alone, cropped to their ink."""
    width, rows = 160, np.arange(height)
    bars = []
    for centre in (width / 2 - (gap + pen) / 2, width / 2 + (gap + pen) / 2):
        bar = np.zeros((height, width), bool)
        for y, x in zip(rows, centre + slant * (rows - (height - 1) / 2)):
            bar[y, int(round(x - pen / 2)) : int(round(x + pen / 2))] = True
        bars.append(bar)
    link = np.zeros((height, width), bool)
    link[height // 2 - 1 : height // 2 + 2, width // 2 - gap : width // 2 + gap] = True
    mask = bars[0] | bars[1] | link
    inked = np.flatnonzero(mask.any(axis=0))  # cropped to the ink, as a piece is
    return mask[:, inked[0] : inked[-1] + 1], bars[0][:, inked[0] : inked[-1] + 1]


def parts(mask: np.ndarray, left: np.ndarray, path: np.ndarray) -> bool:
    """Whether a cut (its column in every row) leaves the whole left bar on its left and all the
    rest but the link on its right."""
    right_of = np.arange(mask.shape[1])[None, :] >= path[:, None]
    link_rows = np.zeros_like(mask)
    link_rows[mask.shape[0] // 2 - 1 : mask.shape[0] // 2 + 2] = True
    return not (left & right_of & ~link_rows).any() and not (mask & ~left & ~right_of & ~link_rows).any()


def test_leaning_neighbours_are_parted_by_a_slanted_cut():
    """Neighbours that lean as handwriting does overlap in x, so every upright line between them
    slices one or both; a line slanted with them (SLANTS) passes between them, crossing only the
    ink where they touch."""
    typical, radius = 100.0, 4.0
    mask, left = leaning_bars(slant=-0.25, gap=16, pen=8)
    assert not any(parts(mask, left, path) for path, _ in grouping._straight_cuts(mask, typical, radius, (0.0,)))
    between = [(path, runs) for path, runs in grouping._straight_cuts(mask, typical, radius) if parts(mask, left, path)]
    assert len(between) == 1
    path, runs = between[0]
    assert runs == 1 and path[0] > path[-1]  # the link alone, leaning with them


def test_a_cut_crossing_fewer_strokes_wins_where_two_meet(shipped):
    """Of a straight and a winding cut within WINDING_APART heights of each other, the one that
    crosses fewer strokes is kept: two cuts of one boundary would only double the candidates."""
    canvas = write(0, 2, gap=-40, pen=14)
    ink = ink_from_canvas(canvas)
    x, y, w, h = ink.box
    mask, radius = ink.mask[y : y + h, x : x + w], ink.stroke_width / 2
    typical = float(h)
    cuts = grouping._cuts(mask, typical, radius)
    means = [float(path.mean()) for path, _ in cuts]
    assert means == sorted(means)
    found = [
        (float(path.mean()), runs)
        for path, runs in grouping._straight_cuts(mask, typical, radius) + grouping._winding_cuts(mask, typical, radius)
    ]
    for path, runs in cuts:  # no cut dropped for one near it that crosses more strokes
        near = [r for c, r in found if abs(c - path.mean()) < grouping.WINDING_APART * typical]
        assert runs == min(near)
    assert any(runs == 1 for _, runs in cuts)  # the one stroke where the 0 and the 2 touch
    assert number_text(shipped.read(canvas)) == "02"


def test_whole_pieces_are_read_whatever_the_budget():
    """A cut piece is always also read uncut (the reading the rules would give), even when the
    shapes of its slices' groups score better and the budget of candidates is spent on them."""
    candidates = [(0,), (1,), (2,), (0, 1), (1, 2), (0, 1, 2)]
    geometry = np.array([0.0, 0.0, 0.0, -1.0, -1.0, -6.0])
    kept = grouping._keep(candidates, geometry, {(0, 1, 2)}, atoms=3, most=4)
    assert [candidates[k] for k in kept] == [(0,), (1,), (2,), (0, 1, 2)]
    # without a whole piece to keep, the best-shaped group fills the budget
    kept = grouping._keep(candidates, geometry, set(), atoms=3, most=4)
    assert [candidates[k] for k in kept] == [(0,), (1,), (2,), (0, 1)]


def test_a_reading_of_many_atoms_weighs_more_candidates():
    """MAX_CANDIDATES, or CANDIDATES_PER_ATOM an atom where more: a long number's singles and whole
    pieces took most of the 48, and a digit's group ("808005": its 5 and the flag apart) was never
    weighed. The benches that choose as group_digits does (bench.stroke_dev) get the same budget."""
    atoms = 20
    candidates = [(a,) for a in range(atoms)] + [(a, a + 1) for a in range(atoms - 1)] * 3
    geometry = np.zeros(len(candidates))
    assert len(grouping._keep(candidates, geometry, atoms=atoms)) == grouping.CANDIDATES_PER_ATOM * atoms
    assert len(grouping._keep(candidates, geometry, atoms=10)) == grouping.MAX_CANDIDATES


@pytest.mark.parametrize("digits", [(0, 0, 0, 0, 0), (2, 8, 0, 6)])
def test_a_wide_cut_piece_is_a_candidate_whole(digits):
    """Touching digits make one piece, cut in slices: the whole piece is a candidate too, however
    wide. It used to be one only up to MAX_WIDTH heights wide and the priors' count of atoms."""
    ink = ink_from_canvas(write(*digits, gap=-30, pen=24))
    x, y, w, h = ink.box
    atoms = grouping._ink_atoms(ink.mask[y : y + h, x : x + w], ink.stroke_width / 2)
    (piece,) = atoms.whole
    lo, hi = atoms.spans[list(piece)][:, 0].min(), atoms.spans[list(piece)][:, 1].max()
    assert hi - lo > grouping.MAX_WIDTH * atoms.height  # the case that was missed
    candidates = grouping._candidates(atoms)
    assert piece in candidates
    assert candidates == sorted(candidates, key=lambda members: (members[0], len(members)))


def test_an_image_read_stays_within_its_candidate_budget(shipped):
    """A long row of touching digits in an image: at most MAX_CANDIDATES candidates, of which
    both models read only some, each once."""
    calls, readers = counting(shipped)
    ink = ink_from_canvas(write(4, 0, 7, 1, 5, 2, 8, gap=-30, pen=30))
    group_digits(ink, None, *readers)
    candidates = grouping._read_candidates(ink, None)[1]
    assert 7 <= len(candidates) <= grouping.MAX_CANDIDATES
    assert calls["classify"] == calls["detect"] and 7 <= sum(calls["classify"]) < len(candidates)


@pytest.mark.parametrize("digits", [(2, 5), (9, 3)])
def test_bold_digits_in_an_image_are_read_eroded(shipped, digits):
    """Digits written small for their pen (a stroke a third of their height) are read with their
    ink eroded to INK_MAX_PEN of their size: as drawn, their loops fill in (2 -> 8, 5 -> 3)."""
    canvas = write(*digits, gap=30, pen=56)
    groups = group_digits(ink_from_canvas(canvas), None, *models(shipped))
    assert "".join(str(int(g.probabilities.argmax())) for g in groups) == "".join(map(str, digits))
    for g in groups:  # the images read are thinner than the digits' ink as drawn
        assert stroke_px(g.image) < 0.8 * stroke_px(ink_to_mnist(g.ink))


def test_bold_digits_are_read_eroded_among_many_specks_too(shipped):
    """Ink of more than MAX_PIECES pieces (a noisy scan) is grouped by find_digits' rules, and its
    digits read as the candidates' are: eroded where bold. They were read as drawn, loops filled in."""
    canvas = write(2, 5, gap=30, pen=56)
    alone = group_digits(ink_from_canvas(canvas), None, *models(shipped))
    right = max(g.segment.box[0] + g.segment.box[2] for g in alone)
    for k in range(grouping.MAX_PIECES + 6):  # one-pixel specks, right of the digits
        canvas[10 + (k // 6) * 12, right + 20 + (k % 6) * 12] = 255
    noisy = group_digits(ink_from_canvas(canvas), None, *models(shipped))
    assert len(alone) == 2
    for a in alone:
        (b,) = [g for g in noisy if g.segment.box == a.segment.box]
        assert np.array_equal(a.image, b.image)


def test_atoms_boxes_and_pixels_are_those_of_their_labels():
    """_ink_atoms finds boxes and pixel counts from the pieces' stats and the cut pieces' boxes
    only (no pass over the whole image): they are the labels' own, fragments and slices included."""
    canvas = write(4, 0, 7, 1, gap=-30, pen=24)  # touching: pieces cut in slices
    canvas[40:46, 400:406] = 255  # a speck, a piece of its own
    canvas[250:256, 60:90] = 255  # a fragment below the 4, joined to it
    ink = ink_from_canvas(canvas)
    x, y, w, h = ink.box
    atoms = grouping._ink_atoms(ink.mask[y : y + h, x : x + w], ink.stroke_width / 2)
    assert atoms.cuts and len(atoms.boxes) > 4
    boxes, pixels = grouping.label_boxes(atoms.labels, len(atoms.boxes))
    assert np.array_equal(atoms.boxes, boxes) and np.array_equal(atoms.pixels, pixels)


@pytest.mark.parametrize("box", [(60, 300), (100, 100)])
def test_solid_ink_is_never_cut(box):
    """A line with ink in nearly every row runs through solid ink (a marker's bar, a filled box),
    not between touching digits (CUT_SOLID): neither kind of cut takes it, however little else
    the piece has."""
    h, w = box
    mask = np.ones((h, w), bool)  # a piece's mask is cropped to its ink
    for typical in (float(h), 1.0):
        assert grouping._straight_cuts(mask, typical, radius=4.0) == []
        assert grouping._winding_cuts(mask, typical, radius=4.0) == []


@pytest.mark.parametrize("shape", ["bar", "square"])
def test_a_filled_shape_in_an_image_is_one_box_not_a_number(shipped, shape):
    """A marker's bar and a filled box were sliced into a row of "digits" ("??????", a sure
    "101"): each is one box now, and not read as a digit."""
    canvas = np.zeros((640, 640), np.uint8)
    if shape == "bar":
        cv2.line(canvas, (260, 320), (380, 320), 255, 18)
    else:
        cv2.rectangle(canvas, (250, 250), (390, 390), 255, -1)
    read = shipped.read(canvas)
    assert len(read) == 1 and read[0].unsure


def test_read_candidates_are_what_the_image_path_reads(shipped):
    """read_candidates (the detector's training candidates) gives the candidates group_digits reads,
    with the images it reads: the whole piece of two touching digits uncut, and slices of it, one of
    them the left digit's ink alone."""
    canvas = write(0, 8, gap=-35, pen=40)
    ink = ink_from_canvas(canvas)
    found = grouping.read_candidates(ink)
    left = rasterize(place_strokes(DIGIT_STROKES[0], box=(30, 60, 0.6 * HEIGHT, HEIGHT)), canvas.shape, 40) > 64
    assert one_piece(canvas) and len(found) > 2
    whole = [segment for segment, _, cut in found if segment.mask.sum() == (canvas > 64).sum()]
    assert len(whole) == 1 and not [cut for segment, _, cut in found if segment is whole[0]][0]

    def share(segment) -> float:  # of the slice's ink, the left digit's
        x, y, w, h = segment.box
        return (left[y : y + h, x : x + w] & segment.mask).sum() / segment.mask.sum()

    assert any(cut and share(segment) > 0.9 and segment.mask.sum() > 0.6 * left.sum() for segment, _, cut in found)
    groups = group_digits(ink, None, shipped.batch_probabilities, shipped.detector.not_digit)
    images = np.stack([image for _, image, _ in found])
    for group in groups:  # each digit read is a candidate, with the same image
        assert np.abs(images - group.image).reshape(len(images), -1).max(axis=1).min() == 0
    assert grouping.read_candidates(ink_from_canvas(np.zeros((50, 50), np.uint8))) == []


@pytest.mark.parametrize(("text", "read"), [("4MA4", "4??4"), ("7HM2", "7??2"), ("9MN1", "9??1")])
def test_a_letter_beside_a_letter_is_not_cut_into_digits(shipped, monkeypatch, text, read):
    """An image's word: its M, cut into two slices read as sure 1s, made "4MA4" read "411?4" beside
    the A read "not a digit". Beside a letter, slices cost grouping.LETTER_CUT nats more and the row
    is chosen again: the M stays whole, one "?"."""
    from recognizer.synthetic import LETTER_STROKES

    strokes, x = [], 30.0
    for c in text:
        wide = 130 if c in "MW" else 90
        strokes += place_strokes(DIGIT_STROKES[int(c)] if c.isdigit() else LETTER_STROKES[c], box=(x, 60, wide, 150))
        x += wide + 30
    canvas = rasterize(strokes, (280, int(x + 30)), 10)
    assert number_text(shipped.read(canvas)) == read
    monkeypatch.setattr(grouping, "LETTER_CUT", 0.0)
    plain = Recognizer.load(touching=None)  # the touching-digits model alone keeps the M whole too
    assert "1" in number_text(plain.read(canvas))[1:-1]  # cut as before


def test_a_row_of_too_many_pieces_is_read_in_stretches_not_by_the_rules(shipped, monkeypatch):
    """A long number of bold digits cut in more slices than MAX_PIECES (here lowered to what one
    pair makes) is read by recognition a stretch at a time, split at the gaps between its
    touching pairs: the rules read each pair as one blob (10 digits in a row, 'val' people: 17 of
    40 right by the rules, 22 in stretches)."""
    pairs = [write(0, 8, gap=-35, pen=40), write(7, 2, gap=-35, pen=40), write(5, 0, gap=-20, pen=40)]
    canvas = np.concatenate([np.pad(p, ((0, 0), (0, 60))) for p in pairs], axis=1)
    slices = [len(grouping._ink_atoms_of(ink_from_canvas(p), grouping.TOUCHING_CUT_WIDTH).spans) for p in pairs]
    monkeypatch.setattr(grouping, "MAX_PIECES", max(slices))
    assert sum(slices) > grouping.MAX_PIECES
    assert number_text(shipped.read(canvas)) == "087250"
    monkeypatch.setattr(grouping, "_stretches", lambda ink, atoms: [])  # as before: the rules
    assert number_text(shipped.read(canvas)) != "087250"


def counting_stretches(monkeypatch) -> list[int]:
    """Patch grouping._stretches to count the rows it splits; the list grows by one a split."""
    splits, split = [], grouping._stretches
    monkeypatch.setattr(grouping, "_stretches", lambda ink, atoms: splits.append(1) or split(ink, atoms))
    return splits


def test_a_dotted_line_after_a_long_row_goes_with_its_digits(shipped, monkeypatch):
    """A form's dotted line after a number makes a row of too many pieces; a stretch of dots alone
    read its dots as "?"s (a review: "182057?????????..."), as nothing but specks compare them to.
    Split only where digits are on both sides, the dots read as the rules read them: one "?"."""
    canvas = write(3, 7, 1, 4, gap=30, pen=12)
    page = np.pad(canvas, ((0, 0), (0, 600)))
    for j in range(30):
        cv2.circle(page, (canvas.shape[1] + 10 + 18 * j, 220), 3, 255, -1)
    splits = counting_stretches(monkeypatch)
    assert number_text(shipped.read(page)) in ("3714", "3714?")
    assert splits


def test_a_row_of_equal_bars_is_split_about_log_times_not_once_a_bar(shipped, monkeypatch):
    """150 equal bars (a barcode, tally marks): no gap is wider than another, and the first widest
    peeled one bar a split, the rules and the cuts run again for each (600 bars took 29 s)."""
    bars = np.zeros((200, 1540), np.uint8)
    for j in range(150):
        bars[50:150, 20 + 10 * j : 24 + 10 * j] = 255
    splits = counting_stretches(monkeypatch)
    shipped.read(bars)
    assert 0 < len(splits) <= 2 * 150 / grouping.MAX_PIECES


def test_a_band_of_columns_keeps_the_canvas_and_blanks_the_rest():
    """Ink.band with columns: boxes found in a stretch are boxes on the whole canvas."""
    canvas = np.zeros((50, 100), np.uint8)
    canvas[10:20, 5:15] = canvas[30:40, 60:90] = 200
    stretch = ink_from_canvas(canvas).band(0, 50, 40, 100)
    assert stretch.pixels.shape == canvas.shape and stretch.box == (60, 30, 30, 10) and stretch.count == 300
