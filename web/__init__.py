"""The recognizer in the browser: a page to draw on and a JSON API, over the `recognizer` library.

    web.api      request bodies -> canvas and strokes (limits, one-line errors); predictions -> JSON
    web.server   the Starlette app: routes, error handlers, one Recognizer per process
    web.protocol uvicorn's HTTP protocol answering requests it cannot parse (or too slow) in JSON
    web.check    whether the model loads, checked in a child process (the parent of workers holds none)
    web.static   the page: index.html, app.js, style.css (no CDN, no build step)

`python -m web` (or `make web`) serves it on http://127.0.0.1:8000.
"""
