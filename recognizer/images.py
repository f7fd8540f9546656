"""Read a photo or scan of a digit into a canvas: bright ink on black, whatever the paper.

Dark ink on light paper (the usual scan) is detected from the border and inverted; the paper's
own grey level is subtracted so that only ink remains.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from .errors import ImageError

MAX_PIXELS = 40_000_000  # larger images are refused: a decompression bomb would exhaust memory
MIN_CONTRAST = 40  # ink must differ from the paper by at least this many grey levels


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Image file (PNG, JPG, ...) -> 2-D uint8 canvas with bright ink on a black background."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise ImageError(f"image not found: {path}")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise ImageError(f"{path}: image too large ({img.width}x{img.height} pixels)")
                gray = np.asarray(_flatten_alpha(img).convert("L"))
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{path}: image too large (more than {MAX_PIXELS:,} pixels)") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"{path}: not a readable image ({exc.__class__.__name__})") from None
    return ink_canvas(gray, str(path))


def _flatten_alpha(img):
    """Transparent pixels become paper: composite RGBA/LA onto white."""
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba)
    return img


def ink_canvas(gray: np.ndarray, name: str = "image") -> np.ndarray:
    """Grayscale picture -> canvas: invert if the paper is light, remove the paper's grey level."""
    if gray.size == 0:
        raise ImageError(f"{name}: empty image")
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    paper = float(np.median(border))
    ink = 255.0 - gray if paper > 127 else gray.astype(np.float32)
    paper = 255.0 - paper if paper > 127 else paper
    strongest = float(np.percentile(ink, 99.9))
    if strongest - paper < MIN_CONTRAST:
        raise ImageError(f"{name}: no ink found (the image is blank or has too little contrast)")
    # Ink that is at least halfway from the paper to the darkest stroke becomes full-strength.
    scaled = (ink - paper) / (0.5 * (strongest - paper)) * 255.0
    return np.clip(scaled, 0, 255).astype(np.uint8)
