"""Segmentation by recognition (recognizer.grouping): which strokes or pieces of ink make each digit."""

import itertools

import cv2
import numpy as np
import pytest

from recognizer import grouping
from recognizer.grouping import best_sequence, group_digits
from recognizer.ink import ink_from_canvas, stroke_width
from recognizer.predictor import number_text
from recognizer.reject import NOT_A_DIGIT
from recognizer.strokes import brush_width, rasterize
from recognizer.synthetic import DIGIT_STROKES, LETTER_STROKES, place_strokes

PEN = 14  # px
HEIGHT = 160  # px, a digit's box
SEVEN = [[(0.22, 0.12), (0.78, 0.12), (0.42, 0.9)]]
SEVEN_BAR = [[(0.3, 0.52), (0.72, 0.52)]]
# A 4 whose stem is drawn beside the end of its bar (it touches the bar, crosses nothing)
FOUR_STEM_BESIDE = [[(0.5, 0.1), (0.2, 0.62), (0.62, 0.62)], [(0.64, 0.3), (0.64, 0.95)]]


def write(*characters, gap: float = 30.0) -> tuple[np.ndarray, list]:
    """Characters (digits, letters or unit-box strokes) written left to right: canvas, strokes."""
    strokes, x = [], 30.0
    for c in characters:
        unit = DIGIT_STROKES[c] if isinstance(c, int) else LETTER_STROKES[c] if isinstance(c, str) else c
        width = (0.6 if isinstance(c, int) or not isinstance(c, str) else 0.8) * HEIGHT
        strokes += place_strokes(unit, box=(x, 60, width, HEIGHT))
        x += width + gap
    return rasterize(strokes, (HEIGHT + 120, int(x + 30)), PEN), strokes


def models(rec) -> tuple:
    """group_digits' classify and detect of a Recognizer."""
    return rec.batch_probabilities, rec.detector.not_digit


def components(canvas: np.ndarray) -> int:
    return cv2.connectedComponents((canvas > 64).astype(np.uint8))[0] - 1


@pytest.mark.parametrize("four", [DIGIT_STROKES[4], FOUR_STEM_BESIDE], ids=["stem crossing", "stem beside"])
def test_a_four_in_two_strokes_stays_one_digit(shipped, four):
    canvas, strokes = write(four)
    assert len(strokes) == 2
    assert number_text(shipped.read(canvas, strokes)) == "4"
    canvas, strokes = write(1, four, 7)  # and between other digits
    preds = shipped.read(canvas, strokes)
    assert number_text(preds) == "147"
    assert [len(p.box) for p in preds] == [4, 4, 4]


@pytest.mark.parametrize(("digits", "gap"), [((7, 7), -25), ((0, 2), -35), ((5, 4), -35), ((3, 7), -40)])
def test_strokes_part_two_touching_digits(shipped, digits, gap):
    canvas, strokes = write(*digits, gap=gap)
    assert components(canvas) == 1  # their ink is one piece: only the strokes tell them apart
    preds = shipped.read(canvas, strokes)
    assert number_text(preds) == "".join(map(str, digits))
    (x0, _, w0, _), (x1, _, w1, _) = preds[0].box, preds[1].box
    assert x0 < x1 and x0 + w0 < x1 + w1  # each digit's own box, left to right


def test_a_seven_with_a_late_bar_keeps_its_bar(shipped):
    """The 7's bar is drawn after the 1 beside it: it still joins the 7 (it goes back over it)."""
    seven = place_strokes(SEVEN, box=(30, 60, 96, HEIGHT))
    one = place_strokes(DIGIT_STROKES[1], box=(160, 60, 96, HEIGHT))
    bar = place_strokes(SEVEN_BAR, box=(30, 60, 96, HEIGHT))
    strokes = seven + one + bar
    canvas = rasterize(strokes, (HEIGHT + 120, 300), PEN)
    groups = group_digits(ink_from_canvas(canvas), strokes, *models(shipped))
    assert [g.segment.strokes for g in groups] == [(0, 2), (1,)]
    assert number_text(shipped.read(canvas, strokes)) == "71"


def test_every_late_bar_joins_its_own_seven(shipped):
    """Three 7s, then their bars, left to right, as some people cross them all at the end: the first
    bar goes back left of the stroke before it, the next ones do not (each is right of the bar before),
    yet every one lies back left of where the writing had reached, over its own 7."""
    sevens = [place_strokes(SEVEN, box=(30 + 130 * k, 60, 96, HEIGHT)) for k in range(3)]
    bars = [place_strokes(SEVEN_BAR, box=(30 + 130 * k, 60, 96, HEIGHT)) for k in range(3)]
    strokes = [s for seven in sevens for s in seven] + [b for bar in bars for b in bar]
    canvas = rasterize(strokes, (HEIGHT + 120, 440), PEN)
    groups = group_digits(ink_from_canvas(canvas), strokes, *models(shipped))
    assert [g.segment.strokes for g in groups] == [(0, 3), (1, 4), (2, 5)]
    assert number_text(shipped.read(canvas, strokes)) == "777"


# A 4 whose stem stands clear of its bar's end (about 0.06 heights: their ink touches, their pen paths
# do not), as some people write it
FOUR_STEM_CLEAR = [[(0.45, 0.1), (0.15, 0.62), (0.62, 0.62)], [(0.72, 0.3), (0.72, 0.95)]]


def test_a_late_stroke_beside_its_digit_joins_it(shipped):
    """The 4's stem, beside its bar without overlapping it, is drawn after the 7 to its right: it
    lies back left of the 7, nearer the bar than the 7, so it still joins the 4."""
    bar, stem = place_strokes(FOUR_STEM_CLEAR, box=(30, 60, 96, HEIGHT))
    seven = place_strokes(SEVEN, box=(160, 60, 96, HEIGHT))
    strokes = [bar, *seven, stem]
    canvas = rasterize(strokes, (HEIGHT + 120, 300), PEN)
    groups = group_digits(ink_from_canvas(canvas), strokes, *models(shipped))
    assert [g.segment.strokes for g in groups] == [(0, 2), (1,)]
    assert number_text(shipped.read(canvas, strokes)) == "47"


def test_a_new_digit_after_a_late_stroke_stays_apart(shipped):
    """A stroke back left of the one before it joins an earlier digit only when nearer to it than
    to the stroke before: a 1 written left of the 7 after it, far from the 4, stays a digit."""
    four = place_strokes(DIGIT_STROKES[4], box=(30, 60, 96, HEIGHT))
    seven = place_strokes(SEVEN, box=(330, 60, 96, HEIGHT))
    one = place_strokes(DIGIT_STROKES[1], box=(200, 60, 96, HEIGHT))
    strokes = four + seven + one
    canvas = rasterize(strokes, (HEIGHT + 120, 460), PEN)
    groups = group_digits(ink_from_canvas(canvas), strokes, *models(shipped))
    assert [g.segment.strokes for g in groups] == [(0, 1), (3,), (2,)]


@pytest.mark.parametrize(("digits", "late"), [((4, 7, 3), 1), ((7, 4, 1), 1)])
def test_a_digit_added_between_two_others_stays_a_digit(shipped, digits, late):
    """A digit written last between two others, apart from both (0.4 heights): nearest a stroke of
    the digit before, yet no part of it (a 4's bar and stem stay together)."""
    placed, x = [], 30.0
    for d in digits:
        placed.append(place_strokes(DIGIT_STROKES[d], box=(x, 60, 96, HEIGHT)))
        x += 96 + 60
    strokes = [s for digit in placed[:late] + placed[late + 1 :] + [placed[late]] for s in digit]
    canvas = rasterize(strokes, (HEIGHT + 120, int(x + 30)), PEN)
    groups = group_digits(ink_from_canvas(canvas), strokes, *models(shipped))
    assert [len(g.segment.strokes) for g in groups] == [len(digit) for digit in placed]
    assert number_text(shipped.read(canvas, strokes)) == "".join(map(str, digits))


@pytest.mark.parametrize(("first", "rest"), [(2, (4, 7)), (3, (9, 1))])
def test_a_digit_added_in_front_of_a_number_stays_a_digit(shipped, first, rest):
    """A digit written last, in front of (left of) the number: it lies left of everything, so it
    is nearest the number's first digit, yet it goes with none of them (a digit's own late stroke,
    a 4's stem, a 5's flag, lies over it or right of it)."""
    placed, x = [], 30.0
    for d in (first, *rest):
        placed.append(place_strokes(DIGIT_STROKES[d], box=(x, 60, 96, HEIGHT)))
        x += 96 + 60
    strokes = [s for digit in placed[1:] + placed[:1] for s in digit]
    canvas = rasterize(strokes, (HEIGHT + 120, int(x + 30)), PEN)
    groups = group_digits(ink_from_canvas(canvas), strokes, *models(shipped))
    assert [len(g.segment.strokes) for g in groups] == [len(digit) for digit in placed]
    assert number_text(shipped.read(canvas, strokes)) == "".join(map(str, (first, *rest)))


@pytest.mark.parametrize("digits", [(1, 8), (9, 4, 5), (3, 0, 7, 1), (7, 2)])
def test_a_number_written_right_to_left_reads_as_written_left_to_right(shipped, digits):
    """Units first, as a sum's answer is written: each digit starts left of the one written before,
    which was charged as a digit's late stroke going back over another, so neighbours merged into
    one "?" (a user trial: 289 of the 'val' people's 400 numbers so written read right, 388 written
    left to right). A digit written wholly left of the last one is no such stroke."""
    placed, x = [], 30.0
    for d in digits:
        placed.append(place_strokes(DIGIT_STROKES[d], box=(x, 60, 84, HEIGHT)))
        x += 84 + 10  # close together, as people write
    canvas = rasterize([s for digit in placed for s in digit], (HEIGHT + 120, int(x + 30)), PEN)
    text = "".join(map(str, digits))
    assert number_text(shipped.read(canvas, [s for digit in placed for s in digit])) == text
    assert number_text(shipped.read(canvas, [s for digit in placed[::-1] for s in digit])) == text


def test_a_heart_drawn_right_half_first_stays_one_sign(shipped):
    """A heart's right half, then its left half: the second stroke lies left of the first, as a
    digit written right to left does, but it meets it, so it is charged as a stroke going back
    over the first (a review of the right-to-left change: it read "?7", two signs)."""
    t = np.linspace(0, 2 * np.pi, 90)
    x, y = 16 * np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    heart = np.stack([(x + 17) / 34, (y + 17) / 34], 1)
    halves = [heart[:46].tolist(), heart[::-1][:46].tolist()]
    for box in [(200, 150, 200, 200), (250, 250, 120, 120)]:
        strokes = place_strokes(halves, box=box)
        canvas = rasterize(strokes, (640, 640), brush_width(640))
        assert [g.segment.strokes for g in group_digits(ink_from_canvas(canvas), strokes, *models(shipped))] == [(0, 1)]


def test_a_point_drawn_as_a_small_circle_among_digits_is_no_zero(shipped):
    """A decimal point circled with the app's bold brush is a blob as big as a digit written small;
    among digits written larger it stays a dot (too small), not a sure 0 ("84.16" read "84016" once
    blobs with strokes were let through, in a review)."""
    from recognizer.reject import TOO_SMALL

    digits = [
        place_strokes(DIGIT_STROKES[d], box=(60 + 110 * k + 40 * (k >= 2), 200, 80, 130))
        for k, d in enumerate((8, 4, 1, 6))
    ]
    circle = [[(285 + 18 * np.cos(a), 325 - 18 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 12)]]
    strokes = [s for d in digits[:2] for s in d] + circle + [s for d in digits[2:] for s in d]
    preds = shipped.read(rasterize(strokes, (640, 640), brush_width(640)), strokes, drawn=True)
    assert number_text(preds) == "84?16" and preds[2].unsure == TOO_SMALL


def test_late_stems_added_left_to_right_join_their_own_fours(shipped):
    """Both 4s' bars and the 7 after them first, then the 4s' stems left to right (each beside its
    bar, clear of it): the second stem lies right of the stroke before it (the first stem), whose
    gap to it was measured as negative, nearer than its own bar, so it stood alone as a 1 (a user
    trial: "34460" read "346160")."""
    (bar1, stem1), (bar2, stem2) = (place_strokes(FOUR_STEM_CLEAR, box=(x, 60, 80, HEIGHT)) for x in (30, 170))
    seven = place_strokes(SEVEN, box=(310, 60, 96, HEIGHT))
    strokes = [bar1, bar2, *seven, stem1, stem2]
    canvas = rasterize(strokes, (HEIGHT + 120, 440), PEN)
    groups = group_digits(ink_from_canvas(canvas), strokes, *models(shipped))
    assert [g.segment.strokes for g in groups] == [(0, 3), (1, 4), (2,)]
    assert number_text(shipped.read(canvas, strokes)) == "447"


@pytest.mark.parametrize(("digits", "gap"), [((7, 7), -25), ((4, 0), -25), ((3, 4), -35)])
def test_an_image_of_two_touching_digits_is_cut(shipped, digits, gap):
    canvas, _ = write(*digits, gap=gap)
    assert components(canvas) == 1
    preds = shipped.read(canvas)
    assert number_text(preds) == "".join(map(str, digits))
    total = np.zeros(canvas.shape, np.int32)  # the cut gives every ink pixel to one digit
    for group in group_digits(ink_from_canvas(canvas), None, *models(shipped)):
        x, y, w, h = group.segment.box
        total[y : y + h, x : x + w] += group.segment.mask
    assert (total[canvas > 64] == 1).all() and (total[canvas <= 64] == 0).all()


@pytest.mark.parametrize("digits", [(0, 1, 2, 3, 4), (5, 6, 7, 8, 9)])
def test_a_number_written_small_with_a_bold_pen_reads_right(shipped, digits):
    """Digits 70 px tall drawn with a 28 px pen (a number written small with the app's brush):
    read from their strokes drawn again with a thinner pen, they read right (their bold ink, its
    loops filled, reads as 8s and "not sure")."""
    strokes, x = [], 30.0
    for d in digits:
        strokes += place_strokes(DIGIT_STROKES[d], box=(x, 60, 42, 70))
        x += 42 + 40
    canvas = rasterize(strokes, (190, int(x + 30)), 28)
    groups = group_digits(ink_from_canvas(canvas), strokes, *models(shipped))
    assert number_text(shipped.read(canvas, strokes)) == "".join(map(str, digits))
    assert all(stroke_width((g.image * 255).astype(np.uint8)) < 4.0 for g in groups)  # 28 px images


def test_a_phone_number_written_small_in_one_row_reads_right(shipped):
    """Ten digits across the app's 640 px canvas, each about a pen tall (30-45 px with its 29 px
    brush): their ink is a blob, but their strokes drawn again thinner read right; they were "too
    small" (a user trial: "1201802871" read "1201?02?71"). A click stays too small."""
    from recognizer.reject import TOO_SMALL

    pen, text = brush_width(640), "3125550147"
    strokes = []
    for k, d in enumerate(text):
        strokes += place_strokes(DIGIT_STROKES[int(d)], box=(12 + 62 * k, 300, 24, 32 + 3 * (k % 5)))
    canvas = rasterize(strokes, (640, 640), pen)
    assert number_text(shipped.read(canvas, strokes, drawn=True)) == text
    click = [[(320.0, 320.0)]]
    assert [p.unsure for p in shipped.read(rasterize(click, (640, 640), pen), click, drawn=True)] == [TOO_SMALL]


@pytest.mark.parametrize("letter", ["H", "E", "T", "X", "+"])
def test_a_letter_between_digits_reads_not_sure(shipped, letter):
    """A letter of several strokes stays one sign, read "not a digit", and the digits stand."""
    canvas, strokes = write(4, letter, 7)
    preds = shipped.read(canvas, strokes)
    assert number_text(preds) == "4?7"
    assert preds[1].unsure == NOT_A_DIGIT


def test_blank_and_specks(shipped):
    assert group_digits(ink_from_canvas(np.zeros((100, 200), np.uint8)), None, *models(shipped)) == []
    canvas, strokes = write(2, 5)
    canvas[5:8, 5:8] = 255  # a stray speck: left out, whether strokes are known or not
    assert number_text(shipped.read(canvas, strokes)) == "25"
    assert number_text(shipped.read(canvas)) == "25"


def counting(rec) -> tuple[dict[str, list[int]], tuple]:
    """(the batch sizes each model was called with, group_digits' classify and detect counting them)."""
    calls: dict[str, list[int]] = {"classify": [], "detect": []}

    def classify(images):
        calls["classify"].append(len(images))
        return rec.batch_probabilities(images)

    def detect(images):
        calls["detect"].append(len(images))
        return rec.detector.not_digit(images)

    return calls, (classify, detect)


def test_the_models_read_only_the_candidates_that_could_be_chosen(shipped):
    """Both models read the same few candidates, each once, fewer than the candidates there are."""
    calls, readers = counting(shipped)
    canvas, strokes = write(4, 0, 7, 1, 5, gap=-10)
    ink = ink_from_canvas(canvas)
    groups = group_digits(ink, strokes, *readers)
    assert "".join(str(int(g.probabilities.argmax())) for g in groups) == "40715"
    assert calls["classify"] == calls["detect"] and 5 <= sum(calls["classify"])
    assert sum(calls["classify"]) < len(grouping._read_candidates(ink, strokes)[1])
    assert all(g.not_digit is not None for g in groups)


@pytest.mark.parametrize(
    "characters", [(4, 0, 7, 1, 5), (3, "X", 8), (2, "H", "K", 6), (1, 1, 7, 4)], ids=["digits", "X", "HK", "1174"]
)
@pytest.mark.parametrize("with_strokes", [True, False], ids=["strokes", "image"])
def test_reading_a_few_candidates_chooses_as_reading_every_one(shipped, characters, with_strokes):
    """_choose reads the models only where a candidate could be chosen, and its choice (and the
    chosen ones' answers) are those of reading every candidate (numbers with letters included,
    where the detector decides)."""
    canvas, strokes = write(*characters, gap=-10)
    strokes = strokes if with_strokes else None
    ink = ink_from_canvas(canvas)
    atoms, candidates, geometry, image_of = grouping._read_candidates(ink, strokes)
    images = image_of(candidates)
    probs, not_digit = shipped.scores(images)
    every = grouping._sequencer(atoms, candidates)(grouping._recognition(atoms, probs, not_digit) + geometry)
    asked: list[int] = []

    def read(ks):
        asked.extend(ks)
        return shipped.scores(images[ks])

    chosen, chosen_probs, chosen_not_digit = grouping._choose(atoms, candidates, geometry, read)
    assert chosen == every
    assert np.allclose(chosen_probs, probs[chosen], atol=1e-5)
    assert np.allclose(chosen_not_digit, not_digit[chosen], atol=1e-5)
    assert len(asked) == len(set(asked)) <= len(candidates)


@pytest.mark.parametrize("with_strokes", [True, False], ids=["strokes", "image"])
@pytest.mark.parametrize("detector", [True, False], ids=["detector", "no detector"])
def test_the_lazy_choice_is_the_eager_one_whatever_the_scores(with_strokes, detector):
    """_choose against reading every candidate, on a real number's atoms with random probabilities
    and detector outputs (both Priors sets: a stroke row's prior of another sign is 0.12, above
    some top probabilities): the same choice, each candidate read once at most."""
    canvas, strokes = write(2, "H", 4, "K", 7, gap=-10)
    ink = ink_from_canvas(canvas)
    atoms, candidates, geometry, _ = grouping._read_candidates(ink, strokes if with_strokes else None)
    rng = np.random.default_rng(0)
    rounds = []
    for _ in range(200):
        probs = rng.dirichlet(np.full(10, rng.choice([0.05, 1.0, 500.0])), len(candidates))  # 500: tops near 0.1
        not_digit = rng.choice([rng.uniform(0, 1, len(candidates)), rng.beta(0.2, 0.2, len(candidates))])
        not_digit = not_digit if detector else None
        every = grouping._sequencer(atoms, candidates)(grouping._recognition(atoms, probs, not_digit) + geometry)
        asked: list[list[int]] = []

        def read(ks, asked=asked, probs=probs, not_digit=not_digit):
            asked.append(list(ks))
            return probs[ks], None if not_digit is None else not_digit[ks]

        chosen, chosen_probs, chosen_not_digit = grouping._choose(atoms, candidates, geometry, read)
        read_once = [k for ks in asked for k in ks]
        assert chosen == every and len(read_once) == len(set(read_once))
        assert np.array_equal(chosen_probs, probs[chosen])
        assert chosen_not_digit == ([None] * len(chosen) if not_digit is None else list(not_digit[chosen]))
        rounds.append(len(asked))
    assert max(rounds) > 1  # some choices needed more than one round of reading


def brute_force(n, candidates, unary, pair, optional) -> float:
    """The best score of every way to cover the atoms with candidates in order."""
    best_score = -np.inf
    for size in range(1, n + 1):
        for chosen in itertools.combinations(range(len(candidates)), size):
            covered = [a for k in chosen for a in candidates[k]]
            if covered != sorted(set(covered)) or any(a not in covered for a in range(n) if not optional[a]):
                continue
            score = sum(unary[k] for k in chosen) + sum(pair(p, k) for p, k in itertools.pairwise(chosen))
            best_score = max(best_score, score)
    return best_score


@pytest.mark.parametrize("seed", range(25))
def test_dynamic_programming_finds_the_best_scoring_grouping(seed):
    """On a hand-made scorer (random unary and pair scores), the DP's choice scores as well as the
    best of every possible grouping, found by brute force."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 7))
    candidates = [tuple(range(i, j)) for i in range(n) for j in range(i + 1, min(n, i + 3) + 1)]
    candidates = [c for c in candidates if len(c) == 1 or rng.random() < 0.7]
    unary = rng.normal(size=len(candidates))
    table = rng.normal(size=(len(candidates), len(candidates)))
    optional = rng.random(n) < 0.2

    def pair(p, k):
        return float(table[p, k])

    chosen = best_sequence(n, candidates, unary, pair, optional)
    expected_score = brute_force(n, candidates, unary, pair, optional)
    score = sum(unary[k] for k in chosen) + sum(pair(p, k) for p, k in itertools.pairwise(chosen))
    assert score == pytest.approx(expected_score)
    covered = [a for k in chosen for a in candidates[k]]
    assert covered == sorted(set(covered)) and all(a in covered for a in range(n) if not optional[a])


def test_dynamic_programming_adds_in_float64_whatever_the_pair_terms_type():
    """Pair terms given as float32 made the sums float32 (NumPy 2's rules), where 1 + 1e-9 is 1:
    two atoms read apart scored no better than together, and the tie went to the first."""
    candidates, unary = [(0, 1), (0,), (1,)], [1.0, 1.0, 1e-9]
    assert best_sequence(2, candidates, unary, lambda p, k: np.float32(0.0)) == [1, 2]
    assert best_sequence(2, candidates, np.float32(unary), lambda p, k: np.float32(0.0)) == [1, 2]


def test_dynamic_programming_prefers_what_reads_best():
    """Three atoms; reading 0+1 as one digit and 2 alone beats every other grouping."""
    candidates = [(0,), (1,), (2,), (0, 1), (1, 2), (0, 1, 2)]
    unary = [-2.0, -2.0, -0.1, -0.2, -1.0, -5.0]
    assert best_sequence(3, candidates, unary, lambda p, k: 0.0) == [3, 2]
    # a pair term against putting (0, 1) before (2,) tips it to 0 then 1+2
    assert best_sequence(3, candidates, unary, lambda p, k: -9.0 if (p, k) == (3, 2) else 0.0) == [0, 4]


@pytest.mark.parametrize(("digits", "gap"), [((2, 7), -40), ((0, 2), -40), ((5, 4), -35), ((2, 3), -35)])
def test_an_image_of_two_overlapping_digits_is_cut(shipped, digits, gap):
    """Neighbours whose ink overlaps (no cut between them is the cheapest path): still two digits."""
    canvas, _ = write(*digits, gap=gap)
    assert components(canvas) == 1
    assert number_text(shipped.read(canvas)) == "".join(map(str, digits))


def test_a_wide_digit_in_an_image_is_not_cut(shipped):
    """A 0 written wider than tall stays one digit: cutting it would cost more than it reads."""
    zero = place_strokes(DIGIT_STROKES[0], box=(30, 60, 1.0 * HEIGHT, HEIGHT))
    canvas = rasterize(zero + place_strokes(DIGIT_STROKES[1], box=(250, 60, 96, HEIGHT)), (HEIGHT + 120, 400), PEN)
    assert number_text(shipped.read(canvas)) == "01"


def test_many_strokes_are_grouped_by_the_rules_in_one_batched_call(shipped):
    """More than MAX_PIECES strokes (a scribble): find_digits' groups, read in one model call."""
    from recognizer.grouping import MAX_PIECES
    from recognizer.segment import find_digits

    rng = np.random.default_rng(3)
    strokes = [[tuple(p) for p in rng.uniform([20, 20], [580, 260], (4, 2))] for _ in range(MAX_PIECES + 6)]
    canvas = rasterize(strokes, (280, 600), PEN)
    calls, readers = counting(shipped)
    groups = group_digits(ink_from_canvas(canvas), strokes, *readers)
    rules = find_digits(ink_from_canvas(canvas), strokes)
    assert [g.segment.box for g in groups] == [s.box for s in rules]
    assert calls == {"classify": [len(rules)], "detect": [len(rules)]}


def test_every_batch_size_runs_on_fixed_size_interpreters(shipped):
    """LiteRT never resizes (that made the app's memory grow): any number of images runs in chunks
    of the fixed sizes and gives the same answers as one image at a time."""
    from recognizer.predictor import BATCH_SIZES

    backend = shipped._backend
    before = dict(backend._interpreters)
    assert sorted(before) == sorted(BATCH_SIZES)
    images = np.random.default_rng(0).random((37, 28, 28)).astype(np.float32)
    batched = shipped.probabilities(images)
    alone = np.concatenate([shipped.probabilities(image[None]) for image in images])
    assert batched.shape == (37, 10) and np.allclose(batched, alone, atol=1e-5)  # 16 + 16 + 4 + 1
    assert shipped.probabilities(images[:0]).shape == (0, 10)
    assert backend._interpreters == before  # no interpreter made or replaced


def _rows(*rows: str, side: int = 560, pitch: int = 260) -> tuple[np.ndarray, list]:
    """Digits written in rows (each a string), as the app draws them: 170 px digits, `pitch` px apart."""
    from recognizer.synthetic import digit_strokes

    strokes = [
        s
        for r, row in enumerate(rows)
        for c, d in enumerate(row)
        for s in digit_strokes(int(d), side, box=(40 + c * 160, 40 + r * pitch, 170, 170))
    ]
    return rasterize(strokes, (side, side), 25), strokes


@pytest.mark.parametrize("rows", [("12", "34"), ("57", "28"), ("9", "6"), ("123", "45")])
def test_a_number_written_on_two_lines_reads_row_by_row(shipped, rows):
    """Read column by column, "12" over "34" used to come out as two tall boxes read "53", sure."""
    canvas, strokes = _rows(*rows)
    for path in (strokes, None):
        preds = shipped.read(canvas, path)
        assert number_text(preds) == " ".join(rows)
        tops = [p.box[1] for p in preds]
        assert all(t < 300 for t in tops[: len(rows[0])]) and all(t > 250 for t in tops[len(rows[0]) :])


@pytest.mark.parametrize("rows", [("71", "4"), ("12", "34"), ("5", "67")])
def test_lines_written_close_read_row_by_row(shipped, rows):
    """Lines 0.17 of their height apart (27 px of blank between lines of ink 160-166 px tall) were
    one row: "71" over "4" read "?1" (an independent review)."""
    canvas, strokes = _rows(*rows, pitch=190)
    inked = np.flatnonzero(canvas.any(axis=1))
    assert np.diff(inked).max() - 1 == 27  # the blank between the lines
    for path in (strokes, None):
        preds = shipped.read(canvas, path)
        assert number_text(preds) == " ".join(rows)
        assert [p.row for p in preds] == [0] * len(rows[0]) + [1] * len(rows[1])


def test_one_row_with_a_flag_or_a_split_loop_is_not_two_rows():
    """A 5's flag drawn apart above it, or an 8 whose two loops do not quite meet, stays one row."""
    from recognizer.segment import text_rows

    flag = np.zeros((400, 400), np.uint8)
    cv2.line(flag, (120, 60), (300, 60), 255, 12)  # a flag: far lower than the digit below it
    cv2.circle(flag, (200, 250), 100, 255, 12)
    assert text_rows(ink_from_canvas(flag)) == []
    for blank in (4, 22):  # loops that do not quite meet (7 px), or miss by 25 px: 0.07 of the 8's height
        eight = np.zeros((400, 400), np.uint8)
        cv2.circle(eight, (200, 110), 80, 255, 12)
        cv2.circle(eight, (200, 290 + blank - 4), 80, 255, 12)
        assert text_rows(ink_from_canvas(eight)) == []
    one = np.zeros((400, 400), np.uint8)
    cv2.line(one, (200, 40), (200, 180), 255, 12)
    cv2.line(one, (200, 215), (200, 355), 255, 12)  # drawn in two strokes, 22 px of blank between
    assert text_rows(ink_from_canvas(one)) == []
    apart = np.zeros((600, 400), np.uint8)
    cv2.circle(apart, (200, 110), 80, 255, 12)
    cv2.circle(apart, (200, 420), 80, 255, 12)  # far apart: two rows, each pixel in one
    rows = text_rows(ink_from_canvas(apart))
    assert len(rows) == 2 and rows[0][0] == 0 and rows[0][1] == rows[1][0] and rows[1][1] == 600


def test_digits_beside_each_other_at_different_heights_are_one_row():
    """A 1 written low and a 2 high to its right leave a blank band across the ink, yet are one line:
    rows are read one under the other (x-extents overlapping), never side by side ("12" read "21")."""
    from recognizer.segment import text_rows

    canvas = np.zeros((560, 560), np.uint8)
    cv2.line(canvas, (120, 330), (120, 500), 255, 20)  # the 1, low on the left
    cv2.circle(canvas, (330, 150), 80, 255, 20)  # a round digit, high on the right
    assert text_rows(ink_from_canvas(canvas)) == []


def test_a_stroke_dragged_off_the_canvas_stays_with_its_row():
    """Points may lie a canvas side past the edge: a stroke whose points lie mostly below the canvas
    belongs to the bottom row (it fell out of every row, and its digit's ink out of the reading)."""
    from recognizer.segment import row_strokes

    rows = [(0, 280), (280, 560)]
    strokes = [
        [(50.0, 40.0), (50.0, 200.0)],
        [(80.0, 330.0), (80.0, 800.0), (90.0, 900.0)],
        [(60.0, -300.0), (60.0, 10.0)],
    ]
    assert row_strokes(strokes, rows) == [[strokes[0], [], strokes[2]], [[], strokes[1], []]]


@pytest.mark.parametrize("heights", [(160, 100), (100, 160)], ids=["smaller below", "smaller above"])
def test_a_line_written_smaller_than_the_other_is_a_line_of_its_own(shipped, heights):
    """Lines under ROW_HEIGHT of the tallest joined the nearest one (as a 5's flag must): "12" 160
    px tall over "34" 100 px tall, 70 px apart, read "13"; the other way round, "?4"."""
    from recognizer.synthetic import digit_strokes

    strokes, top = [], 40
    for line, height in zip(("12", "34"), heights):
        for c, d in enumerate(line):
            strokes += digit_strokes(int(d), 640, box=(60 + c * 1.1 * height, top, 0.7 * height, height))
        top += height + 70
    canvas = rasterize(strokes, (640, 640), 16)
    for path in (strokes, None):
        assert number_text(shipped.read(canvas, path)) == "12 34"
