""" "Not sure": ink checks and the models' verdicts (recognizer.reject, through Recognizer)."""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from recognizer import reject
from recognizer.ink import ink_from_canvas
from recognizer.predictor import Recognizer, number_text
from recognizer.reject import BLANK, LOW_CONFIDENCE, SCRIBBLE, TOO_SMALL, count_crossings
from recognizer.strokes import rasterize
from recognizer.synthetic import digit_strokes

SIZE = (400, 400)


class Fixed:
    """A stand-in model that answers the same probabilities for every image."""

    def __init__(self, probs):
        self.probs = np.asarray(probs, np.float32)

    def __call__(self, batch):
        return np.tile(self.probs, (len(batch), 1))


def fake(probs) -> Recognizer:
    return Recognizer(Fixed(probs), Path("fake.tflite"))


SURE = [0.001] * 3 + [0.991] + [0.001] * 6  # "3", surely
UNSURE = [0.1, 0.1, 0.1, 0.28, 0.1, 0.1, 0.08, 0.05, 0.05, 0.04]  # "3", hardly


def digit_canvas(d, width=14):
    strokes = digit_strokes(d, SIZE[0])
    return rasterize(strokes, SIZE, width), strokes


def ink_reason(canvas, canvas_shape, strokes=None):
    return reject.ink_reason(ink_from_canvas(canvas), canvas_shape, strokes)


def scribble(seed=0, turns=30, width=12):
    pts = np.random.default_rng(seed).uniform(20, 380, (turns, 2))
    strokes = [[tuple(map(float, p)) for p in pts]]
    return rasterize(strokes, SIZE, width), strokes


@pytest.mark.parametrize("d", range(10))
@pytest.mark.parametrize("width", [3, 14, 30])
def test_drawn_digits_pass_the_ink_checks(d, width):
    canvas, strokes = digit_canvas(d, width)
    assert ink_reason(canvas, canvas.shape) is None
    assert ink_reason(canvas, canvas.shape, strokes) is None


def test_blank_and_nearly_blank():
    rec = fake(SURE)
    blank = np.zeros(SIZE, np.uint8)
    assert rec.predict(blank) is None
    assert rec.read(blank) == []
    assert rec.recognize([], blank.shape) == []
    stray = blank.copy()
    stray[10, 10] = stray[200, 300] = 255  # two stray pixels
    assert rec.predict(stray).unsure == BLANK
    assert [p.unsure for p in rec.read(stray)] == [BLANK]


def test_ink_spread_too_thin_for_the_model_to_see_is_blank():
    """Dots 50 px apart on a 2000 px canvas pass the ink checks, but the downscale to 28x28
    averages every one of them away: the model would see an empty image."""
    canvas = np.zeros((2000, 2000), np.uint8)
    canvas[25::50, 25::50] = 255
    assert ink_reason(canvas, canvas.shape) is None
    pred = fake(SURE).predict(canvas)
    assert not pred.image.any() and pred.unsure == BLANK
    corners = np.zeros((2000, 2000), np.uint8)
    corners[0, 0] = corners[-1, -1] = 255  # used to crash in the centring (a division by zero)
    assert fake(SURE).predict(corners).unsure == BLANK
    assert [p.unsure for p in fake(SURE).read(corners)] == [BLANK]


@pytest.mark.parametrize("width", [4, 12, 30])
def test_a_dot_is_too_small(width):
    canvas = rasterize([[(200.0, 200.0)]], SIZE, width)
    assert fake(SURE).predict(canvas).unsure == TOO_SMALL


def test_a_tiny_digit_is_too_small():
    strokes = digit_strokes(3, box=(190, 190, 7, 12))
    canvas = rasterize(strokes, SIZE, 2)
    assert fake(SURE).predict(canvas).unsure == TOO_SMALL


def test_a_big_blob_is_a_scribble():
    canvas = rasterize([[(200.0, 200.0)]], SIZE, 200)
    assert fake(SURE).predict(canvas).unsure == SCRIBBLE


@pytest.mark.parametrize("seed", range(5))
def test_a_scribble_filling_the_canvas(seed):
    canvas, strokes = scribble(seed)
    rec = fake(SURE)
    assert rec.predict(canvas, strokes).unsure == SCRIBBLE
    assert rec.predict(canvas).unsure == SCRIBBLE


def zigzags(points: int, step: float) -> list[list[tuple[float, float]]]:
    """Two narrow zig-zags down the canvas, crossing each other points - 1 times."""
    return [
        [(150.0 + 36 * (i % 2), 100.0 + step * i) for i in range(points)],
        [(186.0 - 36 * (i % 2), 100.0 + step * i) for i in range(points)],
    ]


def test_scribble_by_strokes_alone():
    # a small zig-zag: its ink could pass for a digit, its strokes cannot
    zigzag = zigzags(13, 18)
    assert count_crossings([np.asarray(s) for s in zigzag]) > reject.MAX_CROSSINGS
    canvas = rasterize(zigzag, SIZE, 8)
    assert ink_reason(canvas, SIZE) is None
    assert ink_reason(canvas, SIZE, zigzag) == SCRIBBLE
    many = [[(100.0 + 20 * i, 100.0), (100.0 + 20 * i, 300.0)] for i in range(reject.MAX_STROKES + 1)]
    assert ink_reason(rasterize(many, SIZE, 8), SIZE, many) == SCRIBBLE


def test_a_digit_may_cross_itself_up_to_the_limit():
    # real pen digits go back over their strokes (reject.MAX_CROSSINGS): as many crossings pass
    for points, reason in ((reject.MAX_CROSSINGS + 1, None), (reject.MAX_CROSSINGS + 2, SCRIBBLE)):
        strokes = zigzags(points, 25)
        assert count_crossings([np.asarray(s) for s in strokes]) == points - 1
        assert ink_reason(rasterize(strokes, SIZE, 8), SIZE, strokes) == reason


def gone_over(strokes, amp: float = 4.0) -> list:
    """The strokes, then each drawn again wavering a few px about its first pass (a digit made bolder)."""
    again = [[(x + amp * math.sin(k / 2), y + amp * math.cos(k / 3)) for k, (x, y) in enumerate(s)] for s in strokes]
    return strokes + again


@pytest.mark.parametrize("digit", [0, 8, 9])
def test_a_digit_gone_over_again_is_no_scribble(shipped, digit):
    """Drawn twice over, a digit's pen path is twice as long and its second pass crosses the first
    where it wavers: counted whole, these read "scribble" (the 'val' people's digits gone over again
    read right 36% of the time); only the path over fresh paper counts (reject.RETRACE_NEAR)."""
    strokes = gone_over(digit_strokes(digit, 400, rng=np.random.default_rng(digit)))
    paths = [np.asarray(s) for s in strokes]
    every = np.concatenate(paths)
    side = max(np.ptp(every[:, 0]), np.ptp(every[:, 1]))
    length = sum(np.linalg.norm(np.diff(p, axis=0), axis=1).sum() for p in paths)
    counted_whole = count_crossings(paths, side / 20) > reject.MAX_CROSSINGS or length > reject.MAX_PATH_LENGTH * side
    assert counted_whole  # the rules as they were would call it a scribble
    canvas = rasterize(strokes, SIZE, 12)
    assert ink_reason(canvas, SIZE, strokes) is None
    pred = shipped.predict(canvas, strokes)
    assert pred.digit == digit and pred.unsure is None


def test_a_small_dense_scribble_with_a_bold_pen_stays_a_scribble():
    """One stroke wandering over a small patch with the app's bold pen: its path lies near and alike
    itself all over, which a stretch-by-stretch discount took for going over itself, and such
    scribbles read as sure digits (an outside review); only a whole later stroke is discounted."""
    rng = np.random.default_rng(5)
    caught = 0
    for _ in range(40):
        walk = np.cumsum(rng.normal(0, 1, (int(rng.integers(15, 60)), 2)), axis=0)
        walk = (walk - walk.min(axis=0)) / np.ptp(walk, axis=0).max() * rng.uniform(90, 160) + 120
        strokes = [walk.tolist()]
        if count_crossings([walk], np.ptp(walk, axis=0).max() / 20) > reject.MAX_CROSSINGS:
            caught += 1
            assert ink_reason(rasterize(strokes, SIZE, 25), SIZE, strokes) == SCRIBBLE
    assert caught >= 5


def test_a_digit_rubbed_over_and_over_is_a_scribble():
    """Gone over again and again, past MAX_PASSES times the longest path a digit has: a scribble,
    though every pass lies on the first."""
    one = digit_strokes(8, 400, rng=np.random.default_rng(8))
    strokes = one + [s for k in range(8) for s in gone_over(one, 2.0 + k / 4)[len(one) :]]
    assert ink_reason(rasterize(strokes, SIZE, 12), SIZE, strokes) == SCRIBBLE


def test_crossings():
    eight = digit_strokes(8, 400)
    assert count_crossings([np.asarray(s) for s in eight]) == 1
    four = digit_strokes(4, 400)
    assert count_crossings([np.asarray(s) for s in four]) == 1
    assert count_crossings([np.asarray(digit_strokes(1, 400)[0])]) == 0


def test_low_confidence_is_not_sure_and_high_confidence_stands():
    canvas, strokes = digit_canvas(3)
    assert fake(SURE).predict(canvas, strokes).unsure is None
    pred = fake(UNSURE).predict(canvas, strokes)
    assert pred.digit == 3 and pred.unsure == LOW_CONFIDENCE
    assert [p.unsure for p in fake(UNSURE).read(canvas, strokes)] == [LOW_CONFIDENCE]


def test_letter_like_shape_reads_not_sure_when_the_model_hesitates():
    import cv2

    canvas = np.zeros(SIZE, np.uint8)
    cv2.putText(canvas, "W", (60, 300), cv2.FONT_HERSHEY_SIMPLEX, 9, 255, 16, cv2.LINE_AA)
    assert ink_reason(canvas, SIZE) is None  # its ink is digit-like: only the model can tell
    assert fake(UNSURE).predict(canvas).unsure == LOW_CONFIDENCE


def test_shipped_model_reads_drawn_digits_as_sure(shipped):
    for d in range(10):
        canvas, strokes = digit_canvas(d)
        pred = shipped.predict(canvas, strokes)
        assert pred.digit == d
        assert pred.unsure is None, (d, pred.confidence)


def test_one_line_gone_over_many_times_is_a_scribble():
    """The pen path rule (reject.MAX_PATH_LENGTH): a single straight line drawn back and forth 15
    times is one stroke without a crossing and its ink is a plain line, so only the pen's path,
    15 times the line's length, tells it from a 1."""
    line = [(100.0, 200.0), (300.0, 200.0)]
    strokes = [line * 8]  # 16 points: over the line and back, 15 times
    assert len(strokes[0]) == 16 and count_crossings([np.asarray(strokes[0])]) == 0
    canvas = rasterize(strokes, SIZE, 8)
    assert ink_reason(canvas, SIZE) is None  # its ink alone could be a 1
    assert ink_reason(canvas, SIZE, strokes) == SCRIBBLE
    assert ink_reason(canvas, SIZE, [line]) is None  # drawn once, it is a 1
    twice = [line * 2]  # well within the limit
    assert ink_reason(rasterize(twice, SIZE, 8), SIZE, twice) is None
    assert fake(SURE).predict(canvas, strokes).unsure == SCRIBBLE


@pytest.mark.parametrize("seed", range(3))
def test_the_ink_checks_come_before_the_model_s_doubt(seed):
    """A scribble that the model also reads with low confidence says "scribble", not "low
    confidence": the ink's reason is the truer one (the app tells the user what to change), and
    the model's doubt about a scribble is no news."""
    canvas, strokes = scribble(seed)
    rec = fake(UNSURE)
    assert rec.predict(canvas, strokes).unsure == SCRIBBLE
    assert rec.predict(canvas).unsure == SCRIBBLE
    assert [p.unsure for p in rec.recognize([ink_from_canvas(canvas)], SIZE, [strokes])] == [SCRIBBLE]
    line = [[(100.0, 200.0), (300.0, 200.0)] * 8]
    assert rec.predict(rasterize(line, SIZE, 8), line).unsure == SCRIBBLE  # by its strokes alone


def _word(*readings: tuple, gap: int = 10, rows=None):
    """letters_in_words on readings (reason, P(not a digit)[, the classifier's confidence: 0.9 if
    not given]) of 60 px tall boxes gap px apart."""
    boxes = [(k * (40 + gap), 0, 40, 60) for k in range(len(readings))]
    sure = [r[2] if len(r) > 2 else 0.9 for r in readings]
    return reject.letters_in_words(
        [r[0] for r in readings], [r[1] for r in readings], sure, boxes, rows or [0] * len(readings)
    )


def test_a_letter_beside_one_read_not_a_digit_reads_not_a_digit_too():
    """'Total' between digits: the letters the detector doubts beside one it is sure of go with it,
    along the word both ways; a digit the detector believes in stays."""
    nad = reject.NOT_A_DIGIT
    assert _word((None, 0.1), (None, 0.7), (nad, 0.99), (None, 0.8), (None, 0.6), (None, 0.2)) == [
        None, nad, nad, nad, nad, None
    ]  # fmt: skip
    long = [(None, 0.9)] * 30
    assert _word(*long, (nad, 0.99), *long) == [nad] * 61  # a long word, found from one letter both ways
    at = reject.WORD_NOT_DIGIT
    assert _word((nad, 0.99), (None, at), (None, at + 1e-3)) == [nad, None, None]  # an even chance is not enough
    sure = reject.WORD_SURE
    assert _word((nad, 0.99), (None, 0.9, sure), (None, 0.9)) == [nad, None, None]  # a digit the classifier is sure of
    assert _word((nad, 0.99), (None, 0.9, sure - 1e-4)) == [nad, nad]


def test_a_small_reading_beside_a_letter_reads_not_a_digit_however_sure():
    """A printed label beside handwriting ("Total: 45", the print a quarter as tall): its "o" and "l"
    read as 0 and 1 at 99.98%, the detector sure they were digits, and the label read "?0??1";
    at most WORD_SMALL as tall as the row's tallest digit, beside a letter, they go with it."""
    nad = reject.NOT_A_DIGIT
    label = [(0, 90, 25, 30), (27, 95, 22, 25), (51, 90, 19, 30)]  # "T", "o" read 0, "t"

    def read(digit_height: int) -> list:
        boxes = label + [(200, 0, 80, digit_height), (290, 0, 80, digit_height)]
        nd, sure = [1.0, 0.03, 1.0, 0.0, 0.01], [0.99, 0.9998, 0.99, 1.0, 0.99]
        return reject.letters_in_words([nad, None, nad, None, None], nd, sure, boxes, [0] * 5)

    assert read(120) == [nad, nad, nad, None, None]
    assert read(int(25 / reject.WORD_SMALL) - 1) == [nad, None, nad, None, None]  # not so small: stands
    alone = reject.letters_in_words([nad, None], [1.0, 0.03], [0.99, 0.9998], label[:2], [0, 0])
    assert alone == [nad, None]  # no digit in the row for it to be small beside
    # "3€50": cents half as tall as the 3, beside a sign read "not a digit", stay digits; and the
    # small letter's reach ends at a reading taller than it (WORD_LETTER)
    cents = [(0, 0, 80, 120), (90, 40, 40, 50), (140, 0, 40, 60), (190, 0, 40, 60)]
    assert reject.letters_in_words([None, nad, None, None], [0.0, 1.0, 0.0, 0.0], [1.0] * 4, cents, [0] * 4) == [
        None, nad, None, None
    ]  # fmt: skip
    tall_one = [(0, 0, 80, 120), (90, 80, 20, 20), (115, 70, 20, 35), (140, 0, 40, 40)]
    assert reject.letters_in_words([None, nad, None, None], [0.0, 1.0, 0.0, 0.0], [1.0] * 4, tall_one, [0] * 4) == [
        None, nad, None, None
    ]  # fmt: skip


def test_only_a_letter_close_by_in_the_same_row_counts():
    nad = reject.NOT_A_DIGIT
    word = ((nad, 0.99), (None, 0.9))
    assert _word(*word, gap=int(reject.WORD_GAP * 60)) == [nad, nad]
    assert _word(*word, gap=int(reject.WORD_GAP * 60) + 1) == [nad, None]  # a space: another word
    assert _word(*word, rows=[0, 1]) == [nad, None]  # the last of one line, the first of the next
    assert _word((LOW_CONFIDENCE, 0.4), (None, 0.9)) == [LOW_CONFIDENCE, None]  # a doubtful digit is no letter
    assert _word((nad, 0.99), (None, None)) == [nad, None]  # no detector, no verdict


def test_read_reads_the_letters_of_a_word_together(shipped, monkeypatch):
    """read() gives the models' answers to letters_in_words: a reading the detector doubts beside
    one it rejects reads "not a digit" (each read 95% sure here, as letters often are); without the
    rejected one it stands, and so it does when the classifier is all but certain of it."""
    from recognizer import predictor

    strokes = [s for i, d in enumerate((1, 2, 3, 4)) for s in digit_strokes(d, box=(60 + 120 * i, 100, 80, 130))]
    canvas = rasterize(strokes, (360, 600), 10)
    real = predictor.group_digits

    def doubted(*args, answers, sure):
        groups = real(*args)
        assert len(groups) == len(answers)
        probs = [np.full(10, (1 - sure) / 9) for _ in groups]
        for p, g in zip(probs, groups):
            p[g.probabilities.argmax()] = sure
        return [replace(g, not_digit=a, probabilities=p) for g, a, p in zip(groups, answers, probs)]

    for answers, sure, text in (
        ((0.1, 0.99, 0.7, 0.3), 0.95, "1??4"),
        ((0.1, 0.2, 0.7, 0.3), 0.95, "1234"),
        ((0.1, 0.99, 0.7, 0.3), 0.9995, "1?34"),
    ):
        monkeypatch.setattr(predictor, "group_digits", lambda *a, n=answers, s=sure: doubted(*a, answers=n, sure=s))
        assert number_text(shipped.read(canvas, strokes)) == text


def _row(line: str, letter: int = 30, digit: int = 40) -> tuple[list, list, list]:
    """Readings of one row spelt out: "L" a letter read "not a digit" (`letter` px tall), "X" one as
    tall as a digit (a digit struck, or joined to a letter), "B" one three times as tall as a
    letter (big handwriting joined to a printed letter), "D" a digit that stands, "d" one as small
    as a letter (print's "o" read 0), "T" one twice as tall, "?" a digit read "low confidence"
    (`digit` px tall); each 20 px wide, 3 px apart in a word,
    20 px where `line` has a space, 15 where it has "|" (a number's digits written apart, further
    than a printed word's letters), 63 where it has "_" (a label's way from its number)."""
    unsure, boxes, x = [], [], 0
    tall = {"L": letter, "X": digit, "B": 3 * letter, "D": digit, "d": letter, "T": 2 * digit, "?": digit}
    nad = reject.NOT_A_DIGIT
    reason = {"L": nad, "X": nad, "B": nad, "D": None, "d": None, "T": None, "?": LOW_CONFIDENCE}
    for ch in line:
        if ch in " |_":
            x += {" ": 17, "|": 12, "_": 60}[ch]
            continue
        unsure.append(reason[ch])
        boxes.append((x, 100 - tall[ch], 20, tall[ch]))
        x += 23
    return unsure, boxes, [0] * len(unsure)


def _kept(line: str, **heights: int) -> str:
    """The row's readings left once its text is left out, spelt as in _row."""
    unsure, boxes, rows = _row(line, **heights)
    spelt = [ch for ch in line if ch not in " |_"]
    return "".join(ch for ch, text in zip(spelt, reject.text_lines(unsure, boxes, rows)) if not text)


def test_a_line_of_text_is_left_out_but_its_numbers():
    """A picture's row of print or letters (TEXT_MIN letters or more, TEXT_SHARE of its readings)
    is no number: its sure 0s and 1s ("o", "l") go with its letters. Numbers written among a few
    words (labels, a table's row: "Amount due: 519", "Qty 12 Price 80") stay, their digits written
    further apart than print's letters too; running text (TEXT_RUNNING letters or more) goes whole,
    or stays whole where a word of digits far taller is written in it (its letters' 0s and 1s
    would join the number)."""
    assert _kept("LLLLLL LLL DDD") == "DDD"
    assert _kept("LLLLLL LLL D|D|D") == "DDD"
    assert _kept("DD LLLL") == "DD"
    assert _kept("LLL DD LLLLL DD") == "DDDD"  # two numbers, the first not at the row's end
    assert _kept("LLLL LLL") == ""
    assert _kept("LLLL") == "LLLL"  # one word is no line (it may be a number, most of it struck)
    page = "LLL DD LLLL LL LLL D LLLLL DD LLL LL"  # a line of a page of print: "is" read "15", "o" read "0"
    assert _kept(page) == ""
    with_number = page.replace("LLLL LL", "LLLL TT")  # a number written big in the line
    assert _kept(with_number) == with_number.replace(" ", "")
    assert _kept(page.replace("LLLL LL", "LLLL L? D")) == ""  # but no word with a letter in it


def test_a_label_beside_a_number_or_a_heading_set_tight_is_left_out():
    """A form's printed label a way from its number ("Invoice no.:", "Total" with its "o" and "l"
    read 0 and 1: a user trial read "?5251", "?0??1261") is left out, as is a heading whose words'
    spaces are too narrow to part them ("?????????11?????"); a letter as tall as the number, or
    close to it, and a small digit far out (a page's number) stay."""
    assert _kept("LLLLLL_DDDD", letter=20) == "DDDD"
    assert _kept("LdLLd_DDD", letter=20) == "DDD"  # "Total": its o and l read as sure digits
    assert _kept("DDD_LLLL", letter=20) == "DDD"  # a printed word after it
    assert _kept("DDD_LL", letter=12) == "DDDLL"  # two letters: maybe digits in doubt, however small
    assert _kept("L_DDDD", letter=12) == "LDDDD"  # one "?" far out: a tiny number's? ("0194" read "01")
    assert _kept("LLLL_DD_LLL", letter=20) == "DD"  # print either side: the line's rule takes both
    assert _kept("dLd_DDD", letter=20) == "dLdDDD"  # a smaller number with a "?" among its digits
    assert _kept("LLd_DDD", letter=20) == "LLdDDD"  # ... or two (a review: "4??0" read "4", sure)
    assert _kept("dL_DDD", letter=12) == "dLDDD"  # half letters: maybe a number ("6?5594" read "5594")
    assert _kept("LLL_DDD") == "LLLDDD"  # letters 3/4 as tall as the digits: handwriting, kept
    assert _kept("LLL|DDD", letter=20) == "LLLDDD"  # close: the number's own "?"s
    assert _kept("dd_DDD") == "ddDDD"  # no letter: digits, however small
    heading, number = _row("LLLLLLLLLddLLLLL"), _row("DD")  # a heading set tight: one word, 14 letters
    unsure, boxes, rows = heading[0] + number[0], heading[1] + number[1], heading[2] + [1, 1]
    assert reject.text_lines(unsure, boxes, rows) == [True] * 16 + [False] * 2
    assert _kept("LLLL") == "LLLL" and _kept("DXXXXD") == "DXXXXD"  # a few letters: maybe a struck number


def test_a_numbers_own_question_marks_stay_with_it():
    """A digit of the number read "not a digit" (struck, sloppy) stays as its "?", not dropped to
    leave a sure wrong number: in a word of the number's digits, or alone beside them as tall and
    as close (TEXT_DIGIT, WORD_GAP); and handwriting TEXT_BIG times as tall as the print it is
    joined to stays too."""
    assert _kept("LLLLLL LLL DDXDD") == "DDXDD"
    assert _kept("LLLLLL LLL DD|X|DD") == "DDXDD"
    assert _kept("LLLLLL LLL DD|L|DD") == "DDDD"  # a letter's height: no digit of the number
    assert _kept("D X X X X D") == "DXXXXD"  # a number alone, most of it struck
    assert _kept("DXXXXD") == "DXXXXD"  # one word is no line
    assert _kept("DX XXD XD") == "DXXXDXD"  # a digit as tall as the picture's tallest in each word
    assert _kept("LLd LLLd LLL TT") == "TT"  # print's "o"s read 0, far smaller than the handwriting
    assert _kept("LLLLLLB D") == "BD"


def test_a_number_read_in_doubt_is_no_line_of_text():
    """A number whose digits the detector doubts is read as it was, its "?"s kept: fewer than
    TEXT_MIN letters, or fewer than TEXT_SHARE of the row, or digits read only "low confidence"."""
    assert _kept("D L L L D") == "DLLLD"
    assert _kept("DDDDD LLLL") == "DDDDDLLLL"
    assert _kept("D????D") == "D????D"
    unsure, boxes, _ = _row("LLLL DD")
    assert reject.text_lines(unsure, boxes, [0, 1, 2, 3, 4, 5]) == [False] * 6  # each reading its own row


def ring(cx=200.0, cy=200.0, r=120.0, points=60):
    """A circle drawn in one stroke, closed."""
    return [[(cx + r * math.cos(a), cy + r * math.sin(a)) for a in np.linspace(0, 2 * math.pi, points)]]


def test_ink_inside_a_ring_counts_only_where_nothing_joins_it_to_the_ring():
    pen = 14

    def enclosed(strokes, width=pen):
        return reject.enclosed_ink(rasterize(strokes, SIZE, width) > 0, width)

    def pixels(strokes, width=pen):
        return (rasterize(strokes, SIZE, width) > 0).sum()

    eyes = [[(170.0, 170.0)], [(230.0, 170.0)]]
    assert enclosed(ring()) == 0
    assert enclosed(ring() + eyes) == pytest.approx(pixels(eyes), rel=0.1)
    small_ring = ring(r=40)  # a ring in a ring, 1-2 px wide: its hole's pixels are not its ink
    for width in (1, 2, pen):
        assert enclosed(ring() + small_ring, width) == pytest.approx(pixels(small_ring, width), rel=0.15)
    slash = [[(60.0, 340.0), (340.0, 60.0)]]  # a slashed zero: its bar crosses the ring
    apart = ring(110, 200, 80) + ring(290, 200, 80) + [[(200.0, 200.0)]]  # a dot between two rings, in neither
    for strokes in (ring() + slash, apart):
        assert enclosed(strokes) == 0
    assert reject.enclosed_ink(np.ones((5, 5), bool), 1) == reject.enclosed_ink(np.zeros((5, 5), bool), 1) == 0


@pytest.mark.parametrize(
    "inside",
    [
        [[(200.0, 200.0)]],  # a dot: a dotted zero, a stray click
        [[(196.0, 198.0), (206.0, 203.0)]],  # the click drifting with the mouse (an outside review: 4 px flipped most)
        [[(150.0, 260.0), (250.0, 140.0)]],  # a slash that does not reach the ring
    ],
    ids=["dot", "drifting click", "short slash"],
)
def test_one_dot_or_bar_inside_a_ring_is_no_reason_to_doubt_it(inside):
    pen = 14
    assert reject.enclosed_ink(rasterize(ring() + inside, SIZE, pen) > 0, pen) == 0
    assert ink_reason(rasterize(ring() + inside, SIZE, pen), SIZE) is None


def test_a_face_or_a_ring_round_a_digit_is_not_a_digit(shipped):
    """A smiley drawn with a mouse read a sure 0 (an outside review: 27 of 30), and so did a digit
    with a circle drawn round it: ink inside a ring, not touching it, is no digit's. A dot in a 0
    or a short bar (a stray click, a dotted zero) is no reason: still a 0."""
    pen = 14
    eyes = [[(160.0, 150.0), (160.0, 175.0)], [(240.0, 150.0), (240.0, 175.0)]]
    mouth = [[(140.0 + 6 * i, 240.0 + 40 * math.sin(math.pi * i / 20)) for i in range(21)]]
    seven = [[(160.0, 130.0), (240.0, 130.0), (190.0, 270.0)]]
    one = [[(200.0, 120.0), (200.0, 280.0)]]  # upright: a circled 1, not a slashed zero (an outside review)
    drawings = [
        (ring() + eyes + mouth, ""),
        (ring() + eyes, ""),
        (ring() + mouth, ""),
        (ring() + seven, "7"),
        (seven + ring(), "7"),
        (ring() + one, "1"),
    ]
    for strokes, inside in drawings:
        canvas = rasterize(strokes, SIZE, pen)
        assert ink_reason(canvas, SIZE) == reject.NOT_A_DIGIT
        assert shipped.predict(canvas, strokes).unsure == reject.NOT_A_DIGIT
        for own in (strokes, None):  # the app's path, and the image path
            read = shipped.read(canvas, own)
            assert read and number_text(read).replace("?", "") in (
                "",
                inside,
            )  # the ring a "?", the 7 it holds read or not
    for inside in ([[(200.0, 200.0)]], [[(196.0, 198.0), (206.0, 203.0)]]):  # a dotted zero, a click drifting
        strokes = ring() + inside
        for own in (strokes, None):
            assert number_text(shipped.read(rasterize(strokes, SIZE, pen), own)) == "0"
