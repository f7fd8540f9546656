"use strict";
// The page: strokes drawn with pointer events (mouse, pen, touch) the way the desktop app draws
// them (ui/canvas.py: white on black, round caps; recognizer/strokes.py: brush = canvas side / BRUSH_DIVISOR), posted to
// POST /api/predict while drawing (at most one request in flight, at most every THROTTLE_MS; the
// first stroke is sent at once), and the answer shown: the number, a box and label per digit, the
// last digit's probability bars and the 28x28 image the model saw, "not sure" with its reason.

const THROTTLE_MS = 100; // between two posts while drawing (bench/load.py simulates users this way)
// A move shorter than POINT_STEP px (or 1/STEP_SIDES of a smaller canvas's side, 1 px at least) from the
// stroke's last point adds no point: a resting pen's or finger's jitter (ui/canvas.py)
const POINT_STEP = 6;
const STEP_SIDES = 40;
const MAX_SIDE = 560; // px: the desktop app's default canvas
const MIN_FIT = 240; // px: the canvas shrinks to fit a short window's height, to no less than this
const FIT_MARGIN = 8; // px left below the buttons when the canvas fits the window's height
const SLOW_MS = 800; // a request taking longer than this shows "reading…" ...
const STILL_WAITING_MS = 10000; // ... and this long, that the server is slow (it is never given up: see send)
const RETRY_MS = [500, 1000, 2000, 4000]; // after a failed request, the waits before trying again (+-20%)
const UNSURE_MARK = "?";
const MARK_NAMES = { ".": "point", ",": "comma", ":": "colon", "-": "dash", "/": "slash" }; // marks between digits, as a screen reader says them
const API = "/api/predict?image=1";

const page = document.body;
const BRUSH_DIVISOR = Number(page.dataset.brushDivisor) || 22;
const MIN_BRUSH = Number(page.dataset.minBrush) || 3;
const MAX_STROKES = Number(page.dataset.maxStrokes) || 200;
const MAX_POINTS = Number(page.dataset.maxPoints) || 20000;
const MAX_IMAGE_BYTES = Number(page.dataset.maxImageBytes) || 8 << 20;
const PHOTO_TYPES = ["image/png", "image/jpeg"]; // what the API reads (web/api.py IMAGE_TYPES; browsers never say image/jpg)

const $ = (id) => document.getElementById(id);
const pad = $("pad");
const ctx = pad.getContext("2d");
const wrap = $("pad-wrap");

// ink.version counts changes; ink.erased is the first version after the last undo or clear: an answer
// to older ink may still be on its way, and it reads strokes that are gone, so it is never shown.
// cleared: what Clear took away ({strokes, points}), until the next stroke: Undo puts it back (a right
// click or a pen's barrel button clears at a touch, and the drawing was gone for good)
const ink = {
  strokes: [], points: 0, side: 0, version: 0, erased: 0, pointerId: null, pointerType: "", cleared: null,
  clearedBefore: null, // what Undo brought back before the stroke being drawn began (dropStroke restores it)
};
const net = {
  inFlight: false, sentVersion: -1, shownVersion: 0, lastSent: -Infinity, timer: null, error: null,
  retry: null, failures: 0, // after a failed request: the timer that tries again, and how many failed in a row
};
// A photo being read or shown (Photo…, or dropped on the canvas): its answer's boxes are placed on
// it as the browser fits it in the canvas's square; the next stroke puts it away.
const shot = { shown: false, answer: null, width: 0, height: 0, asked: 0 };
// What the browser test (tests/test_web_browser.py) reads: first ink and first answer shown, in ms.
const stats = { firstInk: null, firstShown: null, requests: 0, answers: 0, last: null };
window.digitPage = {
  stats,
  get version() { return ink.version; },
  get shownVersion() { return net.shownVersion; },
  get busy() { return net.inFlight || net.timer !== null; },
  get strokes() { return ink.strokes.length; },
  get photo() { return shot.shown; },
  drawing() { return { side: ink.side, pen: brush(), strokes: ink.strokes }; },
};

// ---- the canvas -----------------------------------------------------------------------------
function brush() {
  return Math.max(MIN_BRUSH, Math.round(ink.side / BRUSH_DIVISOR));
}

function radius() {
  // recognizer/strokes.py draws with radius max(1, width // 2): the same here, so the page shows
  // exactly the ink the server reads.
  return Math.max(1, Math.floor(brush() / 2));
}

function fitHeight() {
  // The canvas and its buttons fit the window's height too (a phone held sideways, a short laptop
  // screen): the canvas takes touches for drawing, so a page that must be scrolled to reach the
  // canvas's bottom or the buttons cannot be scrolled by a finger on it.
  const card = wrap.parentElement;
  const box = wrap.getBoundingClientRect();
  const below = card.getBoundingClientRect().bottom - box.bottom; // the buttons
  const fit = Math.floor(window.innerHeight - (box.top + window.scrollY) - below - FIT_MARGIN);
  card.style.maxWidth = `${Math.max(MIN_FIT, Math.min(MAX_SIDE, fit))}px`;
}

function layout() {
  const side = Math.max(28, Math.floor(Math.min(MAX_SIDE, wrap.clientWidth)));
  const dpr = window.devicePixelRatio || 1;
  if (side === ink.side && pad.width === Math.round(side * dpr)) return;
  if (ink.side && side !== ink.side) { // scale what was drawn with the canvas, as the desktop app does
    const f = side / ink.side;
    const scaled = (strokes) => strokes.map((s) => s.map(([x, y]) => [x * f, y * f]));
    ink.strokes = scaled(ink.strokes);
    if (ink.cleared) ink.cleared.strokes = scaled(ink.cleared.strokes);
  }
  ink.side = side;
  pad.width = pad.height = Math.round(side * dpr);
  pad.style.width = pad.style.height = `${side}px`;
  ctx.setTransform(pad.width / side, 0, 0, pad.height / side, 0, 0);
  redraw();
  if (ink.strokes.length) changed();
  else if (shot.answer) placePhotoBoxes(); // the photo is fitted to the new size by the browser
}

function redraw() {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, ink.side, ink.side);
  for (const stroke of ink.strokes) {
    drawSegment(stroke[0], stroke[0]);
    for (let i = 1; i < stroke.length; i++) drawSegment(stroke[i - 1], stroke[i]);
  }
  clearBoxes();
}

function drawSegment(a, b) {
  ctx.strokeStyle = ctx.fillStyle = "#fff";
  ctx.lineWidth = 2 * radius();
  ctx.lineCap = ctx.lineJoin = "round";
  if (a === b) {
    ctx.beginPath();
    ctx.arc(a[0], a[1], radius(), 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.beginPath();
  ctx.moveTo(a[0], a[1]);
  ctx.lineTo(b[0], b[1]);
  ctx.stroke();
}

function pointOf(event) {
  const r = pad.getBoundingClientRect();
  const clamp = (v) => Math.min(Math.max(v, -ink.side), 2 * ink.side); // as ui/canvas.py
  return [clamp(event.clientX - r.left), clamp(event.clientY - r.top)];
}

const FULL_TEXT = "That is as much ink as one request may carry: undo or clear first.";

function begin(point) {
  if (ink.strokes.length >= MAX_STROKES || ink.points >= MAX_POINTS) {
    notice(FULL_TEXT);
    return false;
  }
  if (shot.shown) hidePhoto(); // drawing again: the photo's reading is put away with it
  if (stats.firstInk === null) stats.firstInk = performance.now();
  ink.clearedBefore = ink.cleared;
  ink.cleared = null; // a new drawing: Undo takes its strokes back, not the one cleared before it
  ink.strokes.push([point]);
  ink.points += 1;
  drawSegment(point, point);
  changed();
  return true;
}

function extend(point) {
  const stroke = ink.strokes[ink.strokes.length - 1];
  const last = stroke[stroke.length - 1];
  const step = Math.max(1, Math.min(POINT_STEP, ink.side / STEP_SIDES));
  if (Math.hypot(point[0] - last[0], point[1] - last[1]) < step) return;
  if (ink.points >= MAX_POINTS) { // said as the pen stops drawing, not at the next press
    if (noticeTimer === null) notice(FULL_TEXT);
    return;
  }
  stroke.push(point);
  ink.points += 1;
  drawSegment(last, point);
  changed();
}

function end() {
  ink.pointerId = null;
  page.dataset.drawing = "no";
  if (stats.last && net.shownVersion === ink.version) announce(stats.last); // answered before the lift
}

function dropStroke() {
  // The stroke being drawn taken away, not kept for Undo: it was never meant (a gesture's, a resting
  // hand's); what Undo could bring back before it (a drawing cleared) it brings back still
  ink.points -= ink.strokes.pop().length;
  if (!ink.strokes.length) ink.cleared = ink.clearedBefore;
  end();
  erased();
}

function undo() {
  end();
  if (!ink.strokes.length && ink.cleared) { // the drawing Clear (or a photo) took away, back
    if (shot.shown) hidePhoto();
    ({ strokes: ink.strokes, points: ink.points } = ink.cleared);
    ink.cleared = null;
    erased();
    return;
  }
  if (!ink.strokes.length) return;
  ink.points -= ink.strokes.pop().length;
  erased();
}

function clearAll() {
  end();
  if (shot.shown) { // a photo on the canvas (never beside ink): cleared like ink, to an empty reading
    hidePhoto();
    predictSoon();
  }
  if (!ink.strokes.length) return;
  ink.cleared = { strokes: ink.strokes, points: ink.points };
  ink.strokes = [];
  ink.points = 0;
  erased();
}

function erased() {
  ink.erased = ink.version + 1;
  $("panel").classList.toggle("stale", ink.strokes.length > 0); // the answer shown reads ink now gone
  redraw();
  changed();
}

function changed() {
  ink.version += 1;
  page.dataset.version = ink.version;
  const focused = document.activeElement; // taken before: a button turning disabled loses it at once
  $("clear").disabled = ink.strokes.length === 0;
  $("undo").disabled = ink.strokes.length === 0 && !ink.cleared;
  // ... and the keyboard's focus fell to the page's body: it stays on the canvas instead
  if (focused && focused.disabled) pad.focus();
  $("placeholder").hidden = ink.strokes.length > 0;
  net.failures = 0; // new ink: the next failure waits the shortest time again
  predictSoon();
}

// ---- pointer and keys -----------------------------------------------------------------------
function startStroke(e) {
  e.preventDefault();
  layout(); // backed again if the pixel ratio changed unannounced (headless Chromium's emulation fires no event)
  if (!begin(pointOf(e))) return;
  ink.pointerId = e.pointerId;
  ink.pointerType = e.pointerType;
  page.dataset.drawing = "yes"; // the page's text is not selected while drawing (style.css)
  pad.setPointerCapture(e.pointerId); // keep the stroke when the pointer leaves the canvas
}

pad.addEventListener("pointerdown", (e) => {
  if (e.button === 2) { clearAll(); return; } // right click clears, as in the desktop app
  if (e.button !== 0) return;
  if (ink.pointerId !== null) {
    // A second finger: a pinch or a two-finger swipe, whose first finger's stroke is no writing; a
    // pen landing while a finger draws: the finger was the hand resting on the screen (a user trial:
    // a palm down first left a dot and the pen's digit was not drawn). Either way that stroke goes.
    if (ink.pointerType !== "touch" || (e.pointerType !== "touch" && e.pointerType !== "pen")) return;
    dropStroke();
    if (e.pointerType === "touch") return; // the gesture draws nothing
  }
  startStroke(e);
});

// A mouse or pen pressed beside the canvas starts a stroke where it enters it, as in the desktop
// app: pressed just above the canvas, a digit drew nothing and the drag selected the page's text.
// (A finger pressed beside it scrolls the page, as it should.)
pad.addEventListener("pointerenter", (e) => {
  if (e.pointerType === "touch" || (e.buttons & 1) === 0) return;
  if (ink.pointerId !== null) { // a pen entering while a finger draws: the hand resting, as in pointerdown
    if (ink.pointerType !== "touch" || e.pointerType !== "pen") return;
    dropStroke();
  }
  window.getSelection()?.removeAllRanges();
  startStroke(e);
});

pad.addEventListener("pointermove", (e) => {
  if (e.pointerId !== ink.pointerId) return;
  const events = (e.getCoalescedEvents && e.getCoalescedEvents()) || [];
  for (const ev of events.length ? events : [e]) extend(pointOf(ev));
});

for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
  pad.addEventListener(type, (e) => { if (e.pointerId === ink.pointerId) end(); });
}
pad.addEventListener("contextmenu", (e) => e.preventDefault());

document.addEventListener("keydown", (e) => {
  const key = e.key.toLowerCase();
  if ((e.ctrlKey || e.metaKey) && key === "z" && !e.shiftKey && !e.altKey) {
    e.preventDefault();
    undo();
  } else if (!e.ctrlKey && !e.metaKey && !e.altKey) {
    if (key === "u") undo();
    else if (key === "r") clearAll();
  }
});
// A button acts on its click (mouse, keyboard, pen) and, for a finger, on the tap's touchend itself:
// Chromium drops the click of a tap that comes within 180 ms of a stroke lifted while still moving
// (it reads the lift as a fling and the tap as the touch that stops it: its tap suppression), and
// finishing a digit, then tapping Undo or Clear at once is just that. preventDefault() cancels the
// click that may follow, so a tap acts once.
for (const [id, action] of [["undo", undo], ["clear", clearAll]]) {
  const button = $(id);
  button.addEventListener("click", action);
  button.addEventListener("touchend", (e) => {
    const touch = e.changedTouches[0];
    // Not a tap: a scroll (the touchend is then not cancelable), a second finger, or a finger that
    // slid off the button before lifting.
    if (!e.cancelable || e.touches.length || !button.contains(document.elementFromPoint(touch.clientX, touch.clientY))) {
      return;
    }
    e.preventDefault();
    action();
  });
}

// ---- prediction -----------------------------------------------------------------------------
function predictSoon() {
  clearTimeout(net.retry); // new ink tries again now (still at most every THROTTLE_MS)
  net.retry = null;
  if (!ink.strokes.length) { // nothing to read: no need to ask the server, and nothing is wrong
    if (shot.shown) return; // a photo on the canvas: its reading stays
    show({ number: "", digits: [] }, ink.version, ink.side);
    net.error = null;
    setStatus("ready", "ready");
    return;
  }
  if (net.inFlight) { // sent when the answer comes; until then, say that this ink is waiting
    sayWaiting();
    return;
  }
  if (net.timer !== null || ink.version === net.sentVersion) return;
  const wait = net.lastSent + THROTTLE_MS - performance.now();
  if (wait > 0) {
    net.timer = setTimeout(() => { net.timer = null; predictSoon(); }, wait);
    return;
  }
  send();
}

async function send() {
  const version = ink.version;
  const side = ink.side;
  const round = (v) => Math.round(v * 10) / 10;
  const body = JSON.stringify({
    width: side, height: side, pen: brush(),
    strokes: ink.strokes.map((s) => s.map(([x, y]) => [round(x), round(y)])),
  });
  net.inFlight = true;
  net.sentVersion = version;
  net.lastSent = performance.now();
  stats.requests += 1;
  page.dataset.state = "busy";
  // No time limit: a server that is only slow (a long queue) answers in the end, while a request given
  // up and sent again would queue the same work twice and make every page wait longer still.
  const slow = setTimeout(sayWaiting, SLOW_MS);
  const waiting = setTimeout(sayWaiting, STILL_WAITING_MS);
  let retrying = false; // after a failure: whether asking again may help
  try {
    const response = await fetch(API, { method: "POST", headers: { "Content-Type": "application/json" }, body });
    if (!response.ok) {
      const refused = await response.json().catch(() => ({}));
      if (refused.error) console.warn(`the server refused the drawing (${response.status}): ${refused.error}`);
      const problem = new Error(refusal(response.status));
      problem.retry = response.status >= 500 || response.status === 429; // busy or broken: may pass
      throw problem;
    }
    const json = (response.headers.get("Content-Type") || "").includes("json");
    const answer = await response.json().catch(() => null);
    if (!answer || !Array.isArray(answer.digits)) {
      // JSON cut short: the connection dropped mid-answer, and asking again helps; another page in
      // its place (a proxy's, a login's) is no answer, however often it is asked
      const problem = new Error(json ? "the server's answer was cut off: trying again" : "the answer was not a reading (a proxy's or a login page?)");
      problem.retry = json;
      throw problem;
    }
    stats.answers += 1;
    net.error = null;
    net.failures = 0;
    if (version > net.shownVersion && version >= ink.erased) show(answer, version, side); // never a stale one
    setStatus("ready", "ready");
  } catch (err) {
    net.sentVersion = -1; // the same ink may be sent again
    if (net.shownVersion === ink.version) { // the ink was cleared meanwhile: nothing is out of date
      net.error = null;
      setStatus("ready", "ready");
    } else {
      net.error = err instanceof TypeError ? "cannot reach the server: trying again" : err.message;
      retrying = err instanceof TypeError || err.retry === true;
      setStatus(net.error, "error");
      $("panel").classList.add("stale"); // the answer shown is of older ink: dimmed, as after an undo
    }
  } finally {
    clearTimeout(slow);
    clearTimeout(waiting);
    net.inFlight = false;
    if (!net.error) predictSoon(); // ink drawn meanwhile
    else if (retrying && net.shownVersion !== ink.version) retryLater(); // else the next change tries again
  }
}

function sayWaiting() {
  // A request out for SLOW_MS or more while the reading shown is behind the ink (ink drawn after it
  // was sent, too: it waits for its answer): "reading…", and after STILL_WAITING_MS that the server is
  // slow; the answer shown, of older ink, dimmed. Nothing once the ink was cleared: nothing waits.
  if (!net.inFlight || net.shownVersion === ink.version) return;
  const out = performance.now() - net.lastSent;
  if (out < SLOW_MS) return;
  setStatus(out < STILL_WAITING_MS ? "reading…" : "the server is slow: still waiting for it", "busy");
  $("panel").classList.add("stale");
}

function refusal(status) {
  // What a refused request means to someone drawing (the server's own words go to the console).
  if (status === 413) return "this drawing is too large to send: undo or clear some ink";
  if (status === 429) return "the server is busy: trying again";
  if (status >= 500) return `the server failed (${status}): trying again`;
  if (status === 404) return "this page's server has no reading service here (404)";
  return `the server could not read this drawing (${status})`;
}

function retryLater() {
  // The answer shown is behind the ink: ask again after a growing wait (a restarted server, a lost
  // connection), rather than leave the reading out of date until the next stroke.
  // +-20% at random, so that pages cut off together do not all come back at the same instant
  const wait = RETRY_MS[Math.min(net.failures, RETRY_MS.length - 1)] * (0.8 + 0.4 * Math.random());
  net.failures += 1;
  net.retry = setTimeout(() => { net.retry = null; predictSoon(); }, wait);
}

// ---- the answer -----------------------------------------------------------------------------
function percent(p) { // as recognizer/predictor.py: never claim a certainty the model does not have
  return p >= 0.9995 && p < 1 ? ">99.9%" : `${(100 * p).toFixed(1)}%`;
}

function show(answer, version, side, place = null) {
  net.shownVersion = version;
  page.dataset.shown = version;
  const digits = answer.digits || [];
  stats.last = answer;
  if (digits.length && stats.firstShown === null) stats.firstShown = performance.now();
  $("empty").hidden = digits.length > 0;
  $("result").hidden = digits.length === 0;
  page.dataset.number = answer.number || "";
  $("panel").classList.remove("stale");
  clearBoxes();
  if (ink.pointerId === null) announce(answer); // for screen readers: once a stroke is done, not on every update
  if (!digits.length) return;
  const several = digits.length > 1;
  $("number-block").hidden = !several;
  if (several) {
    $("number-caption").textContent = `Number (${digits.length} digits)`;
    // The number as answer.number reads it (a space where a new line of writing starts).
    const parts = [];
    digits.forEach((d, k) => {
      if (k && d.line !== digits[k - 1].line) parts.push(document.createTextNode(" "));
      if (d.before) parts.push(document.createTextNode(d.before)); // a minus before a line's first digit: "-5"
      const span = document.createElement("span");
      span.textContent = d.unsure === null ? String(d.digit) : UNSURE_MARK;
      if (d.unsure !== null) span.className = "unsure";
      parts.push(span);
      if (d.after) parts.push(document.createTextNode(d.after)); // a decimal point, comma, colon, dash or slash: "52.09"
    });
    $("number").replaceChildren(...parts);
    // The bars show the last digit: why every "?" is not sure is said under the number, as in the app.
    const reasons = [...new Set(digits.filter((d) => d.unsure !== null).map((d) => d.unsure))];
    $("number-reasons").textContent = reasons.length ? `${UNSURE_MARK} ${reasons.join(", ")}` : "";
    drawBoxes(digits, side, place);
  }
  showDigit(digits[digits.length - 1], several);
}

function announce(answer) {
  // What a screen reader says: each digit, "not sure" with its reason as the pane shows it, the marks,
  // and where a new line of writing begins (an outside review: "12 34" was said "1, 2, 3, 4")
  const digits = answer.digits || [];
  const said = digits.flatMap((d, k) => [
    ...(k > 0 && d.line !== digits[k - 1].line ? ["next line"] : []),
    ...(d.before ? ["minus"] : []),
    d.unsure ? `not sure (${d.unsure})` : d.digit,
    ...(d.after ? [MARK_NAMES[d.after]] : []),
  ]);
  $("said").textContent = digits.length ? `read: ${said.join(", ")}` : "";
}

function showDigit(d, several) {
  $("digit-caption").textContent = several ? "Last digit" : "Prediction";
  const box = $("digit-box");
  box.classList.toggle("unsure", d.unsure !== null);
  $("result").classList.toggle("several", several);
  // A minus before it ("-5"): the number shows it, and so does a digit alone.
  const shown = (several ? "" : d.before || "") + String(d.digit);
  $("digit").textContent = d.unsure === null ? shown : (several ? UNSURE_MARK : "not sure");
  $("reason").textContent = d.unsure === null ? "" : d.unsure;
  // Not sure: the classifier's best guess, greyed, never "Confidence >99.9%" beside "not a digit".
  $("confidence-caption").textContent = d.unsure === null ? "Confidence" : "Best guess";
  $("confidence").textContent = d.unsure === null ? percent(d.confidence) : `${d.digit}, ${percent(d.confidence)}`;
  $("confidence").classList.toggle("muted", d.unsure !== null);
  drawInput(d.image);
  const bars = $("bars");
  bars.replaceChildren(...d.probabilities.map((p, i) => {
    const li = document.createElement("li");
    li.className = i === d.digit ? (d.unsure === null ? "best" : "best muted") : "";
    li.innerHTML = `<span class="label">${i}</span><span class="track"><span class="fill"></span></span>` +
      `<span class="value">${percent(p)}</span>`;
    li.querySelector(".fill").style.width = `${(100 * p).toFixed(2)}%`;
    return li;
  }));
}

function drawInput(pixels) {
  const canvas = $("input");
  const c = canvas.getContext("2d");
  const img = c.createImageData(28, 28);
  if (pixels && pixels.length === 784) {
    for (let i = 0; i < 784; i++) {
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = pixels[i];
      img.data[4 * i + 3] = 255;
    }
  }
  c.putImageData(img, 0, 0);
}

function drawBoxes(digits, side, place = null) {
  // place: a photo's fit in the canvas ({f, dx, dy}); else the drawing's canvas, which may have been
  // resized since the request
  const layer = $("boxes");
  const { f, dx, dy } = place || { f: ink.side / side, dx: 0, dy: 0 };
  for (const d of digits) {
    if (!d.box) continue;
    const [x, y, w, h] = [d.box[0] * f + dx, d.box[1] * f + dy, d.box[2] * f, d.box[3] * f];
    const el = document.createElement("div");
    el.className = d.unsure === null ? "box" : "box unsure";
    Object.assign(el.style, { left: `${x}px`, top: `${y}px`, width: `${w}px`, height: `${h}px` });
    const label = document.createElement("span");
    label.className = y < 22 ? "label inside" : "label";
    label.textContent = d.unsure === null ? String(d.digit) : UNSURE_MARK;
    el.append(label);
    layer.append(el);
  }
}

function clearBoxes() {
  $("boxes").replaceChildren();
}

// ---- a photo --------------------------------------------------------------------------------
function photoPlace() {
  // Where the browser shows the photo in the canvas's square (object-fit: contain), as a scale and
  // an offset from its pixels, in which the API answers boxes (upright, as the browser shows it).
  const f = Math.min(ink.side / shot.width, ink.side / shot.height);
  return { f, dx: (ink.side - shot.width * f) / 2, dy: (ink.side - shot.height * f) / 2 };
}

function placePhotoBoxes() {
  clearBoxes();
  if (shot.answer && (shot.answer.digits || []).length > 1) drawBoxes(shot.answer.digits, 0, photoPlace());
}

function hidePhoto() {
  const focused = document.activeElement; // taken before Clear turns disabled and loses it (as changed())
  const view = $("photo-view");
  if (view.src) URL.revokeObjectURL(view.src);
  view.removeAttribute("src");
  view.hidden = true;
  shot.shown = false;
  shot.answer = null;
  shot.asked += 1; // an answer still on its way is for a photo no longer shown
  clearBoxes();
  $("placeholder").hidden = ink.strokes.length > 0;
  $("clear").disabled = ink.strokes.length === 0;
  if (focused && focused.disabled) pad.focus(); // the keyboard's focus stays on the canvas
  $("empty").textContent = "draw a digit";
}

async function readPhoto(file) {
  // The photo replaces the drawing on the canvas and is posted to the API as it is (PNG or JPEG).
  if (!file) return;
  if (!PHOTO_TYPES.includes(file.type)) {
    notice("the page reads PNG and JPEG pictures: save it as one of those first");
    return;
  }
  if (file.size > MAX_IMAGE_BYTES) {
    notice(`this picture is ${(file.size / 2 ** 20).toFixed(1)} MB, over the ${MAX_IMAGE_BYTES / 2 ** 20} MB a request may carry`);
    return;
  }
  clearAll();
  hidePhoto();
  const asked = shot.asked;
  const view = $("photo-view");
  view.src = URL.createObjectURL(file);
  view.hidden = false;
  shot.shown = true;
  $("placeholder").hidden = true;
  $("clear").disabled = false; // Clear (and R) put the photo away
  $("empty").textContent = "reading the photo…";
  $("empty").hidden = false;
  $("result").hidden = true;
  $("panel").classList.add("stale");
  setStatus("reading the photo…", "busy", true);
  const visible = view.decode().then(() => true, () => false); // its size: where its boxes go
  let answer = null;
  try {
    const response = await fetch(API, { method: "POST", headers: { "Content-Type": file.type }, body: file });
    // a picture's refusal is said as the server says it: the file's own fault, in a user's words
    answer = response.ok ? await response.json() : { error: (await response.json().catch(() => ({}))).error || photoRefusal(response.status) };
  } catch (err) {
    answer = { error: err instanceof TypeError ? "cannot reach the server: try the photo again" : "the answer was not a reading" };
  }
  const placed = await visible;
  if (asked !== shot.asked) return; // put away meanwhile (a stroke, Clear, another photo)
  if (answer.error || !Array.isArray(answer.digits)) { // said once; the photo stays until a stroke or Clear
    setStatus(answer.error || "the answer was not a reading", "error", true);
    $("empty").textContent = "this photo was not read";
    $("panel").classList.remove("stale");
    return;
  }
  if (!placed) answer.digits.forEach((d) => { d.box = null; }); // read, but not shown here: no boxes
  shot.width = view.naturalWidth || 1;
  shot.height = view.naturalHeight || 1;
  shot.answer = answer;
  show(answer, ink.version, ink.side, photoPlace());
  $("empty").textContent = answer.digits.length ? "draw a digit" : "no digits found in this picture";
  setStatus("ready", "ready", true);
}

function photoRefusal(status) {
  // A photo is sent once (its reading does not go stale as ink does): what to do is the user's.
  if (status === 413) return "this picture is too large for the server";
  if (status === 429 || status >= 500) return `the server is busy or failing (${status}): try the photo again`;
  return `the server could not read this picture (${status})`;
}

$("open-photo").addEventListener("click", () => $("photo").click());
$("photo").addEventListener("change", (e) => {
  readPhoto(e.target.files[0]);
  e.target.value = ""; // the same file chosen again is read again
});
// A file dropped anywhere on the page is read (the browser would open it in place of the page, and
// the drawing with it); the canvas shows where it goes.
document.addEventListener("dragover", (e) => {
  if (![...e.dataTransfer.types].includes("Files")) return;
  e.preventDefault();
  wrap.classList.add("dropping");
});
document.addEventListener("dragleave", (e) => { if (e.relatedTarget === null) wrap.classList.remove("dropping"); });
document.addEventListener("drop", (e) => {
  wrap.classList.remove("dropping");
  if (!e.dataTransfer.files.length) return;
  e.preventDefault();
  readPhoto(e.dataTransfer.files[0]);
});

// ---- status line ----------------------------------------------------------------------------
let noticeTimer = null;
let lastStatus = { text: "ready", kind: "ready" }; // what the line says again once a notice is gone

function setStatus(text, kind, photo = false) {
  if (shot.shown && !photo) return; // a photo on the canvas: a drawing's late answer says nothing over its status
  page.dataset.state = kind;
  lastStatus = { text, kind };
  if (noticeTimer === null) showStatus(text, kind);
}

function showStatus(text, kind) {
  const status = $("status");
  // Written only when it changes: a live region rewritten with the same "ready" after every answer
  // may be announced again each time (a user trial counted 18 rewrites for one digit drawn)
  if (status.textContent !== text) status.textContent = text;
  status.className = `status ${kind}`;
}

function notice(text) {
  // Said for a moment, then the status it covered, as it stands by then (a photo's "ready" too:
  // restored through setStatus, a photo's status was lost and the notice stayed for good).
  showStatus(text, "error");
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { noticeTimer = null; showStatus(lastStatus.text, lastStatus.kind); }, 3000);
}

function watchPixelRatio() {
  // The window dragged to a screen of another density, or the page zoomed, without a resize: the
  // canvas is backed again at the new ratio (it stayed at the old one, its ink soft)
  matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`).addEventListener(
    "change", () => { layout(); watchPixelRatio(); }, { once: true });
}

window.addEventListener("resize", fitHeight);
fitHeight();
new ResizeObserver(layout).observe(wrap);
layout();
watchPixelRatio();
