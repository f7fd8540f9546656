"""Kaggle's CSV format: round trips, the `kaggle` command end to end, and clear errors for bad files."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recognizer import Recognizer
from recognizer.__main__ import main as cli
from recognizer.data import KAGGLE_PIXELS, read_kaggle_csv
from recognizer.errors import DataError
from recognizer.kaggle import holdout_split, read_submission, write_kaggle_csv, write_standins, write_submission
from recognizer.predictor import MODELS_DIR

ROOT = Path(__file__).resolve().parent.parent

HEADER_TRAIN = ",".join(["label", *KAGGLE_PIXELS])
HEADER_TEST = ",".join(KAGGLE_PIXELS)


def row(label=None, value="0", n=784):
    cells = [str(value)] * n
    return ",".join(([str(label)] if label is not None else []) + cells)


@pytest.fixture(scope="module")
def digits():
    from recognizer.synthetic import font_digits

    return font_digits(60, seed=5)


def test_csv_round_trip(tmp_path, digits):
    x, y = digits
    train_csv = write_kaggle_csv(tmp_path / "train.csv", x, y)
    test_csv = write_kaggle_csv(tmp_path / "test.csv", x)
    assert train_csv.read_text().splitlines()[0] == HEADER_TRAIN
    assert test_csv.read_text().splitlines()[0] == HEADER_TEST
    x2, y2 = read_kaggle_csv(train_csv, labeled=True)
    x3, none = read_kaggle_csv(test_csv, labeled=False)
    assert np.array_equal(x2, x) and np.array_equal(y2, y) and np.array_equal(x3, x) and none is None
    assert x2.dtype == np.uint8 and y2.dtype == np.uint8
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


@pytest.mark.parametrize("flag", ["--out", "--save-model"])
def test_kaggle_never_writes_over_its_own_csvs(tmp_path, digits, capsys, flag):
    """`--out test.csv` replaced the user's Kaggle test set with ImageId,Label rows."""
    from recognizer.kaggle import main

    x, y = digits
    train_csv = write_kaggle_csv(tmp_path / "train.csv", x, y)
    test_csv = write_kaggle_csv(tmp_path / "test.csv", x)
    before = test_csv.read_bytes()
    target = (
        ["--out", str(test_csv)]
        if flag == "--out"
        else ["--save-model", str(tmp_path / "train.keras"), "--out", str(tmp_path / "train.tflite")]
    )
    code = main(["--train", str(train_csv), "--test", str(test_csv), *target, "--epochs", "1"])
    err = capsys.readouterr().err
    said = "the --test file this command reads" if flag == "--out" else "the --out file this command writes"
    assert code == 2 and err.count("\n") == 1 and said in err, err
    assert test_csv.read_bytes() == before and not (tmp_path / "train.keras").exists()


def test_standins_use_the_mnist_splits(tmp_path, digits):
    from recognizer.data import Mnist

    x, y = digits
    data = Mnist(x[:40], y[:40], x[40:], y[40:])
    train_csv, test_csv, secret = write_standins(data, tmp_path, n_train=30)
    x_tr, y_tr = read_kaggle_csv(train_csv, labeled=True)
    x_te, _ = read_kaggle_csv(test_csv, labeled=False)
    assert np.array_equal(x_tr, x[:30]) and np.array_equal(y_tr, y[:30])
    assert np.array_equal(x_te, x[40:]) and np.array_equal(secret, y[40:])


def test_holdout_split_is_a_partition():
    x = np.arange(100 * 28 * 28, dtype=np.uint32).reshape(100, 28, 28)
    y = np.arange(100) % 10
    split = holdout_split(x, y, 0.2)
    assert len(split.x_train) == 80 and len(split.x_test) == 20
    seen = np.concatenate([split.x_train[:, 0, 0], split.x_test[:, 0, 0]])
    assert sorted(seen.tolist()) == x[:, 0, 0].tolist()
    assert holdout_split(x, y, 0.0).x_test is None
    with pytest.raises(DataError):
        holdout_split(x, y, 1.0)


@pytest.mark.parametrize(
    "n, fraction, message",
    [
        (100, 0.99, "--holdout must be a fraction from 0 to 0.5, e.g. 0.1, got 0.99"),
        (100, -0.1, "--holdout must be a fraction from 0 to 0.5, e.g. 0.1, got -0.1"),
        (20, 0.3, "--holdout 0.3 of 20 images keeps 6 to validate on and 14 to train on; each needs at least 10"),
        (1000, 0.004, "--holdout 0.004 of 1000 images keeps 4 to validate on and 996 to train on"),
    ],
)
def test_a_holdout_that_leaves_too_little_to_train_or_validate_is_refused(n, fraction, message):
    x, y = np.zeros((n, 28, 28), np.uint8), np.arange(n) % 10
    with pytest.raises(DataError) as caught:
        holdout_split(x, y, fraction)
    assert str(caught.value).startswith(message)
    split = holdout_split(x, y, 0.5)  # the most it keeps aside
    assert len(split.x_train) == len(split.x_test) == n // 2


def label_by_ink(batch):
    """Stands in for a model: answers digit (ink pixels mod 10), so every row has its own label."""
    out = np.zeros((len(batch), 10), np.float32)
    out[np.arange(len(batch)), (batch.reshape(len(batch), -1) > 0).sum(axis=1) % 10] = 1
    return out


def test_write_submission_format(tmp_path, digits):
    x, _ = digits
    path = tmp_path / "submission.csv"
    labels = write_submission(label_by_ink, x[:25], path)
    expected = (x[:25].reshape(25, -1) > 0).sum(axis=1) % 10
    assert np.array_equal(labels, expected) and len(set(expected.tolist())) > 3
    lines = path.read_text().splitlines()
    assert lines[0] == "ImageId,Label" and len(lines) == 26
    assert lines[1] == f"1,{expected[0]}" and lines[-1] == f"25,{expected[-1]}"
    assert np.array_equal(read_submission(path), labels)


def test_kaggle_command_round_trip(tmp_path, digits, capsys):
    """Generated train.csv/test.csv -> one short epoch -> submission.csv holding the model's answers;
    the user's own files in --work-dir are left alone (the run keeps its checkpoints in a folder of
    its own: a fresh run empties that one only)."""
    x, y = digits
    train_csv = write_kaggle_csv(tmp_path / "train.csv", x[:50], y[:50])
    test_csv = write_kaggle_csv(tmp_path / "test.csv", x[50:])
    out, model = tmp_path / "submission.csv", tmp_path / "kaggle.keras"
    work = tmp_path / "work"
    (work / "backup").mkdir(parents=True)
    (work / "backup" / "notes.txt").write_text("precious")
    (work / "history.csv").write_text("mine")
    model.with_suffix(".json").write_text('{"model_sha256": "of another model"}')  # a trained model's card
    model.with_suffix(".history.csv").write_text("epoch,loss\n0,1.0\n")
    assert (
        cli(
            [
                "kaggle",
                "--train",
                str(train_csv),
                "--test",
                str(test_csv),
                "--out",
                str(out),
                "--epochs",
                "1",
                "--save-model",
                str(model),
                "--work-dir",
                str(work),
            ]
        )
        == 0
    )
    assert (work / "backup" / "notes.txt").read_text() == "precious" and (work / "history.csv").read_text() == "mine"
    assert (work / "kaggle" / "history.csv").is_file()
    # the card and history of the model it replaced went with it: they described another model
    assert not model.with_suffix(".json").exists() and not model.with_suffix(".history.csv").exists()
    saved = Recognizer.load(model, detector=None).probabilities(x[50:] / np.float32(255))
    assert np.array_equal(read_submission(out), saved.argmax(axis=1))
    assert f"wrote {out}: 10 predictions" in capsys.readouterr().out


def test_kaggle_resume_with_nothing_to_resume_says_so(tmp_path, digits, capsys):
    """--resume with an empty --work-dir trained again from the first epoch without a word."""
    x, y = digits
    train_csv = write_kaggle_csv(tmp_path / "train.csv", x[:50], y[:50])
    test_csv = write_kaggle_csv(tmp_path / "test.csv", x[50:])
    work = tmp_path / "work"
    work.mkdir()
    out = tmp_path / "new" / "s.csv"  # a folder not made yet is made, as for every --out (fileio.check_writable)
    argv = ["kaggle", "--train", str(train_csv), "--test", str(test_csv), "--out", str(out)]
    assert cli([*argv, "--epochs", "1", "--work-dir", str(work), "--resume"]) == 0
    assert out.is_file()
    err = capsys.readouterr().err
    assert f"warning: --resume: nothing to resume in {work / 'kaggle'}: training from the first epoch" in err


# --- bad files: one line, naming the problem and what is expected, exit status 2 ---------------


def test_a_csv_of_more_images_than_any_data_file_may_hold_is_refused_before_parsing(tmp_path, monkeypatch):
    """The same cap as .npz and IDX files (data.MAX_DATA_BYTES): counted by the line scan, before
    pandas parses the numbers (about 10 bytes of memory a pixel). Here the cap is set to 3 images."""
    from recognizer import data

    monkeypatch.setattr(data, "MAX_DATA_BYTES", 3 * data.N_PIXELS)
    path = write_kaggle_csv(tmp_path / "train.csv", np.zeros((4, 28, 28), np.uint8), np.zeros(4, np.int64))
    with pytest.raises(DataError, match=r"train.csv: 4 images, over 3; refusing a CSV file this large"):
        read_kaggle_csv(path, labeled=True)
    write_kaggle_csv(path, np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.int64))
    assert read_kaggle_csv(path, labeled=True)[0].shape == (3, 28, 28)


@pytest.mark.parametrize("chunk", [1, 2, 3, 1000])
def test_a_csv_parsed_in_chunks_reads_the_same_and_names_the_right_line(tmp_path, digits, monkeypatch, chunk):
    """read_kaggle_csv parses CSV_CHUNK_ROWS rows at a time (bounded memory): rows across chunk
    boundaries come back in order, and a bad value in a later chunk names its own line."""
    from recognizer import data

    monkeypatch.setattr(data, "CSV_CHUNK_ROWS", chunk)
    x, y = digits
    path = write_kaggle_csv(tmp_path / "train.csv", x[:7], y[:7])
    got_x, got_y = read_kaggle_csv(path, labeled=True)
    assert got_x.dtype == np.uint8 and got_y.dtype == np.uint8
    np.testing.assert_array_equal(got_x, x[:7])
    np.testing.assert_array_equal(got_y, y[:7])
    lines = path.read_text().splitlines()
    lines[6] = lines[6].rsplit(",", 1)[0] + ",256"  # line 7 of the file, the sixth image
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="pixel value 256 on line 7 \\(column pixel783\\)"):
        read_kaggle_csv(path, labeled=True)
    lines[6] = "12" + lines[6][lines[6].index(",") :]
    lines[6] = lines[6].rsplit(",", 1)[0] + ",0"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="label 12 on line 7 is not allowed"):
        read_kaggle_csv(path, labeled=True)


BAD_TRAIN = {
    "empty file": ("", "empty file; expected Kaggle's train.csv"),
    "header only": (HEADER_TRAIN + "\n", "no images, only a header line"),
    "wrong columns": ("a,b,c\n1,2,3\n", "wrong columns"),
    "test.csv given as train": (HEADER_TEST + "\n" + row() + "\n", "looks like test.csv"),
    "semicolons": (HEADER_TRAIN.replace(",", ";") + "\n", "separated by ';'"),
    "missing value": (
        HEADER_TRAIN + "\n" + row(3) + "\n" + row(3).replace(",0,", ",,", 1) + "\n",
        "missing value on line 3 (column pixel0)",
    ),
    "short row": (HEADER_TRAIN + "\n" + row(3, n=783) + "\n", "line 2 has 784 values, expected 785"),
    "long row": (HEADER_TRAIN + "\n" + row(3) + "\n" + row(3, n=785) + "\n", "line 3 has 786 values, expected 785"),
    "pixel 256": (HEADER_TRAIN + "\n" + row(3, 256) + "\n", "pixel value 256 on line 2"),
    "negative pixel": (HEADER_TRAIN + "\n" + row(3, -1) + "\n", "pixel value -1 on line 2"),
    "fractional pixel": (HEADER_TRAIN + "\n" + row(3, 0.5) + "\n", "whole numbers 0-255"),
    "text": (HEADER_TRAIN + "\n" + row(3, "abc") + "\n", "non-numeric value 'abc' on line 2"),
    "label 10": (HEADER_TRAIN + "\n" + row(10) + "\n", "label 10 on line 2"),
    # pandas reads a column of True as 1.0: a label 1 from a file of words
    "label True": (
        HEADER_TRAIN + "\n" + row("True") + "\n",
        "line 2 holds a word (True or False) where a number belongs",
    ),
    "pixel false": (HEADER_TRAIN + "\n" + row(3, "false") + "\n", "line 2 holds a word (True or False)"),
    "blank first line": ("\n" + HEADER_TRAIN + "\n" + row(3) + "\n", "the first line is blank"),
    "huge row": (HEADER_TRAIN + "\n" + row(3, n=200_000) + "\n", "line 2 is over 100,000 bytes long"),
    "carriage return": (
        HEADER_TRAIN + "\n" + row(3).replace(",0,", ",0\r0,", 1) + "\n",
        "line 2 has a carriage return inside it",
    ),
    "blank lines counted": (HEADER_TRAIN + "\n\n" + row(3) + "\n\n" + row(3, 300) + "\n", "on line 5"),
}


@pytest.mark.parametrize("case", sorted(BAD_TRAIN))
def test_bad_train_csv_is_rejected_clearly(tmp_path, case, capsys):
    text, expected = BAD_TRAIN[case]
    bad = tmp_path / "train.csv"
    bad.write_bytes(text.encode())
    test_csv = tmp_path / "test.csv"
    test_csv.write_text(HEADER_TEST + "\n" + row() + "\n")
    with pytest.raises(DataError, match=None) as info:
        read_kaggle_csv(bad, labeled=True)
    assert expected in str(info.value)
    out = tmp_path / "submission.csv"
    assert cli(["kaggle", "--train", str(bad), "--test", str(test_csv), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and expected in err, err
    assert not out.exists()


BAD_TEST = {
    "train.csv given as test": (HEADER_TRAIN + "\n" + row(3) + "\n", "looks like train.csv"),
    "pixel 300": (HEADER_TEST + "\n" + row(value=300) + "\n", "pixel value 300 on line 2"),
    "missing value": (HEADER_TEST + "\n" + row(n=783) + ",\n", "missing value on line 2 (column pixel783)"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEST))
def test_bad_test_csv_fails_before_training(tmp_path, case, capsys):
    text, expected = BAD_TEST[case]
    train_csv = tmp_path / "train.csv"
    train_csv.write_text(HEADER_TRAIN + "\n" + row(3) + "\n")
    bad = tmp_path / "test.csv"
    bad.write_bytes(text.encode())
    assert cli(["kaggle", "--train", str(train_csv), "--test", str(bad), "--out", str(tmp_path / "s.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and expected in err, err


def test_bad_arguments_fail_before_training(tmp_path, capsys):
    train_csv = tmp_path / "train.csv"
    train_csv.write_text(HEADER_TRAIN + "\n" + row(3) + "\n")
    test_csv = tmp_path / "test.csv"
    test_csv.write_text(HEADER_TEST + "\n" + row() + "\n")
    cases = [
        (["--train", str(tmp_path / "nope.csv"), "--test", str(train_csv)], "file not found"),
        (["--train", str(tmp_path), "--test", str(train_csv)], "is a folder; give the CSV file in it"),
        (  # a file where its folder should be: said as the other commands say it (it said "does not exist")
            ["--train", str(train_csv), "--test", str(train_csv), "--out", str(train_csv / "s.csv")],
            f"cannot write there ({train_csv} is not a folder this user may write to)",
        ),
        (["--train", str(train_csv), "--test", str(train_csv), "--epochs", "0"], "--epochs must be 1 to 1000, got 0"),
        (["--train", str(train_csv), "--test", str(train_csv), "--epochs", "10000"], "--epochs must be 1 to 1000"),
        (["--train", str(train_csv), "--test", str(train_csv), "--holdout", "1.5"], "--holdout"),
        (
            ["--train", str(train_csv), "--test", str(train_csv), "--holdout", "0.99"],
            "from 0 to 0.5, e.g. 0.1, got 0.99",
        ),
        (
            ["--train", str(train_csv), "--test", str(test_csv), "--holdout", "0.1"],
            "--holdout 0.1 of 1 images keeps 0 to validate on and 1 to train on; each needs at least 10",
        ),
        (
            ["--train", str(train_csv), "--test", str(train_csv), "--save-model", str(MODELS_DIR / "mnist_cnn.keras")],
            f"--save-model {MODELS_DIR / 'mnist_cnn.keras'} is in the shipped models' folder",
        ),
        (["--train", str(train_csv), "--test", str(train_csv), "--resume"], "--work-dir"),
    ]
    for args, expected in cases:
        assert cli(["kaggle", *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and expected in err, err


def test_command_prints_no_traceback(tmp_path):
    """As a real process: one line on stderr, exit status 2."""
    bad = tmp_path / "train.csv"
    bad.write_text(HEADER_TRAIN + "\n" + row(3, 999) + "\n")
    test_csv = tmp_path / "test.csv"
    test_csv.write_text(HEADER_TEST + "\n" + row() + "\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "recognizer",
            "kaggle",
            "--train",
            str(bad),
            "--test",
            str(test_csv),
            "--out",
            str(tmp_path / "submission.csv"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {bad}: pixel value 999 on line 2 (column pixel0) is not allowed; pixels must be whole numbers 0-255"
    ]
    assert done.stdout == ""
