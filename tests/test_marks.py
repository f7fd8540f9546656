"""Marks between digits (recognizer.marks): a decimal point, a comma, a colon, a dash, a date's slashes, a
minus before a number, and specks and strokes that are none."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from recognizer.ink import ink_from_canvas
from recognizer.marks import find_marks
from recognizer.predictor import number_text
from recognizer.strokes import rasterize
from recognizer.synthetic import DIGIT_STROKES, LETTER_STROKES, place_strokes

PEN = 12  # px
HEIGHT = 150  # px, a digit's box
TOP = 60  # px, the digits' box's top
BASELINE = TOP + 0.9 * HEIGHT + PEN / 2  # the bottom of their ink (DIGIT_STROKES end at 0.9 of the box)
MIDDLE = 30 + 0.6 * HEIGHT + 35  # x half way between the first two digits, written 70 px apart


def click(x: float, y: float) -> list:
    """A click of the pen at (x, y): a dot as wide as the pen."""
    return [[(x, y), (x, y)]]


DOT = [[(0.5, 0.5), (0.5, 0.5)]]  # a click: a round dot as wide as the pen
COMMA = [[(0.6, 0.0), (0.55, 0.5), (0.35, 1.0)]]
DASH = [[(0.0, 0.5), (1.0, 0.55)]]
SLASH = [[(0.0, 1.0), (1.0, 0.0)]]  # up to the right: 30 degrees from upright in write's 130 px gap


def write(text: str, gap: float = 70.0, extra: list | None = None, left: float = 30.0) -> tuple[np.ndarray, list]:
    """Digits (and letters) and marks written left to right from x = `left` with the app's round pen, a mark in the
    middle of the gap before it, on the digits' baseline (a colon's upper dot and a dash half way up; a slash from
    it to the digits' top): canvas, strokes in writing order. extra: more strokes (canvas px), written last."""
    strokes, x = [], left
    for c in text:
        if c.isdigit() or c in LETTER_STROKES:
            unit = DIGIT_STROKES[int(c)] if c.isdigit() else LETTER_STROKES[c]
            strokes += place_strokes(unit, box=(x, TOP, 0.6 * HEIGHT, HEIGHT))
            x += 0.6 * HEIGHT + gap
            continue
        left = x - gap if strokes else x  # a leading mark comes before the first digit
        x += 0 if strokes else gap
        if c == "/":
            wide = 0.8 * HEIGHT * np.tan(np.radians(30))
            strokes += place_strokes(SLASH, box=(left + (gap - wide) / 2, TOP + 0.1 * HEIGHT, wide, 0.8 * HEIGHT))
            continue
        mark = {".": [DOT], ":": [DOT, DOT], ",": [COMMA], "-": [DASH]}[c]
        for k, unit in enumerate(mark):
            y, h = (BASELINE - PEN, PEN) if k == 0 and unit is not DASH else (TOP + 0.45 * HEIGHT, PEN)
            strokes += place_strokes(unit, box=(left + 0.3 * gap, y, 0.4 * gap, 0.3 * HEIGHT if unit is COMMA else h))
    strokes += extra or []
    return rasterize(strokes, (HEIGHT + 2 * TOP + 40, int(x + 30)), PEN), strokes


@pytest.mark.parametrize("text", ["5.2", "12.50", "3,7", "12:30", "9.0,4", "4-2", "555-12"])
def test_a_mark_between_digits_is_read_with_strokes_and_without(shipped, text):
    """A decimal point was dropped as a speck: "52.09" read "5209", a hundred times off and sure."""
    canvas, strokes = write(text)
    for path in (strokes, None):
        preds = shipped.read(canvas, path)
        assert number_text(preds) == text
        assert [p.after for p in preds] == [
            text[k + 1] if k + 1 < len(text) and not text[k + 1].isdigit() else ""
            for k, c in enumerate(text)
            if c.isdigit()
        ]


@pytest.mark.parametrize(
    ("text", "extra", "read"),
    [
        (".5", None, "5"),  # before the first digit: no number has it
        ("25.", None, "25"),  # after the last: a full stop
        ("25", click(MIDDLE, TOP - 20), "25"),  # a click above the row, in the gap
        ("25", click(30 + 0.5 * HEIGHT, BASELINE - PEN), "25"),  # on a digit's foot
        ("25", click(MIDDLE, TOP + 0.5 * HEIGHT), "25"),  # half way up: a colon's upper dot alone
        ("25", click(MIDDLE - 12, BASELINE - PEN / 2) + click(MIDDLE + 12, BASELINE - PEN / 2), "25"),  # ".."
    ],
    ids=["leading", "trailing", "above", "on a digit", "half way up", "two dots side by side"],
)
def test_specks_that_are_no_mark_between_two_digits_read_nothing(shipped, text, extra, read):
    canvas, strokes = write(text, extra=extra)
    for path in (strokes, None):
        assert number_text(shipped.read(canvas, path)) == read


def test_a_comma_standing_on_the_baseline_is_a_comma_and_a_dot_a_little_under_it_a_point(shipped):
    """A comma need not hang under the baseline when it is long (a bold pen's comma); a point written
    a little low is still a point."""
    comma = [[(MIDDLE + 6, BASELINE - PEN / 2 - 0.27 * HEIGHT), (MIDDLE - 6, BASELINE - PEN / 2)]]
    low = click(MIDDLE, BASELINE + 4)  # its middle 4 px under the digits' lowest ink
    for extra, read in ((comma, "3,7"), (low, "3.7")):
        canvas, strokes = write("37", extra=extra)
        for path in (strokes, None):
            assert number_text(shipped.read(canvas, path)) == read


HOOK = [[(0.2, 0.25), (0.35, 0.08), (0.6, 0.05), (0.8, 0.2), (0.75, 0.4), (0.5, 0.55), (0.5, 0.75)]]


@pytest.mark.parametrize("sign", ["?", "!"])
def test_a_question_or_exclamation_mark_is_no_digit(shipped, sign):
    """A "?" read a sure 7 (its dot dropped as a speck, or read with it), a "!" a sure 1: a dot under
    a reading's middle, a little below its ink, is where no mark of a number goes."""
    unit = HOOK if sign == "?" else [[(0.5, 0.05), (0.5, 0.75)]]
    strokes = place_strokes(unit, box=(100, TOP, 0.6 * HEIGHT, HEIGHT)) + click(100 + 0.3 * HEIGHT, TOP + 0.95 * HEIGHT)
    canvas = rasterize(strokes, (HEIGHT + 2 * TOP + 40, 300), PEN)
    for path in (strokes, None):
        (reading,) = shipped.read(canvas, path)
        assert reading.unsure == "not a digit", (sign, path is None)
    alone = rasterize(strokes[:1], canvas.shape, PEN)  # without its dot: as before
    assert number_text(shipped.read(alone, strokes[:1])) == ("7" if sign == "?" else "1")


@pytest.mark.parametrize(
    "extra, read",
    [
        (click(30 + 0.3 * HEIGHT, BASELINE + 0.7 * HEIGHT), "35"),  # far under the 3: another line's, not its
        (click(30 + 0.05 * HEIGHT, BASELINE + 20), "35"),  # under the 3's left edge, not its middle
        (click(30 + 0.3 * HEIGHT, BASELINE + 20) + click(30 + 0.3 * HEIGHT, BASELINE + 50), "35"),  # two, not one
        (click(190 + 0.3 * HEIGHT, BASELINE + 20), "375"),  # under a digit of a number: a broken tail, a speck
        (click(190 + 0.3 * HEIGHT, BASELINE + 20), "35"),  # under a number's last digit (an outside review: "3?")
    ],
    ids=["far below", "off the middle", "two dots", "between two digits", "under the last digit"],
)
def test_a_dot_under_a_digit_elsewhere_leaves_it_a_digit(shipped, extra, read):
    canvas, strokes = write(read, extra=extra)
    assert number_text(shipped.read(canvas, strokes)) == read
    preds = shipped.read(canvas, strokes)
    assert find_marks(ink_from_canvas(canvas), [p.box for p in preds], [p.row for p in preds], strokes).questions == []


@pytest.mark.parametrize("top", ["12", "1.2", "7"])
def test_the_next_line_written_close_under_a_row_is_no_dot_under_it(shipped, top):
    """The top of a digit of the next line, cut where a row's pieces were looked for, was a small solid
    piece under a digit: "12" over "34" read "?? 34" (an outside review)."""
    first = write(top)[1]
    strokes = first + [[(x, y + 1.2 * HEIGHT) for x, y in stroke] for stroke in write("34")[1]]
    canvas = rasterize(strokes, (int(TOP + 2.2 * HEIGHT + 60), 400), PEN)
    for path in (strokes, None):
        text = number_text(shipped.read(canvas, path))  # the point may be missed so close to the next line, as before
        assert text.replace(".", "") == top.replace(".", "") + " 34", text


def test_a_colon_after_a_word_is_no_mark(shipped):
    """A label's colon ("TE: 45") stood between a letter and a digit: read as a mark, the letters'
    readings and the number ran together ("??:45")."""
    canvas, strokes = write("TE:45")
    for path in (strokes, None):
        read = number_text(shipped.read(canvas, path))
        assert ":" not in read and read.endswith("45"), read


def test_a_dash_filling_the_gap_is_read_with_strokes(shipped):
    """A dash drawn into its neighbour's ink is still a stroke of its own where it fills the gap
    ("94-55" read "9455": a bold pen leaves little room); one reaching far into a digit and far
    from the other is that digit's bar."""
    stem = 30 + 0.62 * 0.6 * HEIGHT + PEN / 2  # the right edge of the 4's stem
    five = 30 + 0.6 * HEIGHT + 30 + 0.3 * 0.6 * HEIGHT - PEN / 2  # the 5's left edge half way up
    y = TOP + 0.5 * HEIGHT
    # its ink 5 px into the stem's; 11 px; 5 px, but far from the 5
    for start, end, read in ((stem + 1, five - 10, "4-5"), (stem - 5, five - 10, "45"), (stem + 1, five - 35, "45")):
        canvas, strokes = write("45", gap=30, extra=[[(start, y), (end, y)]])
        assert number_text(shipped.read(canvas, strokes)) == read


def test_a_bar_written_apart_is_its_digits_not_a_dash(shipped):
    """A 7's bar and a 4's, written as strokes of their own, are as flat as a dash and half way up:
    they cross their digit's stem, and the point after the digit is still read."""
    four = [[(0.58, 0.1), (0.22, 0.62)], [(0.22, 0.62), (0.8, 0.62)], [(0.62, 0.32), (0.62, 0.92)]]
    seven = [*DIGIT_STROKES[7], [(0.35, 0.5), (0.8, 0.5)]]
    for unit, digit in ((four, "4"), (seven, "7")):
        canvas, strokes = write(f"{digit}.5")
        strokes[: len(DIGIT_STROKES[int(digit)])] = place_strokes(unit, box=(30, TOP, 0.6 * HEIGHT, HEIGHT))
        canvas = rasterize(strokes, canvas.shape, PEN)
        assert number_text(shipped.read(canvas, strokes)) == f"{digit}.5"


@pytest.mark.parametrize(
    "extra",
    [
        [[(MIDDLE - 18, BASELINE - PEN / 2), (MIDDLE + 18, BASELINE - PEN / 2)]],
        [[(MIDDLE - 18, TOP + 5), (MIDDLE + 18, TOP + 5)]],
        [[(MIDDLE - 18, TOP + 55), (MIDDLE + 18, TOP + 55)], [(MIDDLE - 18, TOP + 85), (MIDDLE + 18, TOP + 85)]],
        [[(MIDDLE - 15, TOP + 82), (MIDDLE + 15, TOP + 68)]],  # rising too steeply
    ],
    ids=["on the baseline", "at the top", "an equals sign", "steep"],
)
def test_strokes_in_the_gap_that_are_no_dash(shipped, extra):
    canvas, strokes = write("25", extra=extra)
    for path in (strokes, None):
        assert "-" not in number_text(shipped.read(canvas, path))


@pytest.mark.parametrize("text", ["12/05/26", "1/7/2026", "2026/12/06", "2026/12/31", "29/2/2024"])
def test_a_dates_slashes_are_read_with_strokes_and_without(shipped, text):
    """A date's slashes read as 1s: "12/05/26" read "12105126"."""
    canvas, strokes = write(text, gap=130)
    for path in (strokes, None):
        assert number_text(shipped.read(canvas, path)) == text


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("3/4", "314"),
        ("12/05/2", "1210512"),
        ("12/3456", "1213456"),
        ("45/36/89", "45136189"),
        ("12/05/265", "121051265"),
        ("31/4/26", "3114126"),
        ("00/12/26", "00112126"),
        ("012/4/26", "01214126"),
        ("12/05/0126", "1210510126"),
    ],
    ids=[
        "one slash",
        "no year",
        "one slash's places",
        "no day or month",
        "a year of 3",
        "april has 30 days",
        "day 0",
        "a day of 3 digits",
        "year 126",
    ],
)
def test_slashes_that_make_no_date_are_1s(shipped, text, read):
    """Many people's 1s lean as far as a slash: a lone slash, or slashes that make no date (the
    values too: 45/36/89), stay 1s."""
    canvas, strokes = write(text, gap=130)
    for path in (strokes, None):
        assert number_text(shipped.read(canvas, path)) == read


def test_slashes_that_make_two_dates_are_1s(shipped):
    """A 1 leaning as far as the slashes beside it: "21/4/63" or "2/14/63"? Neither is read."""
    canvas, strokes = write("21/4/63", gap=130)
    one = len(DIGIT_STROKES[2])  # the 1's stroke, after the 2's
    (x0, y0), *_, (x1, y1) = strokes[one]
    half = np.tan(np.radians(30)) * abs(y1 - y0) / 2
    strokes[one] = [((x0 + x1) / 2 - half, max(y0, y1)), ((x0 + x1) / 2 + half, min(y0, y1))]
    canvas = rasterize(strokes, canvas.shape, PEN)
    for path in (strokes, None):
        assert number_text(shipped.read(canvas, path)) == "2114163"


def _restroke(stroke: list, shape: str) -> list:
    """A slash stroke from its foot (x0, y0) to its top (x1, y1) written otherwise."""
    (x0, y0), (x1, y1) = stroke
    cx, cy, tall = (x0 + x1) / 2, (y0 + y1) / 2, y0 - y1
    if shape == "upright":
        return [(cx, y0), (cx, y1)]
    if shape.startswith("leaning "):
        half = np.tan(np.radians(float(shape.split()[1]))) * tall / 2
        return [(cx - half, y0), (cx + half, y1)]
    if shape == "leaning 45":
        return [(cx - tall / 2, y0), (cx + tall / 2, y1)]
    if shape == "bent":  # bowed a third of its length to the left
        t = np.linspace(0, 1, 9)
        return [(x0 + (x1 - x0) * u - 0.3 * tall * np.sin(np.pi * u), y0 + (y1 - y0) * u) for u in t]
    return [(cx - 0.2 * (x1 - x0), cy + 0.2 * tall), (cx + 0.2 * (x1 - x0), cy - 0.2 * tall)]  # short


@pytest.mark.parametrize("shape", ["upright", "leaning 45", "bent", "short", "both leaning 12"])
def test_a_dates_slashes_are_straight_as_tall_as_the_digits_and_lean_alike_as_slashes_do(shipped, shape):
    """Where a date's first slash is upright (a 1), leans 15 degrees more than the other, is bowed,
    or is short, or both lean as little as many people's 1s, neither is a slash."""
    canvas, strokes = write("12/05/26", gap=130)
    slashes = [k for k, s in enumerate(strokes) if len(s) == 2]  # write's only two-point strokes
    for k in slashes if shape == "both leaning 12" else slashes[:1]:
        strokes[k] = _restroke(strokes[k], shape.removeprefix("both "))
    canvas = rasterize(strokes, canvas.shape, PEN)
    for path in (strokes, None):
        assert "/" not in number_text(shipped.read(canvas, path))


@pytest.mark.parametrize(("lean", "read"), [(22, "12/05/26"), (17, "12105126")])
def test_a_dates_slashes_lean_20_degrees_at_least(shipped, lean, read):
    """Slashes leaning 22 degrees are a date's, 17 degrees as many people's 1s."""
    canvas, strokes = write("12/05/26", gap=130)
    for k in [k for k, s in enumerate(strokes) if len(s) == 2]:  # write's only two-point strokes: the slashes
        strokes[k] = _restroke(strokes[k], f"leaning {lean}")
    canvas = rasterize(strokes, canvas.shape, PEN)
    for path in (strokes, None):
        assert number_text(shipped.read(canvas, path)) == read


def test_a_1_with_a_base_where_a_slash_would_be_is_a_1(shipped):
    """A slash is one stroke: a leaning stroke with a base serif of its own (a 1's) is none, and
    the date with it."""
    canvas, strokes = write("12/05/26", gap=130)
    (x0, y0), _ = strokes[2]
    strokes.append([(x0 - 20, y0), (x0 + 20, y0)])  # a base across its foot
    canvas = rasterize(strokes, canvas.shape, PEN)
    assert "/" not in number_text(shipped.read(canvas, strokes))


def test_a_letter_in_a_dates_place_makes_no_date(shipped):
    """A letter read "?" where a date's month goes: its best guess as a digit made a date ("5/?/26")."""
    canvas, strokes = write("5/E/26", gap=130)
    for path in (strokes, None):
        assert number_text(shipped.read(canvas, path)) == "51?126"


def test_a_speck_in_a_slashs_box_leaves_it_a_slash(shipped):
    """A slash is one stroke or piece: ink of less than a tenth of it beside it (a speck, a pen's
    touch) is none."""
    canvas, strokes = write("12/05/26", gap=130)
    (x0, y0), (x1, y1) = strokes[2]
    speck = (x0 + 0.75 * (x1 - x0) - PEN, y0 + 0.75 * (y1 - y0))  # a pen's width left of its upper part
    strokes.append([speck, speck])
    canvas = rasterize(strokes, canvas.shape, PEN)
    assert number_text(shipped.read(canvas, strokes)) == "12/05/26"


@pytest.mark.parametrize(
    ("extra", "read"),
    [
        ([[(MIDDLE - 18, BASELINE - 0.2 * HEIGHT), (MIDDLE + 18, BASELINE - 0.2 * HEIGHT)]], "2-5"),
        ([[(MIDDLE - 11, BASELINE - 0.2 * HEIGHT + 3.5), (MIDDLE + 11, BASELINE - 0.2 * HEIGHT - 3.5)]], "2.5"),
        ([[(MIDDLE - 7, BASELINE - 0.5 * HEIGHT), (MIDDLE + 7, BASELINE - 0.5 * HEIGHT)]], "25"),
    ],
    ids=["a dash low down", "a short dab low down", "too short"],
)
def test_a_dash_low_down_is_a_dash_a_short_dab_a_point(shipped, extra, read):
    """A dash written a fifth of the height up is a dash (they were missed below a quarter); a dab
    there that is as round as a point is one; a flat stroke shorter than 0.15 of the height is none."""
    canvas, strokes = write("25", extra=extra)
    for path in (strokes, None):
        assert number_text(shipped.read(canvas, path)) == read


def test_a_stroke_longer_than_the_digits_are_tall_is_no_dash(shipped):
    canvas, strokes = write("25", gap=180, extra=[[(125, TOP + 75), (290, TOP + 75)]])  # 165 px: 1.1 of their height
    for path in (strokes, None):
        assert "-" not in number_text(shipped.read(canvas, path))


def test_a_scribble_in_the_gap_is_no_dash(shipped):
    """A zigzag half way up is as long and as flat as a dash, but thicker than a pen's stroke."""
    zigzag = [[(140 + 10 * k, TOP + 61 + (28 if k % 2 else 0)) for k in range(10)]]  # 90 px long, 28 high
    canvas, strokes = write("25", gap=130, extra=zigzag)
    for path in (strokes, None):
        assert "-" not in number_text(shipped.read(canvas, path))


@pytest.mark.parametrize("text", ["-5", "-57", "-305"])
def test_a_minus_before_a_number_is_read_with_strokes_and_without(shipped, text):
    """A minus before the first digit was dropped as a speck or read as part of that digit: "-41" read
    "41", and sure."""
    canvas, strokes = write(text)
    for path in (strokes, None):
        preds = shipped.read(canvas, path)
        assert number_text(preds) == text
        assert [p.before for p in preds] == ["-"] + [""] * (len(text) - 2)


Y_MINUS = TOP + 0.5 * HEIGHT  # half way up the digits


@pytest.mark.parametrize(
    ("extra", "with_strokes", "without"),
    [
        ([[(130, Y_MINUS), (170, Y_MINUS)]], True, True),  # 40 px before the 5's ink
        ([[(10, Y_MINUS), (50, Y_MINUS)]], False, False),  # 160 px: more than the digits are tall
        ([[(130, TOP + 0.3 * HEIGHT), (170, TOP + 0.3 * HEIGHT)]], False, False),  # 0.73 up: high for a minus
        ([[(130, TOP + 0.72 * HEIGHT), (170, TOP + 0.72 * HEIGHT)]], False, False),  # 0.25 up: low for a minus
        ([[(130, Y_MINUS + 6), (170, Y_MINUS - 6)]], False, False),  # slanted 17 degrees: more than a minus, not a dash
        ([[(130, Y_MINUS - 20), (170, Y_MINUS - 20)], [(130, Y_MINUS + 20), (170, Y_MINUS + 20)]], False, False),
        ([[(0, Y_MINUS), (170, Y_MINUS)]], False, False),  # a line from the canvas's edge: more than a dash
        ([[(70 + 10 * k, Y_MINUS + 6 * (-1) ** (k + 1)) for k in range(9)]], False, False),  # "~": flat, not straight
        ([[(160, Y_MINUS), (218, Y_MINUS)]], True, False),  # 3 px into the 5's ink: a stroke of its own, one piece
        ([[(160, Y_MINUS), (225, Y_MINUS)]], False, False),  # 11 px into its ink, to its stem's middle: its bar
    ],
    ids=["minus", "far", "high", "low", "slanted", "two strokes", "long line", "tilde", "touching", "into"],
)
def test_a_minus_is_one_short_flat_straight_stroke_half_way_up_just_before_the_first_digit(
    shipped, extra, with_strokes, without
):
    canvas, strokes = write("57", left=200, extra=extra)
    strokes = strokes[-len(extra) :] + strokes[: -len(extra)]  # written first
    for path, minus in ((strokes, with_strokes), (None, without)):
        read = number_text(shipped.read(canvas, path))
        assert read == "-57" if minus else not read.startswith("-"), read


def test_a_stroke_into_the_first_digit_written_after_it_is_its_bar_not_a_minus(shipped):
    """A 7's crossbar written after it, reaching its stem from the left, read "-7" in the first version of
    the rule: a minus touching the digit must have been written before it."""
    canvas, strokes = write("57", left=200, extra=[[(160, Y_MINUS), (218, Y_MINUS)]])  # "touching", written last
    assert not number_text(shipped.read(canvas, strokes)).startswith("-")


def test_a_minus_before_a_word_is_no_minus(shipped):
    canvas, strokes = write("-T5")
    for path in (strokes, None):
        assert not number_text(shipped.read(canvas, path)).startswith("-")


def zeros_and_a_minus(left: int = 0) -> tuple[np.ndarray, list]:
    """Two "digits" (0s as rectangles, 150 px tall) and a minus half way up 24 px before the first, all
    moved `left` px to the right: canvas, strokes (the minus first)."""
    zeros = [
        [(x0 + left, 46), (x0 + left + 78, 46), (x0 + left + 78, 184), (x0 + left, 184), (x0 + left, 46)]
        for x0 in (146, 336)
    ]
    strokes = [[(60 + left, 115), (110 + left, 115)], *zeros]
    return rasterize(strokes, (300, 500 + left), PEN), strokes


@pytest.mark.parametrize("with_strokes", [True, False])
def test_a_minus_apart_in_a_first_digits_box_or_read_as_a_digit_of_its_own(with_strokes):
    """The rule alone, on boxes: a minus outside the first digit's box is its `before`; one in it (read
    as part of the digit) is to be read again without it (`joined`); one read as a "digit" of its
    own is left out, and the next digit has it. Beside a letter there is none."""
    canvas, strokes = zeros_and_a_minus()
    ink, strokes = ink_from_canvas(canvas), strokes if with_strokes else None
    digits = [(140, 40, 91, 151), (330, 40, 91, 151)]
    found = find_marks(ink, digits, [0, 0], strokes)
    assert found.before == ["-", ""] and found.joined is None and found.readings == []
    assert find_marks(ink, digits, [0, 0], strokes, ["not a digit", None]).before == ["", ""]
    found = find_marks(ink, [(53, 40, 178, 151), digits[1]], [0, 0], strokes)  # the first box holds the minus
    assert found.joined is not None and found.joined[115, 54:116].all() and not found.joined[:, 130:].any()
    assert found.strokes == ([0] if with_strokes else [])
    found = find_marks(ink, [(53, 108, 65, 15), *digits], [0, 0, 0], strokes)  # the minus read as a digit
    assert found.readings == [0] and found.before == ["", "-", ""]
    found = find_marks(ink, [(53, 108, 65, 15), *digits], [0, 0, 0], strokes, ["too small", "not a digit", None])
    assert found.readings == [] and found.before == ["", "", ""]


def test_a_minus_half_in_the_first_box_or_at_the_canvas_edge_is_read_again_without_it():
    """A first box from the minus's middle on holds it (to be read again without it); so does one from
    the canvas's left edge, where the minus starts (it was missed on the image path)."""
    canvas, strokes = zeros_and_a_minus()
    ink, digits = ink_from_canvas(canvas), [(140, 40, 91, 151), (330, 40, 91, 151)]
    assert find_marks(ink, [(85, 40, 146, 151), digits[1]], [0, 0]).joined is not None  # the minus: 53-117
    edge = [[(6, 115), (50, 115)], *[[(x - 60, y) for x, y in s] for s in strokes[1:]]]  # all 60 px to the left
    canvas = rasterize(edge, (300, 500), PEN)
    found = find_marks(ink_from_canvas(canvas), [(0, 40, 171, 151), (270, 40, 91, 151)], [0, 0])
    assert found.joined is not None and found.joined[115, :50].all()


def test_ink_above_and_before_the_first_digit_makes_no_minus():
    """Ink of the row above, before the first digit and within half its height above it, might be
    another word's: no minus is read then."""
    canvas, _ = zeros_and_a_minus()
    cv2.circle(canvas, (80, 12), PEN // 2, 255, -1)  # 28 px above the 0's box, before it
    digits = [(140, 40, 91, 151), (330, 40, 91, 151)]
    assert find_marks(ink_from_canvas(canvas), digits, [0, 0]).before == ["", ""]


def test_a_small_reading_far_before_a_minus_is_not_the_minus():
    """A small reading first in a row (a "?") is left out as the minus only where it holds the minus."""
    canvas, strokes = zeros_and_a_minus(left=400)
    canvas[110:120, 10:20] = 255  # a speck far before them
    digits = [(540, 40, 91, 151), (730, 40, 91, 151)]
    found = find_marks(ink_from_canvas(canvas), [(10, 110, 10, 10), *digits], [0, 0, 0])
    assert found.readings == [] and found.before == ["", "", ""]


def test_marks_needs_a_digit_on_each_side_in_one_row():
    """The rule alone, on boxes: a dot between two boxes of one row, none between rows."""
    canvas = np.zeros((300, 400), np.uint8)
    cv2.rectangle(canvas, (46, 46), (124, 184), 255, PEN)  # two "digits" as 0s, 150 px tall
    cv2.rectangle(canvas, (236, 46), (314, 184), 255, PEN)
    cv2.circle(canvas, (180, 184), PEN // 2, 255, -1)  # a dot as wide as the pen on their baseline, in the gap
    boxes = [(40, 40, 91, 151), (230, 40, 91, 151)]
    found = find_marks(ink_from_canvas(canvas), boxes, [0, 0])
    assert found.after == [".", ""] and found.readings == [] and found.joined is None
    assert find_marks(ink_from_canvas(canvas), boxes, [0, 1]).after == ["", ""]
    assert find_marks(ink_from_canvas(canvas), boxes[:1], [0]).after == [""]
    cv2.circle(canvas, (158, 184), PEN // 2, 255, -1)  # a second dot beside it: no mark, however each looks
    assert find_marks(ink_from_canvas(canvas), boxes, [0, 0]).after == ["", ""]


def two_digits_and_a_point() -> np.ndarray:
    """Two "digits" (0s as rectangles, 150 px tall) and a dot on their baseline between them."""
    canvas = np.zeros((300, 500), np.uint8)
    cv2.rectangle(canvas, (46, 46), (124, 184), 255, PEN)
    cv2.rectangle(canvas, (236, 46), (314, 184), 255, PEN)
    cv2.circle(canvas, (180, 184), PEN // 2, 255, -1)
    return canvas


def test_a_flat_stroke_across_a_digit_is_no_dash_and_leaves_the_point_read():
    """A flat stroke of its own half way up across the right digit's side (its bar, or the next
    digit's that the grouping took into its box) is no dash between the two, nor a second mark
    beside the point."""
    zeros = [[(x0, 46), (x0 + 78, 46), (x0 + 78, 184), (x0, 184), (x0, 46)] for x0 in (46, 236)]
    strokes = [*zeros, [(180, 184), (180, 184)], [(300, 115), (360, 115)]]  # the point, the stroke
    canvas = rasterize(strokes, (300, 500), PEN)
    boxes = [(40, 40, 91, 151), (230, 40, 140, 151)]  # the second box holds the stroke
    assert find_marks(ink_from_canvas(canvas), boxes, [0, 0], strokes).after == [".", ""]


def test_a_neighbours_ink_in_a_digits_box_is_not_that_digits():
    """A box reaching over the next digit's edge: that digit's ink is still its own, not the box's,
    and the point between them is read."""
    canvas = two_digits_and_a_point()
    boxes = [(40, 40, 205, 151), (230, 40, 91, 151)]  # the first box takes in the second 0's left side
    assert find_marks(ink_from_canvas(canvas), boxes, [0, 0]).after == [".", ""]


def test_boxes_off_the_canvas_or_without_ink_read_no_mark():
    """A caller's boxes off the canvas crashed (an empty crop); so did 1s read over no ink where
    the row's only ink is elsewhere (a slash's one piece of nothing)."""
    canvas = np.zeros((300, 900), np.uint8)
    canvas[100:200, 400:404] = 255  # one stroke, in the last box
    ink = ink_from_canvas(canvas)
    assert find_marks(ink, [(2000, 100, 30, 100)] * 6, [0] * 6, None, None, [2, 1, 3, 1, 2, 6]).after == [""] * 6
    boxes = [(10, 100, 30, 100), (60, 100, 30, 100), (110, 100, 30, 100), (160, 100, 30, 100), (210, 100, 30, 100)]
    assert find_marks(ink, [*boxes, (390, 100, 30, 100)], [0] * 6, None, None, [2, 1, 3, 1, 2, 6]).after == [""] * 6


def photo(tmp_path, text: str, extra: list | None = None, dust: int = 0, seed: int = 0):
    """A photo of `text` written with a fine pen (write's strokes, 3 px) on grey paper with noise,
    `dust` specks scattered over the page, saved as a JPEG: its canvases, as the CLI reads them."""
    from recognizer.images import load_canvases

    canvas, strokes = write(text, extra=extra)
    thin = rasterize(strokes, (canvas.shape[0] + 200, canvas.shape[1] + 200), 4)  # the page around it
    thin = np.roll(thin, (100, 100), axis=(0, 1))
    rng = np.random.default_rng(seed)
    page = 200.0 - 150.0 * thin / 255 + rng.normal(0, 4, thin.shape)
    for y, x in zip(rng.integers(0, thin.shape[0], dust), rng.integers(0, thin.shape[1], dust)):
        cv2.circle(page, (int(x), int(y)), 1, 90.0, -1)
    path = tmp_path / f"{text}-{seed}.jpg"
    cv2.imwrite(
        str(path), np.clip(cv2.GaussianBlur(page, (3, 3), 0.8), 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 85]
    )
    return load_canvases(path)


@pytest.mark.parametrize("text", ["5.2", "12:30", "3,7", "4-2"])
def test_a_mark_in_a_photo_is_read(tmp_path, shipped, text):
    """A pen's dot in a photo is far smaller than the digits: it was dropped with the specks."""
    assert number_text(shipped.read_picture(photo(tmp_path, text))) == text


def test_dust_on_a_photo_is_no_mark(tmp_path, shipped):
    for seed in range(3):
        assert number_text(shipped.read_picture(photo(tmp_path, "52", dust=40, seed=seed))) == "52"


@pytest.mark.parametrize(
    ("name", "read"),
    [("small_print_under_5174.png", "5174"), ("label_no_8.png", "??8")],
    ids=["small print", "a label's full stop"],
)
def test_a_speck_kept_as_a_point_only_between_two_digits_alike_and_alone(shipped, name, read):
    """Photos keep a pen's dot between two digits: the letters of a line of small print under a
    number were kept too, and one joined a digit ("5174" read "51?4"); a label's full stop between
    its small "o" and the number joined the 8 ("No. 8" read "?"). The "o", half as tall as the 8
    beside the "N", goes with it (reject.WORD_SMALL): it read "?08"."""
    from recognizer.images import load_canvases

    canvases = load_canvases(Path(__file__).parent / "fixtures" / "photos" / name)
    assert number_text(shipped.read_picture(canvases)) == read


def bracket(x: float, bow: float, opening: bool, lean: float = 0.0, tall: float = 1.2) -> list:
    """A bracket's stroke at x, `tall` times as tall as the digits, its middle `bow` of its height
    further out than its ends ("(" bows left), leaning `lean` (x per unit of height, its top right)."""
    tall, middle = tall * 0.9 * HEIGHT, TOP + 0.45 * HEIGHT
    t = np.linspace(0.0, 1.0, 24)
    y = middle + (t - 0.5) * tall
    out = bow * tall * 4 * t * (1 - t) * (1 if opening else -1)
    return [list(zip((x - out + lean * (middle - y)).tolist(), y.tolist()))]


def bracketed(text: str, bows: tuple[float, float], lean: float = 0.0) -> tuple[np.ndarray, list]:
    """`text` written after a gap with a "(" in it and a ")" after its last digit (bows: theirs; 0 for none)."""
    _, digits = write(text, left=100)
    right = 100 + len(text) * (0.6 * HEIGHT + 70) - 70 + 40
    extra = (bracket(60, bows[0], True, lean) if bows[0] else []) + (
        bracket(right, bows[1], False, lean) if bows[1] else []
    )
    strokes = extra[:1] + digits + extra[1:] if bows[0] else digits + extra
    return rasterize(strokes, (HEIGHT + 2 * TOP + 40, int(right + 60)), PEN), strokes


@pytest.mark.parametrize("lean", [0.0, 0.15])
@pytest.mark.parametrize("bows", [(0.12, 0.12), (0.06, 0.06), (0.12, 0.0), (0.0, 0.12)])
def test_brackets_round_a_number_are_left_out(shipped, monkeypatch, bows, lean):
    """ "(551)": the brackets read as sure 1s ("15511", an outside trial: 30 of 30); each bowed and
    smooth is left out alone, one bowed less only with the other. Leaning as handwriting does."""
    canvas, strokes = bracketed("410", bows, lean)
    for path in (strokes, None):
        assert number_text(shipped.read(canvas, path)) == "410"
    from recognizer import marks

    monkeypatch.setattr(marks, "_brackets", lambda *args: [])
    assert number_text(shipped.read(canvas, strokes)) != "410"  # the brackets read as digits


@pytest.mark.parametrize(("bows", "read"), [((0.06, 0.0), "1410"), ((0.0, 0.06), "4101"), ((0.03, 0.03), "14101")])
def test_a_1_bowed_a_little_at_either_end_of_a_number_stays_a_1(shipped, bows, read):
    """A curved 1 first or last (bowed as a flat bracket) is a 1 unless its other bracket is there too
    (4% of the training-side people's 1s bow as much, docs/measurements.md), and bowed less, a 1."""
    canvas, strokes = bracketed("410", bows)
    for path in (strokes, None):
        assert number_text(shipped.read(canvas, path)) == read


def bracket_row(spec: str) -> tuple[np.ndarray, list]:
    """Readings written left to right, 40 px apart: digits, "(" and ")" (brackets bowed 0.12), "{" and
    "}" (1s as tall as the digits, bowed 0.06 as "(" and ")" are), " " a word's space: canvas, strokes."""
    strokes, x = [], 60.0
    for c in spec:
        if c.isdigit():
            strokes += place_strokes(DIGIT_STROKES[int(c)], box=(x, TOP, 0.6 * HEIGHT, HEIGHT))
            x += 0.6 * HEIGHT + 40
        elif c in "(){}":
            x += 20
            strokes += bracket(x, 0.12 if c in "()" else 0.06, c in "({", tall=1.2 if c in "()" else 1.0)
            x += 60
        else:
            x += 0.6 * HEIGHT
    return rasterize(strokes, (HEIGHT + 2 * TOP + 40, int(x + 60)), PEN), strokes


@pytest.mark.parametrize(
    ("spec", "read"),
    [
        ("(41) }23", "41123"),  # a 1 after the brackets, bowed as ")": the nearest digit is close after it
        ("5{2}5", "51215"),  # 1s bowed opposite ways inside a number
        ("(4{0)", "410"),  # a 1 bowed as "(" inside brackets
        ("(4}0)", "410"),  # ... as ")"
        ("(3)", "3"),
        ("12 (34)", "1234"),
        ("(3 ", "3"),  # alone, first
        ("50 (12", "50112"),  # alone inside a row, a space before it: a 1 (a bracket alone is first or last)
    ],
)
def test_a_bracket_has_its_outer_side_clear_and_pairs_with_the_nearest(shipped, spec, read):
    """A review: a 1 bowed as ")" after a bracketed group ("(555) 1 23" read "55523"), 1s bowed
    opposite ways in a number ("51215" read "525") and a 1 bowed as "(" inside brackets were taken
    for brackets. A bracket's other side is clear of readings, and a "(" pairs with the nearest ")"."""
    canvas, strokes = bracket_row(spec)
    for path in (strokes, None):
        assert number_text(shipped.read(canvas, path)) == read
