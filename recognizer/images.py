"""Read a photo or scan of handwriting into a canvas: bright ink on black, whatever the paper.

The file is decoded upright (its EXIF orientation applied, as phones store photos turned), as
grey, transparent pixels as paper (black under light ink); a JPEG is decoded straight at the
reduced size the cleaning works at (upright_gray; the web API decodes its uploads with it too).
ink_canvas (recognizer.photo) then keeps only the ink: light, shadows, lines, table and specks
removed; load_canvases gives both polarities' canvases where bold ink may fool the polarity check.
"""

from __future__ import annotations

import io
import mmap
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .errors import ImageError
from .photo import WORK_SIDE, ink_canvas, ink_canvases

MAX_PIXELS = 40_000_000  # larger images are refused: a decompression bomb would exhaust memory
MAX_PAGES = 100  # pages of a multi-page TIFF that `predict` reads (a document feeder's batch), at most ...
MAX_IFDS = 1000  # ... among its first this many images (thumbnails skipped)
STDIN = "-"  # the file name that reads the image piped to standard input ...
MAX_STDIN_BYTES = 64 << 20  # ... of at most this many bytes
WIDE_GRAY = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")  # PIL modes of grey deeper than 8 bits
LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R 601-2, as PIL's convert("L")
LIGHT_INK = 128.0  # visible pixels this light on average, on a mostly transparent picture: light ink
STATS_BLOCK = 1_000_000  # pixels whose transparency and light are summed at a time
# Scans of a progressive JPEG decoded at most: encoders write 6-12 (libjpeg: 10 for colour), but each
# scan walks every block of the image, and a crafted 2 MB file of 40,000 tiny ones took a minute of CPU
MAX_JPEG_SCANS = 100
START_OF_SCAN, END_OF_IMAGE = 0xDA, 0xD9  # JPEG markers (after an FF byte)
STANDALONE_MARKERS = {0x01, *range(0xD0, 0xD9)}  # markers with no length after them
# The marker after a scan's coded data: there an FF is followed by 00 (a stuffed byte), a restart
# marker D0-D7 or another FF (fill), or else ends the data
AFTER_CODED_DATA = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
JPEG_FORMATS = ("JPEG", "MPO")  # Pillow's names: MPO is a phone's JPEG holding two or more pictures


# A picture to read: an image file's path, its bytes or an open binary file (PNG, JPEG, ...), or the
# picture itself: a PIL image or a uint8 array, grey (H, W), RGB (H, W, 3) or RGBA (H, W, 4)
Picture = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO | np.ndarray | Any


def load_image(picture: Picture) -> np.ndarray:
    """A picture (an image file, its bytes, an open file, a PIL image or an array: Picture) -> 2-D
    uint8 canvas with bright ink on a black background, at most photo.WORK_SIDE px long."""
    return ink_canvas(load_gray(picture), _name(picture))


def load_canvases(picture: Picture, page: int | None = None) -> list[np.ndarray]:
    """A picture (Picture) -> its canvas, or both polarities' when bold ink may have fooled the
    polarity check (photo.ink_canvases): what the CLI reads, with Recognizer.read_picture. page: as
    load_gray."""
    return ink_canvases(load_gray(picture, page), _name(picture))


def _name(picture: Picture) -> str:
    """What messages call a picture: its file's name, else what it is."""
    if isinstance(picture, str | os.PathLike):
        return str(picture)
    if isinstance(picture, bytes | bytearray | memoryview):
        return "image bytes"
    if isinstance(picture, np.ndarray):
        return "picture array"
    if hasattr(picture, "read"):  # a file opened from a descriptor is named by its number
        name = getattr(picture, "name", None)
        return os.fspath(name) if isinstance(name, str | os.PathLike) else "image file object"
    return "picture"


def page_numbers(path: Picture) -> list[int]:
    """The pages of a multi-page TIFF to read (a document feeder's scan), 0 first, at most MAX_PAGES + 1
    (one more says there are more): every page but reduced-resolution copies of another (a
    thumbnail: bit 0 of its NewSubfileType, tag 254), among its first MAX_IFDS. [] for any other
    file, and for one Pillow cannot open (load_gray says why). A page that cannot be reached
    counts, and no page after it: its reading says why."""
    from PIL import Image

    try:
        if not isinstance(path, str | os.PathLike) or not os.fspath(path) or os.fspath(path) == STDIN:
            return []  # a picture in memory, its bytes, an open file, standard input: one page
        if not Path(path).is_file():
            return []  # opened, a named pipe would wait for a writer for ever (load_gray refuses it)
    except OSError:  # a name too long for the file system: load_gray says so
        return []
    pages, index = [], 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as img:
                if img.format != "TIFF":
                    return []
                while len(pages) <= MAX_PAGES and index < MAX_IFDS:
                    if index:
                        img.seek(index)
                    if not int(img.tag_v2.get(254, 0)) & 1:
                        pages.append(index)
                    index += 1
    except EOFError:  # past the last page
        pass
    except Exception:  # noqa: BLE001 (Pillow raises many kinds for a damaged page, or cannot open the file)
        if index:
            pages.append(index)
    return pages


def load_gray(picture: Picture, page: int | None = None) -> np.ndarray:
    """A picture (Picture) -> its grey pixels, upright (upright_gray); ImageError in one line for a
    missing, unreadable or too large file. Of an animation or a multi-page file, the first frame
    (warned), or with `page` (0 first), that page of a multi-page TIFF (page_numbers). STDIN ("-"):
    the image piped to standard input; bytes and open files: at most MAX_STDIN_BYTES."""
    from PIL import Image, UnidentifiedImageError

    if not isinstance(picture, str | os.PathLike):  # the picture itself, its bytes or an open file
        held = _held_image(picture)
        if held is not None:
            return upright_gray(held, _name(picture))
        source, path = _file_bytes(picture), Path(_name(picture))
    else:
        if not os.fspath(picture):  # Path("") is ".": "the folder ." said nothing
            raise ImageError("no image file given (an empty path)")
        source = _piped_image() if os.fspath(picture) == STDIN else None
        path = Path(picture)
        if source is None:
            _check_file(path)
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module="PIL")  # corrupt EXIF: read as stored
            with Image.open(path if source is None else source) as img:
                if page:
                    img.seek(page)
                if img.width * img.height > MAX_PIXELS:
                    raise ImageError(f"{path}: image too large ({img.width}x{img.height} pixels)")
                gray = upright_gray(img, str(path))
                frames = 1 if page is not None else _frames(img)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{path}: image too large (more than {MAX_PIXELS:,} pixels)") from None
    except UnidentifiedImageError:  # an empty file, a PDF, an SVG...
        raise ImageError(f"{path}: {_unknown_format(path if source is None else source)}") from None
    except PermissionError:  # the file is there (_check_file), but this user may not read it
        raise ImageError(f"{path}: permission denied (this user may not read the file)") from None
    except Exception as exc:  # noqa: BLE001 (Pillow raises many kinds for damaged or crafted files: TypeError...)
        raise ImageError(f"{path}: not a readable image ({unreadable_reason(exc)})") from None
    if frames is None:  # a damaged later part, or a damaged single picture: which, Pillow cannot tell
        warnings.warn(f"{path}: damaged after its first frame or page, which is read", stacklevel=2)
    elif frames > 1:  # an animation or a multi-page scan: it was read without a word (a user trial)
        warnings.warn(f"{path}: {frames} frames or pages; only the first is read", stacklevel=2)
    return gray


READABLE = "PNG, JPEG, GIF, BMP, TIFF, WebP"  # the formats people use that Pillow reads (and more)
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"mif1", b"msf1")  # a phone's photos' ISO box brands


def _unknown_format(source: Path | io.BytesIO) -> str:
    """What to say of a file Pillow does not take for an image: what it is where its first bytes
    tell (a user trial's scanner PDF and phone HEIC were "damaged, or not a format Pillow knows"),
    and what to do; else that it is damaged or of another format."""
    try:
        if isinstance(source, io.BytesIO):
            head = source.getvalue()[:256]
        else:
            with open(source, "rb") as f:
                head = f.read(256)
    except OSError:
        head = b""
    if not head:
        return "an empty file, no image"
    if head.startswith(b"%PDF"):
        return "a PDF, which is not read: save or export its pages as PNG or JPEG images"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "a HEIC or HEIF photo, which is not read: save it as JPEG (or set the camera to take JPEG)"
    if b"<svg" in head.lower():
        return "an SVG drawing, which is not read: export it as PNG"
    return f"not a readable image (damaged, or not one of {READABLE}...)"


def _frames(img) -> int | None:
    """How many frames or pages an opened image holds: 1 for a phone's JPEG with its previews (MPO:
    the picture comes first), None where counting them fails (a damaged later page: the first reads)."""
    if img.format == "MPO":
        return 1
    try:
        return int(getattr(img, "n_frames", 1))
    except Exception:  # noqa: BLE001 (Pillow walks every page to count them, and a damaged one raises anything)
        return None


def _held_image(picture):
    """A PIL image made from a picture held in memory (a copy: reading turns it upright in place),
    or None for bytes and open files. ImageError for an array that is no picture, or too large."""
    from PIL import Image

    if isinstance(picture, np.ndarray):
        if picture.ndim >= 2 and picture.shape[0] * picture.shape[1] > MAX_PIXELS:  # before any copy
            raise ImageError(f"picture array: too large (more than {MAX_PIXELS:,} pixels)")
        if picture.dtype == bool:
            picture = picture.astype(np.uint8) * 255
        if picture.dtype != np.uint8 or not (
            picture.ndim == 2 or (picture.ndim == 3 and picture.shape[2] in (1, 3, 4))
        ):
            raise ImageError(
                f"picture array: a picture is uint8 grey (H, W), RGB (H, W, 3) or RGBA (H, W, 4), got "
                f"{picture.dtype} of shape {picture.shape} (a canvas of bright ink on dark: Recognizer.read)"
            )
        if picture.size == 0:
            raise ImageError("picture array: empty")
        pixels = np.ascontiguousarray(picture[..., 0] if picture.ndim == 3 and picture.shape[2] == 1 else picture)
        return Image.fromarray(pixels)
    if isinstance(picture, Image.Image):
        if picture.width * picture.height > MAX_PIXELS:
            raise ImageError(f"picture: too large ({picture.width}x{picture.height} pixels)")
        fp = getattr(picture, "fp", None)  # a JPEG not decoded yet: its scans counted first, as from a file
        if picture.format in JPEG_FORMATS and fp is not None and jpeg_scans(fp) > MAX_JPEG_SCANS:
            raise ImageError(f"picture: a JPEG of more than {MAX_JPEG_SCANS} scans (cameras write a dozen at most)")
        return picture.copy()
    if isinstance(picture, bytes | bytearray | memoryview) or hasattr(picture, "read"):
        return None
    raise ImageError(
        f"cannot read {type(picture).__name__} as a picture: pass an image file's path or bytes, an open "
        "binary file, a PIL image or a uint8 array"
    )


def _file_bytes(picture) -> io.BytesIO:
    """An image file's bytes (given, or read from an open binary file) as a file, at most MAX_STDIN_BYTES."""
    if isinstance(picture, bytes | bytearray | memoryview):
        if memoryview(picture).nbytes > MAX_STDIN_BYTES:  # before bytes() copies it
            raise ImageError(f"{_name(picture)}: more than {MAX_STDIN_BYTES >> 20} MB")
        data = bytes(picture)
    else:
        text = isinstance(picture, io.TextIOBase)
        try:
            if not text and getattr(picture, "seekable", lambda: False)():  # from its start, as Pillow reads one
                picture.seek(0)
            data = b"" if text else picture.read(MAX_STDIN_BYTES + 1)
        except OSError as exc:  # closed, or open for writing only
            raise ImageError(f"{_name(picture)}: cannot read the file ({exc.strerror or exc})") from None
        except ValueError as exc:  # a closed file
            raise ImageError(f"{_name(picture)}: cannot read the file ({exc})") from None
        if text or isinstance(data, str):
            raise ImageError(f"{_name(picture)}: opened as text; open image files with open(path, 'rb')")
    if not data:
        raise ImageError(f"{_name(picture)}: empty")
    if len(data) > MAX_STDIN_BYTES:
        raise ImageError(f"{_name(picture)}: more than {MAX_STDIN_BYTES >> 20} MB")
    return io.BytesIO(data)


def _check_file(path: Path) -> None:
    """ImageError unless path names a regular file (a folder, a device, a missing file, a name the
    file system cannot take)."""
    try:
        if path.is_dir():
            raise ImageError(f"{path} is a folder; pass the image files in it")
        if path.exists() and not path.is_file():
            raise ImageError(f"{path} is not a regular file (a device, a pipe or a socket); pass an image file")
        if not path.is_file():
            raise ImageError(f"image not found: {path}")
    except OSError as exc:  # a name too long for the file system: that image only, the others are read
        raise ImageError(f"cannot open {str(path)[:80]}{'...' * (len(str(path)) > 80)}: {exc.strerror}") from None


def _piped_image() -> io.BytesIO:
    """The bytes piped to standard input, as a file: none from a terminal (it would wait for
    typing), at most MAX_STDIN_BYTES (a stream without end would take all memory)."""
    stream = sys.stdin.buffer if sys.stdin is not None else None
    if stream is None or stream.isatty():
        raise ImageError(f"{STDIN}: no image piped to standard input (cat photo.jpg | ... predict {STDIN})")
    try:
        data = stream.read(MAX_STDIN_BYTES + 1)
    except OSError as exc:  # standard input closed, or open for writing only: that input alone fails
        raise ImageError(f"{STDIN}: cannot read standard input ({exc.strerror or exc})") from None
    if not data:
        raise ImageError(f"{STDIN}: nothing piped to standard input")
    if len(data) > MAX_STDIN_BYTES:
        raise ImageError(f"{STDIN}: more than {MAX_STDIN_BYTES >> 20} MB piped to standard input")
    return io.BytesIO(data)


def unreadable_reason(exc: Exception) -> str:
    """Why Pillow could not read an image, in a few words: its own message where it says what is
    wrong with the file ("image file is truncated"), else the exception's name (its other
    messages name the file again, or say nothing a user can act on)."""
    message = " ".join(str(exc).split())
    if type(exc) is OSError and message and len(message) <= 80:  # not FileNotFoundError & co: their path
        return message
    if type(exc) is ValueError and "decompressed data too large" in message.lower():  # a PNG text or profile chunk
        return "a chunk inflates past Pillow's limit, as a decompression bomb's does"
    return exc.__class__.__name__


def upright_gray(img, name: str = "image") -> np.ndarray:
    """An opened PIL image -> its grey pixels as shown (load_image's and the web API's one decoding
    step): EXIF orientation applied, transparent pixels as paper, a JPEG decoded straight at the
    reduced size the cleaning works at. A corrupt EXIF tag leaves the picture as stored; a JPEG of
    more than MAX_JPEG_SCANS scans is refused (ImageError, named `name`) before any is decoded."""
    from PIL import ImageOps

    if img.format in JPEG_FORMATS and jpeg_scans(img.fp) > MAX_JPEG_SCANS:
        raise ImageError(f"{name}: a JPEG of more than {MAX_JPEG_SCANS} scans (cameras write a dozen at most)")
    scale = WORK_SIDE / max(1, *img.size)
    if scale < 1:  # JPEG only: decode at 1/2, 1/4 or 1/8 size, still at least WORK_SIDE
        img.draft("L", (int(img.width * scale) + 1, int(img.height * scale) + 1))
    ImageOps.exif_transpose(img, in_place=True)
    img = _flatten_alpha(img)
    if img.mode in WIDE_GRAY:  # convert("L") clips these to 0-255: a 16-bit scan came out all white
        return _eight_bits(np.asarray(img), img.mode)
    if img.mode == "LAB":  # Pillow has no LAB -> L conversion ("not a readable image (ValueError)"):
        return np.asarray(img.getchannel("L"))  # its L channel is the lightness, on 0-255
    return np.asarray(img.convert("L"))


def jpeg_scans(fp, most: int = MAX_JPEG_SCANS) -> int:
    """How many scans the first picture of a JPEG file holds, counted up to most + 1 (the file's
    position is left as it was): its markers are followed by their segments' lengths, each scan's
    coded data skipped to the marker after it, up to the picture's end (EOI). Bytes that only look
    like a marker (in a thumbnail's or a profile's segment, or after the end: a phone's second
    picture, a motion photo's video) are not counted."""
    start = fp.tell()
    try:
        try:
            with mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ) as data:  # a file: no copy of it
                return _scans(data, most)
        except (AttributeError, OSError, ValueError):  # in memory (an upload), or not mappable
            fp.seek(0)
            return _scans(fp.read(), most)
    finally:
        fp.seek(start)


def _scans(data, most: int) -> int:
    """jpeg_scans on the file's bytes."""
    pos, count = 2, 0  # after the start of image
    while count <= most and pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # a fill byte before a marker
            pos += 1
        elif marker == END_OF_IMAGE:
            break
        elif marker in STANDALONE_MARKERS:
            pos += 2
        else:
            pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
            if marker == START_OF_SCAN:
                count += 1
                after = AFTER_CODED_DATA.search(data, pos)
                if after is None:
                    break
                pos = after.start()
    return count


def _eight_bits(pixels: np.ndarray, mode: str) -> np.ndarray:
    """The grey levels of a 16- or 32-bit integer or a float image on 0-255: levels below 0 shifted up
    to start at 0, then floats of 0-1 times 255 and levels above 255 (12 or 16 bits) scaled so that
    the brightest is 255, anything else as it is; a pixel with no level (NaN, infinite) as paper."""
    # float32, worked on in place: float64 copies took 323 MB to read a 12-megapixel 16-bit PNG of
    # 34 KB (62 MB at 8 bits); float32 holds 16-bit levels exactly, and 8 bits come out
    pixels = pixels.astype(np.float32)
    known = np.isfinite(pixels)
    every = bool(known.all())
    if not every and not known.any():
        return np.full(pixels.shape, 255, np.uint8)
    levels = pixels if every else pixels[known]
    low, high = float(levels.min()), float(levels.max())
    del levels
    shift = -min(0.0, low)
    with np.errstate(over="ignore"):  # levels of +-3e38 overflow float32 on the way; the clip below holds them
        if shift:
            pixels += shift
        top = high + shift
        scale = 255.0 if mode == "F" and top <= 1.0 else 255.0 / top if top > 255 else 1.0
        if scale != 1.0:
            pixels *= scale
    if not every:
        pixels[~known] = top * scale  # paper: the page's brightest
    np.rint(pixels, out=pixels)
    np.clip(pixels, 0, 255, out=pixels)
    return pixels.astype(np.uint8)


def _flatten_alpha(img):
    """Transparent pixels become paper: RGBA/LA composited onto white, or onto black when most of
    the picture is transparent and what is drawn on it is light (white or yellow ink exported on a
    transparent background, which on white paper would vanish: "no ink found")."""
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        paper = (0, 0, 0, 255) if _light_on_transparent(rgba) else (255, 255, 255, 255)
        return Image.alpha_composite(Image.new("RGBA", rgba.size, paper), rgba)
    return img


def _light_on_transparent(rgba) -> bool:
    """Whether more than half of an RGBA picture is transparent and its visible pixels, weighted by
    their opacity, are light on average: light ink drawn on nothing. A page with a transparent
    margin fills most of its picture, so it stays on white whatever its colours."""
    pixels = np.asarray(rgba)  # uint8; summed a block of rows at a time (as float64, a 40 MP picture took 2 GB)
    rows = max(1, STATS_BLOCK // max(1, pixels.shape[1]))
    clear = opacity = light = 0.0
    for top in range(0, pixels.shape[0], rows):
        block = pixels[top : top + rows].astype(np.float64)
        alpha = block[..., 3] / 255.0
        clear += float((alpha < 0.5).sum())
        opacity += float(alpha.sum())
        light += float(((block[..., :3] @ LUMA) * alpha).sum())  # grey as convert("L") weighs red, green, blue
    if clear <= 0.5 * pixels.shape[0] * pixels.shape[1] or opacity == 0:
        return False
    return light / opacity >= LIGHT_INK
