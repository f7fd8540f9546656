"""uvicorn's HTTP protocol (httptools), answering a request it cannot parse as the API answers its
own errors: 400 with {"error": ...} in JSON. uvicorn's own answer is plain text ("Invalid HTTP
request received."), so a client reading the API's JSON errors met a body it could not decode.
And a client whose request line and headers take over HEADERS_TIME seconds to come (or that
connects and sends nothing) gets a 408 and the connection closes: uvicorn waited for ever, so a
few such clients could hold every connection (web.server times out a body that stops coming).

    uvicorn.run(app, http=JsonErrorsProtocol)   (web.__main__ does)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Every API answer's headers (web.server's and this one's). Defined here, not in web.server: the parent
# of several workers imports this module but never the model code web.server brings.
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

BAD_REQUEST = "bad HTTP request: it could not be parsed (a malformed request line or header, or a bad Content-Length)"
HEADERS_TIME = 15.0  # seconds a request line and headers may take to come, from the connection or the request's start
SLOW_HEADERS = f"the request's headers did not come within {HEADERS_TIME:.0f} s"


def bad_request_bytes(
    extra_headers: Sequence[tuple[bytes, bytes]] = (), status: str = "400 Bad Request", error: str = BAD_REQUEST
) -> bytes:
    """The whole 400 response to a request that could not be parsed (after uvicorn's own headers,
    extra_headers: its date), or another status and error: JSON, with the API's headers; the
    connection then closes."""
    body = json.dumps({"error": error}).encode()
    headers = [
        *extra_headers,
        *((name.lower().encode(), value.encode()) for name, value in API_HEADERS.items()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    return f"HTTP/1.1 {status}\r\n".encode() + b"".join(n + b": " + v + b"\r\n" for n, v in headers) + b"\r\n" + body


class JsonErrorsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol whose answer to an unparsable request is the API's JSON error, and to
    headers slower than HEADERS_TIME a JSON 408."""

    _headers_timer: asyncio.TimerHandle | None = None

    def send_400_response(self, msg: str) -> None:  # uvicorn's hook; msg is its plain-text reason
        self.transport.write(bad_request_bytes(self.server_state.default_headers))
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._time_headers()

    def on_message_begin(self) -> None:  # the first byte of a request (the next one, on a kept connection)
        super().on_message_begin()
        self._time_headers()

    def on_headers_complete(self) -> None:
        self._stop_timing()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timing()
        super().connection_lost(exc)

    def _time_headers(self) -> None:
        self._stop_timing()
        self._headers_timer = self.loop.call_later(HEADERS_TIME, self._headers_too_slow)

    def _stop_timing(self) -> None:
        if self._headers_timer is not None:
            self._headers_timer.cancel()
            self._headers_timer = None

    def _headers_too_slow(self) -> None:
        self._headers_timer = None
        busy = self.flow.read_paused or (self.cycle is not None and not self.cycle.response_complete)
        if busy:  # answering an earlier request: the rest of this one waits unread (pipelining), no stall
            self._time_headers()
        elif not self.transport.is_closing():
            headers = self.server_state.default_headers
            self.transport.write(bad_request_bytes(headers, "408 Request Timeout", SLOW_HEADERS))
            self.transport.close()
