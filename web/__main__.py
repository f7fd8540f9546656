"""python -m web [--host H] [--port P] [--workers N] [--access-log]: serve the page and the API.

Defaults come from the HOST, PORT and WORKERS environment variables, else 127.0.0.1:8000 and one
worker process (each worker loads its own model: a worker holds about 185 MB of memory).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

from .check import check_in_child

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
APP = "web.server:app"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    # recognizer.fileio.first_paragraph's work, written here: importing the recognizer package loads the
    # model code, which the parent of several workers must not hold
    parser = argparse.ArgumentParser(prog="python -m web", description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument(
        "--host",
        default=os.environ.get("HOST", DEFAULT_HOST),
        type=_host,
        help="address to listen on (default: $HOST or %(default)s)",
    )
    parser.add_argument(
        "--port",
        default=os.environ.get("PORT", str(DEFAULT_PORT)),
        type=_port,
        help="port (default: $PORT or %(default)s)",
    )
    parser.add_argument(
        "--workers",
        default=os.environ.get("WORKERS", "1"),
        type=_count,
        help="worker processes (default: $WORKERS or %(default)s)",
    )
    parser.add_argument("--access-log", action="store_true", help="log every request (costs CPU under load)")
    return parser.parse_args(argv)


WORKERS_PER_CORE = 4  # at most: each worker loads the model (about 185 MB), a typo must not start thousands
MAX_WORKERS = WORKERS_PER_CORE * (os.cpu_count() or 1)


def _host(text) -> str:
    """A host name or address the server can bind to: one that cannot even be spelt as a host
    name ("bad..host", an empty label) ended in a 27-frame traceback from the idna codec."""
    try:
        ok = bool(text) and bool(text.encode("idna"))
    except UnicodeError:
        ok = False
    if not ok:
        raise argparse.ArgumentTypeError(f"not a host name or address: {text!r}")
    return text


def _port(text) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return port


def _count(text) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"not a positive number of workers: {text!r}")
    if n > MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"{n} workers: at most {MAX_WORKERS}, {WORKERS_PER_CORE} per CPU core here")
    return n


def cannot_listen(host: str, port: int, workers: int = 1) -> str | None:
    """Why the server could not listen on host:port (the port taken, a host name no resolver knows
    or not this machine's), in one line, else None: uvicorn says so only after its startup lines,
    in its own log's words. Bound as uvicorn binds: one worker on every address the name resolves
    to (asyncio's create_server), several on one socket, IPv4 unless the host holds a ":"."""
    try:
        if workers == 1:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
            addresses = list(dict.fromkeys((family, address) for family, _, _, _, address in found))
        else:
            addresses = [(socket.AF_INET6 if ":" in host else socket.AF_INET, (host, port))]
        for family, address in addresses:
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
            except OSError:  # a family this machine lacks (IPv6 off): asyncio skips it too
                continue
            with sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)
    except socket.gaierror as exc:
        return f"--host {host}: {exc.strerror}"
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    why = cannot_listen(args.host, args.port, args.workers)
    if why is not None:
        print(f"error: {why}", file=sys.stderr)
        return 2
    import uvicorn

    # A missing or broken model is said in one line here, not as a traceback from each worker. One
    # worker serves the model loaded for the check; several each load their own from the import
    # string, so their parent only checks, in a child process.
    if args.workers == 1:
        from recognizer.errors import RecognizerError

        from .server import create_app, load_model

        try:
            app = create_app(load_model())
        except RecognizerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    else:
        error = check_in_child()
        if error is not None:
            print(f"error: {error}", file=sys.stderr)
            return 2
        app = APP
    from .protocol import JsonErrorsProtocol

    uvicorn.run(
        app,
        http=JsonErrorsProtocol,  # a request that cannot be parsed gets the API's JSON 400, not plain text
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=args.access_log,
        log_level="info",
        server_header=False,
    )  # exits non-zero by itself if the port was taken since cannot_listen looked
    return 0


if __name__ == "__main__":
    sys.exit(main())
