"""Accuracy of the shipped model: the MNIST test set, and MNIST test digits redrawn on a 640x640
canvas (see bench/drawn.py) through three preprocessing pipelines, same model, same canvases:

- `ours`: what Recognizer.predict(canvas) does: recognizer.preprocess's recipe (crop, erode strokes
  bolder than INK_MAX_PEN of the digit's size, thicken thin ones, long side 20 px, center of mass
  at (14, 14));
- `resize-canvas`: the whole canvas resized to 28x28 (cv2.INTER_AREA, the kindest filter for a
  big downscale), what most web demos do;
- `box22-center`: crop to the ink's bounding box, long side to 22 px (INTER_AREA), pasted in the
  geometric center of 28x28, no center-of-mass shift: what the common pygame demo does.

All three scale to [0, 1] by /255 except ours, which also stretches the brightest pixel to 1.
Accuracies come with 95% Wilson intervals; pipelines are also compared pairwise on the same
canvases (images only one of the two gets right), which is what decides a difference.
"""

from __future__ import annotations

import cv2
import numpy as np

from recognizer.batch import predict_batches
from recognizer.grouping import INK_MAX_PEN
from recognizer.ink import ink_box, ink_from_canvas
from recognizer.predictor import Recognizer
from recognizer.preprocess import SIZE, ink_to_mnist

from . import drawn
from .common import accuracy_entry

FULL_DRAWN = 2000
QUICK_DRAWN = 40
HEIGHT_BINS = ((0.15, 0.35, "small 15-35%"), (0.35, 0.60, "medium 35-60%"), (0.60, 0.901, "large 60-90%"))
STROKE_BINS = ((0.0, 0.07, "thin pen <0.07 h"), (0.07, 0.14, "medium 0.07-0.14 h"), (0.14, 1.0, "marker >0.14 h"))


def pipeline_ours(canvas: np.ndarray) -> np.ndarray:
    """What Recognizer.predict(canvas) feeds the model: to_mnist, bold ink eroded (INK_MAX_PEN)."""
    ink = ink_from_canvas(canvas)
    return np.zeros((SIZE, SIZE), np.float32) if ink.box is None else ink_to_mnist(ink, INK_MAX_PEN)


def pipeline_resize_canvas(canvas: np.ndarray) -> np.ndarray:
    return cv2.resize(canvas, (SIZE, SIZE), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def pipeline_box22_center(canvas: np.ndarray, side: int = 22) -> np.ndarray:
    out = np.zeros((SIZE, SIZE), np.float32)
    box = ink_box(canvas)
    if box is None:
        return out
    x, y, w, h = box
    scale = side / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = cv2.resize(canvas[y : y + h, x : x + w], (nw, nh), interpolation=cv2.INTER_AREA)
    top, left = (SIZE - nh) // 2, (SIZE - nw) // 2
    out[top : top + nh, left : left + nw] = small.astype(np.float32) / 255.0
    return out


PIPELINES = {"ours": pipeline_ours, "resize-canvas": pipeline_resize_canvas, "box22-center": pipeline_box22_center}


def mnist_test(rec: Recognizer, x_test: np.ndarray, y_test: np.ndarray) -> tuple[dict, np.ndarray]:
    """Accuracy on MNIST-form test images (already 28x28, as the model was trained)."""
    predicted = predict_batches(rec.probabilities, x_test).argmax(axis=1)
    correct = int((predicted == y_test).sum())
    return accuracy_entry(correct, len(y_test)), predicted


def drawn_accuracy(rec: Recognizer, x_test: np.ndarray, y_test: np.ndarray, n: int) -> dict:
    """Accuracy of each pipeline on n redrawn test digits, overall and by digit size and pen."""
    case_list = drawn.cases(len(x_test), n, labels=y_test)
    images = {name: np.empty((n, SIZE, SIZE), np.float32) for name in PIPELINES}
    for k, canvas in enumerate(drawn.canvases(case_list, x_test)):
        for name, pipeline in PIPELINES.items():
            images[name][k] = pipeline(canvas)
    labels = np.array([c.label for c in case_list])
    heights = np.array([c.height_frac for c in case_list])
    strokes = np.array([c.stroke_frac for c in case_list])
    right = {name: predict_batches(rec.probabilities, imgs).argmax(axis=1) == labels for name, imgs in images.items()}
    # The same digits as MNIST itself shows them: the ceiling for any preprocessing of the redraws.
    originals = x_test[[c.index for c in case_list]]
    reference = int((predict_batches(rec.probabilities, originals).argmax(axis=1) == labels).sum())
    result = {
        "n": n,
        "seed": drawn.SEED,
        "canvas": f"{drawn.CANVAS}x{drawn.CANVAS}",
        "setup": {
            "height_frac": list(drawn.HEIGHT_FRAC),
            "stroke_frac_of_height_loguniform": list(drawn.STROKE_FRAC),
            "min_stroke_px": drawn.MIN_STROKE_PX,
            "slant": [-drawn.SLANT, drawn.SLANT],
            "position": "uniform, kept inside the canvas",
        },
        "same_digits_mnist_form": accuracy_entry(reference, n),
        "pipelines": {},
    }
    for name, ok in right.items():
        entry = accuracy_entry(int(ok.sum()), n)
        entry["by_height"] = {
            label: accuracy_entry(
                int(ok[(heights >= lo) & (heights < hi)].sum()), int(((heights >= lo) & (heights < hi)).sum())
            )
            for lo, hi, label in HEIGHT_BINS
        }
        entry["by_stroke"] = {
            label: accuracy_entry(
                int(ok[(strokes >= lo) & (strokes < hi)].sum()), int(((strokes >= lo) & (strokes < hi)).sum())
            )
            for lo, hi, label in STROKE_BINS
        }
        if name != "ours":
            entry["vs_ours"] = {
                "only_ours_right": int((right["ours"] & ~ok).sum()),
                "only_this_right": int((ok & ~right["ours"]).sum()),
            }
        result["pipelines"][name] = entry
    return result


def keras_agreement(keras_path, x_test: np.ndarray, y_test: np.ndarray, litert_predicted: np.ndarray) -> dict:
    """The .keras model on the MNIST test set, and how often it disagrees with the .tflite export."""
    rec = Recognizer.load(keras_path)
    predicted = predict_batches(rec.probabilities, x_test).argmax(axis=1)
    entry = accuracy_entry(int((predicted == y_test).sum()), len(y_test))
    entry["disagree_with_litert"] = int((predicted != litert_predicted).sum())
    return entry
