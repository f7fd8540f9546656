"""Several digits on one canvas: segmentation (recognizer.segment) and Recognizer.read."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recognizer.ink import ink_from_canvas
from recognizer.predictor import number_text
from recognizer.segment import find_digits, group_by_x_overlap, x_overlap
from recognizer.strokes import rasterize
from recognizer.synthetic import compose_number, digit_strokes, font_digits

WIDTH = 10  # brush, px


def segment(canvas, strokes=None):
    """Boxes (x, y, w, h) of the digits found on the canvas, left to right."""
    return [s.box for s in find_digits(ink_from_canvas(canvas), strokes)]


@pytest.fixture(scope="module")
def fonts():
    return font_digits(200, seed=3)


def number_strokes(digits, height=120, gap=24, rng=None, jitter=0.0):
    """Strokes of a number drawn digit by digit (a box 0.6 x height each); and the canvas size."""
    strokes, x = [], 30.0
    for d in digits:
        strokes += digit_strokes(int(d), box=(x, 40, 0.6 * height, height), rng=rng, jitter=jitter)
        x += 0.6 * height + gap
    return strokes, (height + 80, int(x + 30))


def unit(strokes, box=(100, 40, 120, 200)):
    """Strokes given in a unit box placed at box (x, y, w, h)."""
    x0, y0, w, h = box
    return [[(x0 + px * w, y0 + py * h) for px, py in s] for s in strokes]


# Digits people draw in pieces that do not touch: each must stay one digit.
PIECES = {
    "5, flag apart": [
        [(0.32, 0.14), (0.28, 0.45), (0.5, 0.4), (0.7, 0.52), (0.72, 0.72), (0.58, 0.88), (0.25, 0.84)],
        [(0.4, 0.06), (0.78, 0.06)],
    ],
    "7, crossbar apart": [[(0.2, 0.1), (0.8, 0.1), (0.45, 0.92)], [(0.32, 0.52), (0.5, 0.52)]],
    "4, stem broken": [[(0.58, 0.1), (0.22, 0.62), (0.85, 0.62)], [(0.64, 0.72), (0.64, 0.98)]],
    "1 with a dot": [[(0.5, 0.3), (0.5, 0.95)], [(0.5, 0.08)]],
}


def test_blank_canvas_has_no_digits():
    assert segment(np.zeros((100, 300), np.uint8)) == []
    assert segment(np.zeros((100, 300), np.uint8), strokes=[]) == []


def test_x_overlap_and_grouping():
    assert x_overlap((0, 10), (5, 30)) == pytest.approx(0.5)
    assert x_overlap((0, 10), (10, 20)) == 0.0
    assert x_overlap((0, 100), (40, 50)) == 1.0
    # a narrow piece over a wide one joins it; pieces side by side, or barely overlapping, stay apart
    assert group_by_x_overlap([(0, 50), (60, 100), (20, 30), (65, 90)]) == [[0, 2], [1, 3]]
    assert group_by_x_overlap([(0, 50), (45, 70)]) == [[0], [1]]
    assert group_by_x_overlap([(0, 20), (8, 40), (30, 36)]) == [[0, 1, 2]]
    assert group_by_x_overlap([(0, 50), (40, 90), (80, 130)]) == [[0], [1], [2]]


@pytest.mark.parametrize("digit", [4, 9])
@pytest.mark.parametrize("jitter", [0.0, 0.05])
def test_two_stroke_digits_stay_one_digit(digit, jitter):
    strokes = digit_strokes(digit, 400, rng=np.random.default_rng(digit), jitter=jitter)
    assert len(strokes) == 2
    canvas = rasterize(strokes, (400, 400), WIDTH)
    assert len(segment(canvas, strokes)) == 1
    assert len(segment(canvas)) == 1


@pytest.mark.parametrize("name", PIECES)
def test_digit_in_separate_pieces_stays_one_digit(name):
    strokes = unit(PIECES[name])
    canvas = rasterize(strokes, (300, 320), WIDTH)
    assert len(segment(canvas)) == 1
    assert len(segment(canvas, strokes)) == 1
    # ... and next to another digit, it is still one digit and its neighbour another
    ones = unit([[(0.5, 0.05), (0.5, 0.95)]], box=(260, 40, 120, 200))
    both = rasterize(strokes + ones, (300, 420), WIDTH)
    assert len(segment(both, strokes + ones)) == 2
    assert len(segment(both)) == 2


def test_pieces_really_are_apart():
    """The PIECES cases test merging only if their strokes do not touch on the canvas."""
    import cv2

    for name, strokes in PIECES.items():
        canvas = rasterize(unit(strokes), (300, 320), WIDTH)
        assert cv2.connectedComponents((canvas > 64).astype(np.uint8))[0] - 1 == 2, name


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), length=st.integers(2, 6))
def test_composed_numbers_segment_into_their_digits(fonts, seed, length):
    """Font digits composed as numbers (random gaps with slight overlaps of the boxes, sizes,
    baselines): one box per digit, left to right, each on its digit."""
    x, _ = fonts
    rng = np.random.default_rng(seed)
    canvas, truth = compose_number(list(x[rng.choice(len(x), length, replace=False)]), rng)
    boxes = segment(canvas)
    assert len(boxes) == length
    for (bx, by, bw, bh), (tx, ty, tw, th) in zip(boxes, truth):
        inter_w = min(bx + bw, tx + tw) - max(bx, tx)
        inter_h = min(by + bh, ty + th) - max(by, ty)
        assert inter_w > 0 and inter_h > 0
        iou = inter_w * inter_h / (bw * bh + tw * th - inter_w * inter_h)
        assert iou > 0.7


def test_strokes_part_touching_digits():
    # "77" drawn so close that the top bars run together: one piece of ink, two digits by strokes
    strokes = unit([[(0.1, 0.1), (0.45, 0.1), (0.25, 0.92)], [(0.5, 0.1), (0.85, 0.1), (0.65, 0.92)]])
    canvas = rasterize(strokes, (300, 320), WIDTH)
    assert len(segment(canvas)) == 1
    assert len(segment(canvas, strokes)) == 2


def test_order_is_left_to_right_whatever_the_drawing_order():
    strokes, size = number_strokes([1, 2, 3])
    reordered = strokes[::-1]
    canvas = rasterize(strokes, size, WIDTH)
    boxes = segment(canvas, reordered)
    assert len(boxes) == 3
    assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)
    segs = find_digits(ink_from_canvas(canvas), reordered)
    # stroke indices refer to the list given: the leftmost digit (the 1) is the last stroke
    assert segs[0].strokes == (len(strokes) - 1,)


def test_masks_split_the_ink_between_digits():
    strokes, size = number_strokes([4, 7, 0, 9], gap=-4)  # digits drawn touching
    canvas = rasterize(strokes, size, WIDTH)
    segs = find_digits(ink_from_canvas(canvas), strokes)
    assert len(segs) == 4
    total = np.zeros(canvas.shape, np.int32)
    for s in segs:
        x, y, w, h = s.box
        total[y : y + h, x : x + w] += s.mask
    assert (total[canvas > 64] == 1).all()  # every ink pixel in exactly one digit
    assert (total[canvas <= 64] == 0).all()
    assert sorted(i for s in segs for i in s.strokes) == list(range(len(strokes)))


def test_specks_are_dropped_but_a_lone_dot_is_kept():
    strokes, size = number_strokes([2, 5])
    canvas = rasterize(strokes, size, WIDTH)
    canvas[5:8, size[1] - 10 : size[1] - 7] = 255  # a stray speck in a corner
    assert len(segment(canvas)) == 2
    dot = rasterize([[(50, 50)]], (200, 200), WIDTH)
    assert len(segment(dot)) == 1


def test_read_numbers_drawn_as_strokes(shipped):
    rng = np.random.default_rng(0)
    for digits in ([1, 2, 3], [4, 0, 9, 7], [5, 6, 8, 2, 1, 0]):
        strokes, size = number_strokes(digits, rng=rng, jitter=0.02)
        canvas = rasterize(strokes, size, WIDTH)
        for given_strokes in (strokes, None):
            preds = shipped.read(canvas, given_strokes)
            assert [p.digit for p in preds] == digits
            assert all(p.box is not None and p.image.shape == (28, 28) for p in preds)
            assert [p.box for p in preds] == sorted((p.box for p in preds), key=lambda b: b[0])
        assert number_text(preds) == "".join(map(str, digits))


def test_read_blank_and_single_digit(shipped):
    assert shipped.read(np.zeros((200, 200), np.uint8)) == []
    strokes = digit_strokes(3, 300)
    canvas = rasterize(strokes, (300, 300), 14)
    (pred,) = shipped.read(canvas, strokes)
    single = shipped.predict(canvas)
    assert pred.digit == single.digit == 3
    assert pred.confidence == pytest.approx(single.confidence, abs=1e-4)
    assert pred.unsure is None


def test_number_text_marks_unsure_digits():
    from recognizer.predictor import Prediction

    p = [
        Prediction(4, 0.99, np.zeros(10), np.zeros((28, 28))),
        Prediction(2, 0.3, np.zeros(10), np.zeros((28, 28)), unsure="low confidence"),
    ]
    assert number_text(p) == "4?"
    assert number_text([]) == ""


def test_a_short_mark_left_of_the_digits_comes_first():
    """A minus sign drawn in front of "12" (after the digits, as people add one) stays a piece of
    its own, too far from the 1 to join it, and is listed first: segments come left to right by
    their boxes, whatever order the pieces were found or drawn in."""
    digits = digit_strokes(1, box=(100, 40, 72, 120)) + digit_strokes(2, box=(196, 40, 72, 120))
    strokes = digits + [[(20.0, 100.0), (60.0, 100.0)]]  # the minus, drawn last
    canvas = rasterize(strokes, (200, 300), WIDTH)
    for known in (None, strokes):
        boxes = segment(canvas, known)
        assert len(boxes) == 3
        assert boxes[0][0] < 20 and boxes[0][0] + boxes[0][2] < 70  # the minus
        assert [b[0] + b[2] / 2 for b in boxes] == sorted(b[0] + b[2] / 2 for b in boxes)
    segs = find_digits(ink_from_canvas(canvas), strokes)
    assert segs[0].strokes == (len(strokes) - 1,)


# Digits with a piece that grouping by x-overlap leaves apart (it overlaps the digit by less than
# MERGE_OVERLAP of its width, or lies beside it): only the fragment rule joins it.
FRAGMENTS = {
    "5, long flag to the right": [
        [(0.32, 0.14), (0.28, 0.45), (0.5, 0.4), (0.7, 0.52), (0.72, 0.72), (0.58, 0.88), (0.25, 0.84)],
        [(0.55, 0.06), (1.1, 0.06)],
    ],
    "4, bar end broken off": [
        [(0.58, 0.1), (0.22, 0.62), (0.75, 0.62)],
        [(0.64, 0.1), (0.64, 0.98)],
        [(0.9, 0.62), (1.25, 0.62)],
    ],
}


@pytest.mark.parametrize("name", FRAGMENTS)
def test_a_fragment_beside_its_digit_is_merged_into_it(name):
    """A piece much shorter than the digit (a 5's flag drawn long, the broken-off end of a 4's bar)
    that x-overlap grouping does not absorb is joined to the digit it overlaps or nearly touches
    (segment._merge_fragments): one digit whose box holds all the ink, not a digit and a stray mark."""
    import cv2

    strokes = unit(FRAGMENTS[name])
    canvas = rasterize(strokes, (300, 320), WIDTH)
    assert cv2.connectedComponents((canvas > 64).astype(np.uint8))[0] - 1 == 2  # the fragment is apart
    ink = ink_from_canvas(canvas)
    for known in (None, strokes):
        assert segment(canvas, known) == [ink.box]
    assert find_digits(ink, strokes)[0].strokes == tuple(range(len(strokes)))
