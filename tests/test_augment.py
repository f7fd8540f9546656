"""The augmentation layers: their ranges are constructor arguments, saved in the config."""

import numpy as np
import pytest

from recognizer.augment import RandomDigitAffine, RandomStrokeWidth
from recognizer.synthetic import font_digits

STILL = {"max_rotation_deg": 0.0, "max_shear": 0.0, "zoom": (1.0, 1.0), "max_aspect": 0.0, "max_shift_px": 0.0}


@pytest.fixture(scope="module")
def batch():
    images, _ = font_digits(8, seed=5)
    return (images[..., None] / 255.0).astype("float32")


def test_ranges_survive_the_config():
    layer = RandomDigitAffine(
        seed=3, max_rotation_deg=5.0, max_shear=0.1, zoom=(0.9, 1.2), max_aspect=0.05, max_shift_px=1.5
    )
    again = RandomDigitAffine.from_config(layer.get_config())
    for name in ("seed", "max_rotation_deg", "max_shear", "zoom", "max_aspect", "max_shift_px"):
        assert getattr(again, name) == getattr(layer, name), name
    stroke = RandomStrokeWidth.from_config(RandomStrokeWidth(factor=0.3, seed=4).get_config())
    assert (stroke.factor, stroke.seed) == (0.3, 4)


def test_each_range_is_used(batch):
    still = np.asarray(RandomDigitAffine(seed=1, **STILL)(batch, training=True))
    np.testing.assert_allclose(still, batch, atol=1e-5)  # every range off: the images as they were
    for name, value in (("max_rotation_deg", 10.0), ("zoom", (0.8, 0.9)), ("max_shift_px", 2.0)):
        moved = np.asarray(RandomDigitAffine(seed=1, **{**STILL, name: value})(batch, training=True))
        assert np.abs(moved - batch).mean() > 0.01, name
