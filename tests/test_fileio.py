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


def test_an_existing_file_keeps_its_mode_and_a_link_is_written_through(tmp_path):
    """As open() would: a private file (0600) stayed private only until the first save made it
    0644, and a link (samples.npz -> a synced folder's copy) was replaced by a file of its own,
    the copy it pointed to never updated again."""
    private = tmp_path / "private.npz"
    private.write_text("old")
    private.chmod(0o600)
    with atomic_write(private) as f:
        f.write("new")
    assert private.read_text() == "new" and stat.S_IMODE(private.stat().st_mode) == 0o600
    target, link = tmp_path / "synced" / "real.csv", tmp_path / "link.csv"
    target.parent.mkdir()
    target.write_text("old")
    link.symlink_to(target)
    with atomic_write(link) as f:
        f.write("new")
    assert link.is_symlink() and link.resolve() == target.resolve() and target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["real.csv"]  # no temporary file left
