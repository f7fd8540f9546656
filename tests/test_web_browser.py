"""The page in a real browser: `python -m web` on a free 127.0.0.1 port and headless Chromium (Debian's
`chromium`, driven by Playwright for Python; no browser is ever downloaded) drawing with mouse and
touch events, checked through what the page shows.

Set WEB_SCREENSHOT=docs/screenshot_web.png to keep the screenshot (that is how the README's is made).
"""

import base64
import io
import itertools
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from recognizer.strokes import rasterize
from recognizer.synthetic import digit_strokes

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
SETTLE_MS = 15_000  # for the page to show the answer to its latest ink
STEP_PX = 6.0  # between mouse positions along a stroke: a steady hand on a 125 Hz mouse
DESKTOP = {"width": 1000, "height": 760}
PHONE = {"width": 390, "height": 844}  # a narrow phone screen, in CSS px

try:
    from playwright.sync_api import sync_playwright
except ImportError:
    sync_playwright = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="needs Debian's chromium on PATH (apt-get install chromium; "
        ".ci/run installs it) or CHROMIUM=/path/to/chromium",
    ),
    pytest.mark.skipif(sync_playwright is None, reason="needs playwright (pip install -r requirements-dev.txt)"),
]


def densify(stroke, step: float = STEP_PX) -> list[tuple[float, float]]:
    """Points every `step` px along the stroke: what a mouse reports while it is drawn."""
    points = [tuple(stroke[0])]
    for a, b in itertools.pairwise(stroke):
        n = max(1, int(np.hypot(b[0] - a[0], b[1] - a[1]) // step))
        points += [tuple(p) for p in np.linspace(a, b, n + 1)[1:]]
    return points


def number_strokes(digits: str, side: float) -> list[list[tuple[float, float]]]:
    """The digits side by side across a canvas of `side` px."""
    n = len(digits)
    strokes = []
    for i, d in enumerate(digits):
        box = (side * (0.06 + 0.9 * i / n), side * 0.22, side * 0.9 / n * 0.75, side * 0.55)
        strokes += digit_strokes(int(d), round(side), box=box)
    return strokes


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield b
        b.close()


def open_page(browser, url: str, viewport: dict, **options):
    # bypass_csp: only so that Playwright's wait_for_function may evaluate its test expressions
    context = browser.new_context(viewport=viewport, bypass_csp=True, **options)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/")
    page.wait_for_selector("#pad")
    return context, page, errors


def settle(page, strokes: int | None = None) -> dict:
    """Wait until the page holds `strokes` strokes (if given: a click or key may still be on its
    way) and shows the answer to its latest ink; the last answer."""
    page.wait_for_function(
        "n => (n === null || window.digitPage.strokes === n)"
        " && window.digitPage.shownVersion === window.digitPage.version"
        " && !window.digitPage.busy",
        arg=strokes,
        timeout=SETTLE_MS,
    )
    return page.evaluate("() => window.digitPage.stats.last")


def draw(page, strokes) -> None:
    """Mouse down, moves along each stroke, mouse up: as a user drawing with the left button."""
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        points = densify(stroke)
        page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.up()


def touch_draw(page, strokes) -> None:
    """The same with a finger: touch events through the DevTools protocol (Chromium turns them
    into pointer events of type "touch", as on a phone)."""
    cdp = page.context.new_cdp_session(page)
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        points = densify(stroke)
        for i, (x, y) in enumerate(points):
            kind = "touchStart" if i == 0 else "touchMove"
            cdp.send(
                "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": box["x"] + x, "y": box["y"] + y}]}
            )
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def text(page, selector: str) -> str:
    return page.locator(selector).inner_text().strip()


def canvas_ink(page) -> np.ndarray:
    """The drawing canvas as the page shows it: a boolean ink mask at CSS px resolution."""
    url = page.evaluate("() => document.getElementById('pad').toDataURL('image/png')")
    img = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("L")
    side = round(page.locator("#pad").bounding_box()["width"])
    return np.asarray(img.resize((side, side), Image.BILINEAR)) > 127


def test_draw_a_digit_a_number_undo_and_clear(server_url, browser, tmp_path):
    context, page, errors = open_page(browser, server_url, DESKTOP)
    try:
        assert text(page, "#empty") == "draw a digit" and page.locator("#placeholder").is_visible()
        assert page.locator("#undo").is_disabled() and page.locator("#clear").is_disabled()
        side = page.locator("#pad").bounding_box()["width"]

        # One digit: the big digit, its bars, the model input; no boxes for a single digit.
        draw(page, number_strokes("3", side))
        answer = settle(page, 1)
        assert answer["number"] == "3", answer
        assert text(page, "#digit-caption") == "Prediction" and text(page, "#digit") == "3"
        assert not page.locator("#number-block").is_visible() and page.locator(".box").count() == 0
        assert page.locator("#bars li").count() == 10
        assert page.locator("#bars li.best .label").inner_text() == "3"
        assert text(page, "#confidence").endswith("%")
        model_input = page.evaluate(
            "() => Array.from(document.getElementById('input').getContext('2d')"
            ".getImageData(0, 0, 28, 28).data).filter((v, i) => i % 4 === 0)"
        )
        assert model_input == answer["digits"][0]["image"]  # the 28x28 image the model saw, pixel for pixel
        first_ms = page.evaluate("() => window.digitPage.stats.firstShown - window.digitPage.stats.firstInk")
        assert first_ms > 0

        # The page shows the very ink the server reads: the strokes rasterized by the library.
        ink = page.evaluate("() => window.digitPage.drawing()")
        expected = rasterize([[tuple(p) for p in s] for s in ink["strokes"]], (round(side),) * 2, ink["pen"]) > 127
        shown = canvas_ink(page)
        overlap = (shown & expected).sum() / (shown | expected).sum()
        assert overlap > 0.9, f"page and library ink overlap {overlap:.2f}"

        # Clear (button): an empty canvas and the empty pane again.
        page.click("#clear")
        settle(page, 0)
        assert text(page, "#empty") == "draw a digit" and not page.locator("#result").is_visible()
        assert canvas_ink(page).sum() == 0 and page.locator("#clear").is_disabled()

        # A two-digit number: the number, a box and label per digit, the rightmost digit's bars.
        draw(page, number_strokes("47", side))
        answer = settle(page, 3)
        assert answer["number"] == "47", answer
        assert text(page, "#number") == "47" and text(page, "#number-caption") == "Number (2 digits)"
        assert text(page, "#digit-caption") == "Last digit" and text(page, "#digit") == "7"
        labels = page.locator(".box .label").all_inner_texts()
        assert labels == ["4", "7"]
        lefts = [page.locator(".box").nth(i).bounding_box()["x"] for i in range(2)]
        assert lefts[0] < lefts[1]
        shot = tmp_path / "screenshot_web.png"
        page.screenshot(path=str(shot))
        if os.environ.get("WEB_SCREENSHOT"):
            shutil.copy(shot, os.environ["WEB_SCREENSHOT"])

        # Undo with the keys: Ctrl+Z takes the 7's stroke, U the 4's two strokes one by one.
        page.keyboard.press("Control+z")
        assert settle(page, 2)["number"] == "4"
        assert page.locator(".box").count() == 0 and text(page, "#digit") == "4"
        page.keyboard.press("u")
        settle(page, 1)
        page.keyboard.press("u")
        settle(page, 0)
        assert text(page, "#empty") == "draw a digit" and canvas_ink(page).sum() == 0

        # Undo (button) and clear (R key).
        draw(page, number_strokes("4", side))
        assert settle(page, 2)["number"] == "4"
        page.click("#undo")
        settle(page, 1)
        page.keyboard.press("r")
        settle(page, 0)
        assert canvas_ink(page).sum() == 0

        # A scribble: "not sure", with the reason, instead of a digit.
        zigzag = [(side * (0.3 + 0.4 * (i % 2)), side * (0.3 + 0.4 * i / 16)) for i in range(17)]
        draw(page, [zigzag, [(x + side * 0.02, y) for x, y in zigzag]])
        answer = settle(page, 2)
        assert answer["number"] == "?" and answer["digits"][0]["unsure"], answer
        assert text(page, "#digit") == "not sure" and text(page, "#reason") == answer["digits"][0]["unsure"]
        d = answer["digits"][0]
        assert text(page, "#confidence-caption") == "Best guess" and text(page, "#confidence").startswith(
            f"{d['digit']}, "
        )

        # The scribble between two digits: its "?" says why under the number; a sure digit says "Confidence".
        page.keyboard.press("r")
        settle(page, 0)
        four = digit_strokes(4, round(side), box=(side * 0.04, side * 0.3, side * 0.2, side * 0.35))
        seven = digit_strokes(7, round(side), box=(side * 0.76, side * 0.3, side * 0.2, side * 0.35))
        scribble = [(side * (0.4 + 0.2 * (i % 2)), side * (0.3 + 0.35 * i / 16)) for i in range(17)]
        draw(page, [*four, scribble, [(x + side * 0.015, y) for x, y in scribble], *seven])
        answer = settle(page, len(four) + 2 + len(seven))
        assert "?" in answer["number"], answer
        reasons = list(dict.fromkeys(d["unsure"] for d in answer["digits"] if d["unsure"]))
        assert text(page, "#number-reasons") == f"? {', '.join(reasons)}"
        last = answer["digits"][-1]
        assert text(page, "#confidence-caption") == ("Confidence" if last["unsure"] is None else "Best guess")
        assert errors == []
    finally:
        context.close()
    print(f"\nfirst prediction shown {first_ms:.0f} ms after the first stroke began")


def test_phone_screen_with_a_finger(server_url, browser, tmp_path):
    context, page, errors = open_page(browser, server_url, PHONE, has_touch=True, is_mobile=True, device_scale_factor=3)
    try:
        pad = page.locator("#pad").bounding_box()
        assert pad["width"] <= PHONE["width"] and pad["width"] > 0.8 * PHONE["width"]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
        touch_draw(page, number_strokes("2", pad["width"]))
        answer = settle(page, 1)
        assert answer["number"] == "2", answer
        assert text(page, "#digit") == "2"
        panel = page.locator("#panel").bounding_box()
        assert panel["y"] >= pad["y"] + pad["height"]  # the pane goes below the canvas
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

        # Undo and Clear tapped at once after a stroke lifted while moving: Chromium drops the click of
        # such a tap (its tap suppression after a fling, 180 ms), so the page must act on the tap itself,
        # and only once (one stroke undone, not two).
        w = pad["width"]
        touch_draw(page, [[(w * 0.2, w * 0.9), (w * 0.8, w * 0.9)]])
        page.tap("#undo")
        assert settle(page, 1)["number"] == "2"
        assert page.evaluate("() => window.digitPage.strokes") == 1
        touch_draw(page, [[(w * 0.2, w * 0.9), (w * 0.8, w * 0.9)]])
        page.tap("#clear")
        settle(page, 0)
        assert text(page, "#empty") == "draw a digit" and canvas_ink(page).sum() == 0
        page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


HOLD_ANSWERS = """() => {
  // Hold the page's requests until the test releases them: a slow network.
  window.holding = true;
  window.held = [];
  const fetch = window.fetch;
  window.fetch = (...args) => window.holding ? new Promise((resolve) => window.held.push(() => resolve(fetch(...args))))
    : fetch(...args);
  // Every version of the ink the page shows an answer for, in order.
  window.shownVersions = [];
  new MutationObserver(() => window.shownVersions.push(Number(document.body.dataset.shown)))
    .observe(document.body, { attributes: true, attributeFilter: ["data-shown"] });
}"""


def test_a_second_finger_or_a_pen_takes_a_finger_s_stroke_away(server_url, browser):
    """A pinch or a two-finger swipe drew its first finger's line, read "?"; a hand resting on a
    tablet, down before the pen, kept the pen from drawing at all (a user trial: a dot, "too
    small"). A second finger takes the stroke away, and a pen landing draws in its place."""
    context, page, errors = open_page(browser, server_url, PHONE, has_touch=True, is_mobile=True)
    try:
        cdp = page.context.new_cdp_session(page)
        pad = page.locator("#pad").bounding_box()
        x, y, w = pad["x"], pad["y"], pad["width"]

        def touches(kind, *points):
            cdp.send(
                "Input.dispatchTouchEvent",
                {"type": kind, "touchPoints": [{"x": a, "y": b, "id": i} for a, b, i in points]},
            )

        touches("touchStart", (x + 0.3 * w, y + 0.3 * w, 1))
        touches("touchMove", (x + 0.4 * w, y + 0.4 * w, 1))
        touches("touchStart", (x + 0.4 * w, y + 0.4 * w, 1), (x + 0.7 * w, y + 0.7 * w, 2))  # a pinch
        touches("touchMove", (x + 0.3 * w, y + 0.3 * w, 1), (x + 0.8 * w, y + 0.8 * w, 2))
        touches("touchEnd")
        settle(page)
        assert page.evaluate("() => window.digitPage.strokes") == 0 and not canvas_ink(page).any()
        touch_draw(page, number_strokes("7", w))  # a drawing cleared, then a pinch: Undo still brings it back
        settle(page, 1)
        page.locator("#clear").tap()
        touches("touchStart", (x + 0.3 * w, y + 0.3 * w, 1))
        touches("touchStart", (x + 0.3 * w, y + 0.3 * w, 1), (x + 0.7 * w, y + 0.7 * w, 2))
        touches("touchEnd")
        assert page.locator("#undo").is_enabled()
        page.locator("#undo").tap()
        assert settle(page, 1)["number"] == "7"
        page.locator("#clear").tap()
        settle(page, 0)

        def pen(kind, px, py, buttons=1):
            cdp.send(
                "Input.dispatchMouseEvent",
                {
                    "type": kind,
                    "x": px,
                    "y": py,
                    "button": "left",
                    "buttons": buttons,
                    "clickCount": 1,
                    "pointerType": "pen",
                },
            )

        touches("touchStart", (x + 0.85 * w, y + 0.95 * w, 7))  # the hand, resting
        one = [(x + 0.5 * w, y + (0.2 + 0.6 * t / 20) * w) for t in range(21)]
        pen("mousePressed", *one[0])
        for point in one[1:]:
            pen("mouseMoved", *point)
        pen("mouseReleased", *one[-1], buttons=0)
        touches("touchEnd")
        assert settle(page, 1)["number"] == "1"
        assert (
            page.evaluate("() => window.digitPage.drawing().strokes[0].length") >= 15
        )  # the pen's, not the hand's dot
        assert errors == []
    finally:
        context.close()


def test_a_finger_resting_on_the_canvas_adds_no_points(server_url, browser):
    """A resting finger or pen jitters a px or two hundreds of times a second: each jitter was a
    point (ui/canvas.py's user trial). Moves under 6 px add none, also where the finger comes to
    rest between two points kept (a review: 287 -> 123 points on a sideways phone's canvas)."""
    context, page, errors = open_page(browser, server_url, PHONE, has_touch=True, is_mobile=True)
    try:
        cdp = page.context.new_cdp_session(page)
        pad = page.locator("#pad").bounding_box()
        x, y, w = pad["x"], pad["y"], pad["width"]

        def touch(kind: str, px: float, py: float) -> None:
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x + px, "y": y + py}]})

        touch("touchStart", 0.5 * w, 0.2 * w)
        for k in range(1, 21):
            touch("touchMove", 0.5 * w, (0.2 + 0.03 * k) * w)
        rng = np.random.default_rng(0)
        for dx, dy in rng.integers(-2, 3, (300, 2)):  # at rest 3 px past the last point kept
            touch("touchMove", 0.5 * w + int(dx), 0.8 * w + 3 + int(dy))
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        assert settle(page, 1)["number"] == "1"
        assert len(page.evaluate("() => window.digitPage.drawing().strokes[0]")) <= 23  # the line's 21, and 2 more
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("key", ["u", "r"])
def test_a_late_answer_never_shows_erased_ink(server_url, browser, key):
    """An answer to ink that Undo or Clear erased while it was on its way is never shown."""
    context, page, errors = open_page(browser, server_url, DESKTOP)
    try:
        side = page.locator("#pad").bounding_box()["width"]
        draw(page, number_strokes("4", side))
        assert settle(page, 2)["number"] == "4"
        page.evaluate(HOLD_ANSWERS)
        draw(page, [[(side * 0.8, side * 0.2), (side * 0.8, side * 0.8)]])  # a third stroke: its request is held
        page.wait_for_function("() => window.held.length === 1")
        page.keyboard.press(key)  # undo that stroke, or clear all, while its answer is on its way
        erased_at = page.evaluate("() => window.digitPage.version")
        page.evaluate("() => { window.holding = false; window.held.forEach((go) => go()); }")
        answer = settle(page, 2 if key == "u" else 0)
        shown = page.evaluate("() => window.shownVersions")
        assert shown and all(v >= erased_at for v in shown), (erased_at, shown)
        if key == "u":
            assert answer["number"] == "4" and page.evaluate("() => window.digitPage.stats.answers") >= 2
        else:
            assert answer == {"number": "", "digits": []} and text(page, "#empty") == "draw a digit"
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize(
    "viewport",
    [
        {"width": 844, "height": 390},
        {"width": 667, "height": 375},
        {"width": 568, "height": 320},
        {"width": 1366, "height": 650},
    ],
)
def test_the_canvas_and_its_buttons_fit_a_short_screen(server_url, browser, viewport):
    """A phone held sideways, a short laptop screen: the whole canvas and its buttons are in view,
    since a finger on the canvas draws and cannot scroll the page to reach them, and so is the
    reading beside it (667 px wide, the pane was stacked below the canvas, out of view). On the
    smallest phone (568x320) the canvas was 154 px and "Photo..." lay under the pane, which took
    its taps (a user trial): each button is in its column, and a tap at its middle reaches it."""
    touch = {"has_touch": True, "is_mobile": True} if viewport["height"] < 500 else {}
    context, page, errors = open_page(browser, server_url, viewport, **touch)
    try:
        pad = page.locator("#pad").bounding_box()
        clear = page.locator("#clear").bounding_box()
        assert pad["y"] + pad["height"] <= viewport["height"] and clear["y"] + clear["height"] <= viewport["height"]
        assert pad["width"] >= 238 and page.evaluate("() => window.scrollY") == 0  # 240 with its border
        panel = page.locator("#panel").bounding_box()
        for button in ("#undo", "#clear", "#open-photo"):
            box = page.locator(button).bounding_box()
            assert box["x"] + box["width"] <= panel["x"] and box["y"] + box["height"] <= viewport["height"]
            middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).id", middle) == button[1:]
        draw(page, number_strokes("5", pad["width"]))
        assert settle(page)["number"] == "5"
        digit = page.locator("#digit").bounding_box()
        assert digit["y"] + digit["height"] <= viewport["height"]
        page.set_viewport_size({"width": viewport["width"], "height": 900})  # a taller window: back to full size
        page.wait_for_function(
            f"() => document.getElementById('pad').getBoundingClientRect().width > {pad['width'] + 20}"
        )
        assert errors == []
    finally:
        context.close()


def test_a_failed_request_is_tried_again_without_new_ink(server_url, browser):
    """A server that is down, restarting or failing when the last stroke is sent: the page says so,
    tries again on its own, and shows the answer once the server answers."""
    context, page, _ = open_page(browser, server_url, DESKTOP)
    down = {"now": True, "refused": 0}

    def flaky(route):
        if down["now"]:
            down["refused"] += 1
            route.abort("connectionrefused")
        else:
            route.continue_()

    try:
        page.route("**/api/predict*", flaky)
        side = page.locator("#pad").bounding_box()["width"]
        draw(page, number_strokes("7", side))
        page.wait_for_function("() => document.getElementById('status').textContent.includes('cannot reach')")
        refused = down["refused"]
        page.wait_for_timeout(1500)
        assert down["refused"] > refused  # it keeps trying while the server is down ...
        down["now"] = False
        assert settle(page, 1)["number"] == "7"  # ... and reads the ink once it is back, with no new ink
        assert text(page, "#status") == "ready"
        assert "stale" not in page.locator("#panel").get_attribute("class")
        page.unroute("**/api/predict*")

        page.route("**/api/predict*", lambda route: route.abort("connectionrefused"))
        draw(page, [[(side * 0.2, side * 0.9), (side * 0.8, side * 0.9)]])
        page.wait_for_function("() => document.body.dataset.state === 'error'")
        # the "7" still shown reads ink that has changed: dimmed, not shown as the answer
        assert "stale" in page.locator("#panel").get_attribute("class")
        page.keyboard.press("r")  # nothing left to read: nothing is wrong any more
        settle(page, 0)
        assert text(page, "#status") == "ready"
        assert "stale" not in page.locator("#panel").get_attribute("class")
    finally:
        context.close()


def test_undo_after_clear_brings_the_drawing_back(server_url, browser):
    """Clear (R, a right click, a pen's barrel button) wiped the drawing for good (an outside review
    of the page): Undo puts it back, until a new stroke is drawn."""
    context, page, errors = open_page(browser, server_url, DESKTOP)
    try:
        side = page.locator("#pad").bounding_box()["width"]
        draw(page, number_strokes("47", side))
        assert settle(page)["number"] == "47"
        page.keyboard.press("r")
        settle(page, 0)
        assert text(page, "#empty") == "draw a digit"
        assert not page.locator("#undo").is_disabled() and page.locator("#clear").is_disabled()
        page.locator("#undo").click()
        assert settle(page)["number"] == "47"
        page.keyboard.press("r")
        draw(page, [[(side * 0.5, side * 0.2), (side * 0.5, side * 0.8)]])
        assert settle(page, 1)["number"] == "1"
        page.keyboard.press("u")
        page.wait_for_function("() => window.digitPage.strokes === 0")
        assert page.locator("#undo").is_disabled()  # the drawing cleared before the 1 is gone for good
        assert errors == []
    finally:
        context.close()


def test_clearing_from_the_keyboard_keeps_the_focus_on_the_page(server_url, browser):
    """Space on the focused Clear button cleared the canvas and disabled the button, and the focus
    fell to the page's body: Tab started over from the top. It stays on the canvas."""
    context, page, errors = open_page(browser, server_url, DESKTOP)
    try:
        side = page.locator("#pad").bounding_box()["width"]
        draw(page, number_strokes("7", side))
        settle(page, 1)
        page.focus("#clear")
        page.keyboard.press("Space")
        settle(page, 0)
        assert page.locator("#clear").is_disabled()
        assert page.evaluate("() => document.activeElement.id") == "pad"
        assert errors == []
    finally:
        context.close()


def test_a_screen_reader_names_the_buttons_and_the_images_plainly(server_url, browser):
    """The buttons' key hints were read as part of their names ("Undo U"), and the 28x28 view was a
    canvas with a label but no role; they are now a button "Undo" with its keys and an image."""
    context, page, errors = open_page(browser, server_url, DESKTOP)
    try:
        side = page.locator("#pad").bounding_box()["width"]
        draw(page, number_strokes("7", side))
        settle(page, 1)
        undo = page.get_by_role("button", name="Undo", exact=True)
        assert undo.get_attribute("aria-keyshortcuts") == "U Control+Z"
        assert page.get_by_role("button", name="Clear", exact=True).is_enabled()
        assert page.get_by_role("img", name="The 28 by 28 image the model saw").is_visible()
        undo.click()
        settle(page, 0)
        assert errors == []
    finally:
        context.close()


def test_undo_marks_the_answer_shown_out_of_date_and_a_slow_one_says_reading(server_url, browser):
    context, page, errors = open_page(browser, server_url, DESKTOP)
    try:
        side = page.locator("#pad").bounding_box()["width"]
        draw(page, number_strokes("47", side))
        assert settle(page, 3)["number"] == "47"
        page.evaluate(HOLD_ANSWERS)
        page.keyboard.press("u")  # its answer is held: the "47" shown reads a stroke that is gone
        page.wait_for_function("() => window.held.length === 1")
        assert "stale" in page.locator("#panel").get_attribute("class")
        page.wait_for_function("() => document.getElementById('status').textContent === 'reading…'")
        page.evaluate("() => { window.holding = false; window.held.forEach((go) => go()); }")
        assert settle(page, 2)["number"] == "4"
        assert "stale" not in page.locator("#panel").get_attribute("class") and text(page, "#status") == "ready"
        assert errors == []
    finally:
        context.close()


def test_a_digit_answered_before_the_pen_lifts_is_announced(server_url, browser):
    """Screen readers hear the reading once a stroke is done, also when the answer came while the
    pen rested before lifting."""
    context, page, errors = open_page(browser, server_url, DESKTOP)
    try:
        side = page.locator("#pad").bounding_box()["width"]
        box = page.locator("#pad").bounding_box()
        points = densify([(side * 0.5, side * 0.2), (side * 0.5, side * 0.8)])
        page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y)
        settle(page, 1)  # answered while the button is still down
        assert page.locator("#said").text_content() == ""
        page.mouse.up()
        assert page.locator("#said").text_content() == "read: 1"
        assert errors == []
    finally:
        context.close()


def test_an_answer_cut_off_is_tried_again_and_a_failure_after_clear_is_no_error(server_url, browser):
    """A connection that drops in the middle of an answer is not shown as a blank reading: the page
    asks again. A request that fails after Clear emptied the canvas leaves no error behind."""
    context, page, errors = open_page(browser, server_url, DESKTOP)
    cut = {"now": True, "n": 0}

    def cut_off(route):
        if cut["now"]:
            cut["n"] += 1
            route.fulfill(status=200, content_type="application/json", body='{"number": "7", "dig')
        else:
            route.continue_()

    try:
        side = page.locator("#pad").bounding_box()["width"]
        page.route("**/api/predict*", cut_off)
        draw(page, [[(side * 0.3, side * 0.2), (side * 0.7, side * 0.2), (side * 0.45, side * 0.8)]])
        page.wait_for_timeout(1000)  # every answer to the finished digit cut off ...
        assert cut["n"] >= 2 and "cut off" in text(page, "#status")
        cut["now"] = False
        assert settle(page, 1)["number"] == "7"  # ... until one arrives whole, with no new ink
        assert text(page, "#status") == "ready"
        page.unroute("**/api/predict*")

        held = []
        page.route("**/api/predict*", lambda route: held.append(route))
        draw(page, [[(side * 0.8, side * 0.2), (side * 0.8, side * 0.8)]])
        page.wait_for_function("() => window.digitPage.busy")
        while not held:
            page.wait_for_timeout(50)
        page.keyboard.press("r")  # cleared while the request is on its way ...
        page.wait_for_function("() => window.digitPage.strokes === 0")
        held[0].abort("connectionrefused")  # ... and then it fails
        page.wait_for_timeout(1000)
        assert text(page, "#status") == "ready" and page.evaluate("() => document.body.dataset.state") == "ready"
        assert text(page, "#empty") == "draw a digit"
    finally:
        context.close()


def test_lines_of_writing_show_apart(server_url, browser):
    """Two numbers written one under the other: the pane shows "85 47", as the answer's number has it."""
    context, page, errors = open_page(browser, server_url, DESKTOP)
    try:
        side = page.locator("#pad").bounding_box()["width"]
        strokes = []
        for row, text_ in enumerate(("85", "47")):
            for i, d in enumerate(text_):
                box = (side * (0.1 + 0.3 * i), side * (0.08 + 0.5 * row), side * 0.2, side * 0.32)
                strokes += digit_strokes(int(d), round(side), box=box)
        draw(page, strokes)
        answer = settle(page, len(strokes))
        assert answer["number"] == "85 47" and [d["line"] for d in answer["digits"]] == [0, 0, 1, 1], answer
        assert text(page, "#number") == "85 47"
        assert text(page, "#said") == "read: 8, 5, next line, 4, 7"  # it was said "8, 5, 4, 7"
        page.keyboard.press("r")
        zigzag = [[(side * (0.2 + 0.6 * (k % 2)), side * (0.2 + 0.02 * k)) for k in range(30)]]
        draw(page, zigzag)
        settle(page, 1)
        assert text(page, "#said") == "read: not sure (scribble)"  # the reason, as the pane shows it
        assert not errors, errors
    finally:
        context.close()


def test_a_minus_is_shown_before_a_digit_alone(server_url, browser):
    """ "-5" showed "5": a digit alone has no number line, where a minus would be shown; said "minus"."""
    context, page, errors = open_page(browser, server_url, DESKTOP)
    try:
        side = page.locator("#pad").bounding_box()["width"]
        minus = [(side * 0.12, side * 0.5), (side * 0.28, side * 0.5)]  # written first, half way up the digit
        five = digit_strokes(5, round(side), box=(side * 0.4, side * 0.25, side * 0.3, side * 0.5))
        draw(page, [minus, *five])
        answer = settle(page, 1 + len(five))
        assert answer["number"] == "-5", answer
        assert text(page, "#digit") == "-5" and not page.locator("#number-block").is_visible()
        assert text(page, "#said") == "read: minus, 5"
        assert not errors, errors
    finally:
        context.close()


def test_a_stroke_pressed_beside_the_canvas_starts_where_it_enters(server_url, browser):
    """Pressed on the page just above the canvas and dragged in, a digit drew nothing and the drag
    selected the page's text: as in the desktop app, the stroke starts where the pointer enters."""
    context, page, errors = open_page(browser, server_url, DESKTOP)
    try:
        box = page.locator("#pad").bounding_box()
        side = box["width"]
        page.mouse.move(box["x"] + side * 0.5, box["y"] - 25)  # on the page, above the canvas
        page.mouse.down()
        for x, y in densify([(side * 0.5, -20.0), (side * 0.5, side * 0.8)]):
            page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.up()
        assert settle(page, 1)["number"] == "1"
        assert page.evaluate("() => String(window.getSelection())") == ""
        assert errors == []
    finally:
        context.close()


def test_a_slow_answer_dims_the_reading_of_older_ink_and_full_ink_says_so_at_once(server_url, browser):
    """A stroke added while the server was slow left the answer to the ink before it shown at full
    strength; and at the request's point limit the pen stopped drawing without a word."""
    context, page, errors = open_page(browser, server_url, DESKTOP)

    def few_points(route):  # the page as served, with a limit of 60 points a request
        html = route.fetch().text()
        route.fulfill(
            status=200, content_type="text/html", body=re.sub(r'data-max-points="\d+"', 'data-max-points="60"', html)
        )

    try:
        side = page.locator("#pad").bounding_box()["width"]
        draw(page, number_strokes("4", side))
        assert settle(page)["number"] == "4"
        page.evaluate(HOLD_ANSWERS)
        draw(page, [[(side * 0.8, side * 0.2), (side * 0.8, side * 0.8)]])
        page.wait_for_function("() => document.getElementById('status').textContent === 'reading…'")
        assert "stale" in page.locator("#panel").get_attribute("class")
        page.evaluate("() => { window.holding = false; window.held.forEach((go) => go()); }")
        settle(page)
        assert "stale" not in page.locator("#panel").get_attribute("class")
        page.route("**/", few_points)
        page.goto(server_url + "/")
        page.wait_for_selector("#pad")
        page.mouse.move(box_x(page) + side * 0.2, box_y(page) + side * 0.5)
        page.mouse.down()
        for k in range(80):  # one stroke of 80 points, each move a point's: the pen stops at 60, and says why
            page.mouse.move(box_x(page) + side * (0.2 + 0.3 * (k % 2)), box_y(page) + side * (0.2 + 0.007 * k))
        assert "as much ink as one request may carry" in text(page, "#status")
        page.mouse.up()
        assert errors == []
    finally:
        context.close()


def box_x(page) -> float:
    return page.locator("#pad").bounding_box()["x"]


def box_y(page) -> float:
    return page.locator("#pad").bounding_box()["y"]


@pytest.mark.parametrize(
    "status, content_type, body, says, retries",
    [
        (400, "application/json", '{"error": "bad JSON: Expecting value"}', "could not read this drawing (400)", False),
        (413, "application/json", '{"error": "body too large"}', "too large to send", False),
        (429, "text/plain", "slow down", "busy: trying again", True),
        (200, "text/html", "<html>please log in</html>", "not a reading", False),
    ],
)
def test_a_refused_or_foreign_answer_is_said_plainly_and_retried_only_if_it_may_pass(
    server_url, browser, status, content_type, body, says, retries
):
    """The page showed the server's raw words ("bad JSON: Expecting value: line 1 column 1") or a
    bare status, and a login page answered with 200 was called "cut off" and asked for for ever."""
    context, page, _ = open_page(browser, server_url, DESKTOP)
    asked = {"n": 0}

    def answer(route):
        asked["n"] += 1
        route.fulfill(status=status, content_type=content_type, body=body)

    try:
        page.route("**/api/predict*", answer)
        side = page.locator("#pad").bounding_box()["width"]
        draw(page, number_strokes("7", side))
        page.wait_for_function("() => document.body.dataset.state === 'error'")
        assert says in text(page, "#status")
        page.wait_for_timeout(1200)  # a throttled request for the last ink may still go out once
        first = asked["n"]
        page.wait_for_timeout(1800)  # a retry comes 0.5, 1, 2, then every 4 s
        assert (asked["n"] > first) == retries, (first, asked["n"])
    finally:
        context.close()


def number_photo(path: Path, digits: str) -> Path:
    """A picture of a number: the fixture digits (dark ink on light paper) side by side, wider than tall."""
    tiles = [np.asarray(Image.open(ROOT / "tests" / "fixtures" / "digits" / f"{d}.png").convert("L")) for d in digits]
    Image.fromarray(np.hstack(tiles)).save(path)
    return path


def test_a_photo_is_read_with_its_boxes_on_it_and_a_stroke_puts_it_away(server_url, browser, tmp_path):
    """The page had no way to read a photo, though the API reads PNG and JPEG: Photo... (or a file
    dropped on the canvas) shows it in the canvas's square, reads it, and boxes its digits on it; the
    next stroke puts it away and reads the drawing; a file that is no picture is refused in words."""
    strict = browser.new_context(viewport=DESKTOP)  # the page's own Content-Security-Policy, not bypassed
    try:  # the photo shown from the page's copy of the file (a blob: URL the policy must allow)
        page = strict.new_page()
        page.goto(server_url + "/")
        page.set_input_files("#photo", str(number_photo(tmp_path / "47.png", "47")))
        for _ in range(200):
            if page.evaluate("() => document.body.dataset.state === 'ready' && document.body.dataset.number !== ''"):
                break
            page.wait_for_timeout(50)
        assert page.evaluate(
            "() => [document.body.dataset.number, document.getElementById('photo-view').naturalWidth]"
        ) == [
            "47",
            480,
        ]
        assert page.locator("#boxes .box").count() == 2
    finally:
        strict.close()
    context, page, errors = open_page(browser, server_url, DESKTOP)
    try:
        page.set_input_files("#photo", str(number_photo(tmp_path / "47.png", "47")))
        page.wait_for_function("() => document.body.dataset.number === '47' && document.body.dataset.state === 'ready'")
        assert page.evaluate("() => window.digitPage.photo") and page.locator("#photo-view").is_visible()
        pad = page.locator("#pad").bounding_box()
        boxes = page.locator("#boxes .box")
        assert boxes.count() == 2
        shown = [boxes.nth(k).bounding_box() for k in range(2)]
        # the picture is twice as wide as tall: fitted in the square, it fills the middle half of its height
        for b in shown:
            assert pad["y"] + pad["height"] * 0.2 < b["y"] and b["y"] + b["height"] < pad["y"] + pad["height"] * 0.8
        assert shown[0]["x"] + shown[0]["width"] < shown[1]["x"]  # the 4's box left of the 7's
        assert not page.locator("#clear").is_disabled()

        side = pad["width"]
        draw(page, [[(side * 0.5, side * 0.2), (side * 0.5, side * 0.8)]])
        assert settle(page, 1)["number"] == "1"
        assert not page.evaluate("() => window.digitPage.photo") and page.locator("#photo-view").is_hidden()

        (tmp_path / "notes.png").write_text("not a picture")
        page.set_input_files("#photo", str(tmp_path / "notes.png"))
        page.wait_for_function("() => document.body.dataset.state === 'error'")
        assert "not a PNG or JPEG image" in text(page, "#status")
        assert text(page, "#empty") == "this photo was not read"  # not "reading the photo..." for good
        assert "stale" not in page.locator("#panel").get_attribute("class")
        page.keyboard.press("r")  # Clear puts the photo away too
        assert page.locator("#photo-view").is_hidden() and text(page, "#status") == "ready"
        assert [e for e in errors if "Failed to load resource" not in e] == []
    finally:
        context.close()


def test_a_notice_gives_the_status_back_and_ink_waiting_behind_a_request_says_reading(server_url, browser, tmp_path):
    """From an outside review of the page: a file refused while a photo was shown left its notice on
    the status line for good (the photo's "ready" was not restored); and ink drawn after a Clear while
    the request of the ink before it was held said "ready" until that request came back."""
    context, page, errors = open_page(browser, server_url, DESKTOP)
    try:
        page.set_input_files("#photo", str(number_photo(tmp_path / "47.png", "47")))
        page.wait_for_function("() => document.body.dataset.number === '47' && document.body.dataset.state === 'ready'")
        (tmp_path / "notes.txt").write_text("not a picture")
        page.set_input_files("#photo", str(tmp_path / "notes.txt"))
        assert "PNG and JPEG" in text(page, "#status")
        page.wait_for_function("() => document.getElementById('status').textContent === 'ready'", timeout=5000)
        page.keyboard.press("r")

        side = page.locator("#pad").bounding_box()["width"]
        page.evaluate(HOLD_ANSWERS)
        draw(page, number_strokes("3", side))
        page.wait_for_function("() => window.held.length === 1")
        page.keyboard.press("r")  # the 3's request is still out
        assert text(page, "#status") == "ready"
        page.wait_for_timeout(900)  # past SLOW_MS: nothing is waiting, nothing said
        assert text(page, "#status") == "ready"
        draw(page, number_strokes("5", side))  # waits for the 3's request to come back
        page.wait_for_function("() => document.getElementById('status').textContent === 'reading…'", timeout=3000)
        assert "stale" in page.locator("#panel").get_attribute("class")
        page.evaluate("() => { window.holding = false; window.held.forEach((go) => go()); }")
        assert settle(page)["number"] == "5" and text(page, "#status") == "ready"
        assert [e for e in errors if "Failed to load resource" not in e] == []
    finally:
        context.close()


def test_a_photo_the_server_fails_is_said_once_and_clear_keeps_the_keyboards_focus(server_url, browser, tmp_path):
    """A 502 for a photo said "trying again" and was never sent again; a drawing's late answer said
    "ready" over a photo still being read; Clear from the keyboard on a photo dropped the focus."""
    context, page, errors = open_page(browser, server_url, DESKTOP)
    asked = {"n": 0}

    def failing(route):
        asked["n"] += route.request.headers.get("content-type", "").startswith("image/")  # photos only
        route.fulfill(status=502, content_type="text/html", body="<html>bad gateway</html>")

    try:
        side = page.locator("#pad").bounding_box()["width"]
        draw(page, number_strokes("4", side))
        page.evaluate(HOLD_ANSWERS)
        draw(page, [[(side * 0.8, side * 0.2), (side * 0.8, side * 0.8)]])  # its answer held
        page.wait_for_function("() => window.held.length >= 1")
        page.route("**/api/predict*", failing)
        page.set_input_files("#photo", str(number_photo(tmp_path / "7.png", "7")))
        page.evaluate("() => { window.holding = false; window.held.forEach((go) => go()); }")
        page.wait_for_function("() => document.body.dataset.state === 'error'")
        assert "try the photo again" in text(page, "#status") and asked["n"] == 1
        page.wait_for_timeout(1500)
        assert asked["n"] == 1 and "try the photo again" in text(page, "#status")
        page.focus("#clear")
        page.keyboard.press("Enter")
        page.wait_for_function("() => !window.digitPage.photo")
        assert page.evaluate("() => document.activeElement.id") == "pad"
    finally:
        context.close()
