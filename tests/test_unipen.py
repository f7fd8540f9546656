"""Real pen characters (recognizer.unipen, data.load_unipen), writing styles and the training set,
on a tiny UNIPEN-layout file made here from stroke templates (never the real data file)."""

import numpy as np
import pytest

from recognizer.data import Mnist, load_unipen
from recognizer.errors import DataError
from recognizer.ink import ink_box
from recognizer.preprocess import to_mnist
from recognizer.strokes import rasterize
from recognizer.synthetic import DIGIT_STROKES, LETTER_STROKES

WRITERS = [
    "kai/kai0/hykim0.dat",
    "kai/kai1/hykim4.dat",
    "art/art01trn.dat",
    "art/art01tst.dat",
    "syn/syn1/bek-dig2.dat",
    "gmd/alek.dat",
    "gmd/kast.dat",
    "ced/aaaa9018_s_2h.dat",
]


def pen_file(path, chars: list[tuple[str, str, list]]) -> None:
    """Write (label, writer, unit-box strokes) as a UNIPEN-layout npz in tablet-like units."""
    points, stroke_end, char_end, labels, kinds, sites, writers = [], [], [], [], [], [], []
    for label, writer, strokes in chars:
        for stroke in strokes:
            points += [(round(x * 300), round(y * 400)) for x, y in stroke]
            stroke_end.append(len(points))
        char_end.append(len(stroke_end))
        labels.append(label)
        kinds.append("digit" if label.isdigit() else "upper" if label.isupper() else "lower")
        sites.append(writer.split("/")[0])
        writers.append(writer)
    np.savez(
        path,
        points=np.array(points, np.int32),
        stroke_end=np.array(stroke_end, np.int64),
        char_end=np.array(char_end, np.int64),
        label=np.array(labels),
        kind=np.array(kinds),
        site=np.array(sites),
        writer=np.array(writers),
    )


@pytest.fixture
def pen_chars(tmp_path):
    rows = [(str(d), w, DIGIT_STROKES[d]) for w in WRITERS for d in range(10)]
    rows += [(k, w, LETTER_STROKES[k]) for w in WRITERS[:4] for k in "AEHe"]
    rows.append(("3", "gmd/kast.dat", DIGIT_STROKES[3]))  # the same ink as alek's 3: a duplicate
    path = tmp_path / "unipen.npz"
    pen_file(path, rows)
    return load_unipen(path)


def test_loads_characters_in_writing_order(pen_chars):
    assert len(pen_chars) == 10 * len(WRITERS) + 16 + 1
    four = pen_chars.strokes(4)
    assert pen_chars.label[4] == "4" and len(four) == len(DIGIT_STROKES[4]) == 2
    assert np.allclose(four[0][0], (round(0.58 * 300), round(0.1 * 400)))


def test_a_digit_labelled_other_than_0_to_9_is_refused_in_one_line(tmp_path):
    """Every reader turns a digit's label into an int: a file whose digits say 'Q' used to load, then
    stop calibration with a traceback."""
    path = tmp_path / "odd.npz"
    pen_file(path, [("1", "aga/a.dat", DIGIT_STROKES[1]), ("7", "aga/a.dat", DIGIT_STROKES[7])])
    data = dict(np.load(path))
    data["label"] = np.array(["1", "Q"])
    np.savez(path, **data)
    with pytest.raises(DataError, match="labelled 'Q', not 0-9"):
        load_unipen(path)


def test_load_needs_a_path_and_a_unipen_file(tmp_path, monkeypatch, tiny_mnist):
    monkeypatch.delenv("UNIPEN_NPZ", raising=False)
    with pytest.raises(DataError, match="--unipen"):
        load_unipen()
    with pytest.raises(DataError, match="not found"):
        load_unipen(tmp_path / "missing.npz")
    with pytest.raises(DataError, match="missing arrays"):
        load_unipen(tiny_mnist)
    bad = tmp_path / "bad.npz"
    np.savez(
        bad,
        points=np.zeros((3, 2), np.int32),
        stroke_end=np.array([2, 5]),
        char_end=np.array([2]),
        label=np.array(["1"]),
        kind=np.array(["digit"]),
        site=np.array(["a"]),
        writer=np.array(["a/b"]),
    )
    with pytest.raises(DataError, match="inconsistent"):
        load_unipen(bad)
    for changed in (  # no strokes at all; stroke ends that are not counts
        dict(points=np.zeros((0, 2), np.int32), stroke_end=np.zeros(0, np.int64), char_end=np.array([1])),
        dict(points=np.zeros((3, 2), np.int32), stroke_end=np.array([3.0]), char_end=np.array([1])),
    ):
        arrays = dict(label=np.array(["1"]), kind=np.array(["digit"]), site=np.array(["a"]), writer=np.array(["a/b"]))
        np.savez(bad, **arrays, **changed)
        with pytest.raises(DataError, match="inconsistent"):
            load_unipen(bad)


def test_people_join_a_persons_files_and_shared_characters(pen_chars):
    from recognizer.unipen import people, person

    assert person("kai/kai1/hykim4.dat") == person("kai/kai0/hykim0.dat") == "kai/hykim"
    assert person("art/art01tst.dat") == person("art/art01trn.dat") == "art/art01"
    assert person("syn/syn1/bek-dig2.dat") == "syn/bek"
    assert person("ced/aaaa9018_s_2h.dat") == "ced/aaaa9018_s_2h"
    assert person("writer.dat") == "writer.dat"  # not a site's path: its own person, not a ValueError
    who = people(pen_chars)
    # alek and kast share a character, so they are one person; every writer here shares the
    # template digits too, which joins them all: the split can then never leak a duplicate.
    assert len(set(who)) == 1


def test_split_is_by_person_and_fixed():
    from recognizer.unipen import SPLITS, split_of

    names = [f"site/person{i}" for i in range(400)]
    splits = [split_of(n) for n in names]
    assert splits == [split_of(n) for n in names]  # no randomness: the same on every run
    shares = {s: splits.count(s) / len(names) for s in SPLITS}
    assert 0.18 < shares["test"] < 0.32 and 0.09 < shares["val"] < 0.21


def test_characters_are_drawn_as_the_app_draws_them(pen_chars):
    from recognizer.unipen import CANVAS_SIDES, draw, place, render

    rng = np.random.default_rng(0)
    placed, side, pen = place(pen_chars.strokes(8), np.random.default_rng(1))
    assert CANVAS_SIDES[0] <= side < CANVAS_SIDES[1] and pen >= 3
    every = np.concatenate(placed)
    assert every.min() >= 0 and every.max() <= side  # on the canvas
    canvas = draw(pen_chars.strokes(8), np.random.default_rng(1))
    assert np.array_equal(canvas, rasterize([s.tolist() for s in placed], (side, side), pen))
    images = render(pen_chars, np.arange(10), seed=3)
    assert images.shape == (10, 28, 28) and images.dtype == np.uint8
    assert np.array_equal(images, render(pen_chars, np.arange(10), seed=3))
    assert all(images[i].max() == 255 for i in range(10))
    x, y, w, h = ink_box(canvas)
    assert 0.2 * side <= h <= 0.9 * side  # app-like sizes
    assert rng is not None


def test_rows_are_written_left_to_right_in_writing_order(pen_chars):
    from recognizer.unipen import RowStyle, write_row

    row = [4, 1, 7, 0]  # a 4 in two strokes, then 1, 7, 0 of the same writer
    plain = write_row(pen_chars, row, np.random.default_rng(0))
    assert plain.owner == [0, 0, 1, 2, 3] and len(plain.strokes) == 5
    assert np.array_equal(plain.canvas, rasterize(plain.strokes, plain.canvas.shape, plain.pen))
    lefts = [min(p[0] for s in plain.strokes_of(k) for p in s) for k in range(4)]
    rights = [max(p[0] for s in plain.strokes_of(k) for p in s) for k in range(4)]
    assert all(r < next_left for r, next_left in zip(rights, lefts[1:]))  # gaps between characters
    style = RowStyle(size=0.1, drift=0.15, wobble=0.05, slant=0.15, late=1.0, canvas=(640, 640))
    number = write_row(pen_chars, row, np.random.default_rng(0), style)
    assert number.canvas.shape[0] >= 640 and number.canvas.shape[1] >= 640
    assert number.owner == [0, 1, 0, 2, 3]  # the 4's second stroke written after the 1 (late)
    every = np.concatenate([np.asarray(s) for s in number.strokes])
    assert every.min() >= 0 and (every.max(axis=0) < number.canvas.shape[::-1]).all()
    touching = write_row(pen_chars, row, np.random.default_rng(0), RowStyle(touch=1.0, overlap=0.1))
    left = [min(p[0] for s in touching.strokes_of(k) for p in s) for k in range(4)]
    right = [max(p[0] for s in touching.strokes_of(k) for p in s) for k in range(4)]
    assert all(nl - r <= touching.pen for r, nl in zip(right, left[1:]))  # every neighbour's ink touches


def test_clear_letters_leave_out_digit_like_letters(pen_chars):
    from recognizer.unipen import DIGIT_LIKE_LETTERS, clear_letters

    split = np.full(len(pen_chars), "train")
    idx = clear_letters(pen_chars, split, "train")
    assert set(pen_chars.label[idx]) == set("AEHe")
    assert not set(pen_chars.label[idx]) & set(DIGIT_LIKE_LETTERS)
    assert len(clear_letters(pen_chars, split, "test")) == 0


@pytest.mark.parametrize("generator", ["training", "bench proxy"])
@pytest.mark.parametrize("style", ["slashed zero", "crossed seven", "flagged one", "flag and base one", "closed four"])
def test_each_style_adds_a_stroke_to_its_digit(style, generator):
    """Both generators: the one that makes training variants and the bench's independent one."""
    from bench.style_proxy import add_proxy_style
    from recognizer.styles import STYLES
    from recognizer.styles import add_style as training_style
    from recognizer.synthetic import digit_strokes

    add_style = training_style if generator == "training" else add_proxy_style
    digit = STYLES[style]
    strokes = digit_strokes(digit, size=400)
    if style == "closed four":  # the template 4 is nearly closed already: an open one, as MNIST often has
        strokes = [[(120, 80), (100, 260), (330, 260)], [(270, 100), (270, 340)]]
    canvas = rasterize(strokes, (400, 400), 18)
    styled = add_style(canvas, style, 18, np.random.default_rng(0))
    added = (styled > 64) & ~(canvas > 64)
    assert added.sum() > 0.05 * (canvas > 64).sum()  # a real stroke, not a speck
    assert np.array_equal(np.maximum(styled, canvas), styled)  # ink is only added
    if style == "slashed zero":  # the slash crosses the oval and leaves it at both ends
        import cv2

        hull = np.zeros_like(canvas)
        cv2.fillConvexPoly(hull, cv2.convexHull(np.argwhere(canvas > 64)[:, ::-1].astype(np.int32)), 255)
        bx, by, bw, bh = ink_box(canvas)
        assert added[by + bh // 2 - 20 : by + bh // 2 + 20, bx + bw // 2 - 20 : bx + bw // 2 + 20].any()
        outside = np.argwhere(added & (hull == 0))
        assert (outside[:, 1] < bx + bw / 2).any() and (outside[:, 1] > bx + bw / 2).any()
    if style == "crossed seven":  # the bar sits below the top bar
        rows = np.flatnonzero(added.any(axis=1))
        assert rows.min() > ink_box(canvas)[1] + 0.2 * ink_box(canvas)[3]


def test_unknown_style_is_refused():
    from recognizer.styles import add_style

    canvas = np.zeros((50, 50), np.uint8)
    canvas[10:40, 24:27] = 255
    with pytest.raises(ValueError, match="unknown style"):
        add_style(canvas, "gothic", 3, np.random.default_rng(0))


def test_training_set_adds_real_digits_of_training_people_and_styles(pen_chars):
    from recognizer.dataset import training_set
    from recognizer.styles import STYLES
    from recognizer.synthetic import font_digits

    x, y = font_digits(200, seed=4)
    mnist = Mnist(x, y, x[:10], y[:10], "tiny")
    split = np.where(np.arange(len(pen_chars)) % 2 == 0, "train", "test")
    data = training_set(mnist, pen_chars, split, renders=2, per_style=3, seed=5)
    real = int(((pen_chars.kind == "digit") & (split == "train")).sum())
    styled_real = sum(int(((pen_chars.label == str(d)) & (split == "train")).sum()) for d in STYLES.values())
    assert len(data.x_train) == 200 + 2 * real + 3 * len(STYLES) + styled_real
    assert data.x_train.dtype == np.uint8 and data.x_train.shape[1:] == (28, 28)
    assert (
        np.bincount(data.y_train, minlength=10)[[0, 1, 4, 7]].min() > np.bincount(y, minlength=10)[[0, 1, 4, 7]].max()
    )
    assert data.x_test is mnist.x_test  # the test set is only reported
    alone = training_set(mnist, None, per_style=0)
    assert len(alone.x_train) == 200 and to_mnist(alone.x_train[0]) is not None


def test_calibration_set_adds_the_val_peoples_digits(pen_chars, monkeypatch):
    from recognizer import calibrate, unipen
    from recognizer.synthetic import font_digits

    x, y = font_digits(40, seed=6)
    plain, plain_labels = calibrate.calibration_set(x, y, n=20, seed=1)
    split = np.where(np.arange(len(pen_chars)) < 10, "val", "train")  # the first writer's ten digits
    monkeypatch.setattr(unipen, "person_split", lambda chars: split)
    images, labels = calibrate.calibration_set(x, y, n=20, seed=1, chars=pen_chars)
    assert len(images) == 20 + calibrate.REAL_RENDERS * 10 and images.dtype == np.float32
    assert np.array_equal(images[:20], plain) and np.array_equal(labels[:20], plain_labels)
    assert list(labels[20:30]) == list(range(10))  # the val digits, in order, with their labels
    assert 0.0 <= images.min() and images.max() <= 1.0 and images[20:].max() == 1.0


def test_a_card_of_a_model_trained_on_unipen_credits_it(tmp_path, pen_chars):
    import keras

    from recognizer.card import UNIPEN_CREDIT, model_card

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)], name="tiny")
    weights = tmp_path / "tiny.keras"
    model.save(weights)
    unipen = tmp_path / "unipen.npz"  # written by the pen_chars fixture
    card = model_card(model, [weights], {"mnist": None, "unipen": unipen})
    assert card["data_credit"] == UNIPEN_CREDIT and "CC BY 4.0" in UNIPEN_CREDIT
    assert card["data"]["unipen"]["file"] == "unipen.npz" and len(card["data"]["unipen"]["sha256"]) == 64
    assert "data_credit" not in model_card(model, [weights], {"mnist": None})


def test_segment_samples_label_cut_digits_and_merged_neighbours(pen_chars, monkeypatch):
    """The detector's segmentation samples: numbers of one person's digits written touching, read as
    the image path reads them; a slice holding one digit's ink is a digit (0), a candidate holding
    most of two digits is not (1). Deterministic for a seed; nothing when the split has nobody."""
    from recognizer import train_detector, unipen

    monkeypatch.setattr(unipen, "person_split", lambda chars: np.full(len(chars), "train"))
    x, y = train_detector.segment_samples(pen_chars, "train", 12, seed=3)
    assert x.dtype == np.uint8 and x.shape[1:] == (28, 28) and len(x) == len(y)
    assert set(np.unique(y)) == {0.0, 1.0}
    assert (x.reshape(len(x), -1).max(axis=1) > 0).all()
    again = train_detector.segment_samples(pen_chars, "train", 12, seed=3)
    assert np.array_equal(x, again[0]) and np.array_equal(y, again[1])
    nobody = train_detector.segment_samples(pen_chars, "val", 12, seed=3)
    assert nobody[0].shape == (0, 28, 28) and len(nobody[1]) == 0


def test_detector_data_holds_out_the_val_peoples_cut_and_merged_digits(pen_chars, monkeypatch):
    """With UNIPEN, the "train" people's segmentation samples join training, the "val" people's are
    held out as "cut digits" (digits) and "merged digits" (not digits)."""
    from recognizer import train_detector, unipen
    from recognizer.synthetic import font_digits

    split = np.where(np.arange(len(pen_chars)) < 40, "val", "train")  # the templates make one "person"
    monkeypatch.setattr(unipen, "person_split", lambda chars: split)
    x, y = font_digits(200, seed=4)
    mnist = Mnist(x, y, source="tiny")
    sizes = {"holdout": 20, "drawn": 5, "non_digits": 20, "styled": 0, "slice_numbers": 6, "val_slice_numbers": 6}
    (x_train, y_train), (x_held, y_held, group) = train_detector.detector_data(mnist, chars=pen_chars, **sizes)
    (_, y_plain), _ = train_detector.detector_data(mnist, chars=pen_chars, **{**sizes, "slice_numbers": 0})
    assert len(y_train) > len(y_plain) and {"cut digits", "merged digits"} <= set(group)
    assert (y_held[group == "merged digits"] == 1).all() and (y_held[group == "cut digits"] == 0).all()


def test_letter_slices_join_the_non_digits(pen_chars, monkeypatch):
    """--letter-slices: the slices the image path cuts from letters drawn alone join the non-digits
    (at most so many, from the "train" people) and the "val" people's are held out as "letter
    slices"; pieces are cut from cut_width heights (these letters are narrower than grouping's 0.8)."""
    from recognizer import train_detector, unipen
    from recognizer.synthetic import font_digits

    letters = np.flatnonzero(~np.char.isdigit(pen_chars.label.astype(str)))
    assert len(train_detector.cut_letters(pen_chars, letters, seed=3, cut_width=0.5)) > 0
    assert len(train_detector.cut_letters(pen_chars, letters, seed=3)) == 0  # grouping.CUT_WIDTH
    split = np.full(len(pen_chars), "train")
    split[:40] = "val"
    split[letters[:8]] = "val"  # two writers' letters
    monkeypatch.setattr(unipen, "person_split", lambda chars: split)
    mnist = Mnist(*font_digits(200, seed=4), source="tiny")
    sizes = {"holdout": 20, "drawn": 5, "non_digits": 20, "styled": 0, "slice_numbers": 0, "val_slice_numbers": 0}
    (_, y_plain), (_, _, group_plain) = train_detector.detector_data(mnist, chars=pen_chars, **sizes)
    (_, y), (_, y_held, group) = train_detector.detector_data(
        mnist, chars=pen_chars, letter_slices=10, cut_width=0.5, **sizes
    )
    assert (y == 1).sum() == (y_plain == 1).sum() + 10 and (y == 0).sum() == (y_plain == 0).sum()
    assert "letter slices" not in group_plain and (group == "letter slices").sum() > 0
    assert (y_held[group == "letter slices"] == 1).all()


def test_sweep_recipe_with_styles_of_the_real_digits_alone(pen_chars):
    """bench.recipe_sweep's "realstyles": the style variants of the real pen digits, none made from MNIST's."""
    from dataclasses import replace

    from bench.recipe_sweep import RECIPES, recipe_set
    from recognizer.styles import STYLES
    from recognizer.synthetic import font_digits

    mnist = Mnist(*font_digits(40, seed=1))
    split = np.full(len(pen_chars.label), "train")
    plain = recipe_set(mnist, pen_chars, split, replace(RECIPES["shipped"], styles=False))[1]
    real_only = recipe_set(mnist, pen_chars, split, RECIPES["realstyles"])[1]
    both = recipe_set(mnist, pen_chars, split, RECIPES["shipped"])[1]
    added = np.bincount(real_only, minlength=10) - np.bincount(plain, minlength=10)
    assert added.sum() > 0 and set(np.flatnonzero(added)) <= set(STYLES.values())
    assert len(plain) < len(real_only) < len(both)
