"""The classifier's training set: MNIST, real pen digits of the training people, and style variants.

Everything is drawn once, before training (the augmenter varies it every epoch on the 28x28 images):
* the 60,000 MNIST training images as they are;
* UNIPEN digits of the people in the "train" split (recognizer.unipen), each drawn REAL_RENDERS
  times on app-like canvases (size, place, pen width) and preprocessed as the app does;
* for each writing style MNIST lacks (recognizer.styles), STYLE_MNIST MNIST training digits redrawn
  with a round pen plus the style's stroke, and every training-split UNIPEN digit of that label
  drawn once more with it.
The held-out people ("val", "test") never enter it.
"""

from __future__ import annotations

import numpy as np

from .data import Mnist, PenCharacters
from .preprocess import to_mnist
from .styles import STYLES, add_style

REAL_RENDERS = 3
STYLE_MNIST = 1200  # MNIST training digits per style
SEED = 11


def styled(canvases_and_pens, style: str, rng: np.random.Generator) -> np.ndarray:
    """(n, 28, 28) uint8: each (canvas, pen) with the style's stroke added, preprocessed as the app does."""
    images = [to_mnist(add_style(canvas, style, pen, rng)) for canvas, pen in canvases_and_pens]
    kept = [np.round(image * 255).astype(np.uint8) for image in images if image is not None]
    return np.stack(kept) if kept else np.empty((0, 28, 28), np.uint8)


def mnist_canvases(images: np.ndarray, rng: np.random.Generator):
    """MNIST digits redrawn with a round pen on app-like canvases: yields (canvas, pen)."""
    from .strokes import brush_width
    from .synthetic import redraw
    from .unipen import CANVAS_SIDES, HEIGHT_SHARE, PEN_FACTOR

    for image in images:
        side = int(rng.integers(*CANVAS_SIDES))
        pen = brush_width(side, rng.uniform(*PEN_FACTOR))
        height = rng.uniform(*HEIGHT_SHARE)
        margin = side * (height / 2 + 0.05)
        centre = (rng.uniform(margin, side - margin), rng.uniform(margin, side - margin))
        yield redraw(image, side, height, stroke_px=pen, slant=rng.uniform(-0.2, 0.2), center=centre), pen


def pen_canvases(chars: PenCharacters, indices: np.ndarray, rng: np.random.Generator):
    """Real pen characters drawn on app-like canvases: yields (canvas, pen)."""
    from .unipen import draw_placed

    for i in indices:
        canvas, _, pen = draw_placed(chars.strokes(int(i)), rng)
        yield canvas, pen


def style_set(
    x: np.ndarray, y: np.ndarray, chars: PenCharacters | None, real: np.ndarray, per_style: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Style variants of MNIST digits (x, y) and of the real digits at `real`: (images, labels, style
    index into STYLES), per_style MNIST digits per style."""
    rng = np.random.default_rng(seed)
    images, labels, kinds = [], [], []
    for k, (style, digit) in enumerate(STYLES.items()):
        pick = rng.permutation(np.flatnonzero(y == digit))[:per_style]
        parts = [styled(mnist_canvases(x[pick], rng), style, rng)]
        if chars is not None:
            own = real[chars.label[real] == str(digit)]
            parts.append(styled(pen_canvases(chars, own, rng), style, rng))
        made = np.concatenate(parts)
        images.append(made)
        labels.append(np.full(len(made), digit, np.uint8))
        kinds.append(np.full(len(made), k, np.int8))
    return np.concatenate(images), np.concatenate(labels), np.concatenate(kinds)


def training_set(
    mnist: Mnist,
    chars: PenCharacters | None = None,
    split: np.ndarray | None = None,
    renders: int = REAL_RENDERS,
    per_style: int = STYLE_MNIST,
    seed: int = SEED,
    mnist_styles: bool = True,
) -> Mnist:
    """MNIST's training images plus real pen digits (if chars is given) and style variants, shuffled
    into one Mnist (its test set is MNIST's, for reporting only). mnist_styles=False: the style
    variants of the real digits alone, none made from MNIST digits (per_style unused; measured and
    not shipped, bench.recipe_sweep)."""
    from .unipen import person_split, real_digits, render

    xs, ys = [mnist.x_train], [mnist.y_train]
    real = np.array([], np.int64)
    if chars is not None:
        split = person_split(chars) if split is None else split
        real = real_digits(chars, split, "train")
        labels = chars.label[real].astype(np.uint8)
        for r in range(renders):
            xs.append(render(chars, real, seed=seed + r))
            ys.append(labels)
    if per_style or not mnist_styles:
        source = (mnist.x_train, mnist.y_train) if mnist_styles else (mnist.x_train[:0], mnist.y_train[:0])
        x_style, y_style, _ = style_set(*source, chars, real, per_style if mnist_styles else 0, seed + 100)
        xs.append(x_style)
        ys.append(y_style)
    order = np.random.default_rng(seed).permutation(sum(len(x) for x in xs))
    source = mnist.source + (f" + {chars.source}" if chars is not None else "")
    return Mnist(np.concatenate(xs)[order], np.concatenate(ys)[order], mnist.x_test, mnist.y_test, source)
