"""Load test of the web API, on this machine only (127.0.0.1), as `make bench` runs it:

    python -m bench.load [--users 1,5,20,50] [--seconds 20] [--workers 1] [--url http://127.0.0.1:PORT]

Each simulated user draws a digit as the page does and posts the strokes so far every INTERVAL
(100 ms, the page's throttle), so its drawing grows by what a 120 Hz mouse adds in that time, and
starts again once the digit is finished. One user waits for its answer before the next post (as
the page, which has at most one request in flight), and skips ahead rather than bursting when an
answer came late. Latency is from send to last byte of the answer.

For each number of users: requests per second answered, p50/p99 latency, errors (non-200,
timeouts, broken connections), the load generator's own CPU (it shares the cores with the server),
the server's CPU and the whole machine's. The saturation point is the highest throughput with
p99 <= SATURATION_P99_MS; when the load levels do not bracket it, a few more levels (bisecting
between the last good and the first bad one, or doubling past the last) find it.

The client is a small asyncio HTTP/1.1 keep-alive client: no dependency, a few tens of
microseconds of CPU per request, so the generator steals little from the server.

For `make bench`: `results["web_load"] = load.run(quick=args.quick)`, printed with `load.report()`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

from recognizer.fileio import first_paragraph
from recognizer.strokes import densify

from .app_driver import MOUSE_HZ, STEP_PX
from .common import ROOT, fmt_ms, load_state, md_table, write_json

USERS = (1, 5, 20, 50)
SECONDS = 20.0
INTERVAL = 0.1  # s between one user's posts: the page's throttle
SATURATION_P99_MS = 100.0
EXTRA_LEVELS = 3  # at most this many more levels to find the saturation point
EXTRA_SECONDS = 10.0  # ... each at most this long
MAX_USERS = 400
CANVAS = 400  # px: the page's canvas on a desktop screen
TIMEOUT = 5.0  # s: an answer later than this counts as an error (and the connection is reopened)
START_TIMEOUT = 60.0  # s for the server to come up
LOCAL_HOSTS = ("127.0.0.1", "localhost")


# ---- what the users post ----------------------------------------------------------------------
def mouse_points(stroke) -> list[tuple[float, float]]:
    """The points a mouse reports along a stroke (STEP_PX apart), to 0.1 px as the page posts them."""
    return [(round(x, 1), round(y, 1)) for x, y in densify(stroke, STEP_PX).tolist()]


def drawing_bodies(digit: int, side: int = CANVAS, interval: float = INTERVAL) -> list[bytes]:
    """The JSON bodies the page posts while `digit` is drawn: the strokes so far, every `interval`."""
    from recognizer.synthetic import digit_strokes

    strokes = [mouse_points(s) for s in digit_strokes(digit, side)]
    per_post = max(1, round(MOUSE_HZ * interval))  # points the mouse adds between two posts
    bodies = []
    total = sum(len(s) for s in strokes)
    for drawn in range(per_post, total + per_post, per_post):
        so_far, left = [], min(drawn, total)
        for stroke in strokes:
            if left <= 0:
                break
            so_far.append(stroke[:left])
            left -= len(stroke)
        bodies.append(json.dumps({"width": side, "height": side, "strokes": so_far}, separators=(",", ":")).encode())
    return bodies


def request_bytes(host: str, port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


# ---- the client ---------------------------------------------------------------------------------
async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 response with a Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length is None:
        raise ConnectionError("answer without Content-Length")
    return status, await reader.readexactly(length)


class Level:
    """What one load level recorded."""

    def __init__(self) -> None:
        self.latencies: list[float] = []  # s, answered requests (200 and errors alike)
        self.ok = 0
        self.errors: dict[str, int] = {}
        self.sent = 0
        self.late = 0  # posts that went out more than one interval after they were due

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def user(
    host: str, port: int, path: str, bodies: list[bytes], first: float, deadline: float, interval: float, level: Level
) -> None:
    """One user: posts bodies in turn every `interval` from `first` until `deadline` (loop time)."""
    loop = asyncio.get_running_loop()
    requests = [request_bytes(host, port, path, b) for b in bodies]
    conn = None
    due, k = first, 0
    try:
        while True:
            now = loop.time()
            if due > now:
                await asyncio.sleep(due - now)
            now = loop.time()
            if now >= deadline:
                return
            if now - due > interval:
                level.late += 1
                due = now  # no burst to catch up: the page would not send one either
            try:
                if conn is None:
                    conn = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT)
                level.sent += 1
                t0 = time.perf_counter()
                conn[1].write(requests[k % len(requests)])
                status, body = await asyncio.wait_for(read_response(conn[0]), TIMEOUT)
                level.latencies.append(time.perf_counter() - t0)
                if status == 200 and b'"number":' in body:
                    level.ok += 1
                else:
                    level.error(f"HTTP {status}")
            except TimeoutError:
                level.error("timeout")
                conn = _close(conn)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
                level.error(exc.__class__.__name__)
                conn = _close(conn)
            k += 1
            due += interval
    finally:
        _close(conn)


def _close(conn) -> None:
    """Close a (reader, writer) pair, if any; returns None to clear the caller's variable."""
    if conn is not None:
        conn[1].close()


async def run_level(host: str, port: int, path: str, users: int, seconds: float, interval: float) -> Level:
    """`users` users for `seconds`, their first posts spread over one interval."""
    level = Level()
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    bodies = [drawing_bodies(u % 10) for u in range(min(users, 10))]
    tasks = [
        user(host, port, path, bodies[u % len(bodies)], start + interval * u / users, start + seconds, interval, level)
        for u in range(users)
    ]
    await asyncio.gather(*tasks)
    return level


# ---- CPU accounting --------------------------------------------------------------------------------
def _proc_cpu(pid: int) -> float:
    """CPU seconds used so far by process `pid` and its descendants (Linux /proc; 0.0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs so far, from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return float(sum(fields) - idle), float(sum(fields))


def measure(
    host: str, port: int, path: str, users: int, seconds: float, interval: float, server_pid: int | None
) -> dict:
    """One level, with its latency figures and the CPU used by the generator, server and machine."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    server0 = _proc_cpu(server_pid) if server_pid else None
    busy0, total0 = _machine_cpu()
    level = asyncio.run(run_level(host, port, path, users, seconds, interval))
    wall = time.perf_counter() - wall0
    busy1, total1 = _machine_cpu()
    lat = np.asarray(level.latencies) * 1000.0
    cores = os.cpu_count() or 1
    out = {
        "users": users,
        "offered_rps": round(users / interval, 1),
        "seconds": round(wall, 2),
        "requests": level.sent,
        "ok": level.ok,
        "throughput_rps": round(level.ok / wall, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 2) if lat.size else None,
        "p99_ms": round(float(np.percentile(lat, 99)), 2) if lat.size else None,
        "max_ms": round(float(lat.max()), 2) if lat.size else None,
        "errors": sum(level.errors.values()),
        "error_kinds": level.errors,
        "late_posts": level.late,
        "generator_cpu": round((time.process_time() - cpu0) / wall, 3),  # share of one core
        "server_cpu": round((_proc_cpu(server_pid) - server0) / wall, 3) if server_pid else None,
        "machine_busy": round((busy1 - busy0) / (total1 - total0), 3) if total1 > total0 else None,
        "cores": cores,
    }
    if out["server_cpu"] is not None and out["machine_busy"] is not None:  # the training job, other tests ...
        out["others_cpu"] = round(max(0.0, out["machine_busy"] * cores - out["server_cpu"] - out["generator_cpu"]), 3)
    return out


def good(level: dict) -> bool:
    """Within the saturation criterion: p99 <= SATURATION_P99_MS and no errors."""
    return level["errors"] == 0 and level["p99_ms"] is not None and level["p99_ms"] <= SATURATION_P99_MS


def saturation(levels: list[dict]) -> dict | None:
    """The highest throughput measured with p99 <= SATURATION_P99_MS and no errors."""
    ok = [lv for lv in levels if good(lv)]
    if not ok:
        return None
    best = max(ok, key=lambda lv: lv["throughput_rps"])
    return {"throughput_rps": best["throughput_rps"], "users": best["users"], "p99_ms": best["p99_ms"]}


# ---- the server under test ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    """`python -m web` on 127.0.0.1:port, once it answers /healthz."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "web", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}): {proc.stderr.read().strip()[-300:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def local_target(url: str) -> tuple[str, int, str]:
    """(host, port, path) of a URL on this machine; anything else is refused."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS:
        raise ValueError(f"refusing to load {url!r}: only http://127.0.0.1 (this machine) is allowed")
    return "127.0.0.1", parts.port or 80, (parts.path.rstrip("/") or "") + "/api/predict?image=1"


# ---- the run -------------------------------------------------------------------------------------------
def run(
    users=USERS,
    seconds: float = SECONDS,
    workers: int = 1,
    url: str | None = None,
    interval: float = INTERVAL,
    find_saturation: bool = True,
    quick: bool = False,
) -> dict:
    """The load table as a dict for bench/results.json. url: an already running server on this
    machine (its CPU is then not measured); default: start `python -m web` on a free port.
    quick: a smoke run (1 s a level, users capped at 20, no extra levels)."""
    if quick:
        seconds, users, find_saturation = 1.0, [u for u in users if u <= 20] or [1], False
    result: dict = {
        "seconds_per_level": seconds,
        "interval_s": interval,
        "canvas": CANVAS,
        "path": "/api/predict?image=1 (as the page posts)",
        "load_before": load_state(),
    }
    proc = None
    try:
        if url is None:
            port = free_port()
            proc = start_server(port, workers)
            host, port, path = local_target(f"http://127.0.0.1:{port}")
            result["server"] = {
                "command": f"python -m web --workers {workers}",
                "workers": workers,
                "nice": os.nice(0),
            }  # scheduling priority, inherited from this process
        else:
            host, port, path = local_target(url)
            result["server"] = {"url": url}
        pid = proc.pid if proc else None
        drawing_bodies(0)  # imports done before the first level
        levels = [measure(host, port, path, u, seconds, interval, pid) for u in users]
        if find_saturation:
            levels += _search(levels, host, port, path, min(seconds, EXTRA_SECONDS), interval, pid)
    except (RuntimeError, ValueError, OSError) as exc:
        result["skipped"] = str(exc)
        return result
    finally:
        if proc is not None:
            stop_server(proc)
    result["levels"] = sorted(levels, key=lambda lv: lv["users"])
    result["saturation"] = saturation(levels)
    result["load_after"] = load_state()
    return result


def _search(levels: list[dict], host, port, path, seconds, interval, pid) -> list[dict]:
    """Extra levels that bracket the saturation point: bisect between the most users that were
    good and the fewest that were not, or double past the last level while it stays good."""
    extra: list[dict] = []
    for _ in range(EXTRA_LEVELS):
        done = levels + extra
        good_users = [lv["users"] for lv in done if good(lv)]
        bad_users = [lv["users"] for lv in done if not good(lv)]
        lo = max(good_users, default=0)
        hi = min([u for u in bad_users if u > lo], default=None)
        if hi is None:
            nxt = min(2 * lo, MAX_USERS) if lo else 1
        else:
            nxt = (lo + hi) // 2
        if nxt in {lv["users"] for lv in done} or nxt <= 0 or (hi is not None and hi - lo <= max(2, lo // 10)):
            break
        extra.append(measure(host, port, path, nxt, seconds, interval, pid))
    return extra


def report(result: dict) -> str:
    """The load table as Markdown, with the saturation point and what shared the CPU."""
    if "skipped" in result:
        return f"not measured: {result['skipped']}"
    header = [
        "users",
        "offered req/s",
        "answered req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "load gen CPU",
        "server CPU",
        "other processes' CPU",
        "machine busy",
    ]
    rows = []
    for lv in result["levels"]:
        rows.append(
            [
                str(lv["users"]),
                f"{lv['offered_rps']:.0f}",
                f"{lv['throughput_rps']:.1f}",
                fmt_ms(lv["p50_ms"]),
                fmt_ms(lv["p99_ms"]),
                str(lv["errors"]),
                f"{lv['generator_cpu']:.0%}",
                "n/a" if lv["server_cpu"] is None else f"{lv['server_cpu']:.0%}",
                "n/a" if lv.get("others_cpu") is None else f"{lv['others_cpu']:.0%}",
                "n/a" if lv["machine_busy"] is None else f"{lv['machine_busy']:.0%} of {lv['cores']}",
            ]
        )
    sat = result.get("saturation")
    server = result.get("server", {})
    lines = [md_table(header, rows), ""]
    if "command" in server:
        lines.append(
            f"Server: `{server['command']}` on 127.0.0.1, started by the benchmark (nice {server['nice']}); "
            f"{result['canvas']}x{result['canvas']} px canvas."
        )
    # the levels added to find the saturation point run EXTRA_SECONDS (their wall time adds the last answers)
    extra = any(lv.get("seconds", 0) < 0.75 * result["seconds_per_level"] for lv in result["levels"])
    lines.append(
        f"{result['seconds_per_level']:.0f} s a level"
        + (f" ({EXTRA_SECONDS:.0f} s for the levels added to find the saturation point)" if extra else "")
        + f", each user posting its drawing every {result['interval_s'] * 1000:.0f} ms; answered req/s over each "
        "level's whole time, its last answers included; CPU as a share of one core."
    )
    if sat:
        lines.append(
            f"Saturation point: {sat['throughput_rps']:.0f} req/s ({sat['users']} user"
            f"{'s' if sat['users'] != 1 else ''}) with p99 "
            f"{sat['p99_ms']:.0f} ms <= {SATURATION_P99_MS:.0f} ms and no errors."
        )
    else:
        lines.append(f"Saturation point: no level had p99 <= {SATURATION_P99_MS:.0f} ms without errors.")
    before = result.get("load_before", {})
    others = before.get("busy_processes") or []
    lines.append(
        f"Machine before the run: {before.get('cpu_busy', 0) or 0:.0%} busy, load average "
        f"{before.get('loadavg_1min')}" + (f"; busy: {'; '.join(others)}" if others else "")
    )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=first_paragraph(__doc__))
    parser.add_argument(
        "--users",
        default=",".join(map(str, USERS)),
        help="comma-separated numbers of simulated users (default: %(default)s)",
    )
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per level (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default: %(default)s)")
    parser.add_argument("--url", help="an already running server on 127.0.0.1 (default: start one)")
    parser.add_argument("--no-saturation", action="store_true", help="only the given levels")
    parser.add_argument("--out", help="also write the figures to this JSON file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        users = [int(u) for u in args.users.split(",")]
        if not users or min(users) < 1 or max(users) > MAX_USERS or not 0 < args.seconds <= 600 or args.workers < 1:
            raise ValueError
    except ValueError:
        print(
            f"error: --users must be numbers from 1 to {MAX_USERS}, --seconds from 0 to 600, --workers >= 1",
            file=sys.stderr,
        )
        return 2
    result = run(users, args.seconds, args.workers, args.url, find_saturation=not args.no_saturation)
    print(report(result))
    if args.out:
        write_json(args.out, result)
    return 1 if "skipped" in result else 0


if __name__ == "__main__":
    sys.exit(main())
