"""The CNNs: the digit classifier and the small digit detector, each built in one function.

The classifier is the well-known ~99.7% MNIST design (Deotte's Kaggle CNN), built in one function.

Two blocks of three convolutions (the third with stride 2 replaces max pooling), each followed by
BatchNorm, and Dropout 0.4 after each block. Input is 28x28x1 in [0, 1]; output is softmax over 10.
The detector answers one question the classifier cannot, "is this a digit at all?" (a softmax over
10 digits has no way to say "a letter"): output is the probability that the image is NOT a digit.
"""

from __future__ import annotations

import keras
from keras import layers

from .predictor import NUM_CLASSES

INPUT_SHAPE = (28, 28, 1)


def build_model(dropout: float = 0.4) -> keras.Model:
    """Return the uncompiled classifier."""

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
            *conv(32, 3),
            *conv(32, 3),
            *conv(32, 5, strides=2),
            layers.Dropout(dropout),
            *conv(64, 3),
            *conv(64, 3),
            *conv(64, 5, strides=2),
            layers.Dropout(dropout),
            *conv(128, 4),
            layers.Flatten(),
            layers.Dropout(dropout),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mnist_cnn",
    )


def build_detector(dropout: float = 0.3) -> keras.Model:
    """Return the uncompiled digit detector: three conv blocks with BatchNorm, sigmoid P(not a digit)."""

    def conv(filters: int) -> list[layers.Layer]:
        return [layers.Conv2D(filters, 3, use_bias=False), layers.BatchNormalization(), layers.Activation("relu")]

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            *conv(64),
            layers.MaxPooling2D(),
            *conv(96),
            layers.MaxPooling2D(),
            *conv(128),
            layers.Flatten(),
            layers.Dropout(dropout),
            layers.Dense(256, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ],
        name="digit_detector",
    )
