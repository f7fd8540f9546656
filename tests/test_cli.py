"""The CLI: right answers on good input; one-line errors and non-zero exits on bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "tests" / "fixtures" / "digits"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recognizer", *args], capture_output=True, text=True, cwd=ROOT)


def assert_clean_error(result: subprocess.CompletedProcess, code: int, words: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and words in errors[0], result.stderr


def assert_main_fails_cleanly(main, argv: list[str], capsys, code: int = 2) -> None:
    """A command's main(argv), in this process, exits `code` with one "error:" line, no traceback."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == code
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and "Traceback" not in err


def test_predict_images():
    result = run("predict", str(DIGITS / "3.png"), str(DIGITS / "7.png"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{DIGITS / '3.png'}: 3 (") and lines[1].startswith(f"{DIGITS / '7.png'}: 7 (")


def test_predict_light_ink_on_dark_paper(tmp_path):
    inverted = 255 - np.asarray(Image.open(DIGITS / "5.png").convert("L"))
    Image.fromarray(inverted).save(tmp_path / "5.png")
    result = run("predict", str(tmp_path / "5.png"))
    assert result.returncode == 0 and ": 5 (" in result.stdout


def test_predict_reads_a_number_and_says_not_sure_for_a_letter(tmp_path):
    import cv2

    for name, text in (("number.png", "4K7"), ("letter.png", "K")):
        page = np.full((200, 120 * len(text) + 60), 255, np.uint8)  # dark ink on white paper
        cv2.putText(page, text, (20, 160), cv2.FONT_HERSHEY_SIMPLEX, 5, 0, 12, cv2.LINE_AA)
        Image.fromarray(page).save(tmp_path / name)
    result = run("predict", str(tmp_path / "number.png"), str(tmp_path / "letter.png"))
    assert result.returncode == 0, result.stderr
    number, letter = result.stdout.splitlines()
    assert number.startswith(f"{tmp_path / 'number.png'}: 4?7 (4: ") and "?: not a digit" in number
    assert letter.startswith(f"{tmp_path / 'letter.png'}: not sure (not a digit; best guess ")


def test_predict_missing_image():
    assert_clean_error(run("predict", "no/such/image.png"), 1, "image not found")


def test_predict_corrupt_image(tmp_path):
    (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    assert_clean_error(run("predict", str(tmp_path / "x.png")), 1, "not a readable image")


def test_predict_truncated_image_says_so(tmp_path):
    """The message named only the exception's class, "(OSError)", not Pillow's "image file is truncated"."""
    whole = (DIGITS / "7.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 2])
    assert_clean_error(run("predict", str(tmp_path / "cut.png")), 1, "not a readable image (image file is truncated")


def test_predict_text_file(tmp_path):
    (tmp_path / "notes.jpg").write_text("not an image at all")
    assert_clean_error(run("predict", str(tmp_path / "notes.jpg")), 1, "not a readable image")


def test_predict_blank_image(tmp_path):
    Image.new("L", (200, 200), 255).save(tmp_path / "blank.png")
    assert_clean_error(run("predict", str(tmp_path / "blank.png")), 1, "no ink")


def test_predict_a_page_of_print_alone(tmp_path):
    """Lines of print and no handwriting: no digits to read (not rows of "?" and sure 1s)."""
    import cv2

    page = np.full((300, 640), 255, np.uint8)
    for y in (60, 110, 160, 210):
        cv2.putText(page, "please return the signed form", (20, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2, cv2.LINE_AA)
    Image.fromarray(page).save(tmp_path / "print.png")
    assert_clean_error(run("predict", str(tmp_path / "print.png")), 1, "no digits found (only lines of print")


def test_one_bad_image_does_not_stop_the_others(tmp_path):
    result = run("predict", str(tmp_path / "missing.png"), str(DIGITS / "2.png"))
    assert result.returncode == 1 and ": 2 (" in result.stdout


def crafted_tiff() -> bytes:
    """A TIFF whose strip offsets are stored as a fraction: Pillow raises TypeError reading it."""
    import io
    import struct

    buffer = io.BytesIO()
    Image.new("L", (64, 48), 255).save(buffer, "TIFF")
    data = bytearray(buffer.getvalue())
    (offset,) = struct.unpack_from("<I", data, 4)
    for k in range(struct.unpack_from("<H", data, offset)[0]):
        entry = offset + 2 + 12 * k
        if struct.unpack_from("<H", data, entry)[0] == 273:  # StripOffsets: LONG -> RATIONAL
            struct.pack_into("<H", data, entry + 2, 5)
    return bytes(data)


def test_a_crafted_image_or_a_name_too_long_is_one_error_and_the_others_are_read(tmp_path):
    """Pillow raised TypeError on a crafted TIFF, and Path.is_dir() OSError on a 300-character name:
    both ended predict with a traceback or a bare errno line, and the images after them went unread."""
    (tmp_path / "crafted.tif").write_bytes(crafted_tiff())
    long_name = tmp_path / ("a" * 300 + ".png")
    result = run("predict", str(tmp_path / "crafted.tif"), str(long_name), str(DIGITS / "2.png"))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "crafted.tif: not a readable image (TypeError)" in errors[0], errors
    assert "File name too long" in errors[1] and len(errors[1]) < 160, errors
    assert result.stdout.splitlines()[-1].startswith(f"{DIGITS / '2.png'}: 2 (")


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_missing_model(command, tmp_path):
    args = [str(DIGITS / "1.png")] if command == "predict" else []
    assert_clean_error(run(command, "--model", str(tmp_path / "m.tflite"), *args), 2, "model file not found")


def test_corrupt_model(tmp_path):
    (tmp_path / "m.tflite").write_bytes(b"garbage" * 10)
    assert_clean_error(
        run("predict", "--model", str(tmp_path / "m.tflite"), str(DIGITS / "1.png")), 2, "cannot load model"
    )


def test_evaluate_on_a_small_test_set(tiny_mnist, shipped):
    from recognizer.data import load_mnist

    result = run("evaluate", "--data", str(tiny_mnist))
    assert result.returncode == 0, result.stderr
    data = load_mnist(tiny_mnist)
    predicted = shipped.probabilities(data.x_test / np.float32(255)).argmax(axis=1)  # all at once, no batches
    errors = int((predicted != data.y_test).sum())
    assert f"accuracy: {1 - errors / 100:.2%} on 100 MNIST test images ({errors} errors)" in result.stdout
    matrix = [[int(n) for n in line.split()[1:]] for line in result.stdout.splitlines()[-10:]]
    assert np.array_equal(matrix, np.histogram2d(data.y_test, predicted, bins=10, range=[[0, 10], [0, 10]])[0])


def test_evaluate_with_a_wrong_data_file(tmp_path):
    (tmp_path / "mnist.npz").write_text("hello")
    assert_clean_error(run("evaluate", "--data", str(tmp_path / "mnist.npz")), 2, "cannot read")


def test_train_with_a_missing_data_file(tmp_path):
    result = run("train", "--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "m.keras"))
    assert_clean_error(result, 2, "data file not found")


def test_unknown_command_and_help():
    assert run("frobnicate").returncode == 2
    help_ = run("--help")
    assert help_.returncode == 0 and "predict" in help_.stdout
    for command in ("predict", "evaluate", "train"):
        assert run(command, "--help").returncode == 0


# --- every bad input of the adversarial pass (issue 15): exactly one `error:` line, its words ----


def assert_one_error(result: subprocess.CompletedProcess, code: int, line: str) -> None:
    """Exit status `code`, no traceback, and stderr's only `error:` line is exactly `line`."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert [x for x in result.stderr.splitlines() if x.startswith("error:")] == [f"error: {line}"], result.stderr


def save_mnist(path: Path, n_train: int = 300, n_test: int = 20, **replace) -> Path:
    """A Keras-layout mnist.npz of font digits, with any array replaced."""
    from recognizer.synthetic import font_digits

    x, y = font_digits(n_train + n_test, seed=4)
    arrays = dict(x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:], y_test=y[n_train:])
    np.savez(path, **{**arrays, **replace})
    return path


def test_evaluate_on_an_empty_test_set(tmp_path):
    data = save_mnist(tmp_path / "mnist.npz", n_test=0)
    assert_one_error(
        run("evaluate", "--data", str(data)), 2, f"{data}: its test set has no images; pass a file with test images"
    )


def test_evaluate_with_labels_that_are_strings(tmp_path):
    data = save_mnist(tmp_path / "mnist.npz", y_test=np.array(list("0123456789" * 2)))
    assert_one_error(
        run("evaluate", "--data", str(data)), 2, f"{data} (test): labels must be 20 whole numbers 0-9, got (20,) <U1"
    )


def test_predict_a_folder(tmp_path):
    assert_one_error(run("predict", str(tmp_path)), 1, f"{tmp_path} is a folder; pass the image files in it")


def test_predict_an_empty_path():
    """Path("") is ".": it said "error: . is a folder; pass the image files in it"."""
    assert_one_error(run("predict", ""), 1, "no image file given (an empty path)")


def test_predict_a_pipe(tmp_path):
    """A named pipe (or a device such as /dev/zero) exists but is no file: it said "image not found"."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    assert_one_error(
        run("predict", str(pipe)), 1, f"{pipe} is not a regular file (a device, a pipe or a socket); pass an image file"
    )


def test_a_png_chunk_inflating_past_pillows_limit_says_so(tmp_path):
    """A zTXt chunk inflating to 100 MB is refused by Pillow with a ValueError: it said only "(ValueError)"."""
    import struct
    import zlib

    from tests.test_fuzz import png_chunk as chunk

    rows = zlib.compress((b"\0" + b"\xff" * 8) * 8)  # 8x8 white, each row with filter byte 0
    path = tmp_path / "bomb.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
        + chunk(b"zTXt", b"note\0\0" + zlib.compress(b"\0" * 100_000_000, 9))
        + chunk(b"IDAT", rows)
        + chunk(b"IEND", b"")
    )
    assert_one_error(
        run("predict", str(path)),
        1,
        f"{path}: not a readable image (a chunk inflates past Pillow's limit, as a decompression bomb's does)",
    )


@pytest.mark.parametrize(
    "name, reason",
    [
        ("uint8.tflite", "its input is uint8, expected float32 images in [0, 1] (a quantized model?)"),
        ("nan.tflite", "it answers NaN or infinite values, not probabilities"),
    ],
)
def test_predict_with_a_model_that_cannot_serve(unusable_models, name, reason):
    model = unusable_models[name.split(".")[0]].with_suffix(".tflite")
    result = run("predict", "--model", str(model), str(DIGITS / "3.png"))
    assert_one_error(result, 2, f"unusable model {model}: {reason}")


def test_predict_with_a_model_giving_logits(unusable_models):
    model = unusable_models["logits"].with_suffix(".tflite")
    result = run("predict", "--model", str(model), str(DIGITS / "3.png"))
    assert_clean_error(result, 2, f"unusable model {model}: it answers values from -")
    assert result.stderr.rstrip().endswith(", not probabilities (logits?)") and "nan%" not in result.stdout


def test_predict_with_a_damaged_keras_model(tmp_path):
    model = tmp_path / "m.keras"
    model.write_bytes(b"PK\x03\x04" + b"\0" * 200)  # starts like a zip, is none
    result = run("predict", "--model", str(model), str(DIGITS / "3.png"))
    assert_one_error(
        result,
        2,
        f"cannot load model {model}: not a Keras model: the file is not a .keras zip archive "
        "(damaged, truncated or another format)",
    )
    assert result.stderr.count("\n") == 1, result.stderr  # and no TensorFlow log lines before it


@pytest.mark.parametrize("hashes", ["abc", ["m.tflite"], 5, None])
def test_a_calibration_whose_hashes_are_not_an_object_is_ignored_with_one_warning(tmp_path, hashes):
    from recognizer.predictor import DEFAULT_MODEL

    model = tmp_path / "m.tflite"
    model.write_bytes(DEFAULT_MODEL.read_bytes())
    calibration = tmp_path / "m.calibration.json"
    calibration.write_text(json.dumps({"temperature": 1.5, "threshold": 0.6, "model_sha256": hashes}))
    result = run("predict", "--model", str(model), str(DIGITS / "3.png"))
    assert result.returncode == 0 and result.stdout.startswith(f"{DIGITS / '3.png'}: 3 ("), result.stderr
    kind = type(hashes).__name__
    assert result.stderr.splitlines() == [
        f"warning: ignoring {calibration}: unreadable (TypeError: model_sha256 must be an object of "
        f"file name: SHA-256, got {kind})"
    ]


@pytest.mark.parametrize("images", ["0", "-5", "1", "299"])
def test_calibrate_needs_a_few_hundred_images(tmp_path, images):
    data = save_mnist(tmp_path / "mnist.npz")
    result = run("calibrate", "--data", str(data), "--out", str(tmp_path / "c.json"), "--images", images)
    line = f"--images must be at least 300, got {images}: a temperature and threshold fitted on fewer would be noise"
    assert_one_error(result, 2, line)
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["learn", "--out", ""],
        ["finetune", "--out", ""],
        ["learn", "--samples", ""],
        ["train-detector", "--average-with", ""],
        ["train", "--work-dir", ""],
        ["kaggle", "--save-model", ""],
        ["kaggle", "--work-dir", ""],
    ],
)
def test_an_empty_path_is_refused_not_taken_as_not_given(argv):
    """`learn --out ""` (a shell variable left unset) wrote the personal model the app reads; the
    others went on as if the option were not given."""
    result = run(*argv)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.splitlines()[-1].endswith("an empty path: give one, or leave the option out")


def test_calibrate_with_a_negative_seed(tmp_path):
    data = save_mnist(tmp_path / "mnist.npz")
    result = run("calibrate", "--data", str(data), "--out", str(tmp_path / "c.json"), "--seed", "-1")
    assert_one_error(result, 2, "--seed must be 0 or more, got -1")


def test_calibrate_on_too_few_training_images(tmp_path):
    data = save_mnist(tmp_path / "mnist.npz", n_train=100)
    result = run("calibrate", "--data", str(data), "--out", str(tmp_path / "c.json"))
    line = (
        f"{data}: calibration needs at least 300 training images, got 100; "
        "a temperature and threshold fitted on fewer would be noise"
    )
    assert_one_error(result, 2, line)
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize("command", ["train", "train-detector"])
@pytest.mark.parametrize(
    "args, line",
    [
        (["--epochs", "0"], "--epochs must be 1 to 1000, got 0"),
        (["--epochs", "-3"], "--epochs must be 1 to 1000, got -3"),
        (["--epochs", "99999999999"], "--epochs must be 1 to 1000, got 99999999999"),
        (["--limit", "0"], "--limit must be at least 1, got 0"),
        (["--limit", "-5"], "--limit must be at least 1, got -5"),
        (["--out", "model.h5"], "--out model.h5: the file name must end in .keras"),
    ],
)
def test_training_arguments_that_would_train_nothing(tmp_path, command, args, line):
    """Refused before any data is read (the data file given does not even exist)."""
    base = ["--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "m.keras")]
    assert_one_error(run(command, *base, *args), 2, line)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "command, flag",
    [
        ("train", "--out"),
        ("train", "--work-dir"),
        ("train-detector", "--out"),
        ("train-detector", "--work-dir"),
        ("calibrate", "--out"),
        ("kaggle", "--out"),
        ("kaggle", "--work-dir"),
    ],
)
def test_outputs_that_cannot_be_written_are_refused_before_any_work(tmp_path, command, flag):
    """A folder where a file goes (or a file where a folder goes): one line before the data is
    even read, not a traceback after the training (the data file given does not exist)."""
    folder, file = tmp_path / "taken.keras", tmp_path / "taken.txt"
    folder.mkdir()
    file.write_text("mine")
    args = {
        "train": ["--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "m.keras")],
        "train-detector": ["--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "m.keras")],
        "calibrate": ["--data", str(tmp_path / "none.npz")],
        "kaggle": ["--train", str(file), "--test", str(file), "--out", str(tmp_path / "s.csv")],
    }[command]
    target, words = (folder, "is a folder; give a file name") if flag == "--out" else (file, "is a file; give a folder")
    assert_one_error(run(command, *args, flag, str(target)), 2, f"{flag} {target}: {words}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.keras", "taken.txt"] and not list(folder.iterdir())


def test_a_work_dir_is_judged_by_itself_not_by_its_parent(tmp_path, monkeypatch):
    """`--work-dir .` in one's home folder (whose parent, /home, is root's): the folder itself must
    be writable, and then that is enough."""
    from recognizer import fileio
    from recognizer.errors import DataError

    work = tmp_path / "work"
    work.mkdir()
    writable = {work}
    monkeypatch.setattr(fileio.os, "access", lambda path, mode: Path(path) in writable)
    assert fileio.check_writable(work, "--work-dir", folder=True) == work
    writable = {tmp_path}
    with pytest.raises(DataError, match=f"cannot write there \\({work} is not a folder"):
        fileio.check_writable(work, "--work-dir", folder=True)


@pytest.mark.parametrize("command, left", [("kaggle", "history.csv"), ("train-detector", "detector.keras")])
def test_resuming_a_run_kept_before_the_run_folders_says_where_to_move_it(tmp_path, command, left):
    """kaggle and train-detector keep their checkpoints in a folder of their own inside --work-dir
    (since December 5): --resume of a run stopped before says so, rather than start at epoch 0."""
    work = tmp_path / "work"
    work.mkdir()
    (work / left).write_text("from an earlier run")
    file = tmp_path / "train.csv"
    file.write_text("label")
    args = {
        "kaggle": ["--train", str(file), "--test", str(file), "--out", str(tmp_path / "s.csv")],
        "train-detector": ["--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "m.keras")],
    }[command]
    run_folder = work / ("kaggle" if command == "kaggle" else "detector")
    assert_one_error(
        run(command, *args, "--work-dir", str(work), "--resume"),
        2,
        f"--resume: {left} in {work} may be a run of an earlier version, which kept its checkpoints there: "
        f"move them into {run_folder} and resume again",
    )


def test_a_model_whose_sibling_files_are_folders_is_refused(tmp_path):
    (tmp_path / "m.tflite").mkdir()
    base = ["--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "m.keras")]
    assert_one_error(run("train", *base), 2, f"--out {tmp_path / 'm.tflite'}: is a folder; give a file name")


@pytest.mark.parametrize("members", ["0", "9"])
def test_train_refuses_absurd_members(tmp_path, members):
    base = ["--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "m.keras")]
    assert_one_error(run("train", *base, "--members", members), 2, f"--members must be 1 to 8, got {members}")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("command, shipped", [("train", "mnist_cnn.keras"), ("train-detector", "digit_detector.keras")])
def test_training_never_overwrites_a_shipped_model_by_default(tmp_path, command, shipped):
    from recognizer.predictor import MODELS_DIR

    before = {p.name: p.stat().st_mtime_ns for p in MODELS_DIR.iterdir()}
    data = str(tmp_path / "none.npz")
    for out, args in (
        (MODELS_DIR / shipped, []),
        ("recognizer/models/other.keras", ["--out", "recognizer/models/other.keras"]),
    ):
        assert_one_error(
            run(command, "--data", data, "--epochs", "1", *args),
            2,
            f"--out {out} is in the shipped models' folder recognizer/models/: choose another path for a new "
            "model (train, train-detector, train-touching and train-pairs replace a shipped one with "
            "--overwrite-shipped)",
        )
    assert {p.name: p.stat().st_mtime_ns for p in MODELS_DIR.iterdir()} == before


def test_overwrite_shipped_is_what_lets_a_trainer_write_there():
    from recognizer.errors import DataError
    from recognizer.predictor import MODELS_DIR
    from recognizer.train import check_out

    shipped = MODELS_DIR / "mnist_cnn.keras"
    assert check_out(shipped, overwrite_shipped=True) == shipped
    with pytest.raises(DataError, match="shipped models' folder"):
        check_out(shipped)
    with pytest.raises(DataError, match="shipped models' folder"):
        check_out(MODELS_DIR / "sub" / ".." / "x.keras")


def test_make_targets_that_retrain_the_shipped_models_say_so():
    """`make train`, `make resume`, `make train-detector`, `make train-touching` and `make train-pairs`
    mean to replace the shipped models."""
    recipes = [line.strip() for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("\t")]
    names = ("recognizer.train ", "recognizer train-detector", "recognizer train-touching", "recognizer train-pairs")
    trainers = [r for r in recipes if any(name in r for name in names)]
    assert len(trainers) == 5 and all("--overwrite-shipped" in r for r in trainers), trainers


@pytest.mark.parametrize("command", ["train", "train-detector"])
def test_training_on_no_images(tmp_path, command):
    data = save_mnist(tmp_path / "mnist.npz", n_train=0)
    line = (
        f"{data}: no training images"
        if command == "train"
        else (f"{data}: the detector needs at least 50 training digits, got 0")
    )
    assert_one_error(run(command, "--data", str(data), "--out", str(tmp_path / "m.keras")), 2, line)


def test_predict_keeps_lines_of_writing_apart(tmp_path):
    """A page with a number on each of two lines printed "8547", one string; the lines are now apart."""
    from recognizer.strokes import rasterize
    from tests.test_predictor import TWO_LINES_CANVAS, TWO_LINES_PEN, two_line_strokes

    Image.fromarray(255 - rasterize(two_line_strokes(), TWO_LINES_CANVAS, TWO_LINES_PEN)).save(tmp_path / "page.png")
    result = run("predict", str(tmp_path / "page.png"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{tmp_path / 'page.png'}: 85 47 (8: "), result.stdout


def test_predict_piped_into_a_reader_that_stops_ends_quietly():
    """`predict *.png | head -1` printed "error: [Errno 32] Broken pipe" and exited 2."""
    files = sorted(str(p) for p in DIGITS.glob("*.png")) * 20
    proc = subprocess.Popen(
        [sys.executable, "-m", "recognizer", "predict", *files],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader stops, as head does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and first.startswith(files[0].encode())
    assert "error" not in err and "Traceback" not in err and "Broken pipe" not in err


def test_the_cli_never_claims_a_certainty_the_app_does_not():
    """The CLI printed a confidence of 0.99996 as "100.0%" where the app and the web page show
    ">99.9%"; all three share recognizer.predictor.percent, and lines of writing stay apart."""
    import numpy as np

    from recognizer.cli import describe
    from recognizer.predictor import Prediction

    probs = np.full(10, 0.00004 / 9)
    probs[3] = 0.99996
    image = np.zeros((28, 28), np.float32)
    assert describe([Prediction(3, 0.99996, probs, image)]).startswith("3 (>99.9%; next ")
    two_lines = [Prediction(3, 0.99996, probs, image), Prediction(3, 0.5, probs, image, row=1)]
    assert describe(two_lines) == "3 3 (3: >99.9%, 3: 50.0%)"


def test_predict_says_when_it_reads_only_the_first_frame_of_an_animation(tmp_path):
    """A user trial: an animation was read by its first frame without a word (a blank first frame
    read "blank image"). Now a one-line warning says so."""
    frames = [Image.new("L", (200, 200), 255) for _ in range(3)]
    for k, frame in enumerate(frames):
        frame.paste(0, (95 + 10 * k, 40, 107 + 10 * k, 160))  # a 1 that moves: no frame a copy of another
    path = tmp_path / "frames.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    result = run("predict", str(path))
    assert result.returncode == 0 and result.stdout.startswith(f"{path}: 1 ("), result.stderr
    assert result.stderr == f"warning: {path}: 3 frames or pages; only the first is read\n"


def number_page(text: str) -> Image.Image:
    """A page with `text` written on it in a font, dark on white."""
    import cv2

    page = np.full((200, 120 * max(len(text), 1) + 60), 255, np.uint8)
    cv2.putText(page, text, (20, 160), cv2.FONT_HERSHEY_SIMPLEX, 5, 0, 12, cv2.LINE_AA)
    return Image.fromarray(page)


def test_predict_reads_every_page_of_a_multi_page_tiff(tmp_path, monkeypatch, capsys):
    """A document feeder scans a stack into one TIFF (a user trial: only its first page was read,
    the others said in a warning a redirected stdout hides). Each page is read, named by its number,
    a blank page said as such, a thumbnail skipped (a review: read as a page); past MAX_PAGES, a warning."""
    from PIL import TiffImagePlugin

    pages = [number_page("47"), Image.new("L", (200, 200), 255), number_page("305")]
    thumbnail = number_page("47").resize((50, 25))  # a scanner's reduced copy (NewSubfileType 1): no page
    path = tmp_path / "stack.tif"
    with open(path, "w+b") as fp, TiffImagePlugin.AppendingTiffWriter(fp) as tiff:
        for page, subfile in [(p, 0) for p in pages] + [(thumbnail, 1)]:
            tags = TiffImagePlugin.ImageFileDirectory_v2()
            tags[254] = subfile
            page.encoderinfo, page.encoderconfig = {"tiffinfo": tags}, ()
            TiffImagePlugin._save(page, tiff, str(path))
            tiff.newFrame()
    result = run("predict", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{path} (page 1): 47 (") and lines[1].startswith(f"{path} (page 3): 305 (")
    assert result.stderr == f"error: {path} (page 2): no ink found (the image is blank or has too little contrast)\n"
    result = run("predict", "--csv", str(path))
    rows = [line.split(",")[:4] for line in result.stdout.splitlines()[1:]]
    assert rows == [[str(path), "1", "47", "read"], [str(path), "2", "", "blank"], [str(path), "3", "305", "read"]]

    from recognizer import cli, images

    monkeypatch.setattr(cli, "MAX_PAGES", 2)
    monkeypatch.setattr(images, "MAX_PAGES", 2)
    with pytest.warns(UserWarning, match="more than 2 pages; the first 2 are read"):
        assert cli.predict_main(["--csv", str(path)]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 3  # the header and two pages


def test_predict_reads_an_image_piped_to_standard_input(tmp_path):
    """A user trial: `predict -` said "image not found: -". "-" reads the image piped in, beside
    files; nothing piped, or no image, is a one-line error for that input alone."""
    seven = (ROOT / "tests" / "fixtures" / "digits" / "7.png").read_bytes()
    three = ROOT / "tests" / "fixtures" / "digits" / "3.png"
    piped = subprocess.run(
        [sys.executable, "-m", "recognizer", "predict", "-", str(three)],
        input=seven,
        capture_output=True,
        cwd=ROOT,
    )
    lines = piped.stdout.decode().splitlines()
    assert piped.returncode == 0 and lines[0].startswith("-: 7 (") and lines[1].startswith(f"{three}: 3 ("), (
        piped.stderr
    )
    for given, words in ((b"", "-: nothing piped to standard input"), (b"not an image", "-: not a readable image")):
        result = subprocess.run(
            [sys.executable, "-m", "recognizer", "predict", "-"], input=given, capture_output=True, cwd=ROOT
        )
        assert result.returncode == 1 and result.stderr.decode().startswith(f"error: {words}"), result.stderr


def test_a_terminal_on_standard_input_is_no_image(monkeypatch):
    """`predict -` typed with nothing piped would wait for typing: it says what "-" is for."""
    from recognizer.errors import ImageError
    from recognizer.images import load_gray

    class Terminal:
        buffer = None

        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    terminal.buffer = terminal
    monkeypatch.setattr(sys, "stdin", terminal)
    with pytest.raises(ImageError, match="no image piped to standard input"):
        load_gray("-")


def test_a_phone_jpeg_with_previews_is_no_animation_and_a_damaged_page_no_failure(tmp_path):
    """A review of the frames warning: a phone's JPEG carrying a preview (MPO, two frames) was
    warned about; and counting a TIFF's pages read its damaged third one, refusing the whole file
    whose first page reads (as it did before the warning). Since TIFFs are read page by page (a
    user trial), its first page reads and the damaged one says so."""
    import struct

    page = Image.new("L", (200, 200), 255)
    page.paste(0, (95, 40, 107, 160))
    phone = tmp_path / "phone.jpg"
    page.convert("RGB").save(phone, format="MPO", save_all=True, append_images=[page.convert("RGB").resize((50, 50))])
    result = run("predict", str(phone))
    assert result.returncode == 0 and result.stdout.startswith(f"{phone}: 1 (") and result.stderr == ""
    pages = tmp_path / "pages.tiff"
    page.save(pages, save_all=True, append_images=[page, page])
    data = bytearray(pages.read_bytes())
    first = struct.unpack("<I", data[4:8])[0]  # the first page's directory: its entries, then the next one's place
    entries = struct.unpack("<H", data[first : first + 2])[0]
    data[first + 2 + 12 * entries : first + 6 + 12 * entries] = struct.pack("<I", 0x7FFFFF00)
    pages.write_bytes(data)
    result = run("predict", str(pages))  # read page by page: the first reads, the next is said damaged
    assert result.returncode == 1 and result.stdout.startswith(f"{pages} (page 1): 1 ("), result.stderr
    assert (
        result.stderr.startswith(f"error: {pages} (page 2): not a readable image (")
        and "Traceback" not in result.stderr
    )


def test_standard_input_that_cannot_be_read_fails_alone(monkeypatch):
    """A review: standard input open for writing only stopped the whole run ("[Errno 9] Bad file
    descriptor", exit 2, the files after it unread); now that input alone fails, named "-"."""
    from recognizer.errors import ImageError
    from recognizer.images import load_gray

    class WriteOnly:
        def isatty(self) -> bool:
            return False

        def read(self, size: int) -> bytes:
            raise OSError(9, "Bad file descriptor")

    stdin = WriteOnly()
    stdin.buffer = stdin
    monkeypatch.setattr(sys, "stdin", stdin)
    with pytest.raises(ImageError, match=r"^-: cannot read standard input \(Bad file descriptor\)$"):
        load_gray("-")


def test_predict_csv_has_a_row_for_every_image_in_the_order_given(tmp_path):
    """A clerk's batch into a spreadsheet (a user trial: failed and blank files had no line on
    stdout, so lines could not be matched to files; names with commas or quotes broke the format)."""
    import csv
    import io

    import cv2

    odd = tmp_path / 'a "form", 2.png'
    odd.write_bytes((DIGITS / "7.png").read_bytes())
    Image.new("L", (200, 200), 255).save(tmp_path / "blank.png")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    page = np.full((200, 420), 255, np.uint8)
    cv2.putText(page, "4K7", (20, 160), cv2.FONT_HERSHEY_SIMPLEX, 5, 0, 12, cv2.LINE_AA)
    Image.fromarray(page).save(tmp_path / "number.png")
    files = [str(DIGITS / "3.png"), str(odd), str(tmp_path / "blank.png"), str(tmp_path / "scan.pdf")]
    files += [str(tmp_path / "missing.png"), str(tmp_path / "number.png")]
    result = run("predict", "--csv", *files)
    assert result.returncode == 1 and "Traceback" not in result.stderr and result.stderr == ""
    header, *rows = list(csv.reader(io.StringIO(result.stdout)))
    assert header == ["file", "page", "number", "status", "lowest_confidence", "details"]
    assert [row[0] for row in rows] == files and {row[1] for row in rows} == {"1"}
    rows = [row[:1] + row[2:] for row in rows]
    assert [row[1:3] for row in rows] == [
        ["3", "read"],
        ["7", "read"],
        ["", "blank"],
        ["", "error"],
        ["", "error"],
        ["4?7", "not sure"],
    ]
    assert 0.5 < float(rows[0][3]) <= 1 and rows[2][3] == rows[3][3] == ""
    assert rows[2][4].startswith("no ink found") and rows[3][4].startswith("a PDF, which is not read")
    assert rows[4][4] == f"image not found: {files[4]}"


@pytest.mark.parametrize(
    "head, words",
    [
        (b"%PDF-1.7\n", "a PDF, which is not read: save or export its pages as PNG or JPEG"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "a HEIC or HEIF photo, which is not read"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "an SVG drawing, which is not read"),
        (b"", "an empty file, no image"),
        (b"GIF00 no image", "not a readable image (damaged, or not one of PNG, JPEG"),
    ],
)
def test_a_file_of_a_format_not_read_says_what_it_is_and_what_to_do(tmp_path, head, words):
    """A scanner's PDF and a phone's HEIC were "not a readable image (damaged, or not a format
    Pillow knows)": as if the scan were damaged, in the library's jargon."""
    (tmp_path / "scan.png").write_bytes(head)
    assert_clean_error(run("predict", str(tmp_path / "scan.png")), 1, words)


def test_an_image_this_user_may_not_read_says_so(tmp_path, monkeypatch, capsys):
    """It said "not a readable image (PermissionError)": a class name, as if the file were damaged."""
    from PIL import Image as PILImage

    from recognizer.cli import predict_main

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(PILImage, "open", refuse)
    assert predict_main([str(DIGITS / "3.png")]) == 1
    line = f"error: {DIGITS / '3.png'}: permission denied (this user may not read the file)"
    assert capsys.readouterr().err.strip() == line
