"""The CNNs: the digit classifier, an ensemble of classifiers, the small digit detector and the
touching-digits model, each built in one function.

The classifier is the well-known ~99.7% MNIST design (Deotte's Kaggle CNN), built in one function;
several trained apart can be averaged in one graph (build_ensemble, `train --members`), and so
can detectors (build_detector_ensemble, `train-detector --average-with`).

Two blocks of three convolutions (the third with stride 2 replaces max pooling), each followed by
BatchNorm, and Dropout 0.4 after each block. Input is 28x28x1 in [0, 1]; output is softmax over 10.
The detector answers one question the classifier cannot, "is this a digit at all?" (a softmax over
10 digits has no way to say "a letter"): output is the probability that the image is NOT a digit.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers

from .predictor import NUM_CLASSES

INPUT_SHAPE = (28, 28, 1)


def build_model(dropout: float = 0.4, width: float = 1.0) -> keras.Model:
    """Return the uncompiled classifier; width scales every layer's filters (1.5 was measured and not
    shipped: docs/measurements.md, "The classifier")."""
    small, middle, large = (round(filters * width) for filters in (32, 64, 128))
    if small < 1:
        raise ValueError(f"width {width} leaves the first layers no filters")

    def conv(filters: int, size: int, strides: int = 1) -> list[layers.Layer]:
        padding = "same" if strides > 1 else "valid"
        return [
            layers.Conv2D(filters, size, strides=strides, padding=padding, use_bias=False),
            layers.BatchNormalization(),
            layers.Activation("relu"),
        ]

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            *conv(small, 3),
            *conv(small, 3),
            *conv(small, 5, strides=2),
            layers.Dropout(dropout),
            *conv(middle, 3),
            *conv(middle, 3),
            *conv(middle, 5, strides=2),
            layers.Dropout(dropout),
            *conv(large, 4),
            layers.Flatten(),
            layers.Dropout(dropout),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mnist_cnn",
    )


def build_ensemble(members: Sequence[keras.Model]) -> keras.Model:
    """One classifier that averages the logits of trained classifiers (build_model's): each
    member's layers but its last, side by side, then one Dense softmax on their features with the
    members' last layers stacked and divided by their number (networks trained apart err on
    partly different digits). One graph: one .tflite file, and one last layer for personal.py to
    personalize."""
    inputs = keras.Input(INPUT_SHAPE)
    towers = []
    for member in members:
        fresh = build_model()  # new layers, named apart from the other members'
        x = inputs
        for layer, trained in zip(fresh.layers[:-1], member.layers[:-1]):
            x = layer(x)
            layer.set_weights(trained.get_weights())
        towers.append(x)
    head = layers.Dense(NUM_CLASSES, activation="softmax")
    outputs = head(layers.Concatenate()(towers) if len(towers) > 1 else towers[0])
    kernels, biases = zip(*(member.layers[-1].get_weights() for member in members))
    head.set_weights([np.concatenate(kernels) / len(members), np.mean(biases, axis=0)])
    return keras.Model(inputs, outputs, name="mnist_cnn")


def build_detector(dropout: float = 0.3) -> keras.Model:
    """Return the uncompiled digit detector: three conv blocks with BatchNorm, sigmoid P(not a digit)."""
    return _small_cnn((64, 96, 128), 256, dropout, "digit_detector")


def build_touching(dropout: float = 0.3) -> keras.Model:
    """Return the uncompiled touching-digits model: the detector's design at about a third of its
    width, sigmoid P(several digits) of a whole piece of ink (recognizer.train_touching)."""
    return _small_cnn((32, 64, 96), 128, dropout, "touching_digits")


def build_pair_reader(dropout: float = 0.3) -> keras.Model:
    """Return the uncompiled digit-pair reader: the detector's design with a softmax over the 100
    pairs "00" to "99" (10 * left + right) of a piece of two digits touching (recognizer.train_pairs)."""
    return _small_cnn((64, 96, 128), 256, dropout, "digit_pairs", outputs=100)


def _small_cnn(filters: tuple[int, int, int], dense: int, dropout: float, name: str, outputs: int = 1) -> keras.Model:
    """Three 3x3 conv blocks with BatchNorm (max pooling after the first two), a dense layer and one
    sigmoid output (or a softmax over `outputs` classes): the detector's, the touching-digits
    model's and the digit-pair reader's design."""

    def conv(width: int) -> list[layers.Layer]:
        return [layers.Conv2D(width, 3, use_bias=False), layers.BatchNormalization(), layers.Activation("relu")]

    first, second, third = filters
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            *conv(first),
            layers.MaxPooling2D(),
            *conv(second),
            layers.MaxPooling2D(),
            *conv(third),
            layers.Flatten(),
            layers.Dropout(dropout),
            layers.Dense(dense, activation="relu"),
            layers.Dense(1, activation="sigmoid") if outputs == 1 else layers.Dense(outputs, activation="softmax"),
        ],
        name=name,
    )


def build_detector_ensemble(members: Sequence[keras.Model]) -> keras.Model:
    """One detector answering the mean P(not a digit) of trained detectors (build_detector's), their
    layers side by side in one graph: one .tflite file, one call per batch. Detectors trained on
    different non-digits err on different letters (docs/measurements.md, "The digit detector")."""
    inputs = keras.Input(INPUT_SHAPE)
    towers = []
    for member in members:
        fresh = build_detector()  # new layers, named apart from the other members'
        x = inputs
        for layer, trained in zip(fresh.layers, member.layers, strict=True):
            x = layer(x)
            layer.set_weights(trained.get_weights())
        towers.append(x)
    outputs = layers.Average()(towers) if len(towers) > 1 else towers[0]
    return keras.Model(inputs, outputs, name="digit_detector")
