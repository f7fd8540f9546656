"""Training-time augmentation that makes MNIST look like digits people draw.

Drawn digits differ from MNIST's in slant, size, aspect, position and above all stroke width (a
mouse brush, a pen, a marker), so we vary all of them. Geometry is one random affine map per image
(one resampling, so digits stay sharp); stroke width is a blend with a dilation or an erosion.
The layers run only in training; the model that ships contains none of them.
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

MAX_ROTATION_DEG = 10.0
MAX_SHEAR = 0.2  # x += shear * y: the slant of handwriting
ZOOM = (0.88, 1.12)  # digit height, relative
MAX_ASPECT = 0.1  # width zoom relative to height zoom
MAX_SHIFT_PX = 2.0
MAX_STROKE_BLEND = 0.7


class RandomDigitAffine(layers.Layer):
    """Rotate, slant, zoom and shift each image about its center with one random affine map.

    Each range is a constructor argument (0, or zoom (1, 1), turns that change off): the notebook
    shows them one at a time with the very layer training uses."""

    def __init__(
        self,
        seed: int | None = None,
        max_rotation_deg: float = MAX_ROTATION_DEG,
        max_shear: float = MAX_SHEAR,
        zoom: tuple[float, float] = ZOOM,
        max_aspect: float = MAX_ASPECT,
        max_shift_px: float = MAX_SHIFT_PX,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.seed = seed
        self.max_rotation_deg = max_rotation_deg
        self.max_shear = max_shear
        self.zoom = tuple(zoom)
        self.max_aspect = max_aspect
        self.max_shift_px = max_shift_px
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=True):
        if not training:
            return images
        n = ops.shape(images)[0]

        def uniform(low, high):
            return keras.random.uniform((n,), low, high, seed=self.seed_generator)

        angle = uniform(-1.0, 1.0) * math.radians(self.max_rotation_deg)
        shear = uniform(-self.max_shear, self.max_shear)
        zoom_y = uniform(*self.zoom)
        zoom_x = zoom_y * uniform(1 - self.max_aspect, 1 + self.max_aspect)
        shift_x = uniform(-self.max_shift_px, self.max_shift_px)
        shift_y = uniform(-self.max_shift_px, self.max_shift_px)
        cos, sin = ops.cos(angle), ops.sin(angle)
        # Output -> input map: inverse of (rotate . shear . zoom), about the image center.
        a0, a1 = (cos + shear * sin) / zoom_x, (sin - shear * cos) / zoom_x
        b0, b1 = -sin / zoom_y, cos / zoom_y
        cy = (ops.cast(ops.shape(images)[1], "float32") - 1) / 2
        cx = (ops.cast(ops.shape(images)[2], "float32") - 1) / 2
        a2 = cx - a0 * (cx + shift_x) - a1 * (cy + shift_y)
        b2 = cy - b0 * (cx + shift_x) - b1 * (cy + shift_y)
        zeros = ops.zeros_like(a0)
        transform = ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
        return ops.image.affine_transform(images, transform, fill_mode="constant", fill_value=0)

    def get_config(self):
        return {
            **super().get_config(),
            "seed": self.seed,
            "max_rotation_deg": self.max_rotation_deg,
            "max_shear": self.max_shear,
            "zoom": self.zoom,
            "max_aspect": self.max_aspect,
            "max_shift_px": self.max_shift_px,
        }


class RandomStrokeWidth(layers.Layer):
    """Thicken or thin strokes by blending each image with its 3x3 dilation or erosion.

    A factor t drawn from [-factor, factor] per image: t > 0 moves toward the dilation (bolder),
    t < 0 toward the erosion (thinner), so the width changes continuously, not in 1-px steps.
    """

    def __init__(self, factor: float = MAX_STROKE_BLEND, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=True):
        if not training:
            return images
        dilated = ops.max_pool(images, pool_size=3, strides=1, padding="same")
        eroded = -ops.max_pool(-images, pool_size=3, strides=1, padding="same")
        t = keras.random.uniform((ops.shape(images)[0], 1, 1, 1), -self.factor, self.factor, seed=self.seed_generator)
        return ops.where(t > 0, images + t * (dilated - images), images - t * (eroded - images))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}


def build_augmenter(seed: int | None = None) -> keras.Sequential:
    """The augmentation pipeline used in training and previewed in the notebook."""
    return keras.Sequential([RandomDigitAffine(seed), RandomStrokeWidth(seed=seed)], name="augmenter")
