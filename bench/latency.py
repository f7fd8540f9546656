"""Per-call latency of rec.predict(canvas) on a 640x640 canvas (preprocessing, the classifier and
the "not sure" checks: ink measures and the digit detector), and of its two main parts timed apart:
preprocessing (`ink_to_mnist` as predict calls it, bold ink eroded) and inference (`classify`: the
classifier, normalisation, the Prediction), and the digit detector's own cost per digit, per path:

- `litert`: the .tflite model in the LiteRT interpreter, on predictor.THREADS threads: what the app uses;
- `keras-call`: the .keras model called directly, `model(x, training=False)`;
- `keras-predict`: the .keras model through `model.predict(x)`, the common approach: the baseline.

Each path gets the same canvases (MNIST test digits redrawn at random size and pen width), a cold
first call (reported apart), a warm-up, then `repeats` runs of `calls` predictions, one after
another in one calling thread. Times are wall clock (perf_counter_ns) with the garbage collector on, as in
the app. The LiteRT path is timed before TensorFlow is imported, as the app never imports it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from recognizer.grouping import INK_MAX_PEN
from recognizer.ink import ink_from_canvas
from recognizer.predictor import THREADS, Recognizer
from recognizer.preprocess import ink_to_mnist

from .common import timing_stats

TARGET_P50_MS = 1.0
TARGET_P99_MS = 3.0
WARMUP_CALLS = 20
APP_PATH = "litert"

# (calls per repeat, repeats): model.predict costs ~100x more per call, so it gets fewer calls.
FULL = {"litert": (400, 5), "keras-call": (200, 5), "keras-predict": (60, 5)}
QUICK = {"litert": (20, 2), "keras-call": (10, 2), "keras-predict": (4, 2)}


class _KerasPredict:
    """The baseline backend: the Keras model through model.predict, as most tutorials do."""

    def __init__(self, model):
        self.model = model

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.model.predict(batch, verbose=0)


def time_path(rec: Recognizer, canvases: list[np.ndarray], calls: int, repeats: int) -> dict:
    """Time `calls` x `repeats` predictions (total) and, for the same canvases, preprocessing,
    inference and the digit detector (if the recognizer has one) apart."""
    pre, inf, det, total = [], [], [], []
    clock = time.perf_counter_ns
    t0 = clock()
    first = rec.predict(canvases[0])
    first_ns = clock() - t0
    assert first is not None
    for k in range(WARMUP_CALLS):
        rec.predict(canvases[k % len(canvases)])
    for _ in range(repeats):
        for k in range(calls):
            canvas = canvases[k % len(canvases)]
            t0 = clock()
            rec.predict(canvas)  # all the app gets per digit: preprocessing, model, "not sure" checks
            t1 = clock()
            image = ink_to_mnist(ink_from_canvas(canvas), INK_MAX_PEN)  # and its two main parts, as predict makes them
            t2 = clock()
            rec.classify(image)
            t3 = clock()
            if rec.detector is not None:
                rec.detector.not_digit(image[None])
                det.append(clock() - t3)
            total.append(t1 - t0)
            pre.append(t2 - t1)
            inf.append(t3 - t2)
    return {
        "first_call_ms": round(first_ns / 1e6, 3),
        "preprocess": timing_stats(pre, repeats),
        "inference": timing_stats(inf, repeats),
        **({"detector": timing_stats(det, repeats)} if det else {}),
        "total": timing_stats(total, repeats),
    }


def check_same_answers(recs: dict[str, Recognizer], canvases: list[np.ndarray]) -> dict:
    """How often each path's digit differs from LiteRT's on the timed canvases (should be 0)."""
    reference = [recs[APP_PATH].predict(c).digit for c in canvases]
    return {
        name: sum(rec.predict(c).digit != d for c, d in zip(canvases, reference))
        for name, rec in recs.items()
        if name != APP_PATH
    }


def run_litert(rec: Recognizer, load_s: float, canvases: list[np.ndarray], quick: bool) -> dict:
    """The app's path (`rec`: the .tflite model, loaded in `load_s` seconds, the first load in this
    process, import of ai_edge_litert included), timed before TensorFlow is imported."""
    calls, repeats = (QUICK if quick else FULL)[APP_PATH]
    result = time_path(rec, canvases, calls, repeats)
    result["load_s"] = round(load_s, 3)
    result["model"] = str(rec.path)
    result["threads"] = THREADS  # rec is loaded with the default, as the app loads it
    total = result["total"]
    result["target"] = {
        "p50_ms": TARGET_P50_MS,
        "p99_ms": TARGET_P99_MS,
        "pass": bool(total["p50_ms"] <= TARGET_P50_MS and total["p99_ms"] <= TARGET_P99_MS),
    }
    return result


def run_keras(keras_path: Path, canvases: list[np.ndarray], quick: bool, litert: Recognizer | None = None) -> dict:
    """The two Keras paths (imports TensorFlow: call after everything that must not see it)."""
    t0 = time.perf_counter()
    import keras  # noqa: F401  (TensorFlow's import time is part of these paths' start-up)

    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    direct = Recognizer.load(keras_path)  # model(x, training=False), loaded with safe_mode=True
    load_s = time.perf_counter() - t0
    model = keras.saving.load_model(keras_path, safe_mode=True, compile=False)
    baseline = Recognizer(
        _KerasPredict(model), keras_path, direct.calibration, direct.detector, direct.touching, direct.pairs
    )
    out = {}
    for name, rec in (("keras-call", direct), ("keras-predict", baseline)):
        calls, repeats = (QUICK if quick else FULL)[name]
        out[name] = time_path(rec, canvases, calls, repeats)
        out[name]["load_s"] = round(load_s, 3)
        out[name]["tensorflow_import_s"] = round(import_s, 3)
        out[name]["model"] = str(keras_path)
    if litert is not None:
        mismatches = check_same_answers({APP_PATH: litert, "keras-call": direct, "keras-predict": baseline}, canvases)
        for name, count in mismatches.items():
            out[name]["digit_differs_from_litert"] = int(count)
    return out
