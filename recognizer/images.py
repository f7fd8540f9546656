"""Read a photo or scan of handwriting into a canvas: bright ink on black, whatever the paper.

The file is decoded upright (its EXIF orientation applied, as phones store photos turned), as
grey, transparent pixels as paper; a JPEG is decoded straight at the reduced size the cleaning
works at (upright_gray; the web API decodes its uploads with it too). ink_canvas (recognizer.photo)
then keeps only the ink: light, shadows, lines, table and specks removed.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from .errors import ImageError
from .photo import WORK_SIDE, ink_canvas

MAX_PIXELS = 40_000_000  # larger images are refused: a decompression bomb would exhaust memory


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Image file (PNG, JPG, ...) -> 2-D uint8 canvas with bright ink on a black background, at
    most photo.WORK_SIDE px long."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if path.is_dir():
        raise ImageError(f"{path} is a folder; pass the image files in it")
    if not path.is_file():
        raise ImageError(f"image not found: {path}")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module="PIL")  # corrupt EXIF: read as stored
            with Image.open(path) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise ImageError(f"{path}: image too large ({img.width}x{img.height} pixels)")
                gray = upright_gray(img)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{path}: image too large (more than {MAX_PIXELS:,} pixels)") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"{path}: not a readable image ({exc.__class__.__name__})") from None
    return ink_canvas(gray, str(path))


def upright_gray(img) -> np.ndarray:
    """An opened PIL image -> its grey pixels as shown (load_image's and the web API's one decoding
    step): EXIF orientation applied, transparent pixels as paper, a JPEG decoded straight at the
    reduced size the cleaning works at. A corrupt EXIF tag leaves the picture as stored."""
    from PIL import ImageOps

    scale = WORK_SIDE / max(1, *img.size)
    if scale < 1:  # JPEG only: decode at 1/2, 1/4 or 1/8 size, still at least WORK_SIDE
        img.draft("L", (int(img.width * scale) + 1, int(img.height * scale) + 1))
    ImageOps.exif_transpose(img, in_place=True)
    return np.asarray(_flatten_alpha(img).convert("L"))


def _flatten_alpha(img):
    """Transparent pixels become paper: composite RGBA/LA onto white."""
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba)
    return img
