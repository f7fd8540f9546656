"""Atomic writes (recognizer.fileio.atomic_write): flushed to disk before the rename, the rename
made durable, and the file's mode a plain open()'s."""

import os
import stat
from pathlib import Path

import pytest

from recognizer import fileio
from recognizer.fileio import atomic_write


@pytest.fixture
def synced(monkeypatch):
    """The calls atomic_write makes, in order: ("fsync", "file" or "folder", inode) and
    ("replace", target name, inode of the file renamed)."""
    events = []
    real_fsync, real_replace = fileio.os.fsync, fileio.os.replace

    def fsync(fd):
        st = os.fstat(fd)
        events.append(("fsync", "folder" if stat.S_ISDIR(st.st_mode) else "file", st.st_ino))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", Path(dst).name, os.stat(src).st_ino))
        return real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "fsync", fsync)
    monkeypatch.setattr(fileio.os, "replace", replace)
    return events


@pytest.mark.parametrize("mode, data", [("w", "new text"), ("wb", b"new bytes")])
def test_the_file_is_on_disk_before_the_rename_and_the_rename_after(tmp_path, synced, mode, data):
    """A crash at any moment leaves the old file or the new one whole: the new file's data is
    fsync'ed before it is renamed over the old (else the rename can reach the disk first, and a
    power cut leaves an empty file under the old name), and the folder after (else the rename
    itself can be lost)."""
    path = tmp_path / "out.txt"
    path.write_text("old")
    with atomic_write(path, mode) as f:
        f.write(data)
    assert path.read_bytes() == (data if isinstance(data, bytes) else data.encode())
    inode = path.stat().st_ino
    folder = tmp_path.stat().st_ino
    assert synced == [("fsync", "file", inode), ("replace", "out.txt", inode), ("fsync", "folder", folder)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]  # no temporary file left


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_the_file_gets_the_mode_a_plain_open_would_give(tmp_path, umask, expected):
    """The temporary file is made private (0600, mkstemp's); the written file must follow the
    umask instead, as one written by open() does, or a model or samples file the user shares
    (a group, a web server's user) becomes unreadable to the others after every save."""
    path = tmp_path / "out.json"
    old = os.umask(umask)
    try:
        with atomic_write(path) as f:
            f.write("{}")
        with open(tmp_path / "plain.json", "w") as f:
            f.write("{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == expected == stat.S_IMODE((tmp_path / "plain.json").stat().st_mode)
