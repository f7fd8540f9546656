"""The web app through Starlette's test client (no network): the page, the JSON API over the same
library calls as the desktop app, and every kind of bad input answered with a one-line 4xx."""

import io
import json
import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from starlette.testclient import TestClient

from recognizer.predictor import number_text, rounded_probability
from recognizer.strokes import BRUSH_DIVISOR, MIN_BRUSH, rasterize
from recognizer.synthetic import digit_strokes
from tests.test_fuzz import png_chunk
from tests.test_images import progressive_jpeg
from web import api
from web.server import MODEL_THREADS, create_app, load_model

ROOT = Path(__file__).resolve().parent.parent
DIGITS = Path(__file__).resolve().parent / "fixtures" / "digits"
SIDE = 400
PREDICT = "/api/predict"


@pytest.fixture(scope="module")
def client(shipped):
    with TestClient(create_app(shipped)) as c:
        yield c


def test_the_server_loads_its_model_on_one_thread_per_read():
    """A busy server's LiteRT threads would compete for the cores (web.server.MODEL_THREADS): both
    ways the server loads its model (create_app alone; `python -m web` hands it load_model's) use one."""
    served = load_model()
    assert served._backend.threads == served.detector._backend.threads == MODEL_THREADS
    with TestClient(create_app()) as c:
        recognizer = c.app.state.model.recognizer
        assert recognizer._backend.threads == recognizer.detector._backend.threads == MODEL_THREADS


def number_strokes(digits: str, side: int = SIDE) -> list[list[list[float]]]:
    """The digits drawn side by side across the canvas, as JSON point lists."""
    n = len(digits)
    strokes = []
    for i, d in enumerate(digits):
        box = (side * (0.05 + 0.9 * i / n), side * 0.25, side * 0.9 / n * 0.8, side * 0.5)
        strokes += [[[x, y] for x, y in s] for s in digit_strokes(int(d), side, box=box)]
    return strokes


def drawing(digits: str = "3", side: int = SIDE, **extra) -> dict:
    return {"width": side, "height": side, "strokes": number_strokes(digits, side), **extra}


def png_bytes(gray: np.ndarray, mode: str = "L") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(gray).convert(mode).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(gray: np.ndarray, **options) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(gray).convert("RGB").save(buf, "JPEG", quality=92, **options)
    return buf.getvalue()


def post_json(client, payload, query: str = ""):
    return client.post(PREDICT + query, content=json.dumps(payload), headers={"Content-Type": "application/json"})


def assert_error(response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"], body
    message = body["error"]
    assert message and "\n" not in message and "Traceback" not in message and len(message) < 200, message
    for word in words:
        assert word.lower() in message.lower(), message


# ---- the page ---------------------------------------------------------------------------------
def test_page_is_served_with_the_app_brush_and_no_outside_resources(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert f'data-brush-divisor="{BRUSH_DIVISOR}"' in html and f'data-min-brush="{MIN_BRUSH}"' in html
    assert f'data-max-strokes="{api.MAX_STROKES}"' in html and "%" + "MAX_POINTS%" not in html
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "http://" not in html and "https://" not in html  # no CDN: works offline
    for path, kind in (("/static/app.js", "javascript"), ("/static/style.css", "text/css")):
        asset = client.get(path)
        assert asset.status_code == 200 and kind in asset.headers["content-type"], path
        assert "http://" not in asset.text and "https://" not in asset.text, path
        assert asset.headers["cache-control"] == "no-cache", path  # an updated page never meets an old app.js
        assert asset.headers["x-content-type-options"] == "nosniff", path
        again = client.get(path, headers={"If-None-Match": asset.headers["etag"]})
        assert again.status_code == 304, path


def test_health(client):
    assert client.get("/healthz").json() == {"ok": True}


def test_no_debug_mode(client):
    assert client.app.debug is False


# ---- drawings -----------------------------------------------------------------------------------
def test_a_drawn_digit_is_read_as_the_library_reads_it(client, shipped):
    payload = drawing("3")
    r = post_json(client, payload)
    assert r.status_code == 200, r.text
    body = r.json()
    strokes = [[tuple(p) for p in s] for s in payload["strokes"]]
    expected = shipped.read(rasterize(strokes, (SIDE, SIDE), api.default_pen(SIDE, SIDE)), strokes)
    assert body["number"] == number_text(expected) == "3"
    (digit,) = body["digits"]
    assert digit["digit"] == 3 and digit["unsure"] is None and "image" not in digit
    assert digit["confidence"] == pytest.approx(expected[0].confidence, abs=1e-6)
    assert digit["probabilities"] == pytest.approx(list(expected[0].probabilities), abs=1e-6)
    x, y, w, h = digit["box"]
    assert 0 <= x and 0 <= y and x + w <= SIDE and y + h <= SIDE and w > 0 and h > 0


def test_a_two_digit_number_with_boxes_left_to_right(client):
    body = post_json(client, drawing("47")).json()
    assert body["number"] == "47"
    assert [d["digit"] for d in body["digits"]] == [4, 7]
    first, second = (d["box"] for d in body["digits"])
    assert first[0] + first[2] <= second[0]


def test_a_decimal_point_between_digits_is_in_the_number_and_after_its_digit(client):
    payload = drawing("47")
    four = len(number_strokes("4"))  # the 4's strokes come first
    right = max(x for s in payload["strokes"][:four] for x, _ in s)
    left = min(x for s in payload["strokes"][four:] for x, _ in s)
    bottom = max(y for s in payload["strokes"] for _, y in s)
    dot = [[(right + left) / 2, bottom]] * 2  # a click on the baseline, half way between them
    payload["strokes"].insert(four, dot)
    body = post_json(client, payload).json()
    assert body["number"] == "4.7", body
    assert [(d["digit"], d["after"]) for d in body["digits"]] == [(4, "."), (7, "")]


def test_a_minus_before_a_number_is_in_the_number_and_before_its_first_digit(client):
    payload = drawing("047")  # its 0 made a minus: a short flat stroke half way up, where the 0 was
    payload["strokes"] = [[[0.15 * SIDE, 0.5 * SIDE], [0.27 * SIDE, 0.5 * SIDE]]] + payload["strokes"][
        len(number_strokes("0")) :
    ]
    body = post_json(client, payload).json()
    assert body["number"] == "-47", body
    assert [(d["digit"], d["before"]) for d in body["digits"]] == [(4, "-"), (7, "")]


@pytest.mark.parametrize("value", ["abc", "2", "on"])
def test_an_image_query_neither_yes_nor_no_is_a_400(client, value):
    """?image=abc was read as no image, silently."""
    assert_error(
        post_json(client, drawing("5"), f"?image={value}"), 400, "?image= takes 1, true or yes, or 0", repr(value)
    )


@pytest.mark.parametrize("value, wanted", [("0", False), ("false", False), ("", False), ("1", True), ("YES", True)])
def test_image_query_values(client, value, wanted):
    digits = post_json(client, drawing("5"), f"?image={value}").json()["digits"]
    assert ("image" in digits[0]) is wanted


def test_image_field_is_the_28x28_model_input(client, shipped):
    payload = drawing("5")
    body = post_json(client, payload, "?image=1").json()
    pixels = body["digits"][0]["image"]
    assert len(pixels) == 784 and all(isinstance(v, int) and 0 <= v <= 255 for v in pixels)
    strokes = [[tuple(p) for p in s] for s in payload["strokes"]]
    expected = shipped.read(rasterize(strokes, (SIDE, SIDE), api.default_pen(SIDE, SIDE)), strokes)[0].image
    assert np.abs(np.asarray(pixels).reshape(28, 28) - expected * 255).max() <= 0.5 + 1e-6


def test_default_pen_is_the_desktop_app_brush(client):
    assert api.default_pen(SIDE, SIDE) == max(MIN_BRUSH, round(SIDE / BRUSH_DIVISOR))
    plain = post_json(client, drawing("8")).json()
    explicit = post_json(client, drawing("8", pen=api.default_pen(SIDE, SIDE))).json()
    assert plain == explicit
    thin = post_json(client, drawing("8", pen=2)).json()
    assert thin["digits"][0]["probabilities"] != plain["digits"][0]["probabilities"]  # the pen is used


def test_blank_canvas(client):
    assert post_json(client, {"width": 300, "height": 200, "strokes": []}).json() == {"number": "", "digits": []}
    assert post_json(client, {"width": 300, "height": 200, "strokes": [[], []]}).json() == {"number": "", "digits": []}


def test_points_off_the_canvas_are_clamped_not_refused(client):
    payload = drawing("1")
    payload["strokes"][0].append([1e9, -1e9])
    assert post_json(client, payload).status_code == 200


def test_points_off_the_canvas_are_clamped_to_one_side_beyond_its_edges():
    """parse_drawing clamps each coordinate to one canvas side beyond the canvas's edges (the
    desktop app's range): a drag that leaves the canvas draws up to its edge in the direction it
    left, where clamping to the canvas itself would bend the line along the edge, and a point at
    1e9 px cannot send the rasterizer along a line a billion px long."""
    far = [[200, 150], [1e9, -1e9], [-5000, 50], [450, 310], [-10, 299.5], [800, 600], [-400, -300]]
    body = json.dumps({"width": 400, "height": 300, "strokes": [far]}).encode()
    clamped = [(200, 150), (800, -300), (-400, 50), (450, 310), (-10, 299.5), (800, 600), (-400, -300)]
    assert api.parse_drawing(body).strokes == [[(float(x), float(y)) for x, y in clamped]]
    # a diagonal drag from inside to 300 px beyond the right and bottom edges: the ink reaches the
    # right edge where the line crosses it, not in the corner the clamped end point would be
    drag = {"width": SIDE, "height": SIDE, "strokes": [[[300, 100], [700, 700]]], "pen": 6}
    canvas = api.parse_drawing(json.dumps(drag).encode()).canvas()
    rows = np.flatnonzero(canvas[:, SIDE - 1])
    assert len(rows) and abs(rows.mean() - 248) < 6  # x = 300 + (y - 100) * 2 / 3 is 399 at y = 248.5


def test_a_scribble_reads_not_sure_with_its_reason(client):
    rng = np.random.default_rng(0)
    scribble = (SIDE * (0.3 + 0.4 * rng.random((80, 2)))).tolist()
    body = post_json(client, {"width": SIDE, "height": SIDE, "strokes": [scribble]}).json()
    assert body["number"] == "?" and body["digits"][0]["unsure"]


# ---- images -------------------------------------------------------------------------------------
@pytest.mark.parametrize("digit", [0, 7])
def test_png_and_jpeg_uploads(client, digit):
    gray = np.asarray(Image.open(DIGITS / f"{digit}.png").convert("L"))
    r = client.post(PREDICT, content=png_bytes(gray), headers={"Content-Type": "image/png"})
    assert r.status_code == 200 and r.json()["number"] == str(digit), r.text
    buf = io.BytesIO()
    Image.fromarray(gray).convert("RGB").save(buf, "JPEG", quality=90)
    r = client.post(PREDICT + "?image=1", content=buf.getvalue(), headers={"Content-Type": "image/jpeg; q=1"})
    assert r.status_code == 200 and r.json()["number"] == str(digit), r.text
    assert len(r.json()["digits"][0]["image"]) == 784
    # image/jpg is no registered type, but some clients send it: it was refused with a 415
    r = client.post(PREDICT, content=buf.getvalue(), headers={"Content-Type": "image/jpg"})
    assert r.status_code == 200 and r.json()["number"] == str(digit), r.text


EXIF_ORIENTATION = 0x0112


@pytest.mark.parametrize("orientation, turns", [(3, 2), (6, 1), (8, -1)])
def test_a_jpeg_turned_by_its_exif_tag_is_read_upright(client, orientation, turns):
    """A phone stores a photo's pixels turned and says in EXIF how to show them: the API reads the
    picture as shown, as recognizer.images.load_image does (same number, same box)."""
    gray = np.asarray(Image.open(DIGITS / "7.png").convert("L"))
    page = np.full((240, 400), 255, np.uint8)  # wider than tall, the 7 left of centre: a turn shows
    page[:, 40:280] = gray
    upright = client.post(PREDICT, content=jpeg_bytes(page), headers={"Content-Type": "image/jpeg"}).json()
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    turned = jpeg_bytes(np.ascontiguousarray(np.rot90(page, turns)), exif=exif.tobytes())
    r = client.post(PREDICT, content=turned, headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 200, r.text
    assert upright["number"] == r.json()["number"] == "7", (upright, r.json())
    box, upright_box = np.array(r.json()["digits"][0]["box"]), np.array(upright["digits"][0]["box"])
    assert np.abs(box - upright_box).max() <= 2, (box, upright_box)


def test_an_upload_is_decoded_as_load_image_decodes_the_file(tmp_path):
    """One decoding step for the API and the library: a big turned phone JPEG gives the very canvas
    recognizer.images.load_image gives for the same file (upright, decoded at reduced size)."""
    from recognizer.images import load_image

    gray = np.asarray(Image.open(DIGITS / "4.png").convert("L").resize((1200, 1200)))
    page = np.full((2200, 3400), 255, np.uint8)  # over twice WORK_SIDE: the JPEG is decoded at half size
    page[500:1700, 600:1800] = gray
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    body = jpeg_bytes(np.ascontiguousarray(np.rot90(page, 1)), exif=exif.tobytes())
    (tmp_path / "photo.jpg").write_bytes(body)
    ((canvas, _),) = api.decode_image(body)
    assert canvas.shape[1] > canvas.shape[0]  # upright: wider than tall
    np.testing.assert_array_equal(canvas, load_image(tmp_path / "photo.jpg"))


@pytest.mark.filterwarnings("ignore:Tag data larger than file")  # Pillow's note that it skips the tag
def test_a_corrupt_exif_tag_reads_the_image_as_stored(client):
    """An orientation entry pointing past its data: the picture as stored, not an error."""
    gray = np.asarray(Image.open(DIGITS / "7.png").convert("L"))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    entry = b"\x01\x12\x00\x03\x00\x00\x00\x01"  # tag 274 (orientation), type short, count 1
    broken = exif.tobytes().replace(entry, entry[:-2] + b"\x10\x00")  # 4096 shorts: past the data
    r = client.post(PREDICT, content=jpeg_bytes(gray, exif=broken), headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 200 and r.json()["number"] == "7", r.text


def test_transparent_png_reads_as_ink_on_white(client):
    alpha = rasterize(digit_strokes(2, 200), (200, 200), 12)
    rgba = np.zeros((200, 200, 4), np.uint8)
    rgba[..., 3] = alpha  # black ink, transparent elsewhere
    r = client.post(PREDICT, content=png_bytes(rgba, "RGBA"), headers={"Content-Type": "image/png"})
    assert r.json()["number"] == "2", r.text


def test_a_bold_close_up_is_read_with_the_polarity_that_reads_best(client):
    """A marker's 0 close up (strokes 0.14 of its height): the polarity check alone takes the paper
    for ink and read "1"; the API reads both polarities' canvases, as the CLI does."""
    h = 288
    box = ((640 - 0.6 * h) / 2, (480 - h) / 2, 0.6 * h, h)
    ink = rasterize(digit_strokes(0, box=box, rng=np.random.default_rng(0)), (480, 640), int(0.14 * h))
    page = (205 - ink.astype(np.float32) / 255 * 165).astype(np.uint8)
    assert len(api.decode_image(png_bytes(page))) == 2
    r = client.post(PREDICT, content=png_bytes(page), headers={"Content-Type": "image/png"})
    assert r.json()["number"] == "0", r.text


@pytest.mark.parametrize("kind", ["png", "jpeg", "jpeg turned by EXIF"])
def test_the_boxes_of_a_big_photo_are_on_the_image_as_sent(client, kind):
    """Pictures over WORK_SIDE are read on a copy scaled down: a 2,400 px image's box came back on
    that copy's scale, two thirds of the digit's size and off its place; a JPEG of 3,200 px or more
    is even decoded at half its size or less."""
    gray = np.asarray(Image.open(DIGITS / "7.png").convert("L").resize((1600, 1600)))
    page = np.full((3400, 2600), 255, np.uint8)
    page[900:2500, 500:2100] = gray
    ys, xs = np.nonzero(page < 128)  # the 7's ink, dark on the white page
    if kind == "png":
        body, content_type = png_bytes(page), "image/png"
    elif kind == "jpeg":
        body, content_type = jpeg_bytes(page), "image/jpeg"
    else:  # stored on its side, EXIF orientation 6: shown turned a quarter clockwise, as the page
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = 6
        body, content_type = jpeg_bytes(np.ascontiguousarray(np.rot90(page, 1)), exif=exif.tobytes()), "image/jpeg"
    r = client.post(PREDICT, content=body, headers={"Content-Type": content_type})
    (digit,) = r.json()["digits"]
    x, y, w, h = digit["box"]
    assert digit["digit"] == 7
    assert abs(x - xs.min()) <= 12 and abs(y - ys.min()) <= 12  # a few px of the copy, each 1.5 px here
    assert abs(x + w - xs.max()) <= 12 and abs(y + h - ys.max()) <= 12


@pytest.mark.parametrize("width, height", [(4032, 3024), (5712, 4284)])
def test_a_phones_photo_is_read_whole(client, width, height):
    """Phones shoot 12, 12.5 and 24 MP by default (4032x3024, 4080x3072, 5712x4284): a cap of
    12,000,000 px refused them all "too large" (an outside review of the web page)."""
    gray = np.asarray(Image.open(DIGITS / "7.png").convert("L").resize((1600, 1600)))
    page = np.full((height, width), 230, np.uint8)
    page[700:2300, 1200:2800] = np.minimum(page[700:2300, 1200:2800], gray)
    assert width * height <= api.MAX_IMAGE_PIXELS
    r = client.post(PREDICT, content=jpeg_bytes(page), headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 200 and r.json()["number"] == "7", r.text


def test_a_picture_of_dots_is_a_400_saying_why_and_a_dithered_scan_is_read(client):
    """A 53 kB 1-bit PNG of 70,000 dots (a dithered 7) cost the server 24 GB, and it was killed: it
    is smoothed now and reads 7, and a grey picture of 25,000 dots is refused at once."""
    rng = np.random.default_rng(0)
    dots = np.full((960, 960), 200, np.uint8)
    dots[rng.random(dots.shape) > 0.97] = 30
    dots[:, :480] -= 10  # a third shade: no 1-bit scan
    r = client.post(PREDICT, content=png_bytes(dots), headers={"Content-Type": "image/png"})
    assert_error(r, 400, "separate marks, more than handwriting makes")
    assert not r.json()["error"].startswith("image:")
    buffer = io.BytesIO()
    digit = Image.open(ROOT / "tests" / "fixtures" / "digits" / "7.png")
    digit.resize((960, 960), Image.BILINEAR).convert("1").save(buffer, format="PNG")
    r = client.post(PREDICT, content=buffer.getvalue(), headers={"Content-Type": "image/png"})
    assert r.status_code == 200 and r.json()["number"] == "7", r.text


def test_an_image_of_more_pieces_of_writing_than_one_request_may_read_is_a_400(client, monkeypatch):
    """A 14 kB PNG of 4,356 small 7s held the model's thread for 6.2 s: at most MAX_IMAGE_PIECES
    pieces are read from one image (here 4, and a number of 5 digits)."""
    strokes = [
        [(x + 40 * k, y) for x, y in stroke] for k, d in enumerate("23456") for stroke in digit_strokes(int(d), 36)
    ]
    page = png_bytes(255 - rasterize(strokes, (60, 240), 3))
    monkeypatch.setattr(api, "MAX_IMAGE_PIECES", 4)
    r = client.post(PREDICT, content=page, headers={"Content-Type": "image/png"})
    assert_error(r, 400, "5 pieces of writing to read (at most 4): send a crop")
    monkeypatch.setattr(api, "MAX_IMAGE_PIECES", 5)
    r = client.post(PREDICT, content=page, headers={"Content-Type": "image/png"})
    assert r.status_code == 200 and len(r.json()["number"]) == 5


def test_blank_image_reads_no_digits(client):
    r = client.post(PREDICT, content=png_bytes(np.full((50, 80), 255, np.uint8)), headers={"Content-Type": "image/png"})
    assert r.status_code == 200 and r.json() == {"number": "", "digits": []}


# ---- bad input: one-line 4xx, and the server keeps serving -----------------------------------------
def png_declaring(width: int, height: int, rows: int = 0) -> bytes:
    """A 1-bit greyscale PNG whose header says width x height; `rows` rows of real zero pixels
    (a decompression bomb: megabytes of pixels in a few kilobytes)."""
    row = b"\x00" * (1 + (width + 7) // 8)
    z = zlib.compressobj(9)
    data = b"".join(z.compress(row) for _ in range(rows)) + z.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header is patched to claim width x height."""
    buf = io.BytesIO()
    Image.new("L", (16, 16), 255).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def digit_png() -> bytes:
    return (DIGITS / "4.png").read_bytes()


def gif_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (20, 20)).save(buf, "GIF")
    return buf.getvalue()


BAD_JSON = [
    ("not JSON", b"{", 400, "bad JSON"),
    ("not UTF-8", b'{"width": "\xff\xfe"}', 400, "UTF-8"),
    ("NaN", b'{"width": NaN, "height": 10, "strokes": []}', 400, "bad JSON"),
    ("nested too deep", b"[" * 100_000 + b"]" * 100_000, 400, "JSON"),
    ("a list, not an object", b"[1, 2]", 400, "object"),
    ("empty body", b"", 400, "bad JSON"),
    # past Python's 4,300-digit limit: its message named sys.set_int_max_str_digits, cut off mid-word
    (
        "point of 5000 digits",
        b'{"width": 400, "height": 400, "strokes": [[[' + b"9" * 5000 + b", 2]]]}",
        400,
        "5,000 digits",
    ),
]

BAD_DRAWINGS = [
    ("missing width", {"height": 10, "strokes": []}, "width"),
    ("width as text", {"width": "400", "height": 400, "strokes": []}, "width"),
    ("width as bool", {"width": True, "height": 400, "strokes": []}, "width"),
    ("fractional width", {"width": 400.5, "height": 400, "strokes": []}, "whole"),
    ("zero height", {"width": 400, "height": 0, "strokes": []}, "height"),
    ("huge canvas", {"width": 100_000, "height": 100_000, "strokes": []}, "2048"),
    ("canvas of 1e308 px", {"width": 1e308, "height": 400, "strokes": []}, "not 1e+308"),  # not its 309 digits
    ("missing strokes", {"width": 400, "height": 400}, "strokes"),
    ("strokes as object", {"width": 400, "height": 400, "strokes": {"a": 1}}, "strokes"),
    ("stroke as number", {"width": 400, "height": 400, "strokes": [5]}, "strokes"),
    ("point with one number", {"width": 400, "height": 400, "strokes": [[[1]]]}, "[x, y]"),
    ("point with three numbers", {"width": 400, "height": 400, "strokes": [[[1, 2, 3]]]}, "[x, y]"),
    ("point with text", {"width": 400, "height": 400, "strokes": [[["1", 2]]]}, "[x, y]"),
    ("point with null", {"width": 400, "height": 400, "strokes": [[[None, 2]]]}, "[x, y]"),
    ("point as object", {"width": 400, "height": 400, "strokes": [[{"x": 1, "y": 2}]]}, "[x, y]"),
    (
        "too many strokes",
        {"width": 400, "height": 400, "strokes": [[[1, 1]]] * (api.MAX_STROKES + 1)},
        "too many strokes",
    ),
    ("too many points", {"width": 400, "height": 400, "strokes": [[[1, 1]] * (api.MAX_POINTS + 1)]}, "too many points"),
    ("pen zero", {"width": 400, "height": 400, "strokes": [], "pen": 0}, "pen"),
    ("pen huge", {"width": 400, "height": 400, "strokes": [], "pen": 10_000}, "pen"),
    ("pen as text", {"width": 400, "height": 400, "strokes": [], "pen": "thick"}, "pen"),
    # ints beyond any float (JSON allows them): 400, not a 500 from float()
    ("width of 400 digits", {"width": 10**400, "height": 400, "strokes": []}, "width"),
    ("point of 400 digits", {"width": 400, "height": 400, "strokes": [[[-(10**400), 2]]]}, "[x, y]"),
    ("pen of 400 digits", {"width": 400, "height": 400, "strokes": [], "pen": 10**400}, "pen"),
]


@pytest.mark.parametrize("name, body, status, words", BAD_JSON, ids=[c[0] for c in BAD_JSON])
def test_bad_json(client, name, body, status, words):
    r = client.post(PREDICT, content=body, headers={"Content-Type": "application/json"})
    assert_error(r, status, words)


@pytest.mark.parametrize("name, payload, words", BAD_DRAWINGS, ids=[c[0] for c in BAD_DRAWINGS])
def test_bad_drawing(client, name, payload, words):
    assert_error(post_json(client, payload), 400, words)


BAD_IMAGES = [
    ("random bytes", b"\x00\x01garbage" * 100, 400, "not a PNG or JPEG image, or a damaged one"),
    ("PNG signature, then garbage", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, 400, "not a PNG or JPEG image, or a damaged"),
    (
        "truncated PNG",
        digit_png()[: len(digit_png()) // 2],
        400,
        "not a readable PNG or JPEG image (image file is truncated",
    ),
    ("GIF sent as PNG", gif_bytes(), 400, "not a PNG or JPEG image"),  # it said "(UnidentifiedImageError)"
    ("empty", b"", 400, "empty body"),
    ("progressive JPEG of 5,000 scans", progressive_jpeg(np.full((40, 40), 255, np.uint8), 5000), 400, "100 scans"),
    ("PNG bomb: 13000x13000 px in a few KB", png_declaring(13_000, 13_000, rows=13_000), 413, "too large"),
    ("PNG header claiming 100000x100000", png_declaring(100_000, 100_000), 413, "too large"),
    ("PNG over the pixel cap", png_declaring(8000, 6000, rows=10), 413, "too large"),  # 48 MP
    ("JPEG header claiming 60000x60000", jpeg_declaring(60_000, 60_000), 413, "too large"),
]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's own note on the bomb
@pytest.mark.parametrize("name, body, status, words", BAD_IMAGES, ids=[c[0] for c in BAD_IMAGES])
def test_bad_image(client, name, body, status, words):
    if name.startswith("PNG bomb"):
        assert len(body) < 50_000  # the point of a bomb: small to send, huge to decode
    assert_error(client.post(PREDICT, content=body, headers={"Content-Type": "image/png"}), status, words)


def test_body_over_the_limit_is_refused_unread(client):
    big = b" " * (api.MAX_JSON_BYTES + 1)
    assert_error(client.post(PREDICT, content=big, headers={"Content-Type": "application/json"}), 413, "too large")
    huge_image = b"\x89PNG" + b"\x00" * api.MAX_IMAGE_BYTES
    assert_error(client.post(PREDICT, content=huge_image, headers={"Content-Type": "image/png"}), 413, "too large")


def test_body_over_the_limit_without_content_length(client):
    def chunks():  # a chunked upload declares no length: the limit is counted while reading
        for _ in range(api.MAX_JSON_BYTES // 65536 + 2):
            yield b" " * 65536

    r = client.post(PREDICT, content=chunks(), headers={"Content-Type": "application/json"})
    assert_error(r, 413, "too large")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "image/gif", "multipart/form-data; boundary=x", None],
)
def test_wrong_content_type(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post(PREDICT, content=json.dumps(drawing("1")), headers=headers)
    assert_error(r, 415, "Content-Type")


def test_wrong_method_and_path(client):
    assert_error(client.get(PREDICT), 405, "GET")
    assert_error(client.put(PREDICT, content=b"{}"), 405, "PUT")
    assert_error(client.get("/api/nothing"), 404, "not found")
    assert_error(client.get("/static/../web/server.py"), 404)
    # a trailing slash, or none on a folder: a JSON 404, not a bare 307 redirect for the client to follow
    assert_error(client.post(PREDICT + "/", json=drawing(), follow_redirects=False), 404, "not found")
    assert_error(client.get("/static", follow_redirects=False), 404, "not found")


def test_server_keeps_serving_after_bad_input(client):
    for body, kind in (
        (b"{", "application/json"),
        (png_declaring(100_000, 100_000), "image/png"),
        (b"\x00" * 10, "image/jpeg"),
        (b"x", "text/plain"),
    ):
        assert client.post(PREDICT, content=body, headers={"Content-Type": kind}).status_code in (400, 413, 415)
    assert post_json(client, drawing("47")).json()["number"] == "47"


def test_a_crash_is_a_one_line_500(shipped, monkeypatch):
    with TestClient(create_app(shipped), raise_server_exceptions=False) as c:
        monkeypatch.setattr(c.app.state.model, "recognizer", None)  # .read -> AttributeError: a bug
        assert_error(post_json(c, drawing("1")), 500, "internal error")
        monkeypatch.undo()
        assert post_json(c, drawing("1")).json()["number"] == "1"


# ---- the command --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, words",
    [(["--port", "http"], "not a port"), (["--workers", "0"], "workers"), (["--workers", "100000"], "per CPU core")],
)
def test_command_line_errors(args, words):
    r = subprocess.run(
        [sys.executable, "-m", "web", *args], check=False, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "raw",
    [
        b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
    ],
    ids=["bad Content-Length", "no request line", "two Content-Lengths"],
)
def test_a_request_that_cannot_be_parsed_gets_a_json_400(server_url, raw):
    """uvicorn answers these itself, before the app sees them: in plain text ("Invalid HTTP request
    received."), until web.protocol made it the API's JSON error."""
    answer, _ = exchange(int(server_url.rsplit(":", 1)[1]), [raw])  # it closes the connection after its answer
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"content-type: application/json" in head.lower(), answer
    assert json.loads(body)["error"].startswith("bad HTTP request")


def test_a_content_length_with_spaces_round_it_is_a_length(server_url):
    """HTTP allows spaces round a header's value: "Content-Length: 2 " was a 400, bad Content-Length."""
    body = b"{}"
    raw = b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    raw += b"Content-Length: 2 \r\nConnection: close\r\n\r\n" + body
    answer, _ = exchange(int(server_url.rsplit(":", 1)[1]), [raw])
    head, _, reply = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer  # {} is no drawing: a 400 about the JSON, not the length
    assert "Content-Length" not in json.loads(reply)["error"], reply


# What `python -m web --workers 2` runs before it serves: the check in a child, then uvicorn (stubbed).
PARENT_OF_WORKERS = """
import sys, uvicorn
served = []
uvicorn.run = lambda app, **kw: served.append((app, kw["workers"]))
from web.__main__ import main
code = main(["--workers", "2"])
print(code, served, "recognizer.predictor" in sys.modules, "web.server" in sys.modules)
"""


def test_the_parent_of_several_workers_holds_no_model():
    """It checks the model in a child process and hands the workers the import string: it never
    imports the model code, so it cannot hold a model while they serve."""
    r = subprocess.run(
        [sys.executable, "-c", PARENT_OF_WORKERS], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[-2] == "0 [('web.server:app', 2)] False False"


def test_a_broken_model_is_found_by_the_check(monkeypatch, tmp_path):
    from recognizer import predictor
    from web import check

    assert check.model_error() is None  # the shipped model loads
    broken = tmp_path / "mnist_cnn.tflite"
    broken.write_bytes(b"not a model")
    monkeypatch.setattr(predictor, "DEFAULT_MODEL", broken)
    message = check.model_error()
    assert message and "\n" not in message and str(broken) in message


def test_several_workers_start_only_if_the_check_passes(monkeypatch, capsys):
    import uvicorn

    import web.__main__ as command

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    monkeypatch.setattr(command, "check_in_child", lambda: "cannot load model x.tflite: damaged")
    assert command.main(["--workers", "3"]) == 2 and not served
    assert capsys.readouterr().err == "error: cannot load model x.tflite: damaged\n"


def test_a_check_that_dies_is_one_line(monkeypatch):
    """A child killed before it answers (out of memory, a crash in a model loader) is an error
    message, not a BrokenProcessPool traceback."""
    import functools

    from web import check

    monkeypatch.setattr(check, "model_error", functools.partial(os._exit, 3))  # run in the child
    message = check.check_in_child()
    assert message and "\n" not in message and "died" in message


def test_a_body_that_stops_coming_is_a_408_not_a_held_connection(monkeypatch):
    """A client that declares a length and then sends nothing more (a slow-loris) is answered 408
    once BODY_IDLE passes with no bytes (here 0.2 s); a body sent in pieces in good time is read."""
    import asyncio

    from starlette.requests import Request

    from web import server

    monkeypatch.setattr(server, "BODY_IDLE", 0.2)

    def request(pieces: list[bytes], stall: bool) -> Request:
        messages = [{"type": "http.request", "body": p, "more_body": True} for p in pieces]

        async def receive():
            if messages:
                return messages.pop(0)
            if stall:
                await asyncio.sleep(3600)
            return {"type": "http.request", "body": b"", "more_body": False}

        scope = {"type": "http", "method": "POST", "path": server.PREDICT_PATH, "headers": []}
        return Request(scope, receive)

    with pytest.raises(api.ApiError) as caught:
        asyncio.run(server.read_body(request([b'{"width": 4'], stall=True), 1000))
    assert caught.value.status == 408 and "stopped coming" in str(caught.value)
    assert asyncio.run(server.read_body(request([b'{"a":', b" 1}"], stall=False), 1000)) == b'{"a": 1}'


def test_a_body_that_trickles_in_is_a_408_once_its_average_rate_is_too_low(monkeypatch):
    """A byte every 10 s never let BODY_IDLE pass, so it held its connection for days: after its
    first BODY_IDLE seconds a body must average MIN_BODY_RATE (here 0.2 s and 1,000 bytes/s)."""
    import asyncio

    from starlette.requests import Request

    from web import server

    monkeypatch.setattr(server, "BODY_IDLE", 0.2)
    monkeypatch.setattr(server, "MIN_BODY_RATE", 1000)

    def trickle(piece: bytes, pieces: int) -> Request:
        sent = []

        async def receive():
            await asyncio.sleep(0.05)
            sent.append(piece)
            return {"type": "http.request", "body": piece, "more_body": len(sent) < pieces}

        return Request({"type": "http", "method": "POST", "path": server.PREDICT_PATH, "headers": []}, receive)

    with pytest.raises(api.ApiError) as caught:
        asyncio.run(server.read_body(trickle(b"x", 40), 10_000))  # 20 bytes/s
    assert caught.value.status == 408 and "too slowly: under 1 kB/s" in str(caught.value)
    assert asyncio.run(server.read_body(trickle(b"y" * 100, 10), 10_000)) == b"y" * 1000  # 2,000 bytes/s


def test_a_body_read_leaves_no_chunk_waiting_for_the_garbage_collector():
    """asyncio.wait_for kept each chunk of a body in a reference cycle: 150 uploads at once left
    hundreds of MB for the garbage collector, which seldom runs in a server busy with numpy."""
    import asyncio
    import gc
    import tracemalloc

    from starlette.requests import Request

    from web import server

    def request(chunks: int) -> Request:
        async def receive():
            chunks_left[0] -= 1
            return {"type": "http.request", "body": bytes(250_000), "more_body": chunks_left[0] > 0}

        chunks_left = [chunks]
        return Request({"type": "http", "method": "POST", "path": server.PREDICT_PATH, "headers": []}, receive)

    async def main() -> int:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(20):  # 20 bodies of 1 MB, each dropped once read
            assert len(await server.read_body(request(4), 2_000_000)) == 1_000_000
        return tracemalloc.get_traced_memory()[0] - start

    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        left = asyncio.run(main())
    finally:
        tracemalloc.stop()
        gc.enable()
    assert left < 3_000_000, f"{left / 1e6:.0f} MB of bodies left behind"


def test_image_requests_are_taken_a_few_at_a_time_their_bodies_read_only_then(shipped, monkeypatch):
    """Every upload's body was read at once, then waited for a decoder: 150 at once held 6 GB. Now
    IMAGE_REQUESTS (here 2) are in hand at a time; the others wait unread, and are then answered."""
    import threading

    from web import server

    monkeypatch.setattr(server, "IMAGE_REQUESTS", 2)
    bodies, release, decode = [], threading.Event(), api.decode_image
    real_read = server.read_body

    async def read_body(request, limit):
        body = await real_read(request, limit)
        bodies.append(len(body))
        return body

    monkeypatch.setattr(server, "read_body", read_body)
    monkeypatch.setattr(api, "decode_image", lambda body: release.wait(30) and decode(body))
    answers = []
    with TestClient(create_app(shipped)) as client:

        def post():
            answers.append(client.post(PREDICT, content=digit_png(), headers={"Content-Type": "image/png"}))

        posts = [threading.Thread(target=post) for _ in range(5)]
        for thread in posts:
            thread.start()
        try:
            deadline = time.monotonic() + 10
            while len(bodies) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)  # time enough for a third to be read, were it let in
            assert len(bodies) == 2
        finally:
            release.set()
            for thread in posts:
                thread.join(60)
    assert len(bodies) == 5 and [a.status_code for a in answers] == [200] * 5
    assert {a.json()["number"] for a in answers} == {"4"}


@pytest.mark.parametrize("hung_up", [True, False])
def test_a_read_whose_client_hung_up_while_it_waited_is_never_done(hung_up):
    """On a busy server a request waits for the model's thread; if its client hangs up meanwhile
    (a closed tab, an API client that gave up), its read is skipped instead of delaying the others."""
    import asyncio
    import threading
    from types import SimpleNamespace

    from web import server

    model = server.Model(recognizer=None)
    release = threading.Event()
    model.thread.submit(release.wait)  # the model's thread is busy with an earlier read ...
    model.pending += 1  # ... counted as on_model_thread counts the reads it submits

    class Client:
        app = SimpleNamespace(state=SimpleNamespace(model=model))

        async def is_disconnected(self) -> bool:
            return hung_up

    done = []

    async def main():
        waiting = asyncio.create_task(server.on_model_thread(Client(), lambda x: done.append(x) or x, 7))
        await asyncio.sleep(3 * server.HANG_UP_POLL)  # long enough for the watcher to look
        release.set()
        return await waiting

    try:
        assert asyncio.run(main()) == (None if hung_up else 7)
        assert done == ([] if hung_up else [7])
    finally:
        release.set()
        model.close()


@pytest.mark.parametrize("host", ["bad..host", "", "a" * 70 + ".example"])
def test_a_host_that_cannot_be_a_host_name_is_a_usage_error(host, capsys):
    """`--host bad..host` ended in a 27-frame traceback from the idna codec when uvicorn bound it."""
    from web.__main__ import parse_args

    with pytest.raises(SystemExit) as exit_:
        parse_args(["--host", host])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "not a host name or address" in err and "Traceback" not in err
    assert (
        parse_args(["--host", "0.0.0.0"]).host == "0.0.0.0" and parse_args(["--host", "localhost"]).host == "localhost"
    )


def test_a_port_already_taken_is_said_in_one_line(capsys):
    """uvicorn printed its startup lines, then "ERROR: [Errno 98] ... address already in use"."""
    import socket

    from web.__main__ import cannot_listen, main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--host", "127.0.0.1", "--port", str(port)]) == 2
        err = capsys.readouterr().err
        assert err == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n", err
        assert "Address already in use" in cannot_listen("127.0.0.1", port, workers=2)  # uvicorn's own socket
    assert cannot_listen("127.0.0.1", port) is None  # free again


def test_a_big_canvas_is_read_at_the_read_side_and_answered_on_its_own(client, shipped):
    """A 2048 px canvas with a 100 px pen and 20,000 points took seconds to draw, and every other
    request waited: it is read scaled down to READ_SIDE, its boxes answered on its canvas."""
    big = 4 * api.READ_SIDE // 2  # twice the read side
    payload = drawing("47", side=big)
    parsed = api.parse_drawing(json.dumps(payload).encode())
    read = parsed.scaled()
    assert (read.width, read.height) == (api.READ_SIDE, api.READ_SIDE) and read.pen == round(parsed.pen / 2)
    assert api.parse_drawing(json.dumps(drawing("4")).encode()).scaled().width == SIDE  # small: as drawn
    body = post_json(client, payload).json()
    assert body["number"] == "47"
    small = shipped.read(read.canvas(), read.strokes)
    assert [d["box"] for d in body["digits"]] == [[2 * v for v in p.box] for p in small]


@pytest.mark.parametrize("width", [1, 3, 100])
def test_a_tall_narrow_canvas_answers_its_boxes_at_its_own_scale(client, width):
    """The boxes were scaled back by the width read over the width sent: rounded to a few px, a
    stroke 2,038 px tall on a 1 x 2048 canvas came back 639 px tall, and on a 100 px wide one past
    the canvas's bottom. The strokes are scaled by one factor, and so are the boxes."""
    height = 4 * api.READ_SIDE // 2
    payload = {"width": width, "height": height, "strokes": [[[width / 2, 5], [width / 2, height - 5]]], "pen": 3}
    body = post_json(client, payload).json()
    (x, y, w, h) = body["digits"][0]["box"]
    assert abs(h - (height - 10)) <= 12 and y + h <= height and x + w <= max(width, 16), body["digits"][0]["box"]


def test_each_digit_says_its_line_of_writing(client):
    """A drawing of two lines: the digits of the lower one are on line 1, and "number" has a space
    between the lines, as the CLI, the app and the page show them (it joined them: "8547" read as
    one number of four digits)."""
    from tests.test_predictor import TWO_LINES_CANVAS, TWO_LINES_PEN, two_line_strokes

    (height, width), points = TWO_LINES_CANVAS, [[list(map(float, p)) for p in s] for s in two_line_strokes()]
    body = {"width": width, "height": height, "strokes": points, "pen": TWO_LINES_PEN}
    r = client.post(PREDICT, json=body)
    assert r.json()["number"] == "85 47", r.text
    assert [d["line"] for d in r.json()["digits"]] == [0, 0, 1, 1]


def test_a_probability_under_1_is_never_answered_as_1():
    """0.9999996 was answered 1.0, and the page showed "100.0%" where the app shows ">99.9%"."""
    assert rounded_probability(0.9999996) == 0.999999 and rounded_probability(np.float32(0.99999994)) == 0.999999
    assert rounded_probability(1.0) == 1.0 and rounded_probability(0.25) == 0.25 and rounded_probability(3e-7) == 0.0


@pytest.fixture
def quick_headers_server(monkeypatch):
    """uvicorn with web.protocol's protocol, in a thread, HEADERS_TIME 0.3 s, serving a bare app."""
    import asyncio
    import threading
    import time

    import uvicorn

    from web import protocol

    monkeypatch.setattr(protocol, "HEADERS_TIME", 0.3)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] == "/slow":  # a read that takes longer than HEADERS_TIME
            await asyncio.sleep(0.5)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http=protocol.JsonErrorsProtocol, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def exchange(port: int, pieces: list[bytes], pause: float = 0.0) -> tuple[bytes, float]:
    """Send the pieces `pause` s apart, then read until the server closes: (the answer, seconds)."""
    import time

    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        for piece in pieces:
            conn.sendall(piece)
            time.sleep(pause)
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    return answer, time.monotonic() - start


@pytest.mark.parametrize(
    "pieces", [[b"POST /api/predict HTTP/1.1\r\nHost: x\r\n"], []], ids=["headers that stop", "nothing at all"]
)
def test_a_client_whose_headers_stop_coming_gets_a_408_not_a_held_connection(quick_headers_server, pieces):
    """uvicorn waited for the rest of the headers for ever: a few such clients held every connection."""
    answer, seconds = exchange(quick_headers_server, pieces, 0.0)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ") and b"content-type: application/json" in head.lower(), answer
    assert "did not come within" in json.loads(body)["error"] and seconds < 5


def test_headers_sent_in_time_in_pieces_are_read(quick_headers_server):
    pieces = [b"GET / HTTP/1.1\r\n", b"Host: x\r\n", b"Connection: close\r\n\r\n"]
    answer, _ = exchange(quick_headers_server, pieces, 0.05)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"ok")


@pytest.mark.parametrize("hung_up", [True, False])
def test_an_image_whose_client_hung_up_while_it_waited_is_never_decoded(hung_up, monkeypatch):
    """The hang-up check guarded only the model's thread: a photo was decoded (ten times its read)
    for a client that had gone."""
    import asyncio
    from types import SimpleNamespace

    import anyio

    from web import server

    done = []
    monkeypatch.setattr(server.api, "decode_image", lambda body: done.append(body) or ["canvas"])

    class Client:
        app = SimpleNamespace(state=SimpleNamespace(decoders=anyio.CapacityLimiter(1), decode_threads=None))

        async def is_disconnected(self) -> bool:
            return hung_up

    assert asyncio.run(server.decoded(Client(), b"photo")) == (None if hung_up else ["canvas"])
    assert done == ([] if hung_up else [b"photo"])


def test_a_pipelined_request_waiting_for_earlier_answers_is_not_timed_out(quick_headers_server):
    """Requests sent back to back on one connection are answered in turn; the headers of the third,
    left unread meanwhile, are no stall: it got a 408 once the first two took over HEADERS_TIME."""
    slow = b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
    pieces = [slow + slow + b"GET /third HTTP/1.1\r\n", b"Host: x\r\nConnection: close\r\n\r\n"]
    answer, _ = exchange(quick_headers_server, pieces, 0.1)
    assert answer.count(b"HTTP/1.1 200 ") == 3 and b" 408 " not in answer, answer
