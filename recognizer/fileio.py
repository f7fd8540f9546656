"""Files written whole or not at all, and hashed: atomic writes (readers, and a crash at any
moment, see the old file or the new one, never half of one) and SHA-256 fingerprints."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from .errors import DataError


def first_paragraph(doc: str | None) -> str:
    """A module docstring's first paragraph on one line: a command's --help description (its first
    line alone stopped mid-sentence in 9 commands)."""
    return " ".join((doc or "").split("\n\n")[0].split())


def command_prog(command: str) -> str:
    """A command's name for its usage line, as the user can type it: `digit-recognizer predict` when
    run from the installed script, else `python -m recognizer predict`."""
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return f"{'digit-recognizer' if script == 'digit-recognizer' else 'python -m recognizer'} {command}"


def path_arg(value: str) -> str:
    """argparse type of a path option: an empty one (a shell variable left unset) is refused, not
    taken as "not given" (`learn --out ""` replaced the personal model the app reads)."""
    if not value:
        import argparse

        raise argparse.ArgumentTypeError("an empty path: give one, or leave the option out")
    return value


def name_too_long(path: str | os.PathLike) -> bool:
    """Whether the file system refuses path's name as too long (a part over 255 bytes): pathlib's
    exists() and is_dir() raise OSError for it, where for a missing file they say False."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ENAMETOOLONG
    except ValueError:  # a NUL byte: no file has it, exists() says so
        return False
    return False


def check_writable(
    path: str | os.PathLike,
    flag: str,
    folder: bool = False,
    inputs: Mapping[str, str | os.PathLike | None] | None = None,
    outputs: Mapping[str, str | os.PathLike | None] | None = None,
) -> Path:
    """`path` if a command can write its file there (a folder with folder=True), else a DataError
    naming `flag`: checked before any work, so that a typo is not found after an hour of training.
    Folders that do not exist yet are made when written: the nearest existing one (a folder given
    itself, if it exists) must be writable. inputs, outputs: the other files the command reads and
    writes (flag -> path, None when not given); writing over one of them is refused (`--out` naming
    the model being calibrated replaced it with a page of JSON)."""
    path = Path(path)
    for does, files in (("reads", inputs), ("writes", outputs)):
        for name, given in (files or {}).items():
            if given is not None and _same_file(path, Path(given)):
                raise DataError(f"{flag} {path} is the {name} file this command {does}: choose another path")
    if path.exists() and path.is_dir() != folder:
        raise DataError(
            f"{flag} {path}: is {'a file' if folder else 'a folder'}; give {'a folder' if folder else 'a file name'}"
        )
    candidates = [path.absolute()] if folder else []
    existing = next((p for p in [*candidates, *path.absolute().parents] if p.exists()), path.absolute())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise DataError(f"{flag} {path}: cannot write there ({existing} is not a folder this user may write to)")
    return path


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (links and relative paths included)."""
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **open_kwargs) -> Iterator[IO]:
    """Open a temporary file beside `path`; when the block ends without error, flush it to disk
    and rename it over `path`. On error the temporary file is removed and `path` is untouched.
    As open() would: a symbolic link is written through (its target replaced, the link kept), and
    a file that exists keeps its permissions (a private samples file stays private)."""
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        permissions = stat.S_IMODE(path.stat().st_mode)
    except OSError:  # a new file: a plain open()'s mode (mkstemp makes files private)
        permissions = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, permissions)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive lock on the file at `path` (made if absent) for the block: one writer at a
    time, across processes (POSIX flock; elsewhere no lock: one app at a time). wait=False: raise
    BlockingIOError at once if another holds it (a UI thread must not wait). Yields whether it
    holds the lock: not where the lock file cannot be made because nobody can write there (a
    read-only file system or folder), where the block runs without it (a count reads the file; a
    save fails on its own write, saying why). A lock file this user may not open in a folder it may
    write to is an error (PermissionError naming it): writers there would not take turns."""
    try:
        import fcntl
    except ImportError:
        yield False
        return
    path = Path(path)
    try:
        lock = open(path, "a")
    except OSError as exc:
        read_only = exc.errno == errno.EROFS or not os.access(path.parent, os.W_OK)
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM) or not read_only:
            raise
        yield False
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def replace_files(moves: list[tuple[Path, Path]]) -> None:
    """Rename each finished temporary file over its target, after flushing all of them to disk: a
    crash then leaves every target old or new and whole (a set of files cannot be swapped in one
    step, so between two renames a reader can still see one new file beside one old)."""
    for tmp, _ in moves:
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    for tmp, target in moves:
        os.replace(tmp, target)
    for folder in {target.parent for _, target in moves}:
        _fsync_dir(folder)


class StopCleanly:
    """While in this block, SIGTERM (the app closing while it learns) raises SystemExit and SIGINT
    KeyboardInterrupt, so that `with` blocks remove their temporary files on the way out (SIGTERM's
    default ended the process on the spot); inside held(), either waits until the block is done,
    so that files being moved into place move all or none. Only the main thread receives signals:
    elsewhere this does nothing."""

    SIGNALS = {signal.SIGTERM: "terminated", signal.SIGINT: "interrupted"}

    def __init__(self) -> None:
        self._holding = False
        self._pending: int | None = None
        self._stopped: int | None = None  # the signal of a stop already raised (check)
        self._old: dict[int, object] = {}

    def __enter__(self) -> StopCleanly:
        if threading.current_thread() is threading.main_thread():
            self._old = {signum: signal.signal(signum, self._on_signal) for signum in self.SIGNALS}
        return self

    def __exit__(self, *exc_info) -> None:
        for signum, handler in self._old.items():
            signal.signal(signum, handler)
        self._old = {}

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """A stop asked for in this block happens when it ends."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
            if self._pending is not None:
                self._stop(self._pending)

    def _on_signal(self, signum: int, frame) -> None:
        if self._holding:
            self._pending = signum
        else:
            self._stop(signum)

    def check(self) -> None:
        """Raise again a stop whose exception was lost: a signal that lands while Python runs a
        finalizer (TensorFlow's, in learn) raises there, where Python prints the exception and goes
        on; the second signal that could stop it again is ignored. Called before files move into
        place, so that such a stop still leaves the old ones."""
        if self._stopped is not None:
            self._stop(self._stopped)

    def _stop(self, signum: int) -> None:
        """Raise the exception that unwinds the `with` blocks (once: a second signal is ignored; said
        once, when check() raises it again)."""
        again, self._stopped = self._stopped is not None, signum
        for other in self._old:
            signal.signal(other, signal.SIG_IGN)  # the clean-up is not cut short
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        if not again:
            with contextlib.suppress(OSError):  # the app that read our output may be gone
                print(self.SIGNALS[signum], file=sys.stderr, flush=True)
        raise SystemExit(128 + signum)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file, read in blocks: ties a model card or calibration to its exact files."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
