"""Loaders for mnist.npz and IDX files: good files load, bad files give one clear DataError."""

import gzip

import numpy as np
import pytest

from recognizer.data import IDX_FILES, load_mnist, read_idx, read_kaggle_csv
from recognizer.errors import DataError


def write_idx(path, array: np.ndarray, gz: bool = False) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(payload)


def test_npz_loads(tiny_mnist):
    data = load_mnist(tiny_mnist)
    assert data.x_train.shape == (300, 28, 28) and data.y_test.shape == (100,)
    assert data.x_train.dtype == np.uint8


def test_no_path_and_no_network_is_one_clear_error(monkeypatch):
    """Without a path, MNIST_NPZ or a network, Keras's download fails with a bare Exception: the
    loader says what to pass instead (the app's L key runs `learn` without --data)."""
    import keras

    def offline():  # as keras.utils.get_file raises it, offline
        import socket
        import urllib.error

        try:
            raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))
        except urllib.error.URLError:
            raise Exception("URL fetch failure on https://storage.googleapis.com/mnist.npz: None -- [Errno -2]")  # noqa: B904

    monkeypatch.delenv("MNIST_NPZ", raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataError) as error:
        load_mnist()
    assert str(error.value) == (
        "cannot download MNIST (Name or service not known); pass --data PATH to mnist.npz, or set MNIST_NPZ"
    )  # not Keras's "URL fetch failure on https://...: None -- [Errno -2] ...", which the app's L showed

    def damaged():
        raise Exception("File not found or corrupted.\nRetry.")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", damaged)
    with pytest.raises(DataError, match=r"cannot download MNIST \(File not found or corrupted\.\); pass --data PATH"):
        load_mnist()


def test_an_empty_path_is_refused_not_downloaded(monkeypatch):
    """`evaluate --data ""` fell back to Keras's download (TensorFlow's start-up, then a download error)."""
    monkeypatch.delenv("MNIST_NPZ", raising=False)
    with pytest.raises(DataError, match=r"^no MNIST file given \(an empty path\): pass --data PATH to mnist.npz$"):
        load_mnist("")


def test_an_empty_env_var_counts_as_unset(monkeypatch):
    """MNIST_NPZ="" is no path (it was read as the folder "."): the loader goes on to Keras."""
    import keras

    x, y = np.zeros((2, 28, 28), np.uint8), np.array([3, 5], np.uint8)
    calls = []
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: calls.append(1) or ((x, y), (x, y)))
    monkeypatch.setenv("MNIST_NPZ", "")
    assert load_mnist().source == "keras.datasets.mnist" and calls == [1]


def test_env_var_is_used(tiny_mnist, monkeypatch):
    monkeypatch.setenv("MNIST_NPZ", str(tiny_mnist))
    assert len(load_mnist().x_train) == 300


def test_a_missing_file_named_by_the_env_var_says_so(tmp_path, monkeypatch):
    """MNIST_NPZ naming a missing file was answered "pass --data", where no --data was given."""
    monkeypatch.setenv("MNIST_NPZ", str(tmp_path / "nope.npz"))
    with pytest.raises(DataError, match=r"nope.npz \(\$MNIST_NPZ names it: set it to mnist.npz"):
        load_mnist()
    with pytest.raises(DataError, match=r"nope2.npz \(pass --data PATH to mnist.npz"):
        load_mnist(tmp_path / "nope2.npz")


@pytest.mark.parametrize("gz", [False, True])
def test_idx_folder_loads_like_the_npz(tiny_mnist, tmp_path, gz):
    data = load_mnist(tiny_mnist)
    for key, stem in IDX_FILES.items():
        write_idx(tmp_path / (stem + (".gz" if gz else "")), getattr(data, key), gz)
    idx = load_mnist(tmp_path)
    assert np.array_equal(idx.x_train, data.x_train) and np.array_equal(idx.y_test, data.y_test)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_mnist(tmp_path / "nope.npz")


@pytest.mark.parametrize("kind", ["device", "pipe"])
def test_a_device_or_a_pipe_is_refused_before_anything_is_read(tmp_path, kind):
    """--data /dev/zero read on until the kernel killed the process (16 GB in 12 s); a named pipe
    with no writer waited for ever."""
    import os

    path = "/dev/zero" if kind == "device" else tmp_path / "mnist.npz"
    if kind == "pipe":
        os.mkfifo(path)
    with pytest.raises(DataError, match="not a regular file"):
        load_mnist(path)


def test_a_pipe_in_an_idx_folder_is_refused_before_anything_is_read(tmp_path):
    """An IDX folder's file was opened whatever it was: a named pipe waited for ever."""
    import os

    os.mkfifo(tmp_path / "train-images-idx3-ubyte")
    with pytest.raises(DataError, match="train-images-idx3-ubyte: not a regular file"):
        load_mnist(tmp_path)
    with pytest.raises(DataError, match="train-images-idx3-ubyte: not a regular file"):  # the public reader too
        read_idx(tmp_path / "train-images-idx3-ubyte")
    os.mkfifo(tmp_path / "train.csv")
    with pytest.raises(DataError, match="train.csv: not a regular file"):
        read_kaggle_csv(tmp_path / "train.csv", labeled=True)


def test_corrupt_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(DataError, match="cannot read"):
        load_mnist(path)


def test_npz_without_mnist_arrays(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(DataError, match="missing arrays"):
        load_mnist(path)


def test_npz_with_wrong_shapes(tmp_path):
    path = tmp_path / "mnist.npz"
    z = np.zeros((5, 32, 32), np.uint8)
    np.savez(path, x_train=z, y_train=np.zeros(5), x_test=z, y_test=np.zeros(5))
    with pytest.raises(DataError, match=r"\(n, 28, 28\)"):
        load_mnist(path)


def test_idx_bad_magic_and_truncation(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x12\x34\x56\x78")
    with pytest.raises(DataError, match="magic"):
        read_idx(tmp_path / "bad")
    write_idx(tmp_path / "ok", np.zeros((4, 28, 28)))
    (tmp_path / "short").write_bytes((tmp_path / "ok").read_bytes()[:-10])
    with pytest.raises(DataError, match="does not match"):
        read_idx(tmp_path / "short")


def test_idx_folder_missing_a_file(tmp_path):
    write_idx(tmp_path / IDX_FILES["x_train"], np.zeros((4, 28, 28)))
    with pytest.raises(DataError, match="missing IDX file"):
        load_mnist(tmp_path)


@pytest.mark.parametrize(
    "labels",
    [np.array(list("01234")), np.array([0.5, 1, 2, 3, 4]), np.arange(5) + 6],
    ids=["strings", "fractions", "over 9"],
)
def test_npz_with_labels_that_are_not_digits(tmp_path, labels):
    path = tmp_path / "mnist.npz"
    z = np.zeros((5, 28, 28), np.uint8)
    np.savez(path, x_train=z, y_train=labels, x_test=z, y_test=np.arange(5))
    with pytest.raises(DataError, match="labels must be 5 whole numbers 0-9"):
        load_mnist(path)


def test_kaggle_csv_with_bare_carriage_returns_says_so(tmp_path):
    """Lines ended by CR alone (old Mac text): one clear line, not 'the first line is not text'."""
    from recognizer.data import KAGGLE_PIXELS, read_kaggle_csv

    rows = ["label," + ",".join(KAGGLE_PIXELS)] + [",".join(["1"] + ["0"] * 784)] * 3
    path = tmp_path / "train.csv"
    path.write_bytes("\r".join(rows).encode() + b"\r")
    with pytest.raises(DataError, match="bare carriage return"):
        read_kaggle_csv(path, labeled=True)


def test_kaggle_csv_loads_to_its_values_in_kaggle_pixel_order(tmp_path):
    """pixelK is row K // 28, column K % 28 (Kaggle's layout); the label column comes first."""
    from recognizer.data import KAGGLE_PIXELS, read_kaggle_csv

    first, second = ["0"] * 784, ["0"] * 784
    first[0], first[29], first[783] = "255", "7", "128"  # (0, 0), (1, 1), (27, 27)
    second[27], second[28 * 27] = "1", "200"  # (0, 27), (27, 0)
    text = "\n".join(["label," + ",".join(KAGGLE_PIXELS), "4," + ",".join(first), "9," + ",".join(second)]) + "\n"
    (tmp_path / "train.csv").write_text(text)
    (tmp_path / "test.csv").write_text("\n".join([",".join(KAGGLE_PIXELS), ",".join(second)]) + "\n")
    x, y = read_kaggle_csv(tmp_path / "train.csv", labeled=True)
    expected = np.zeros((2, 28, 28), np.uint8)
    expected[0, 0, 0], expected[0, 1, 1], expected[0, 27, 27] = 255, 7, 128
    expected[1, 0, 27], expected[1, 27, 0] = 1, 200
    assert x.dtype == np.uint8 and y.dtype == np.uint8
    np.testing.assert_array_equal(x, expected)
    np.testing.assert_array_equal(y, [4, 9])
    x_test, no_labels = read_kaggle_csv(tmp_path / "test.csv", labeled=False)
    np.testing.assert_array_equal(x_test, expected[1:])
    assert no_labels is None
    assert load_mnist(tmp_path / "train.csv").x_train.tolist() == expected.tolist()  # --data train.csv too
