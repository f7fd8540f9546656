"""Shared fixtures. Tests never need ../shared: they make their data or use tests/fixtures."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.pop("MNIST_NPZ", None)  # tests must not depend on the real data files
os.environ.pop("UNIPEN_NPZ", None)
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="xdg-data-")  # no personal model or samples from the real home

import numpy as np  # noqa: E402
import pytest  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60  # s for `python -m web` to answer; generous for a busy CI machine


@pytest.fixture(scope="session")
def shipped():
    """The shipped model, loaded once."""
    from recognizer import Recognizer

    return Recognizer.load()


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory) -> Path:
    """A small mnist.npz of synthetic font digits (300 train, 100 test), in Keras's layout."""
    from recognizer.synthetic import font_digits

    x_train, y_train = font_digits(300, seed=1)
    x_test, y_test = font_digits(100, seed=2)
    path = tmp_path_factory.mktemp("data") / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


@pytest.fixture
def crash_after_first_epoch():
    """A Keras callback that stops training with RuntimeError("simulated crash") once epoch 0 is
    checkpointed and logged: the machine going down, for the --resume tests."""
    import keras

    class Crash(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("simulated crash")

    return Crash()


@pytest.fixture(scope="session")
def unusable_models(tmp_path_factory) -> dict[str, Path]:
    """Tiny models that load but cannot serve as the classifier, each as .keras and .tflite (the
    path without suffix, by name): "uint8" takes uint8 images (as a quantized export does),
    "logits" answers raw scores (no softmax), "nan" answers NaN (a diverged training)."""
    import keras
    from keras import layers

    folder = tmp_path_factory.mktemp("unusable-models")
    nan = keras.initializers.Constant(float("nan"))
    models = {
        "uint8": (keras.Input((28, 28, 1), dtype="uint8"), [layers.Rescaling(1 / 255), layers.Dense(10, "softmax")]),
        "logits": (keras.Input((28, 28, 1)), [layers.Dense(10)]),
        "nan": (keras.Input((28, 28, 1)), [layers.Dense(10, "softmax", kernel_initializer=nan)]),
    }
    paths = {}
    for name, (inputs, head) in models.items():
        keras.utils.set_random_seed(0)
        x = layers.Flatten()(inputs)
        for layer in head:
            x = layer(x)
        model = keras.Model(inputs, x, name=name)
        model.save(folder / f"{name}.keras")
        model.export(str(folder / f"{name}.tflite"), format="litert", verbose=False)
        paths[name] = folder / name
    return paths


@pytest.fixture(scope="module")
def server_url():
    """`python -m web` on a free 127.0.0.1 port, as a user starts it: its URL while the module runs."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "web", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"python -m web exited with {proc.returncode}: {proc.stderr.read()[-500:]}")
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"python -m web did not answer within {START_TIMEOUT} s")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert "Traceback" not in err, err[-2000:]
