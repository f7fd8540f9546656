"""uvicorn's HTTP protocol (httptools), answering a request it cannot parse as the API answers its
own errors: 400 with {"error": ...} in JSON. uvicorn's own answer is plain text ("Invalid HTTP
request received."), so a client reading the API's JSON errors met a body it could not decode.

    uvicorn.run(app, http=JsonErrorsProtocol)   (web.__main__ does)
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Every API answer's headers (web.server's and this one's). Defined here, not in web.server: the parent
# of several workers imports this module but never the model code web.server brings.
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

BAD_REQUEST = "bad HTTP request: it could not be parsed (a malformed request line or header, or a bad Content-Length)"


def bad_request_bytes(extra_headers: Sequence[tuple[bytes, bytes]] = ()) -> bytes:
    """The whole 400 response to a request that could not be parsed (after uvicorn's own headers,
    extra_headers: its date): JSON, with the API's headers; the connection then closes."""
    body = json.dumps({"error": BAD_REQUEST}).encode()
    headers = [
        *extra_headers,
        *((name.lower().encode(), value.encode()) for name, value in API_HEADERS.items()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    return b"HTTP/1.1 400 Bad Request\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in headers) + b"\r\n" + body


class JsonErrorsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol whose answer to an unparsable request is the API's JSON error."""

    def send_400_response(self, msg: str) -> None:  # uvicorn's hook; msg is its plain-text reason
        self.transport.write(bad_request_bytes(self.server_state.default_headers))
        self.transport.close()
