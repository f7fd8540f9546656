"""The CLI: right answers on good input; one-line errors and non-zero exits on bad input."""

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


def test_predict_text_file(tmp_path):
    (tmp_path / "notes.jpg").write_text("not an image at all")
    assert_clean_error(run("predict", str(tmp_path / "notes.jpg")), 1, "not a readable image")


def test_predict_blank_image(tmp_path):
    Image.new("L", (200, 200), 255).save(tmp_path / "blank.png")
    assert_clean_error(run("predict", str(tmp_path / "blank.png")), 1, "no ink")


def test_one_bad_image_does_not_stop_the_others(tmp_path):
    result = run("predict", str(tmp_path / "missing.png"), str(DIGITS / "2.png"))
    assert result.returncode == 1 and ": 2 (" in result.stdout


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
    assert_clean_error(run("train", "--data", str(tmp_path / "none.npz")), 2, "data file not found")


def test_unknown_command_and_help():
    assert run("frobnicate").returncode == 2
    help_ = run("--help")
    assert help_.returncode == 0 and "predict" in help_.stdout
    for command in ("predict", "evaluate", "train"):
        assert run(command, "--help").returncode == 0
