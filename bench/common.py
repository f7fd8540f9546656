"""What every section shares: timing statistics, confidence intervals, machine facts."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import re
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from recognizer.card import code_commit
from recognizer.fileio import atomic_write
from recognizer.marks import MARKS

ROOT = Path(__file__).resolve().parent.parent
# An absolute path inside a string: "/" not preceded by a word character, ".", ":", "/" or "~"
# (so "ms/step", "p50/p99" and URLs are left alone), up to whitespace, a quote or a bracket.
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/[^\s'\"(),;]+")


def relative_path(path: str | os.PathLike, root: Path = ROOT) -> str:
    """A path as committed results may show it: relative to the checkout (`recognizer/models/x.tflite`),
    else only its file name (`mnist.npz`): never where this machine keeps it."""
    path = Path(os.path.abspath(path))
    if path == root or root in path.parents:
        return path.relative_to(root).as_posix()
    return path.name


def portable(value, root: Path = ROOT):
    """`value` (JSON-like: dicts, lists, strings) with every absolute path in its strings made
    relative by relative_path(), e.g. a model path or a busy process's command line."""
    if isinstance(value, dict):
        return {k: portable(v, root) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [portable(v, root) for v in value]
    if isinstance(value, str):
        return ABSOLUTE_PATH.sub(lambda m: relative_path(m.group(0), root), value)
    return value


def timing_stats(samples_ns, repeats: int = 1) -> dict:
    """Median, p99, mean and max in ms of pooled per-call samples, and the spread of the
    per-repeat medians (the samples are the repeats' runs one after another, equal lengths)."""
    ms = np.asarray(samples_ns, dtype=np.float64) / 1e6
    per_repeat = [float(np.median(chunk)) for chunk in np.array_split(ms, max(1, repeats))]
    return {
        "n": int(ms.size),
        "repeats": int(repeats),
        "p50_ms": round(float(np.median(ms)), 4),
        "p99_ms": round(float(np.percentile(ms, 99)), 4),
        "mean_ms": round(float(ms.mean()), 4),
        "max_ms": round(float(ms.max()), 4),
        "p50_range_ms": [round(min(per_repeat), 4), round(max(per_repeat), 4)],
    }


def wilson(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (sane near 0 and 1, unlike the normal one)."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = correct / n
    denom = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, mid - half), min(1.0, mid + half))


def accuracy_entry(correct: int, n: int) -> dict:
    low, high = wilson(correct, n)
    return {
        "correct": int(correct),
        "n": int(n),
        "accuracy": round(correct / n, 5) if n else None,
        "ci95": [round(low, 5), round(high, 5)] if n else None,
    }


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def cpu_busy(seconds: float = 1.0) -> float | None:
    """Fraction of all CPUs busy (any process) over `seconds`, from /proc/stat; None elsewhere."""

    def read():
        with open("/proc/stat") as f:
            fields = [float(v) for v in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
        return sum(fields), idle

    try:
        total0, idle0 = read()
        time.sleep(seconds)
        total1, idle1 = read()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    return round(1.0 - (idle1 - idle0) / total, 3) if total > 0 else None


def busy_processes(threshold: float = 0.2, seconds: float = 0.5) -> list[str]:
    """Other processes using more than `threshold` of a CPU (needs psutil; [] without it)."""
    try:
        import psutil
    except ImportError:
        return []
    me = os.getpid()
    procs = []
    for p in psutil.process_iter(["pid", "name", "cmdline"]):
        if p.info["pid"] == me:
            continue
        try:
            p.cpu_percent(None)
            procs.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    time.sleep(seconds)
    busy = []
    for p in procs:
        try:
            share = p.cpu_percent(None) / 100.0
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if share > threshold:
            cmd = " ".join(" ".join(p.info["cmdline"] or [p.info["name"] or "?"]).split())
            busy.append(f"{cmd[:80]} ({share:.0%} of a CPU)")
    return busy


def machine_info() -> dict:
    """The facts needed to compare figures across machines: CPU, cores, memory, versions, date."""
    try:
        mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        mem_gib = None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "memory_gib": mem_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "opencv": _version("opencv-python-headless") or _version("opencv-python"),
        "tensorflow": _version("tensorflow-cpu") or _version("tensorflow"),
        "keras": _version("keras"),
        "ai_edge_litert": _version("ai-edge-litert"),
        "onnxruntime": _version("onnxruntime"),
        "pygame": _version("pygame"),
        "git_commit": code_commit(),
        "argv": sys.argv[1:],
    }


def load_state() -> dict:
    """How busy the machine is right now: a skeptical reader checks this first."""
    try:
        load1 = round(os.getloadavg()[0], 2)
    except OSError:
        load1 = None
    return {"cpu_busy": cpu_busy(1.0), "loadavg_1min": load1, "busy_processes": busy_processes()}


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def without_marks(text: str) -> str:
    """A reading (number_text) without the marks between its digits: "52.09" -> "5209"."""
    return "".join(c for c in text if c not in MARKS)


def digits_in(text: str) -> int:
    """How many digits a reading (number_text) holds, "?" included: a mark between digits
    ("52.09", recognizer.marks) is none, and a number read with a wrong mark has its count right."""
    return sum(c.isdigit() or c == "?" for c in text)


def fmt_pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def md_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table with columns padded to line up in a terminal too."""
    cells = [header] + rows
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows[:]])


class Clock:
    """Wall time of a block, in seconds: `with Clock() as c: ...; c.seconds`."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        return False


def write_json(path: str | os.PathLike, value, indent: int = 2) -> None:
    """Write `value` as JSON to `path` atomically: a stopped run never leaves a half-written file."""
    with atomic_write(path) as f:
        f.write(json.dumps(value, indent=indent) + "\n")


def write_png(path: str | os.PathLike, image: np.ndarray) -> None:
    """Write a picture (uint8, gray or BGR) as PNG to `path` atomically; OSError if it cannot be
    encoded (cv2.imwrite returned False, and the file was silently missing)."""
    import cv2

    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise OSError(f"{path}: cannot encode the picture as PNG")
    with atomic_write(path, "wb") as f:
        f.write(png.tobytes())
