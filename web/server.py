"""The web app: the page, its static files and POST /api/predict, over one Recognizer per process.

Starlette served by uvicorn (chosen by measurement: see README, "Web page and JSON API"). The
app is stateless: every request carries its whole drawing, so it scales out with more processes
(`--workers N`) or machines behind any load balancer.

    python -m web [--host H] [--port P] [--workers N]     (make web; HOST, PORT, WORKERS)
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import numpy as np
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from recognizer.photo import Frame
from recognizer.predictor import Recognizer
from recognizer.strokes import BRUSH_DIVISOR, MIN_BRUSH

from . import api
from .protocol import API_HEADERS

STATIC = Path(__file__).resolve().parent / "static"
PREDICT_PATH = "/api/predict"
# The page's files (index.html, app.js, style.css) are checked with the server on every load (an ETag
# answers 304 when unchanged): with no Cache-Control a browser may keep an old app.js beside a newer page
STATIC_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
PAGE_HEADERS = {  # the page loads nothing from elsewhere; the 28x28 view is drawn into a canvas, and a
    # photo being read is shown from the page's own copy of the file (a blob: URL)
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'",
    **STATIC_HEADERS,
}
# LiteRT threads per read: one. Two speed up a lone read, but under load a request's two threads wait
# on each other and on the event loop (bench.load, one worker, 2 cores, 60 users: 294 requests/s
# answered with two threads, 370-387 with one)
MODEL_THREADS = 1
# s: a body whose next bytes take longer (a client that declared a length and stalled) is refused
# (408) rather than holding its connection for ever; a slow link still sends something every second.
BODY_IDLE = 15.0
# bytes/s: after its first BODY_IDLE seconds a body must have come at least this fast on average (a
# weak mobile uplink sends a 3 MB photo in 2 minutes), or it is refused (408): a byte every 10 s held a
# connection for days
MIN_BODY_RATE = 20_000
# Images decoded at once per process, each on one of this many threads of their own: a 12 MP PNG takes
# a few hundred MB for a moment (a JPEG is decoded at a reduced size: a 40 MP one in 0.27 s), and every
# thread that ever decodes keeps its own memory pool
IMAGE_DECODERS = 2
# Image requests in hand at once per process, from their body's first byte to their answer; more wait
# unread (their bodies stay with the client), so that a worker's memory does not grow with the uploads
# at once (every body was read, then waited for a decoder: 150 at once held gigabytes). Many, since
# slow clients hold theirs while they send (at most BODY_IDLE, then MIN_BODY_RATE); against many such
# clients, a reverse proxy that buffers bodies (nginx's default) is the guard
IMAGE_REQUESTS = 32
HANG_UP_POLL = 0.1  # s: how often a request waiting for the model's thread checks that its client is still there
log = logging.getLogger("web")


class Static(StaticFiles):
    """The page's static files, with STATIC_HEADERS."""

    async def get_response(self, path: str, scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(STATIC_HEADERS)
        return response


class Model:
    """The process's Recognizer and the one thread that calls it: LiteRT's interpreter is not
    thread-safe, and the GIL would run reads one at a time anyway (more throughput comes from more
    worker processes). The event loop never waits on the model, so it keeps reading requests."""

    def __init__(self, recognizer: Recognizer):
        self.recognizer = recognizer
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        self.pending = 0  # reads submitted to the thread and not yet answered (counted on the event loop)

    def drawing(self, body: bytes, with_image: bool) -> dict:
        """A JSON drawing -> the answer (on the model's thread)."""
        drawing = api.parse_drawing(body)
        read = drawing.scaled()
        predictions = self.recognizer.read(read.canvas(), read.strokes or None)
        # the strokes were scaled by one factor, the long side's: a narrow canvas's width rounded to a
        # few px gave boxes 3 times too short on a 1 x 2048 canvas
        return api.answer(predictions, with_image, max(drawing.width, drawing.height) / max(read.width, read.height))

    def image(self, framed: list[tuple[np.ndarray, Frame]], with_image: bool) -> dict:
        """A decoded image's canvases and frames (api.decode_image; []: no ink) -> the answer, its
        boxes on the image as sent (on the model's thread)."""
        canvases, frames = [canvas for canvas, _ in framed], [frame for _, frame in framed]
        return api.answer(self.recognizer.read_picture(canvases, frames), with_image)

    def close(self) -> None:
        self.thread.shutdown(wait=True)


async def on_model_thread(request: Request, work, *args):
    """work(*args) on the model's thread, or None without running it when the client hung up while
    the request waited its turn: reads that no one will see would only make every other client wait
    longer on a busy server (a closed tab, an API client that gave up). Watched only when the read
    must queue: an idle thread starts it at once, and the watcher would only cost time."""
    model = request.app.state.model
    gone = threading.Event()
    watch = asyncio.create_task(_watch_hang_up(request, gone)) if model.pending else None
    model.pending += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(model.thread, _unless, gone, work, *args)
    finally:
        model.pending -= 1
        if watch is not None:
            watch.cancel()


async def decoded(request: Request, body: bytes) -> list[tuple[np.ndarray, Frame]] | None:
    """api.decode_image(body) on one of the IMAGE_DECODERS decoding threads, or None without
    decoding when the client hung up while it waited for its turn: a photo's decoding costs ten
    times its read, and 20 photos whose clients had gone delayed the next by 3.7 s."""
    async with request.app.state.decoders:
        if await request.is_disconnected():
            return None
        threads = request.app.state.decode_threads
        return await asyncio.get_running_loop().run_in_executor(threads, api.decode_image, body)


async def _watch_hang_up(request: Request, gone: threading.Event) -> None:
    while not await request.is_disconnected():
        await asyncio.sleep(HANG_UP_POLL)
    gone.set()


def _unless(gone: threading.Event, work, *args):
    return None if gone.is_set() else work(*args)


def page_html() -> str:
    """index.html with the desktop app's brush (ui.canvas) and the API's limits filled in."""
    values = {
        "BRUSH_DIVISOR": BRUSH_DIVISOR,
        "MIN_BRUSH": MIN_BRUSH,
        "MAX_STROKES": api.MAX_STROKES,
        "MAX_POINTS": api.MAX_POINTS,
        "MAX_IMAGE_BYTES": api.MAX_IMAGE_BYTES,
    }
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    for name, value in values.items():
        html = html.replace(f"%{name}%", str(value))
    return html


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status, headers={**API_HEADERS, **(headers or {})})


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes `limit` bytes, whatever it declared,
    and (408) when its next bytes take over BODY_IDLE seconds to come, or when after its first
    BODY_IDLE seconds it has come slower than MIN_BODY_RATE on average."""
    chunks, size = [], 0
    stream = request.stream()
    clock = asyncio.get_running_loop().time
    start = clock()
    while True:
        try:  # asyncio.timeout, not wait_for: wait_for's task kept each chunk in a reference cycle, and
            # 150 uploads at once left hundreds of MB of them for the garbage collector
            async with asyncio.timeout(BODY_IDLE):
                chunk = await anext(stream)
        except StopAsyncIteration:
            break
        except TimeoutError:
            raise api.ApiError(408, f"the body stopped coming: nothing for {BODY_IDLE:.0f} s") from None
        size += len(chunk)
        if size > limit:
            raise api.ApiError(413, f"body too large: over {limit:,} bytes")
        if size < MIN_BODY_RATE * (clock() - start - BODY_IDLE):
            raise api.ApiError(408, f"the body is coming too slowly: under {MIN_BODY_RATE // 1000} kB/s")
        chunks.append(chunk)
    return b"".join(chunks)


def declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    value = value.strip(" \t")  # a header's value may have spaces or tabs round it (RFC 9110, 5.5)
    if not (value.isascii() and value.isdigit()):
        raise api.ApiError(400, "bad Content-Length header")
    return int(value)


def image_wanted(value: str | None) -> bool:
    """?image=1 (true, yes) or 0 (false, no, empty); anything else is a 400, not silently no image."""
    if value is None or value.lower() in ("", "0", "false", "no"):
        return False
    if value.lower() in ("1", "true", "yes"):
        return True
    raise api.ApiError(400, f"?image= takes 1, true or yes, or 0, false or no, got {value[:40]!r}")


async def predict(request: Request) -> Response:
    """POST /api/predict: a drawing (application/json) or an image (image/png, image/jpeg) -> the
    digits read; ?image=1 adds each digit's 28x28 model input."""
    kind = api.media_type(request.headers.get("content-type"))
    with_image = image_wanted(request.query_params.get("image"))
    api.check_body(kind, declared_length(request))
    model = request.app.state.model
    try:
        if kind == api.JSON_TYPE:  # parsed, drawn and read in one go on the model's thread
            body = await read_body(request, api.body_limit(kind))
            result = await on_model_thread(request, model.drawing, body, with_image)
        else:  # IMAGE_REQUESTS at a time: decoded beside the model's thread (Pillow and numpy let it run), read on it
            async with request.app.state.image_requests:
                body = await read_body(request, api.body_limit(kind))
                framed = await decoded(request, body)
                del body  # a few MB that need not wait for the model's thread
                result = None if framed is None else await on_model_thread(request, model.image, framed, with_image)
    except ClientDisconnect:
        return Response(status_code=400)
    if result is None:  # the client hung up: no one to answer
        return Response(status_code=400)
    return JSONResponse(result, headers=API_HEADERS)


async def index(request: Request) -> Response:
    return HTMLResponse(request.app.state.page, headers=PAGE_HEADERS)


async def health(request: Request) -> Response:
    """For load balancers and scripts: 200 once the model is loaded."""
    return JSONResponse({"ok": True}, headers=API_HEADERS)


async def on_api_error(request: Request, exc: api.ApiError) -> Response:
    return error(exc.status, exc.message)


async def on_http_error(request: Request, exc: HTTPException) -> Response:
    messages = {404: f"not found: {request.url.path}", 405: f"method {request.method} not allowed here"}
    return error(exc.status_code, messages.get(exc.status_code, exc.detail), getattr(exc, "headers", None))


async def on_crash(request: Request, exc: Exception) -> Response:
    """A bug, not bad input: logged with its traceback here, one line for the client."""
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error(500, "internal error")


def load_model() -> Recognizer:
    """The shipped model as the server runs it: on MODEL_THREADS threads per read."""
    return Recognizer.load(threads=MODEL_THREADS)


def create_app(recognizer: Recognizer | None = None) -> Starlette:
    """The app; it loads the shipped model at start-up unless given a Recognizer (tests share one)."""

    @asynccontextmanager
    async def lifespan(app: Starlette):
        app.state.model = Model(recognizer or load_model())
        app.state.decoders = anyio.CapacityLimiter(IMAGE_DECODERS)
        app.state.decode_threads = ThreadPoolExecutor(max_workers=IMAGE_DECODERS, thread_name_prefix="decode")
        app.state.image_requests = anyio.CapacityLimiter(IMAGE_REQUESTS)
        app.state.page = page_html()
        yield
        app.state.model.close()
        app.state.decode_threads.shutdown(wait=True)

    routes = [
        Route("/", index, methods=["GET"]),
        Route(PREDICT_PATH, predict, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
        Mount("/static", Static(directory=STATIC), name="static"),
    ]
    handlers = {api.ApiError: on_api_error, HTTPException: on_http_error, Exception: on_crash}
    app = Starlette(debug=False, routes=routes, exception_handlers=handlers, lifespan=lifespan)
    app.router.redirect_slashes = False  # /api/predict/ is a JSON 404, not a bare 307 to follow
    return app


app = create_app()  # for `uvicorn web.server:app --workers N`: each worker process loads the model once
