"""The JSON API apart from any web framework: request bodies in, a canvas (and its strokes) or an
ApiError out; the library's predictions in, the JSON answer out.

Every limit is checked before the work it bounds (body size before parsing, stroke and point counts
before drawing, image dimensions before decoding), so what one request can cost is bounded.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from recognizer.errors import ImageError, TooManyMarks
from recognizer.images import MAX_PIXELS, unreadable_reason, upright_gray
from recognizer.ink import INK_LEVEL
from recognizer.photo import Frame, framed_canvases
from recognizer.predictor import Prediction, number_text
from recognizer.strokes import Point, brush_width, rasterize, scaled_strokes

JSON_TYPE = "application/json"
# media type -> Pillow format; image/jpg is no registered type, but some clients send it (a user trial: 415)
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/jpg": "JPEG"}
MAX_JSON_BYTES = 1 << 20  # a drawing's JSON body; 20,000 points take about 300 KB
MAX_IMAGE_BYTES = 8 << 20  # an uploaded PNG/JPEG
MAX_SIDE = 2048  # px: the largest canvas width or height a drawing may declare
MAX_STROKES = 200
MAX_POINTS = 20_000  # in all strokes together
MAX_PEN = 100  # px: the widest pen a drawing may ask for
# px: a drawing on a larger canvas is read scaled down to this longer side (the app's canvas is 560), its
# boxes answered on its own canvas: drawing 20,000 points with a 100 px pen on 2,048 px took 2.6 s on
# an idle host (12 s on a busy one), and every other request waited for the model's one thread
READ_SIDE = 640
MAX_INT_DIGITS = 1000  # characters of a JSON integer (far beyond any number a drawing needs)
MAX_IMAGE_SIDE = 8192  # px: an image's width or height, read from its header before decoding ...
# ... and its area: the library's (recognizer.images), 40 MP: phones' photos of 12, 12.5 and 24 MP (4032x3024,
# 4080x3072, 5712x4284) are read, where a limit of 12,000,000 px refused them; a bomb declares far more
MAX_IMAGE_PIXELS = MAX_PIXELS
# Pieces of ink read from one image at most, each read as a digit or part of one (about 1.5 ms each,
# all on the model's one thread): a 14 kB PNG of 4,356 small 7s held it for 6.2 s. Pictures of real
# handwriting hold far fewer (the densest canvas of 3,962 photos and scans made for the reviews: 646)
MAX_IMAGE_PIECES = 2_000


class ApiError(Exception):
    """A request the API refuses: HTTP `status` (4xx) and a one-line `message` for {"error": ...}."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Drawing:
    """A parsed drawing request: strokes in canvas px on a `width` x `height` canvas, pen width in px."""

    width: int
    height: int
    strokes: list[list[Point]]
    pen: int

    def canvas(self) -> np.ndarray:
        """The strokes drawn as the desktop app draws them: white ink on black, height x width."""
        return rasterize(self.strokes, (self.height, self.width), self.pen)

    def scaled(self) -> Drawing:
        """The drawing as read: itself, or on a canvas READ_SIDE px long, strokes and pen scaled alike."""
        scale = READ_SIDE / max(self.width, self.height)
        if scale >= 1:
            return self
        return Drawing(
            max(1, round(self.width * scale)),
            max(1, round(self.height * scale)),
            scaled_strokes(self.strokes, scale),
            max(1, round(self.pen * scale)),
        )


def default_pen(width: int, height: int) -> int:
    """The desktop app's brush for a canvas of this size (proportional to the side)."""
    return brush_width(min(width, height))


def media_type(content_type: str | None) -> str:
    """'Image/PNG; charset=x' -> 'image/png'; '' when absent."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def body_limit(kind: str) -> int:
    """The largest body accepted for a media type (JSON or an image)."""
    return MAX_IMAGE_BYTES if kind in IMAGE_TYPES else MAX_JSON_BYTES


def check_body(kind: str, length: int | None) -> None:
    """Refuse an unsupported media type (415) or a body over its limit (413), before reading it."""
    if kind != JSON_TYPE and kind not in IMAGE_TYPES:
        shown = kind or "none"
        raise ApiError(415, f"unsupported Content-Type {shown!r}: send application/json, image/png or image/jpeg")
    limit = body_limit(kind)
    if length is not None and length > limit:
        raise ApiError(413, f"body too large: {length:,} bytes (limit {limit:,} for {kind})")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _parse_int(text: str) -> int:
    """A JSON integer; one too long for Python to convert (4,300 digits) is refused in plain words,
    not with Python's message about sys.set_int_max_str_digits cut off mid-word."""
    if len(text) > MAX_INT_DIGITS:
        raise ValueError(f"a number of {len(text):,} digits")
    return int(text)


def parse_drawing(body: bytes) -> Drawing:
    """JSON {"width": W, "height": H, "strokes": [[[x, y], ...], ...], "pen": px?} -> Drawing.

    Points off the canvas are clamped to one canvas side beyond its edges (as the desktop app does),
    so a drag that leaves the canvas still draws up to its edge."""
    if len(body) > MAX_JSON_BYTES:
        raise ApiError(413, f"body too large: {len(body):,} bytes (limit {MAX_JSON_BYTES:,} for {JSON_TYPE})")
    try:
        payload = json.loads(body, parse_constant=_reject_constant, parse_int=_parse_int)
    except UnicodeDecodeError:
        raise ApiError(400, "body is not UTF-8 JSON") from None
    except RecursionError:
        raise ApiError(400, "bad JSON: nested too deeply") from None
    except ValueError as exc:
        raise ApiError(400, f"bad JSON: {str(exc).splitlines()[0][:100]}") from None
    if not isinstance(payload, dict):
        raise ApiError(400, 'expected a JSON object {"width": W, "height": H, "strokes": [...]}')
    width, height = _side(payload, "width"), _side(payload, "height")
    pen = payload.get("pen")
    if pen is None:
        pen = default_pen(width, height)
    elif not _is_number(pen) or not 1 <= pen <= MAX_PEN:
        raise ApiError(400, f'"pen" must be a number of px from 1 to {MAX_PEN}')
    strokes = _strokes(payload.get("strokes"), width, height)
    return Drawing(width, height, strokes, max(1, round(pen)))


def _is_number(value) -> bool:
    """A finite JSON number that a float can hold (bool is an int in Python, not in JSON; an int
    of hundreds of digits overflows float(), so it is no canvas size or coordinate either)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _side(payload: dict, key: str) -> int:
    value = payload.get(key)
    if value is None:
        raise ApiError(400, f'missing "{key}": the canvas size in px')
    if not _is_number(value) or value != int(value):
        raise ApiError(400, f'"{key}" must be a whole number of px')
    if not 1 <= value <= MAX_SIDE:
        shown = f"{int(value)}" if abs(value) < 1e9 else f"{value:.3g}"  # 1e308: not its 309 digits
        raise ApiError(400, f'"{key}" must be from 1 to {MAX_SIDE} px, not {shown}')
    return int(value)


def _strokes(value, width: int, height: int) -> list[list[Point]]:
    if value is None:
        raise ApiError(400, 'missing "strokes": a list of strokes, each a list of [x, y] points')
    if not isinstance(value, list) or not all(isinstance(s, list) for s in value):
        raise ApiError(400, '"strokes" must be a list of strokes, each a list of [x, y] points')
    if len(value) > MAX_STROKES:
        raise ApiError(400, f"too many strokes: {len(value)} (limit {MAX_STROKES})")
    total = sum(len(s) for s in value)
    if total > MAX_POINTS:
        raise ApiError(400, f"too many points: {total:,} (limit {MAX_POINTS:,})")
    x_range, y_range = (-width, 2 * width), (-height, 2 * height)
    strokes = []
    for i, stroke in enumerate(value):
        points = []
        for point in stroke:
            if not (isinstance(point, list) and len(point) == 2 and _is_number(point[0]) and _is_number(point[1])):
                raise ApiError(400, f"stroke {i}: each point must be [x, y], two finite numbers")
            points.append(
                (min(max(float(point[0]), x_range[0]), x_range[1]), min(max(float(point[1]), y_range[0]), y_range[1]))
            )
        if points:
            strokes.append(points)
    return strokes


def decode_image(body: bytes) -> list[tuple[np.ndarray, Frame]]:
    """PNG or JPEG bytes -> the library's canvases (bright ink on black: one, or both polarities' when
    bold ink may have fooled the polarity check; recognizer.photo.framed_canvases, as the CLI reads a
    file), each with its Frame (where its boxes lie on the image), [] when the image holds no ink.
    The size is read from the header and refused before a single pixel is decoded, so a
    decompression bomb costs nothing."""
    from PIL import Image, UnidentifiedImageError

    if len(body) > MAX_IMAGE_BYTES:
        raise ApiError(413, f"body too large: {len(body):,} bytes (limit {MAX_IMAGE_BYTES:,} for an image)")
    if not body:
        raise ApiError(400, "empty body: send the PNG or JPEG file's bytes")
    # Pillow itself only warns (a log line) from 89 MP up; the size check below refuses those too.
    # (warnings.catch_warnings could silence it but is not thread-safe.)
    try:
        with Image.open(io.BytesIO(body), formats=sorted(set(IMAGE_TYPES.values()))) as img:
            w, h = img.size
            if w > MAX_IMAGE_SIDE or h > MAX_IMAGE_SIDE or w * h > MAX_IMAGE_PIXELS:
                raise ApiError(
                    413, f"image too large: {w}x{h} px (limit {MAX_IMAGE_PIXELS:,} px, {MAX_IMAGE_SIDE} px a side)"
                )
            gray = upright_gray(img)  # as recognizer.images.load_image: upright, transparency as paper
    except ApiError:
        raise
    except ImageError as exc:  # a JPEG of more scans than images.MAX_JPEG_SCANS
        raise ApiError(400, str(exc).removeprefix("image: ")) from None
    except Image.DecompressionBombError:
        raise ApiError(413, f"image too large (limit {MAX_IMAGE_PIXELS:,} px)") from None
    except UnidentifiedImageError:  # a GIF, WebP, TIFF... or no image at all
        raise ApiError(400, "not a PNG or JPEG image, or a damaged one: the API reads those two") from None
    except Exception as exc:  # noqa: BLE001 (Pillow raises many kinds for corrupt or crafted files)
        raise ApiError(400, f"not a readable PNG or JPEG image ({unreadable_reason(exc)})") from None
    if gray.size == 0:
        raise ApiError(400, "empty image")
    # The image as sent, upright: a JPEG of 3,200 px or more was decoded at 1/2 to 1/8 of its size
    turned = (w > h) != (gray.shape[1] > gray.shape[0])  # by its EXIF orientation
    sent = (h, w) if turned else (w, h)
    try:
        framed = [(canvas, replace(frame, picture=sent)) for canvas, frame in framed_canvases(gray)]
    except TooManyMarks as exc:  # a dithered scan: tens of thousands of dots, no handwriting to read
        raise ApiError(400, str(exc).removeprefix("image: ")) from None
    except ImageError:  # blank paper, or too little contrast to find ink: nothing to read
        return []
    # every canvas is read (both polarities' where there are two): the pieces of all of them
    pieces = sum(cv2.connectedComponents((canvas > INK_LEVEL).astype(np.uint8))[0] - 1 for canvas, _ in framed)
    if pieces > MAX_IMAGE_PIECES:
        shown = f"{pieces:,} pieces of writing to read (at most {MAX_IMAGE_PIECES:,})"
        raise ApiError(400, f"{shown}: send a crop of the numbers")
    return framed


def answer(predictions: list[Prediction], with_image: bool = False, scale: float = 1.0) -> dict:
    """The JSON answer: the number read ("?" where not sure) and each digit, in reading order (left
    to right, row by row from the top; along the number where a picture on its side was read
    turned, Recognizer.read_picture).
    with_image adds each digit's 28x28 model input as 784 ints 0..255, row by row; scale: the
    request's canvas over the one read (Drawing.scaled), which the boxes are multiplied by."""
    digits = [p.as_dict(image=with_image, scale=scale) for p in predictions]
    return {"number": number_text(predictions), "digits": digits}  # lines apart: "85 47"
