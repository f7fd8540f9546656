"""What a picture loads as (recognizer.images.load_image): the writing, bright on black, and nothing
else, whatever the paper, the light, the lines, the table or the orientation the file was stored in.
Each test draws a number whose ink it knows and compares the canvas with it."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from recognizer import photo
from recognizer.errors import ImageError
from recognizer.images import ink_canvas, load_canvases, load_image
from recognizer.ink import INK_LEVEL
from recognizer.photo import WORK_SIDE
from recognizer.predictor import number_text
from recognizer.strokes import rasterize
from recognizer.synthetic import digit_strokes

EXIF_ORIENTATION = 0x0112
DIGITS = Path(__file__).resolve().parent / "fixtures" / "digits"
PAPER, INK = 235, 35  # grey levels of a scan: light paper, dark ink
EDGE = 32  # a stroke's anti-aliased edge this dark (of 255) is ink: strong ink saturates on the canvas


def number_strokes(text: str, x: float, y: float, width: float, height: float, step: float, seed: int = 0) -> list:
    """The strokes of `text`'s digits, each in a `width` x `height` box, from (x, y) every `step` px
    to the right (digit i drawn with seed + i)."""
    strokes = []
    for i, digit in enumerate(text):
        strokes += digit_strokes(int(digit), box=(x + i * step, y, width, height), rng=np.random.default_rng(seed + i))
    return strokes


def number_ink(text: str, shape: tuple[int, int], x: int, y: int, height: int, pen: int) -> np.ndarray:
    """The digits of `text` drawn left to right from (x, y), `height` px tall: (h, w) uint8, ink 255."""
    return rasterize(number_strokes(text, x, y, 0.6 * height, height, 0.8 * height), shape, pen)


def on_paper(ink: np.ndarray, paper: np.ndarray | float = PAPER, rng_seed: int = 0) -> np.ndarray:
    """A scan of the ink: dark ink on `paper` (a level or a field of levels), with a little noise."""
    paper = np.broadcast_to(np.asarray(paper, np.float32), ink.shape)
    page = paper - ink.astype(np.float32) / 255 * (paper - INK * paper / PAPER)
    page += np.random.default_rng(rng_seed).normal(0, 2, ink.shape)
    return np.clip(page, 0, 255).astype(np.uint8)


def save(tmp_path, name: str, pixels: np.ndarray, **options) -> str:
    path = tmp_path / name
    Image.fromarray(pixels).save(path, **options)
    return str(path)


def assert_canvas_is(canvas: np.ndarray, ink: np.ndarray, core: float = 0.95, iou: float = 0.9) -> None:
    """The canvas holds the ink and nothing else: its strokes' middles at full strength, nothing
    a few px away from them, and its ink where the drawn ink is."""
    assert canvas.dtype == np.uint8 and canvas.shape == ink.shape
    middles = cv2.erode(ink, np.ones((3, 3), np.uint8)) == 255
    assert (canvas[middles] == 255).mean() >= core, "the ink is not bright"
    near = cv2.dilate(ink, np.ones((7, 7), np.uint8)) > 0
    assert canvas[~near].max() == 0, f"{int((canvas[~near] > 0).sum())} px of ink where nothing was written"
    drawn, found = ink > EDGE, canvas > INK_LEVEL
    assert (drawn & found).sum() / (drawn | found).sum() >= iou


@pytest.fixture(scope="module")
def seven() -> np.ndarray:
    return number_ink("7", (300, 240), 60, 50, 200, 14)


def test_dark_ink_on_light_paper_loads_as_bright_ink_on_black(tmp_path, seven):
    canvas = load_image(save(tmp_path, "scan.png", on_paper(seven)))
    assert_canvas_is(canvas, seven)


def test_light_ink_on_dark_paper_loads_as_the_same_canvas(tmp_path, seven):
    scan = on_paper(seven)
    dark_on_light = load_image(save(tmp_path, "scan.png", scan))
    light_on_dark = load_image(save(tmp_path, "negative.png", 255 - scan))
    np.testing.assert_array_equal(dark_on_light, light_on_dark)


def test_clean_ink_loads_with_exactly_its_values(tmp_path, seven):
    """Ink already clean (0 or 255, as a drawing program saves it): light on dark, it loads
    unchanged, pixel for pixel; dark on light, as exactly its negative."""
    ink = np.where(seven > 127, 255, 0).astype(np.uint8)
    np.testing.assert_array_equal(load_image(save(tmp_path, "light-on-dark.png", ink)), ink)
    np.testing.assert_array_equal(load_image(save(tmp_path, "dark-on-light.png", 255 - ink)), ink)


def test_pixels_decoded_elsewhere_give_the_same_canvas(tmp_path, seven):
    """ink_canvas, for a picture already decoded (the web API decodes its own uploads)."""
    scan = on_paper(seven)
    np.testing.assert_array_equal(ink_canvas(scan), load_image(save(tmp_path, "scan.png", scan)))


def test_a_picture_in_memory_loads_as_its_file_does(tmp_path, seven):
    """An integrator's picture is often no file: an upload's bytes, an open file, a PIL image, or a
    drawing widget's RGBA array (black strokes on nothing). Each gave a TypeError (a library user's
    trial); each loads as the same picture saved as a PNG file does."""
    rgba = np.zeros((*seven.shape, 4), np.uint8)
    rgba[..., 3] = seven  # black ink on a transparent background
    path = save(tmp_path, "drawn.png", rgba)
    canvas = load_image(path)
    assert_canvas_is(canvas, seven)
    data = Path(path).read_bytes()
    with open(path, "rb") as file:
        sources = [data, bytearray(data), memoryview(data), io.BytesIO(data), file, Image.open(path), rgba]
        for source in sources:
            np.testing.assert_array_equal(load_image(source), canvas)
    scan = on_paper(seven)
    np.testing.assert_array_equal(load_image(scan), load_image(save(tmp_path, "scan.png", scan)))  # grey
    np.testing.assert_array_equal(load_canvases(np.dstack([scan] * 3))[0], load_image(scan))  # RGB
    opened = Image.open(path)
    load_image(opened)
    assert opened.mode == "RGBA"  # the caller's image is not changed
    written = io.BytesIO()
    Image.fromarray(rgba).save(written, "PNG")  # not rewound: read from its start, as Pillow reads one
    np.testing.assert_array_equal(load_image(written), canvas)
    with open(path, "rb") as file:
        file.read(10)
        np.testing.assert_array_equal(load_image(file), canvas)
    with open(os.open(path, os.O_RDONLY), "rb") as by_number, open(path, encoding="utf-8") as text:
        np.testing.assert_array_equal(load_image(by_number), canvas)
        with pytest.raises(ImageError, match="drawn.png: opened as text; open image files with open"):
            load_image(text)  # its bytes were decoded as UTF-8 ("cannot read the file")
    (tmp_path / "notes.txt").write_text("no picture")
    with open(os.open(tmp_path / "notes.txt", os.O_RDONLY), "rb") as by_number:  # named by its number: "3: ..."
        with pytest.raises(ImageError, match="^image file object: not a readable image"):
            load_image(by_number)


@pytest.mark.parametrize(
    ("picture", "message"),
    [
        (b"", "image bytes: empty"),
        (b"not an image at all", "image bytes: not a readable image"),
        (io.StringIO("text"), "opened as text; open image files with open\\(path, 'rb'\\)"),
        (np.zeros((40, 40), np.float32), "a picture is uint8 grey \\(H, W\\), RGB .* got float32"),
        (np.zeros((40, 40, 2), np.uint8), "got uint8 of shape \\(40, 40, 2\\)"),
        (np.zeros((0, 40), np.uint8), "picture array: empty"),
        (3, "cannot read int as a picture: pass an image file's path or bytes"),
    ],
)
def test_a_picture_in_memory_that_is_none_says_so_in_one_line(picture, message):
    with pytest.raises(ImageError, match=message):
        load_image(picture)


def test_an_mnist_style_image_keeps_its_ink(tmp_path):
    """A 28x28 white-on-black digit as MNIST stores it: the ink stays where it is, bright."""
    ink = number_ink("3", (28, 28), 7, 4, 20, 3)
    canvas = load_image(save(tmp_path, "mnist.png", ink))
    drawn, found = ink > EDGE, canvas > INK_LEVEL
    assert (drawn & found).sum() / (drawn | found).sum() >= 0.85
    assert canvas[ink == 0].max() == 0


@pytest.mark.parametrize("orientation, turns", [(3, 2), (6, 1), (8, -1)])
def test_exif_rotated_file_loads_upright(tmp_path, shipped, orientation, turns):
    """Pixels stored turned, with the EXIF tag saying how to show them (as phones save photos):
    the canvas is the upright one, and reads 7."""
    page = on_paper(number_ink("7", (320, 480), 170, 60, 200, 14))
    upright = load_image(save(tmp_path, "upright.png", page))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    stored = np.ascontiguousarray(np.rot90(page, turns))
    turned = load_image(save(tmp_path, "turned.png", stored, exif=exif.tobytes()))
    np.testing.assert_array_equal(turned, upright)
    assert number_text(shipped.read(turned)) == "7"
    jpeg = load_image(save(tmp_path, "turned.jpg", stored, quality=92, exif=exif.tobytes()))
    assert jpeg.shape == upright.shape and ((jpeg > INK_LEVEL) == (upright > INK_LEVEL)).mean() > 0.99


def test_corrupt_exif_loads_as_stored_without_warnings(tmp_path, recwarn):
    page = on_paper(number_ink("7", (320, 480), 170, 60, 200, 14))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    entry = b"\x01\x12\x00\x03\x00\x00\x00\x01"  # tag 274 (orientation), type short, count 1
    broken = exif.tobytes().replace(entry, entry[:-2] + b"\x10\x00")  # 4096 shorts: past the data
    loaded = load_image(save(tmp_path, "broken.jpg", page, quality=92, exif=broken))
    plain = load_image(save(tmp_path, "plain.jpg", page, quality=92))
    np.testing.assert_array_equal(loaded, plain)
    assert not recwarn.list, [str(w.message) for w in recwarn.list]


def test_ruled_paper_loses_its_lines(tmp_path, shipped):
    """Notebook lines every 40 px, the number written on one: the lines go, the digits stay whole."""
    h, w = 400, 600
    ink = number_ink("47", (h, w), 200, 132, 110, 9)  # the digits' bottoms sit on the line at y = 240
    lines = np.zeros((h, w), np.uint8)
    for y in range(0, h, 40):
        lines[y : y + 2] = 255
    page = on_paper(np.maximum(ink, lines // 2))  # lines half as dark as the ink, as printed rules are
    canvas = load_image(save(tmp_path, "ruled.png", page))
    assert_canvas_is(canvas, ink)
    assert number_text(shipped.read(canvas)) == "47"


def test_a_turned_ruled_page_is_straightened_and_loses_its_lines(tmp_path, shipped):
    """The same page photographed 4 degrees askew: the canvas is turned straight, the lines go."""
    h, w = 480, 720
    ink = number_ink("47", (h, w), 260, 172, 110, 9)
    lines = np.zeros((h, w), np.uint8)
    for y in range(0, h, 40):
        lines[y : y + 2] = 255
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 4, 1.0)
    page = cv2.warpAffine(on_paper(np.maximum(ink, lines // 2)), turn, (w, h), borderMode=cv2.BORDER_REFLECT)
    canvas = load_image(save(tmp_path, "askew.png", page))
    assert (canvas > INK_LEVEL).sum(axis=1).max() < 0.2 * w, "a line is left"
    found, drawn = canvas > INK_LEVEL, ink > EDGE  # turned back about the middle: where it was drawn
    assert (found & drawn).sum() / (found | drawn).sum() > 0.85  # 0.96; 0.70 if left askew
    assert number_text(shipped.read(canvas)) == "47"


def test_squared_paper_loses_its_grid(tmp_path, shipped):
    h, w = 400, 600
    ink = number_ink("25", (h, w), 200, 120, 120, 9)
    grid = np.zeros((h, w), np.uint8)
    grid[::30] = grid[:, ::30] = 255
    canvas = load_image(save(tmp_path, "grid.png", on_paper(np.maximum(ink, grid // 2))))
    assert_canvas_is(canvas, ink, iou=0.85)
    assert number_text(shipped.read(canvas)) == "25"


def test_strokes_lying_on_grid_lines_stay(tmp_path, shipped):
    """A 1's stem and a 7's bar drawn right along squared paper's lines, with a pen several times
    as thick as the lines: the lines go, the strokes on them stay (IoU 0.95; 0.33 when the long
    straight strokes were taken for lines)."""
    h, w = 400, 600
    ink = number_ink("71", (h, w), 200, 120, 150, 11)
    stem = 320 + int(ink[:, 320:].sum(axis=0).argmax())  # the 1's stem: its most inked column
    bar = 100 + int(ink[100:200, :320].sum(axis=1).argmax())  # the 7's bar: its most inked row
    grid = np.zeros((h, w), np.uint8)
    grid[bar % 30 :: 30] = 255
    grid[:, stem % 30 :: 30] = 255
    canvas = load_image(save(tmp_path, "on_grid.png", on_paper(np.maximum(ink, grid // 2))))
    assert_canvas_is(canvas, ink, iou=0.85)
    assert number_text(shipped.read(canvas)) == "71"


def test_squared_paper_s_crossings_are_part_of_its_lines():
    """Where two grid lines cross, each is thicker across the other than a line is: still line,
    not a pen stroke lying on one (else a dot of ink stays at every crossing: with 3 px lines and a
    thick pen, load_image's canvas read as eighteen 1s)."""
    h, w = 400, 600
    ink = number_ink("25", (h, w), 200, 120, 120, 14)
    grid = np.zeros((h, w), np.uint8)
    for t in range(3):
        grid[t::30] = grid[:, t::30] = 255
    lines = photo._lines(np.where(grid > 0, 128, ink).astype(np.uint8))
    assert lines is not None
    # where the lines found cross, away from the writing
    crossings = (lines.across.sum(axis=1, keepdims=True) > w / 2) & (lines.down.sum(axis=0, keepdims=True) > h / 2)
    away = crossings & (grid > 0) & (cv2.dilate(ink, np.ones((15, 15), np.uint8)) == 0)
    assert away.sum() > 1000 and (lines.across | lines.down)[away].all()


def test_paper_with_lines_only_has_no_writing(tmp_path):
    lines = np.zeros((400, 600), np.uint8)
    lines[::40] = 255
    with pytest.raises(ImageError, match="no ink found"):
        load_image(save(tmp_path, "empty.png", on_paper(lines // 2)))


def test_uneven_light_and_a_shadow_are_not_ink(tmp_path, shipped):
    """Light falling from 100% to 35% across the page and a soft shadow over part of the number."""
    h, w = 480, 640
    ink = number_ink("38", (h, w), 120, 150, 170, 12)
    light = np.linspace(1.0, 0.35, w, dtype=np.float32)[None, :].repeat(h, axis=0)
    shadow = np.zeros((h, w), np.float32)
    cv2.circle(shadow, (160, 300), 180, 1.0, -1)
    light *= 1 - 0.4 * cv2.GaussianBlur(shadow, (0, 0), 40)
    canvas = load_image(save(tmp_path, "uneven.png", on_paper(ink, PAPER * light)))
    assert_canvas_is(canvas, ink)
    assert number_text(shipped.read(canvas)) == "38"


def test_a_faint_shadow_away_from_the_number_is_not_ink(tmp_path, shipped):
    """A small soft shadow (30% darker) that the paper's estimate fills in, as the narrow end of a
    shadow is: a broad faint shade, never as dark against its paper as the ink. It used to stay
    as the largest piece, and the digits, far smaller, went as specks ("00")."""
    h, w = 480, 640
    ink = number_ink("38", (h, w), 380, 330, 70, 5)
    shade = np.zeros((h, w), np.float32)
    cv2.ellipse(shade, (200, 130), (90, 45), 15, 0, 360, 1.0, -1)
    light = 1 - 0.3 * cv2.GaussianBlur(shade, (0, 0), 15)
    canvas = load_image(save(tmp_path, "shade.png", on_paper(ink, PAPER * light)))
    assert_canvas_is(canvas, ink)
    assert number_text(shipped.read(canvas)) == "38"


def test_a_dark_table_around_the_page_is_not_ink_and_does_not_flip_polarity(tmp_path, shipped):
    """The page covers the middle; a dark table shows along the left and top of the frame."""
    h, w = 480, 640
    ink = number_ink("61", (h, w), 260, 200, 160, 12)
    page = on_paper(ink)
    table = np.random.default_rng(1).normal(45, 8, (h, w)).clip(0, 255).astype(np.uint8)
    page[:, :110] = table[:, :110]
    page[:70] = table[:70]
    canvas = load_image(save(tmp_path, "table.jpg", page, quality=92))
    assert_canvas_is(canvas, ink, core=0.9)
    assert number_text(shipped.read(canvas)) == "61"


@pytest.mark.parametrize("seed", range(6))
def test_a_grainy_table_lightening_toward_the_page_is_not_ink(tmp_path, seed):
    """A wood table along the left side, 40 of 255 at the top lightening to 70 at the bottom, with
    grain: its lighter specks fall under the table's darkness threshold (0.3 of the page) and were
    left as ink along the page's edge (seed 2: 548 px) before the table's mask was closed over them."""
    h, w = 480, 640
    ink = number_ink("61", (h, w), 260, 200, 160, 12)
    rng = np.random.default_rng(seed)
    grain = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 2)
    table = np.linspace(40, 70, h, dtype=np.float32)[:, None] + 12 * grain / grain.std()
    page = on_paper(ink)
    page[:, :150] = np.clip(table[:, :150], 0, 255).astype(np.uint8)
    assert_canvas_is(load_image(save(tmp_path, "grainy-table.jpg", page, quality=92)), ink, core=0.9)


def test_specks_are_not_ink(tmp_path, seven):
    page = on_paper(seven)
    for x, y in [(20, 20), (220, 30), (30, 280), (225, 270), (120, 285)]:
        cv2.circle(page, (x, y), 2, 60, -1)
    assert_canvas_is(load_image(save(tmp_path, "dusty.png", page)), seven)


def test_a_big_photo_is_read_at_the_working_size(tmp_path, shipped):
    """A 12-megapixel JPEG: the canvas is WORK_SIDE px long, and the number still reads."""
    h, w = 3000, 4000
    ink = number_ink("905", (h, w), 1200, 1100, 700, 50)
    canvas = load_image(save(tmp_path, "big.jpg", on_paper(ink), quality=90))
    assert canvas.shape == (WORK_SIDE * 3 // 4, WORK_SIDE)
    assert number_text(shipped.read(canvas)) == "905"


def test_a_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageError, match="is a folder"):
        load_image(tmp_path)


def progressive_jpeg(pixels: np.ndarray, repeats: int = 0) -> bytes:
    """A progressive JPEG of `pixels`, its last scan repeated `repeats` times more (a crafted file: each
    scan walks every block, and 40,000 of them in 2 MB took a minute of CPU)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", progressive=True, quality=90)
    data = buffer.getvalue()
    last = data.rindex(b"\xff\xda")  # the last scan, up to the end-of-image marker
    return data[:-2] + data[last:-2] * repeats + data[-2:]


def test_a_progressive_jpeg_reads_and_one_of_thousands_of_scans_is_refused_undecoded(tmp_path, monkeypatch, shipped):
    page = on_paper(number_ink("25", (300, 400), 60, 60, 160, 10))
    (tmp_path / "photo.jpg").write_bytes(progressive_jpeg(page))
    assert number_text(shipped.read(load_image(tmp_path / "photo.jpg"))) == "25"  # 6 scans: read as any photo
    (tmp_path / "crafted.jpg").write_bytes(progressive_jpeg(page, repeats=5000))
    # A phone's JPEG of two pictures (Pillow's "MPO") is a JPEG too: its first picture crafted
    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, "MPO", save_all=True, append_images=[Image.fromarray(page)], progressive=True)
    two = buffer.getvalue()
    end = two.index(b"\xff\xd9")  # the first picture's end
    last_scan = two[two.rindex(b"\xff\xda", 0, end) : end]
    (tmp_path / "crafted.mpo.jpg").write_bytes(two[:end] + last_scan * 5000 + two[end:])
    # A motion photo: a video after the picture's end, whose bytes hold FF DA now and then
    noise = np.random.default_rng(0).integers(0, 256, 1000, dtype=np.uint8).tobytes()
    video = (b"\xff\xda" + noise) * 200
    (tmp_path / "motion.jpg").write_bytes(progressive_jpeg(page) + video)
    assert number_text(shipped.read(load_image(tmp_path / "motion.jpg"))) == "25"
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("decoded"))
    for name in ("crafted.jpg", "crafted.mpo.jpg"):
        with pytest.raises(ImageError, match=rf"{name}: a JPEG of more than 100 scans \(cameras write"):
            load_image(tmp_path / name)
        with pytest.raises(ImageError, match=r"image bytes: a JPEG of more than 100 scans"):
            load_image((tmp_path / name).read_bytes())
        with Image.open(tmp_path / name) as opened, pytest.raises(ImageError, match=r"picture: a JPEG of more than"):
            load_image(opened)  # opened by the caller, not decoded yet: counted as from a file (a review)


@pytest.mark.parametrize("light", ["flat", "gradient"])
def test_blank_paper_has_no_ink(tmp_path, light):
    h, w = 300, 400
    paper = np.full((h, w), PAPER, np.float32) if light == "flat" else np.linspace(240, 90, w)[None].repeat(h, 0)
    page = on_paper(np.zeros((h, w), np.uint8), paper)
    with pytest.raises(ImageError, match="no ink"):
        load_image(save(tmp_path, "blank.png", page))


def test_a_16_bit_scan_reads_as_its_8_bit_twin(tmp_path):
    """Pillow opens a 16-bit grey PNG as "I;16", and convert("L") clipped its levels to 255: the
    page came out all white, "no ink found"."""
    ink = number_ink("25", (300, 400), 60, 60, 160, 10)
    page = on_paper(ink)
    wide = Image.fromarray(page.astype(np.uint16) * 257)
    assert wide.mode.startswith("I;16")
    wide.save(tmp_path / "wide.png")
    wide_canvas, narrow = load_image(tmp_path / "wide.png"), load_image(save(tmp_path, "narrow.png", page))
    assert np.abs(wide_canvas.astype(int) - narrow).max() <= 2  # its levels stretched so that the brightest is 255
    assert_canvas_is(wide_canvas, ink)


def test_a_16_bit_picture_costs_a_few_bytes_a_pixel_to_read(tmp_path):
    """Its levels went through float64 copies: a 12-megapixel 16-bit PNG of 34 KB took 323 MB to
    read (62 MB at 8 bits), and a server decodes two at once. Worked on in float32, in place."""
    import tracemalloc

    page = np.full((1500, 2000), 60000, np.uint16)
    page[500:600, 300:1700] = 1000  # a bar of ink
    Image.fromarray(page).save(tmp_path / "wide.png")
    from recognizer.images import load_gray

    tracemalloc.start()
    try:
        gray = load_gray(tmp_path / "wide.png")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * page.size, f"{peak / page.size:.1f} bytes a pixel"  # float64 copies took 24
    assert gray.max() == 255 and gray[550, 1000] == round(1000 * 255 / 60000)
    extreme = np.full((40, 40), 3e38, np.float32)
    extreme[10:30, 18:22] = -3e38
    Image.fromarray(extreme, "F").save(tmp_path / "extreme.tiff")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # float32 overflowing on the way printed "overflow encountered in add"
        assert load_gray(tmp_path / "extreme.tiff")[20, 20] == 0


def test_a_float_scan_with_missing_levels_reads_them_as_paper(tmp_path):
    """A float TIFF's NaN pixels became black, that is ink; levels below 0 were clipped, growing it."""
    ink = number_ink("25", (300, 400), 60, 60, 160, 10)
    page = on_paper(ink).astype(np.float32) / 255
    page[10:40, 300:340] = np.nan  # paper, away from the digits
    Image.fromarray(page, "F").save(tmp_path / "float.tiff")
    assert_canvas_is(load_image(tmp_path / "float.tiff"), ink)
    shifted = on_paper(ink).astype(np.int32) * 100 - 5000  # 32-bit levels from -5,000
    Image.fromarray(shifted, "I").save(tmp_path / "shifted.tiff")
    assert_canvas_is(load_image(tmp_path / "shifted.tiff"), ink)


@pytest.mark.parametrize("color", [(255, 255, 255), (250, 230, 40), (0, 0, 0), (200, 30, 30)])
def test_ink_on_a_transparent_background_loads_whatever_its_colour(tmp_path, seven, color):
    """Ink exported on nothing (a drawing program's PNG, transparent where there is no ink): dark
    ink went onto white paper and read, but white or yellow ink went onto white too and vanished,
    "no ink found". Light ink now goes onto black, the same canvas either way."""
    rgba = np.zeros((*seven.shape, 4), np.uint8)
    rgba[..., :3], rgba[..., 3] = color, seven
    assert_canvas_is(load_image(save(tmp_path, "drawn.png", rgba)), seven)


def test_a_page_with_a_transparent_margin_stays_on_white(tmp_path, seven):
    """A light page in a transparent frame that holds most of the picture: the margin is paper."""
    page = np.zeros((340, 280, 4), np.uint8)
    page[20:320, 20:260] = 255
    page[20:320, 20:260, :3] = on_paper(seven)[..., None]
    ink = np.zeros((340, 280), np.uint8)  # the seven where the page put it
    ink[20:320, 20:260] = seven
    assert_canvas_is(load_image(save(tmp_path, "page.png", page)), ink)


def test_the_transparency_check_sums_a_big_picture_in_blocks(seven):
    """A 40 MP transparent PNG under the pixel limit took 2 GB to load: the check for light ink on
    nothing made float64 copies of every channel at once. Summed a block of rows at a time, it takes
    the picture's bytes and a few blocks' float64, and answers as before (light ink on a tenth of
    the rows, then dark)."""
    import tracemalloc

    from recognizer.images import STATS_BLOCK, _light_on_transparent

    rgba = np.zeros((4000, 2500, 4), np.uint8)
    rgba[::10, :, :3], rgba[::10, :, 3] = 255, 255  # white rows on nothing: light ink
    picture = Image.fromarray(rgba, "RGBA")
    tracemalloc.start()
    light = _light_on_transparent(picture)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert light
    # its 40 MB of pixels and a block's float64 (32 MB a channel-block): whole, about 500 MB
    assert peak < 40e6 + 4 * STATS_BLOCK * 8 * 4, f"{peak / 2**20:.0f} MB"
    rgba[::10, :, :3] = 20  # dark rows: dark ink
    assert not _light_on_transparent(Image.fromarray(rgba, "RGBA"))


def bold_close_up(digit: int, share: float, pen: float) -> np.ndarray:
    """A marker's digit photographed close up: `share` of a 480x640 frame tall, its strokes `pen` of
    its height wide, dark on light paper."""
    h = int(share * 480)
    box = ((640 - 0.6 * h) / 2, (480 - h) / 2, 0.6 * h, h)
    ink = rasterize(digit_strokes(digit, box=box, rng=np.random.default_rng(0)), (480, 640), int(pen * h))
    return (205 - ink.astype(np.float32) / 255 * 165).astype(np.uint8)


@pytest.mark.parametrize("light", [False, True], ids=["dark ink", "light ink"])
@pytest.mark.parametrize("digit, share, pen", [(0, 0.6, 0.14), (8, 0.85, 0.1)])
def test_a_bold_close_up_is_read_with_the_polarity_that_reads_best(tmp_path, shipped, digit, share, pen, light):
    """Strokes as wide as the polarity check's window fool it: the paper beside them reads as ink,
    and the CLI read a 0 as "1" and an 8 as "00". Both polarities are offered, and the better
    reading kept."""
    page = bold_close_up(digit, share, pen)
    path = save(tmp_path, "close-up.png", 255 - page if light else page)
    assert number_text(shipped.read(load_image(path))) != str(digit)  # the check alone gets it wrong
    canvases = load_canvases(path)
    assert len(canvases) == 2
    assert number_text(shipped.read_picture(canvases)) == str(digit)


def test_writing_of_ordinary_width_has_one_canvas_the_polarity_check_s(tmp_path, seven):
    path = save(tmp_path, "scan.png", on_paper(seven))
    (canvas,) = load_canvases(path)
    np.testing.assert_array_equal(canvas, load_image(path))


def test_handwriting_on_a_whole_page_is_not_too_small_to_read(tmp_path, shipped):
    """Digits 34 px tall on an A4 page scanned 1600 px long (2-3% of its side, as handwriting is):
    each was "too small" (under 4% of the picture's side, the drawing canvas's rule) or "blank";
    in a picture only a digit under reject.MIN_PICTURE_PX is too small."""
    strokes = []
    for i, digit in enumerate("2048"):
        strokes += digit_strokes(int(digit), box=(300 + i * 28, 400, 20, 34), rng=np.random.default_rng(i))
    ink = rasterize(strokes, (1600, 1130), 3)
    path = save(tmp_path, "page.png", (235 - ink.astype(np.float32) / 255 * 200).astype(np.uint8))
    assert number_text(shipped.read(load_image(path))) == "????"  # read as a drawing
    assert number_text(shipped.read_picture(load_canvases(path))) == "2048"
    canvas = load_canvases(path)[0]  # one canvas as itself, not in a list: read as [canvas]
    assert number_text(shipped.read_picture(canvas)) == "2048"


def test_a_line_of_writing_to_the_right_of_the_one_below_is_read_first(tmp_path, shipped):
    """Two lines on a page, the upper one written right of where the lower one ends: on a drawing a
    digit high beside a low one is one row, and the page read as one row, "4785" for "8547"."""
    strokes = number_strokes("85", 420, 60, 50, 80, 70) + number_strokes("47", 80, 220, 50, 80, 70, seed=9)
    path = save(tmp_path, "two-lines.png", 255 - rasterize(strokes, (400, 640), 8))
    assert number_text(shipped.read(load_image(path))) == "4785"  # read as a drawing
    assert number_text(shipped.read_picture(load_canvases(path))) == "85 47"


def test_a_printed_fill_in_line_under_the_number_is_not_writing(tmp_path, shipped):
    """A form's line to write on, under the number and apart from it: too short and thick for a
    ruled line, near the writing, it was kept as a digit's loose bit and read "5??" for "570"."""
    page = on_paper(number_ink("570", (400, 1000), 380, 150, 70, 5))
    cv2.line(page, (350, 238), (680, 238), 60, 4)  # 330 px long, 4 px thick, 18 px under the digits
    path = save(tmp_path, "form.png", page)
    canvas = load_image(path)
    assert canvas[232:245, 350:680].max() == 0  # the line is gone
    assert number_text(shipped.read_picture(load_canvases(path))) == "570"


@pytest.mark.parametrize("cross", [0, 6], ids=["on the line", "crossing it"])
def test_digits_written_on_a_fill_in_line_touching_it_are_read(tmp_path, shipped, cross):
    """People write on a form's line, not above it: the line and the digits touching it were one
    flat piece, dropped as a printed line with them ("no ink found", or only the digits clear of it)."""
    page = on_paper(number_ink("570", (400, 1000), 380, 150, 70, 5))
    y = 217 - cross  # the digits' feet (row 215) on the line, or a little past it
    cv2.line(page, (350, y), (680, y), 60, 4)
    path = save(tmp_path, "form.png", page)
    assert number_text(shipped.read_picture(load_canvases(path))) == "570"
    assert load_image(path)[y - 1 : y + 2, 350:370].max() == 0  # the line is gone, left of the writing


@pytest.mark.parametrize("degrees", [2.5, -2.5])
def test_digits_on_a_fill_in_line_photographed_askew_are_read(tmp_path, shipped, degrees):
    """A line photographed a little askew has no straight run across half its width: it is looked
    for along a few slants too."""
    page = on_paper(number_ink("570", (400, 1000), 380, 150, 70, 5))
    cv2.line(page, (350, 214), (680, 214), 60, 3)  # through the digits' feet (row 215)
    turn = cv2.getRotationMatrix2D((500, 200), degrees, 1.0)
    path = save(tmp_path, "askew.png", cv2.warpAffine(page, turn, (1000, 400), borderValue=PAPER))
    assert number_text(shipped.read_picture(load_canvases(path))) == "570"


def test_a_1_standing_upright_on_a_fill_in_line_is_no_tick(tmp_path, shipped):
    """A 1 written as one upright stroke on the line is as straight as a comb's tick: uprights are
    taken for the line's own only at its ends or three or more of one height, as thin as the line
    (taking every thin upright read "417" as "47")."""
    strokes = digit_strokes(4, box=(350, 150, 42, 65), rng=np.random.default_rng(1)) + [[(420, 150), (420, 215)]]
    strokes += digit_strokes(7, box=(450, 150, 42, 65), rng=np.random.default_rng(2))
    ink = rasterize(strokes, (400, 800), 6)
    cv2.line(ink, (330, 216), (560, 216), 255, 3)
    assert number_text(shipped.read_picture(load_canvases(save(tmp_path, "one.png", on_paper(ink))))) == "417"


@pytest.mark.parametrize("y", [216, 240], ids=["on the line", "above it"])
def test_the_upright_ends_of_a_fill_in_field_are_not_read_as_ones(tmp_path, shipped, y):
    """A field drawn as a line with its ends turned up, the number on it or above it: once the line
    is taken off, its ends are left standing ("13141" for 314)."""
    ink = number_ink("314", (400, 1000), 380, 150, 70, 5)
    cv2.line(ink, (350, y), (600, y), 255, 3)
    for x in (350, 600):
        cv2.line(ink, (x, y), (x, y - 45), 255, 3)
    assert number_text(shipped.read_picture(load_canvases(save(tmp_path, "field.png", on_paper(ink))))) == "314"


def two(x: float, y: float, w: float, h: float) -> list[list[tuple[float, float]]]:
    """A 2 of straight strokes in the box (x, y, w, h), its flat foot along the box's bottom."""
    return [
        [(x + 0.1 * w, y + 0.25 * h), (x + 0.4 * w, y), (x + 0.8 * w, y + 0.08 * h), (x + 0.9 * w, y + 0.3 * h)]
        + [(x, y + h), (x + w, y + h)]
    ]


def test_flat_feet_written_close_are_no_fill_in_line(tmp_path, shipped):
    """Two 2s whose flat feet end a few px apart, no line in the picture: bridging such gaps (for a
    thin line scanned askew, which breaks into dashes) made them one line, cut off: "5022" read
    "5077" (a second independent review)."""
    strokes = digit_strokes(5, box=(250, 150, 42, 70), rng=np.random.default_rng(1))
    strokes += digit_strokes(0, box=(305, 150, 42, 70), rng=np.random.default_rng(2))
    strokes += two(360, 150, 50, 70) + two(418, 150, 50, 70)  # about 5 px of paper between the feet
    path = save(tmp_path, "feet.png", on_paper(rasterize(strokes, (400, 800), 3)))
    assert number_text(shipped.read_picture(load_canvases(path))) == "5022"


@pytest.mark.parametrize("text, start", [("5111", 340), ("15", 399)])
def test_thin_upright_1s_on_a_fill_in_line_are_no_ticks(tmp_path, shipped, text, start):
    """1s written as thin as a printed line: three of one height were a comb's ticks, and one near
    the line's start its end ("5111" and "15" read "5"). A comb has a tick at each end of its line,
    and a field's end is where its line stops."""
    strokes = []
    for i, digit in enumerate(text):
        x = 400 + i * 54
        strokes += (
            [[(x + 5, 150), (x + 5, 214)]]
            if digit == "1"
            else digit_strokes(5, box=(x, 150, 40, 64), rng=np.random.default_rng(i))
        )
    ink = rasterize(strokes, (400, 1000), 3)
    feet = int(np.flatnonzero((ink > 127).any(axis=1)).max())
    cv2.line(ink, (start, feet), (720, feet), 255, 3)
    assert number_text(shipped.read_picture(load_canvases(save(tmp_path, "ones.png", on_paper(ink))))) == text


@pytest.mark.parametrize("line", [3, 5])
def test_a_6_whose_bowl_runs_along_a_fill_in_line_keeps_it(tmp_path, shipped, line):
    """A 6 written on a fill-in line, the bottom of its bowl along the line: taken off with the line,
    it parted the rest of the bowl from the stem, and that rest, shorter than the writing, went
    as a crumb of the line ("314" for "364"). It stays, and the line under it with it."""
    six = [[(245, 60), (215, 100), (200, 160), (203, 228), (280, 228), (285, 190), (265, 165), (230, 172)]]
    strokes = number_strokes("3", 60, 60, 100, 168, 0, 1) + six + number_strokes("4", 340, 60, 100, 168, 0, 2)
    ink = rasterize(strokes, (330, 520), 5)
    cv2.line(ink, (30, 228), (490, 228), 255, line)
    assert number_text(shipped.read_picture(load_canvases(save(tmp_path, "six.png", on_paper(ink))))) == "364"


def test_bold_ticks_of_a_comb_are_not_taken_for_the_rest_of_a_digit(tmp_path, shipped):
    """A comb whose ticks are as bold as a pen (8 px on a 2 px line), half the digits' height: not
    line-thin, so no ticks to _ticks, but they stand, while what a fill-in line cuts off a digit
    lies along it. A first version of _parts_of_writing kept them, joined to the digits by the
    line under them (an independent review: "952" read "915121")."""
    ink = number_ink("952", (400, 1000), 250, 120, 53, 8)
    feet = int(np.flatnonzero((ink > 127).any(axis=1)).max())
    cv2.line(ink, (240, feet), (397, feet), 255, 2)
    for x in np.arange(4) * 42.4 + 246:
        cv2.line(ink, (int(x), feet), (int(x), feet - 25), 255, 8)
    assert number_text(shipped.read_picture(load_canvases(save(tmp_path, "comb.png", on_paper(ink))))) == "952"


def test_a_long_flat_stroke_of_a_bold_digit_is_no_fill_in_line(tmp_path, shipped):
    """A 2 with a long flat foot, written with a bold pen, is wider than the writing's height and
    its foot runs straight across: taken for a fill-in line, it was cut off and "22" read "72"."""
    two = [[(70, 110), (110, 80), (160, 82), (180, 120), (160, 170), (90, 235), (200, 232), (330, 226)]]
    other = [[(400, 110), (440, 80), (490, 82), (510, 120), (490, 170), (420, 235), (470, 234), (530, 230)]]
    path = save(tmp_path, "bold.png", on_paper(rasterize(two + other, (330, 600), 14)))
    assert number_text(shipped.read_picture(load_canvases(path))) == "22"


@pytest.mark.parametrize("ticks", [0.33, 0.9])
@pytest.mark.parametrize("top", [150, 135], ids=["on the line", "above it"])
def test_the_ticks_of_a_comb_field_are_not_read_as_ones(tmp_path, shipped, ticks, top):
    """A comb: a line with ticks between the cells, a digit in each, standing on the line or above
    it. Once the line is taken off, its ticks (as thin as the line: an independent review found
    ticks of 0.9 of the digits' height read as 1s, "141019161", even where no digit touched the
    line, which had been dropped whole) and what is left far shorter than the writing go with it."""
    ink = np.zeros((300, 700), np.uint8)
    for i, digit in enumerate("4096"):
        strokes = digit_strokes(int(digit), box=(215 + i * 70, top, 40, 60), rng=np.random.default_rng(i))
        ink = np.maximum(ink, rasterize(strokes, ink.shape, 5))
    cv2.line(ink, (200, 206), (480, 206), 255, 3)  # under the digits' feet (row 205 on the line)
    for x in range(200, 481, 70):
        cv2.line(ink, (x, 206), (x, 206 - round(ticks * 60)), 255, 3)
    path = save(tmp_path, "comb.png", on_paper(ink))
    assert number_text(shipped.read_picture(load_canvases(path))) == "4096"


def test_the_faint_edge_of_a_sticky_note_beside_the_writing_is_not_read(tmp_path, shipped):
    """A note's edge in its shadow: a thin faint line twice the digits' height, read as a faint
    digit, made the number and the edge one box ("?" for "385")."""
    page = on_paper(number_ink("385", (400, 700), 200, 150, 70, 5))
    cv2.line(page, (375, 90), (379, 290), 170, 2)  # 30 px right of the 5
    path = save(tmp_path, "note.jpg", page, quality=90)
    assert number_text(shipped.read_picture(load_canvases(path))) == "385"


@pytest.mark.parametrize("gap, touching", [(0, False), (-8, True)])
def test_lines_written_close_are_read_apart(tmp_path, shipped, gap, touching):
    """Lines of a page written close: a few empty pixel rows between them (under segment.ROW_GAP of
    their height), or none (a descender reaching the line below), and the page read as one row of
    both lines' digits side by side ("17631")."""
    strokes = number_strokes("853", 80, 60, 50, 80, 70) + number_strokes("4761", 60, 140 + gap, 50, 80, 70, seed=9)
    ink = rasterize(strokes, (360, 480), 7)
    inked = np.flatnonzero(ink.any(axis=1))
    assert (len(inked) == inked[-1] - inked[0] + 1) == touching  # no empty row between the lines
    predictions = shipped.read_picture(load_canvases(save(tmp_path, "close.png", on_paper(ink))))
    assert number_text(predictions) == "853 4761" and [p.row for p in predictions] == [0] * 3 + [1] * 4


def circle(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    return [(cx + r * np.cos(t), cy + r * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40)]


@pytest.mark.parametrize("case", ["an 8 as two loops", "a crease across the number", "a bouncing line"])
def test_one_line_whose_digits_are_in_pieces_or_bounce_is_not_parted(tmp_path, shipped, case):
    """Lines written close are parted only where one lies under the other as lines do: an 8 as two
    loops that do not meet, digits cut across by a crease or a skipping pen, a line bouncing up and
    down read "0 0", "7011 2040" and "31415?2 11?" when they were parted (an independent review)."""
    if case == "an 8 as two loops":
        text, ink = "8", rasterize([circle(300, 160, 35), circle(300, 250, 42)], (400, 700), 6)
    elif case == "a crease across the number":
        text, ink = "3846", number_ink("3846", (400, 800), 200, 120, 120, 5)
        ink[180:183] = 0  # a 3 px gap across every digit, at half their height
    else:
        text, strokes = "3141592", []
        for i, digit in enumerate(text):
            box = (80 + i * 80, 150 + (40 if i % 2 else -10), 50, 90)
            strokes += digit_strokes(int(digit), box=box, rng=np.random.default_rng(i))
        ink = rasterize(strokes, (400, 700), 5)
    predictions = shipped.read_picture(load_canvases(save(tmp_path, "one-line.png", on_paper(ink))))
    assert number_text(predictions) == text and {p.row for p in predictions} == {0}


def test_a_line_written_rising_stays_one_line_read_left_to_right(tmp_path, shipped):
    """Its digits' middles step up by 0.75 of their height each: lines are parted only where one
    lies under the other, else the digits would be read top to bottom, "54321"."""
    strokes = []
    for i, digit in enumerate("12345"):
        strokes += digit_strokes(int(digit), box=(40 + i * 70, 280 - i * 60, 50, 80), rng=np.random.default_rng(i))
    path = save(tmp_path, "rising.png", on_paper(rasterize(strokes, (360, 480), 7)))
    predictions = shipped.read_picture(load_canvases(path))
    assert number_text(predictions) == "12345" and {p.row for p in predictions} == {0}


def test_a_line_written_at_half_the_height_of_the_one_above_is_a_line_of_its_own(tmp_path, shipped):
    """On a drawing a band under 0.7 of the tallest joins a row (a 5's flag, an i's dot); a page's
    second line written smaller joined the first and read as neither. (A drawing now reads it too:
    the band holds two digits of 0.4 of the tallest's height or more, segment.SMALL_LINE.)"""
    strokes = number_strokes("85", 80, 40, 60, 100, 90) + number_strokes("47", 80, 200, 30, 50, 45, seed=9)
    path = save(tmp_path, "two-sizes.png", 255 - rasterize(strokes, (320, 480), 7))
    assert number_text(shipped.read(load_image(path))) == "85 47"  # read as a drawing
    predictions = shipped.read_picture(load_canvases(path))
    assert number_text(predictions) == "85 47" and [p.row for p in predictions] == [0, 0, 1, 1]


def caption_and_number(gap: int, caption: str = "Date of birth", x: int = 60) -> np.ndarray:
    """Ink of a form's field: printed words (about 0.37 of the digits' height) `gap` px above a
    handwritten "1249" of 80 px digits starting at x = 220, the words starting at `x`."""
    ink = rasterize(number_strokes("1249", 220, 140, 50, 80, 70), (320, 560), 7)
    cv2.putText(ink, caption, (x, 140 - gap), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2, cv2.LINE_AA)
    return ink


@pytest.mark.parametrize("x", [220, 40])
def test_a_printed_caption_far_above_the_digits_is_a_line_of_its_own(tmp_path, shipped, x):
    """A form's caption, a digit's height above its field, joined the digits' row as a band too
    low to be a line (a flag, a dot): its letters were read between and over the digits, and the
    scan review's captioned fields read none of their numbers right. Far from every row and of
    several pieces, it is a line apart (segment.FAR_LINE), also where it starts left of the field
    and barely lies over it, and as a line of text it is left out (reject.text_lines)."""
    from recognizer.ink import ink_from_canvas
    from recognizer.segment import text_rows

    ink = caption_and_number(80, x=x)
    (_, cut), _ = text_rows(ink_from_canvas(ink), picture=True)
    assert 140 - 80 < cut < 140  # under the caption's letters, over the digits
    predictions = shipped.read_picture(load_canvases(save(tmp_path, "caption.png", on_paper(ink))))
    assert number_text(predictions) == "1249" and {p.row for p in predictions} == {0}


@pytest.mark.parametrize("gap", [10, 30])
def test_small_marks_near_the_digits_stay_in_their_row(gap):
    """A band within FAR_LINE of the digits' height joins their row, as a 5's flag or an i's dot
    does, where it holds fewer than TEXT_LINE pieces (a short word: how its pieces group is
    grouping's); a line of print as near, of more pieces, is a line of its own (a page's lines, each
    joining the one above, had been read with the number as one row, in columns)."""
    from recognizer.ink import ink_from_canvas
    from recognizer.segment import text_rows

    assert text_rows(ink_from_canvas(caption_and_number(gap, "No")), picture=True) == []
    (_, cut), _ = text_rows(ink_from_canvas(caption_and_number(gap, "Date of birth")), picture=True)
    assert 140 - gap - 25 < cut < 140


def test_fives_flags_lifted_over_their_bodies_stay_in_their_row():
    """Seven 5s whose flags stand clear above their bodies: a band of seven pieces, as many as a
    line of print has, but flat (segment.TEXT_FLAT), so it joins their row as a flag does."""
    from recognizer.ink import ink_from_canvas
    from recognizer.segment import text_rows

    ink = np.zeros((300, 900), np.uint8)
    for i in range(7):
        x = 40 + 120 * i
        cv2.line(ink, (x, 96), (x + 60, 76), 255, 8)  # the flag, aslant
        cv2.ellipse(ink, (x + 25, 160), (35, 45), 0, -100, 200, 255, 8)  # the body, clear below it
    assert text_rows(ink_from_canvas(ink), picture=True) == []


def test_a_page_of_print_around_a_number_is_left_out(tmp_path, shipped):
    """Lines of print above and close under a handwritten number (a page photographed around it):
    each is a line of its own and a line of text, left out, and the number reads alone; read in
    rows of "?" and sure 1s before (an outside review's pages of print: 2 of 30 read right)."""
    ink = rasterize(number_strokes("1249", 220, 200, 50, 80, 70), (420, 640), 7)
    for y in (60, 100, 320, 360):  # two lines above, two 40 px under the digits' 280 px base
        cv2.putText(ink, "please note the amount due", (30, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2, cv2.LINE_AA)
    predictions = shipped.read_picture(load_canvases(save(tmp_path, "page.png", on_paper(ink))))
    assert number_text(predictions) == "1249"


def test_cents_written_small_and_raised_after_the_number_stay_in_its_line(tmp_path, shipped):
    """ "12" and, after it, "50" written small and raised (an amount's cents): beside the number,
    not over it, so they are no line of their own however far up ("50 12" was read)."""
    ink = rasterize(number_strokes("12", 60, 140, 50, 80, 70), (320, 480), 7)
    ink = np.maximum(ink, rasterize(number_strokes("50", 210, 72, 18, 28, 24, seed=3), (320, 480), 4))
    predictions = shipped.read_picture(load_canvases(save(tmp_path, "cents.png", on_paper(ink))))
    assert number_text(predictions) == "1250"


def test_an_underline_far_below_the_digits_is_no_line_of_its_own():
    """One piece, however far: a rule, a stroke under a total, a stray mark is no line of writing."""
    from recognizer.ink import ink_from_canvas
    from recognizer.segment import text_rows

    ink = rasterize(number_strokes("1249", 60, 40, 50, 80, 70), (320, 480), 7)
    cv2.line(ink, (50, 220), (340, 220), 255, 6)
    assert text_rows(ink_from_canvas(ink), picture=True) == []


@pytest.mark.parametrize("side", [12, 16, 28])
def test_a_small_picture_of_one_digit_is_held_to_no_more_than_a_drawing(tmp_path, shipped, side):
    """A thumbnail whose digit fills it: the 12 px a digit needs on a page would call it too small,
    so a picture smaller than reject.PICTURE_SIDE keeps a drawing's limit, a share of its side."""
    digit = Image.open(DIGITS / "4.png").convert("L").resize((side, side), Image.LANCZOS)
    path = tmp_path / "thumb.png"
    digit.save(path)
    as_drawing = shipped.read(load_image(path))
    assert as_drawing and not as_drawing[0].unsure  # read as before
    assert [p.digit for p in shipped.read_picture(load_canvases(path))] == [p.digit for p in as_drawing]
    assert not any(p.unsure for p in shipped.read_picture(load_canvases(path)))


def test_of_two_polarities_the_reading_with_the_tallest_sure_digit_wins(shipped, monkeypatch):
    """A number written with a very bold marker: the paper's reading (the wrong polarity) boxed the
    whole number as one "?", taller than any digit, and won over the right reading, exact (a review
    of marker photos of 'train' and 'val' people: 22 -> 26 of 30 read exactly, photo_dev unchanged).
    The tallest digit read surely decides first; the tallest of all only between readings with none."""
    from dataclasses import replace

    from recognizer.predictor import Prediction

    probs = np.eye(10)[4]
    digit = Prediction(4, 1.0, probs, np.zeros((28, 28), np.float32))
    right = [replace(digit, box=(10, 20, 40, 60)), replace(digit, digit=7, box=(60, 20, 40, 60))]
    paper = [replace(digit, box=(5, 10, 100, 90), unsure="not a digit")]
    readings = {"right": right, "paper": paper}
    monkeypatch.setattr(shipped, "read", lambda canvas, picture=False: readings[canvas])
    assert shipped.read_picture(["paper", "right"]) == right
    readings["right"] = [replace(p, unsure="low confidence") for p in right]  # none sure on either: the tallest
    assert shipped.read_picture(["right", "paper"]) == paper


def test_a_lab_tiff_reads_as_its_lightness(tmp_path):
    """A valid TIFF in Lab colour read as "not a readable image (ValueError)": Pillow has no LAB to
    grey conversion. Its L channel is the lightness, the grey the page shows."""
    from recognizer.images import load_gray

    page = Image.new("RGB", (64, 48), "white")
    page.paste((0, 0, 0), (20, 10, 30, 40))
    page.convert("LAB").save(tmp_path / "lab.tif")
    gray = load_gray(tmp_path / "lab.tif")
    assert gray.shape == (48, 64) and gray[20, 25] == 0 and gray[5, 5] == 255


@pytest.mark.parametrize("turns", [1, 3], ids=["turned left", "turned right"])
def test_a_number_photographed_on_its_side_is_read_turned_upright(tmp_path, shipped, turns):
    """A page photographed or scanned on its side, with no EXIF tag to turn it: read as it is, the
    number stands on end and reads as "?"s and 1s in rows; turned a quarter, it reads whole, and
    the boxes are given on the picture as it is (here larger than WORK_SIDE: scaled too), each
    round a digit's ink."""
    ink = number_ink("3854", (1000, 2000), 550, 380, 220, 16)
    sideways = np.ascontiguousarray(np.rot90(ink, turns))
    gray = on_paper(sideways)
    assert max(gray.shape) > WORK_SIDE
    framed = photo.framed_canvases(gray)
    predictions = shipped.read_picture([c for c, _ in framed], [f for _, f in framed])
    assert number_text(predictions) == "3854"
    boxed = np.zeros(sideways.shape, bool)
    for p in predictions:
        x, y, w, h = p.box
        assert w > h  # a digit on its side, as on the picture
        assert (sideways[y : y + h, x : x + w] > 0).sum() > 0.1 * (sideways > 0).sum()  # a digit's ink
        boxed[y : y + h, x : x + w] = True
    assert (sideways[boxed] > 0).sum() > 0.95 * (sideways > 0).sum()  # and the boxes hold the number


def test_two_short_rows_upright_stay_as_they_are(tmp_path, shipped):
    """Rows of two digits are what a number on its side reads as, so the reading is tried turned a
    quarter too (predictor.ON_END); upright, it stays: turned, the digits lie on their sides and
    read less surely, or as "?"s, or in rows."""
    ink = number_ink("42", (700, 800), 300, 120, 150, 10) | number_ink("17", (700, 800), 300, 420, 150, 10)
    predictions = shipped.read_picture(load_canvases(save(tmp_path, "rows.png", on_paper(ink))))
    assert number_text(predictions) == "42 17"
    assert [p.row for p in predictions] == [0, 0, 1, 1]


@pytest.mark.parametrize("scale", [1.5, 2.0])
def test_a_printed_label_beside_a_handwritten_number_is_no_part_of_it(tmp_path, shipped, scale):
    """ "Total:" printed a quarter as tall as the handwritten 45 beside it: its "o" and "l" read as
    sure 0 and 1 (the detector sure they were digits too), and the picture read "?0??145"."""
    strokes = [s for i, d in enumerate((4, 5)) for s in digit_strokes(d, box=(320 + 130 * i, 30, 90, 140))]
    page = 255 - rasterize(strokes, (220, 620), 9)
    cv2.putText(page, "Total:", (20, 150), cv2.FONT_HERSHEY_SIMPLEX, scale, 0, 4)
    assert number_text(shipped.read_picture(load_canvases(save(tmp_path, "total.png", page)))) == "45"


def test_only_a_dithered_1_bit_scan_is_smoothed():
    """photo._dithered: a grey dithered into dots of both shades, not clean 1-bit ink with specks on
    it (dark dots on the paper: smoothing those changed about 6% of readings, both ways)."""
    from PIL import Image

    strokes = [s for i, d in enumerate("4071") for s in digit_strokes(int(d), box=(20 + 90 * i, 100, 60, 120))]
    clean = np.where(rasterize(strokes, (384, 384), 3) > 127, 0, 255).astype(np.uint8)
    specks = clean.copy()
    specks[np.random.default_rng(0).random(clean.shape) < 0.003] = 0
    soft = cv2.GaussianBlur(255 - rasterize(strokes, (384, 384), 9), (0, 0), 3)  # grey edges
    dithered = np.asarray(Image.fromarray(soft).convert("1").convert("L"))
    assert [photo._dithered(p) for p in (clean, specks, dithered)] == [False, False, True]
