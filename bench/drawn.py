"""MNIST test digits redrawn on a big canvas the way people draw: the "drawn" test set.

Each case is one MNIST test digit drawn by `recognizer.synthetic.redraw` with a round pen at a
random size, position, pen width and slant. Everything follows from the seed, so every
pipeline and every run sees the same canvases.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from recognizer.synthetic import redraw

CANVAS = 640  # the app's canvas side in px
HEIGHT_FRAC = (0.15, 0.90)  # the digit's ink height over the canvas side, uniform
# Pen width relative to the digit's height, log-uniform: 0.04 is a thin pen on a big digit
# (about 1 px after the downscale to 20 px, thinner than any MNIST digit), 0.25 a marker
# (about 5 px, MNIST's boldest). MNIST's own median is about 0.11.
STROKE_FRAC = (0.04, 0.25)
MIN_STROKE_PX = 2.0
SLANT = 0.3  # x shift per unit of height, uniform in +-SLANT
SEED = 2024


@dataclass(frozen=True)
class Case:
    index: int  # into the MNIST test set
    label: int
    height_frac: float
    stroke_px: float
    slant: float
    center: tuple[float, float]

    @property
    def stroke_frac(self) -> float:
        return self.stroke_px / (self.height_frac * CANVAS)


def cases(n_test: int, n: int, seed: int = SEED, labels: np.ndarray | None = None) -> list[Case]:
    """n cases drawing distinct test digits (all of them, cycled, if n > n_test)."""
    rng = np.random.default_rng(seed)
    picks = rng.permutation(n_test)
    picks = np.resize(picks, n)
    out = []
    for i in picks:
        h = rng.uniform(*HEIGHT_FRAC)
        stroke = max(MIN_STROKE_PX, h * CANVAS * float(np.exp(rng.uniform(*np.log(STROKE_FRAC)))))
        slant = rng.uniform(-SLANT, SLANT)
        # Anywhere on the canvas; redraw moves a digit that would stick out back inside.
        center = (float(rng.uniform(0, CANVAS)), float(rng.uniform(0, CANVAS)))
        label = int(labels[i]) if labels is not None else -1
        out.append(Case(int(i), label, float(h), float(stroke), float(slant), center))
    return out


def draw(case: Case, digits: np.ndarray) -> np.ndarray:
    """The canvas (CANVAS x CANVAS uint8, white ink on black) of one case."""
    return redraw(digits[case.index], CANVAS, case.height_frac, case.stroke_px, case.slant, case.center)


def canvases(case_list: list[Case], digits: np.ndarray) -> Iterator[np.ndarray]:
    for case in case_list:
        yield draw(case, digits)
