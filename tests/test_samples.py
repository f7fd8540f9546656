"""The user's samples file (recognizer.samples): round trip, atomic saves, crashes and kills."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from recognizer.errors import DataError
from recognizer.samples import UserSamples, data_dir, default_samples_path, personal_model_path

ROOT = Path(__file__).resolve().parent.parent


def image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((28, 28)).astype(np.float32)


def test_round_trip_with_ragged_strokes(tmp_path):
    store = UserSamples(tmp_path / "deep" / "samples.npz")
    assert len(store.load()) == 0  # no file yet: no samples
    strokes_a = [[(1.0, 2.0), (3.5, 4.0), (5.0, 6.0)], [(7.0, 8.0)]]  # a stroke of one point (a dot)
    assert store.add(image(1), 7, strokes_a) == 1
    assert store.add((image(2) * 255).astype(np.uint8), 0, None) == 2  # no strokes (an image)
    assert store.add(image(3), 9, [np.array([[0, 0], [10, 10]])]) == 3
    s = store.load()
    assert s.labels.tolist() == [7, 0, 9]
    assert s.images.shape == (3, 28, 28) and s.images.dtype == np.uint8
    np.testing.assert_array_equal(s.images[0], np.round(image(1) * 255).astype(np.uint8))
    assert [len(x) for x in s.strokes] == [2, 0, 1]
    np.testing.assert_allclose(s.strokes[0][0], [[1, 2], [3.5, 4], [5, 6]])
    np.testing.assert_allclose(s.strokes[0][1], [[7, 8]])
    np.testing.assert_allclose(s.strokes[2][0], [[0, 0], [10, 10]])
    assert (np.diff(s.created) >= 0).all()
    with np.load(store.path, allow_pickle=False) as f:  # plain arrays, no pickled objects
        assert {f[k].dtype.kind for k in f.files} <= {"u", "i", "f"}


def test_pop_removes_the_newest(tmp_path):
    store = UserSamples(tmp_path / "samples.npz")
    assert store.pop() is None
    store.add(image(1), 3, [[(0, 0), (1, 1)]])
    store.add(image(2), 4, [[(2, 2)]])
    assert store.pop() == 4
    s = store.load()
    assert s.labels.tolist() == [3] and len(s.strokes) == 1


def test_pop_takes_back_only_this_stores_own_save(tmp_path):
    """Two app windows save to one file: U in one removed the other's newer sample."""
    a, b = UserSamples(tmp_path / "samples.npz"), UserSamples(tmp_path / "samples.npz")
    a.add(image(1), 7, [[(0, 0)]])
    b.add(image(2), 3, [[(1, 1)]])
    assert a.pop() == 7
    assert a.load().labels.tolist() == [3] and a.load().strokes[0][0].tolist() == [[1, 1]]
    assert a.pop() is None  # taken back already
    assert b.pop() == 3 and len(b.load()) == 0


def test_pop_takes_back_its_own_save_when_two_saves_share_a_clock_tick(tmp_path, monkeypatch):
    from recognizer import samples

    monkeypatch.setattr(samples.time, "time", lambda: 1_800_000_000.0)  # a clock that repeats itself
    a, b = UserSamples(tmp_path / "samples.npz"), UserSamples(tmp_path / "samples.npz")
    a.add(image(1), 7)
    b.add(image(2), 3)
    assert a.pop() == 7 and a.load().labels.tolist() == [3]


def test_a_samples_file_on_a_read_only_file_system_is_counted_and_saving_says_why(tmp_path, monkeypatch):
    """Counting took the lock by opening <file>.lock for writing: on a read-only mount L called a
    readable samples file "damaged" and refused to learn. The count reads it without a lock there."""
    import builtins
    import errno

    from recognizer import fileio

    store = UserSamples(tmp_path / "samples.npz")
    for digit in (1, 2, 2):
        store.add(np.zeros((28, 28), np.float32), digit)
    lock = tmp_path / "samples.npz.lock"
    lock.unlink()

    def read_only(path, mode="r", *args, **kwargs):
        if Path(path) == lock:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return builtins.open(path, mode, *args, **kwargs)

    monkeypatch.setattr(fileio, "open", read_only, raising=False)
    assert store.counts().tolist() == [0, 1, 2, 0, 0, 0, 0, 0, 0, 0]
    monkeypatch.setattr(fileio.tempfile, "mkstemp", lambda *a, **k: read_only(lock))
    with pytest.raises(OSError, match="Read-only"):
        store.add(np.zeros((28, 28), np.float32), 3)
    assert store.counts().tolist() == [0, 1, 2, 0, 0, 0, 0, 0, 0, 0]


def test_a_lock_file_this_user_may_not_open_in_a_writable_folder_is_an_error(tmp_path, monkeypatch):
    """Only where nobody can write is the lock done without: a .lock another user made, in a folder
    both may write to, must not let two writers run unlocked (each deleting the other's temporary
    file as stale)."""
    import builtins
    import errno

    from recognizer import fileio

    store = UserSamples(tmp_path / "samples.npz")
    store.add(np.zeros((28, 28), np.float32), 1)
    lock = tmp_path / "samples.npz.lock"
    someone_elses = tmp_path / ".samples.npz.123.tmp"  # a writer's file under way
    someone_elses.write_bytes(b"half")

    def not_mine(path, mode="r", *args, **kwargs):
        if Path(path) == lock:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return builtins.open(path, mode, *args, **kwargs)

    monkeypatch.setattr(fileio, "open", not_mine, raising=False)
    with pytest.raises(PermissionError):
        store.counts()
    with pytest.raises(PermissionError):
        store.add(np.zeros((28, 28), np.float32), 2)
    assert someone_elses.exists()


def test_counting_while_another_window_saves_reads_one_file(tmp_path, monkeypatch):
    """counts() reads the labels and then the images' header: a save landing in between made a good
    file read as inconsistent, and the app said to move it aside."""
    import threading

    from recognizer import samples

    a, b = UserSamples(tmp_path / "samples.npz"), UserSamples(tmp_path / "samples.npz")
    a.add(image(1), 1)
    header = samples._npy_header

    def saved_meanwhile(path, key):
        writer = threading.Thread(target=b.add, args=(image(2), 2))
        writer.start()
        writer.join(0.5)  # under counts()' lock the save waits for it
        return header(path, key)

    monkeypatch.setattr(samples, "_npy_header", saved_meanwhile)
    assert a.counts().tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    monkeypatch.undo()
    time.sleep(0.1)
    for _ in range(100):  # the save goes ahead once counts() is done
        if len(a.load()) == 2:
            break
        time.sleep(0.05)
    assert a.load().labels.tolist() == [1, 2]


def test_pop_of_a_sample_gone_from_the_file_removes_nothing(tmp_path):
    a, b = UserSamples(tmp_path / "samples.npz"), UserSamples(tmp_path / "samples.npz")
    a.add(image(1), 7)
    b.add(image(2), 3)
    a.path.unlink()  # the user moved the file aside
    b.add(image(3), 5)
    assert a.pop() is None and b.load().labels.tolist() == [5]


@pytest.mark.parametrize("limit", ["strokes", "bytes"])
def test_a_save_that_would_make_the_file_unreadable_is_refused(tmp_path, monkeypatch, limit):
    """The reader refuses a file over MAX_FILE_STROKES strokes or read_npz's size limit: a save
    that went past either lost every sample in the file, the old ones too."""
    from recognizer import samples

    store = UserSamples(tmp_path / "samples.npz")
    store.add(image(1), 1, [[(0, 0)], [(1, 1)]])
    if limit == "strokes":
        monkeypatch.setattr(samples, "MAX_FILE_STROKES", 3)
    else:
        size = sum(a.nbytes + samples.NPY_HEADER_ROOM for a in samples._pack(store.load()).values())
        monkeypatch.setattr(samples, "MAX_DATA_BYTES", size + 100)  # room for less than one more image
    with pytest.raises(DataError, match="the samples file is full .1 samples, 2 strokes.: rename it to start"):
        store.add(image(2), 2, [[(2, 2)], [(3, 3)]])
    assert store.load().labels.tolist() == [1]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"version": np.int64(2)}, "samples format 2 is newer than this program's"),
        ({"images": np.zeros((1, 28, 28), np.float32)}, "inconsistent samples file"),
        ({"images": np.zeros((2, 28, 28), np.uint8)}, "inconsistent samples file"),
        ({"version": np.float64(1.0)}, "inconsistent samples file"),
    ],
    ids=["newer format", "float images", "more images than labels", "version not an integer"],
)
def test_counts_refuse_a_file_that_load_refuses(tmp_path, change, message):
    """The app's L counts the samples without reading them: a file load() refuses passed that count,
    and a learning run started only to fail after loading TensorFlow."""
    from recognizer import samples

    store = UserSamples(tmp_path / "samples.npz")
    store.add(image(1), 1)
    arrays = {**samples._pack(store.load()), **change}
    np.savez(store.path, **arrays)
    for read in (store.load, store.counts):
        with pytest.raises(DataError, match=message):
            read()


@pytest.mark.parametrize(
    "change",
    [
        {"created": np.array(["2026-12-06"], "datetime64[D]")},
        {"points": np.zeros((1, 2), np.complex64)},
        {"points": np.full((1, 2), np.nan, np.float32)},
    ],
    ids=["dates for times", "complex points", "NaN points"],
)
def test_a_file_of_other_types_is_refused_on_reading_not_on_the_next_save(tmp_path, change):
    """They read fine, and the next add() failed with NumPy's error (dates) or silently dropped
    the imaginary part (complex points); NaN points, which add() refuses, were read as they were."""
    from recognizer import samples

    store = UserSamples(tmp_path / "samples.npz")
    store.add(image(1), 1, [[(0, 0)]])
    np.savez(store.path, **{**samples._pack(store.load()), **change})
    with pytest.raises(DataError, match="inconsistent samples file"):
        store.load()
    with pytest.raises(DataError, match="inconsistent samples file"):
        store.add(image(2), 2)


def test_default_path_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_samples_path() == tmp_path / "digit-recognizer" / "samples.npz"
    assert UserSamples().path == default_samples_path()
    assert personal_model_path() == tmp_path / "digit-recognizer" / "personal.tflite"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # the spec: relative paths are ignored
    assert data_dir() == Path.home() / ".local" / "share" / "digit-recognizer"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert data_dir() == Path.home() / ".local" / "share" / "digit-recognizer"


@pytest.mark.parametrize(
    "bad",
    [
        dict(image=np.zeros((20, 20)), label=1),
        dict(image=np.zeros((28, 28)), label=10),
        dict(image=np.zeros((28, 28)), label=-1),
        dict(image=np.zeros((28, 28)), label=True),
        dict(image=np.zeros((28, 28)), label=2.0),
        dict(image=np.full((28, 28), np.nan), label=1),
        dict(image=np.zeros((28, 28)), label=1, strokes=[[(0, np.inf)]]),
    ],
)
def test_bad_samples_are_refused_and_nothing_changes(tmp_path, bad):
    store = UserSamples(tmp_path / "samples.npz")
    store.add(image(0), 5)
    before = store.path.read_bytes()
    with pytest.raises(DataError):
        store.add(bad["image"], bad["label"], bad.get("strokes"))
    assert store.path.read_bytes() == before


def test_corrupt_file_is_reported_and_never_overwritten(tmp_path):
    path = tmp_path / "samples.npz"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    store = UserSamples(path)
    with pytest.raises(DataError, match="cannot read samples"):
        store.load()
    with pytest.raises(DataError):
        store.add(image(0), 1)
    assert path.read_bytes() == b"PK\x03\x04 not really a zip"
    np.savez(path, images=np.zeros((1, 28, 28), np.uint8))  # a foreign npz
    with pytest.raises(DataError, match="not a samples file"):
        store.load()


@pytest.mark.parametrize(
    "change",
    [
        dict(version=np.array("one")),  # text where a number belongs
        dict(version=np.array([1, 2])),
        dict(stroke_start=np.array([0.0, 1.5])),
        dict(labels=np.zeros((1, 1), np.uint8)),
        dict(point_start=np.array([-2, 0])),
        dict(stroke_start=np.array([0, -1]), point_start=np.zeros(0, np.int64)),
        dict(points=np.array([["a", "b"]])),
        dict(labels=np.array([10], np.uint8)),  # not a digit: would be a class the model does not have
        # 14 million strokes of no points: a small file that took 2.4 GB to read, a Python object each
        dict(stroke_start=np.array([0, 14_000_000]), point_start=np.zeros(14_000_001, np.int64)),
        dict(stroke_start=np.array([0, 1_001]), point_start=np.zeros(1_002, np.int64)),
    ],
)
def test_a_samples_file_with_malformed_arrays_is_refused_in_one_line(tmp_path, change):
    """Arrays of the wrong type or shape (a file written by something else, or damaged) are a
    DataError saying what to do, never a ValueError or IndexError from deep inside the reader
    (the app's saving thread once died of one)."""
    store = UserSamples(tmp_path / "samples.npz")
    store.add(image(0), 5, [[(1.0, 2.0), (3.0, 4.0)]])
    with np.load(store.path) as f:
        arrays = {k: f[k] for k in f.files}
    np.savez(store.path, **{**arrays, **change})
    with pytest.raises(DataError, match="inconsistent samples file; move it aside") as caught:
        store.load()
    assert len(str(caught.value).splitlines()) == 1


def test_a_sample_of_more_strokes_than_a_file_may_hold_is_refused_and_the_file_stays_readable(tmp_path):
    """The reader refuses a sample of over MAX_SAMPLE_STROKES strokes: adding one used to make the
    whole file unreadable, every earlier sample with it."""
    from recognizer.samples import MAX_SAMPLE_STROKES

    store = UserSamples(tmp_path / "samples.npz")
    store.add(image(0), 1, [[(0.0, 0.0), (1.0, 1.0)]] * MAX_SAMPLE_STROKES)
    with pytest.raises(DataError, match="at most 1,000 strokes"):
        store.add(image(1), 2, [[(0.0, 0.0)]] * (MAX_SAMPLE_STROKES + 1))
    assert store.load().labels.tolist() == [1]


@pytest.mark.parametrize("where", ["mid-write", "before-rename"])
def test_crash_while_saving_keeps_the_old_file(tmp_path, monkeypatch, where):
    store = UserSamples(tmp_path / "samples.npz")
    store.add(image(0), 1, [[(0, 0), (5, 5)]])
    store.add(image(1), 2)
    before = store.path.read_bytes()

    class Crash(Exception):
        pass

    if where == "mid-write":

        def savez(f, **arrays):  # write part of the new file, then die
            f.write(b"PK\x03\x04" + b"\0" * 100)
            raise Crash

        monkeypatch.setattr(np, "savez", savez)
    else:

        def replace(src, dst):
            raise Crash

        monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(Crash):
        store.add(image(2), 3)
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert store.load().labels.tolist() == [1, 2]
    assert not list(tmp_path.glob(".samples.npz.*.tmp"))  # no temporary file left behind


WRITER = textwrap.dedent("""
    import sys, numpy as np
    sys.path.insert(0, {root!r})
    from recognizer.samples import UserSamples
    store = UserSamples(sys.argv[1])
    rng = np.random.default_rng(int(sys.argv[2]))
    print("ready", flush=True)
    for i in range(int(sys.argv[3])):
        strokes = [rng.uniform(0, 400, (int(rng.integers(1, 60)), 2)) for _ in range(3)]
        store.add(rng.random((28, 28)), int(rng.integers(10)), strokes)
""")


def writer(path, seed, count):
    code = WRITER.format(root=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", code, str(path), str(seed), str(count)], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    return proc


def test_killed_writer_never_corrupts_or_loses_samples(tmp_path):
    """SIGKILL a process that keeps adding samples, at random moments: the file always loads,
    holds every sample it held before, and its arrays agree with each other."""
    path = tmp_path / "samples.npz"
    store = UserSamples(path)
    rng = np.random.default_rng(0)
    count = 0
    for round_ in range(6):
        proc = writer(path, round_, 100_000)
        time.sleep(rng.uniform(0.02, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        samples = store.load()  # never raises: the file is always whole
        assert len(samples) >= count
        assert len(samples.strokes) == len(samples.labels) == len(samples.images)
        assert all(len(s) == 3 for s in samples.strokes)
        count = len(samples)
    assert count > 0
    store.add(image(0), 4)  # a later add cleans up temporary files the killed writers left
    assert not list(tmp_path.glob(".samples.npz.*.tmp"))


def test_two_writers_lose_nothing(tmp_path):
    path = tmp_path / "samples.npz"
    procs = [writer(path, seed, 15) for seed in (1, 2)]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    assert len(UserSamples(path).load()) == 30


def test_every_sample_is_kept_however_many(tmp_path):
    """The store keeps every sample the user saves, oldest first: add() returns the count, which
    grows by one each time, well past any small number a capped store would stop at."""
    store = UserSamples(tmp_path / "samples.npz")
    labels = [i % 10 for i in range(45)]
    for i, label in enumerate(labels):
        assert store.add(image(i), label, [[(float(i), 0.0)]]) == i + 1
    s = store.load()
    assert len(s) == len(store) == 45
    assert s.labels.tolist() == labels
    assert [float(x[0][0, 0]) for x in s.strokes] == list(range(45))
    np.testing.assert_array_equal(s.images[0], np.round(image(0) * 255).astype(np.uint8))


RACER = textwrap.dedent("""
    import os, sys, time, numpy as np
    sys.path.insert(0, {root!r})
    from recognizer.samples import UserSamples
    store = UserSamples(sys.argv[1])
    go, seed = sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    for i in range(int(sys.argv[4])):
        store.add(np.full((28, 28), seed, np.uint8), seed, [[(float(i), 0.0)]])
""")


def test_writers_adding_at_the_same_time_lose_nothing(tmp_path):
    """Three processes (three app windows) add samples at the same moment, each waiting for one
    start signal: the lock must serialize their read-modify-writes, or one rewrites the file
    from what it read before another's add and that sample is lost."""
    path, go = tmp_path / "samples.npz", tmp_path / "go"
    code = RACER.format(root=str(ROOT))
    count = 30
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path), str(go), str(seed), str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for seed in (1, 2, 3)
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == b"ready"
        go.touch()  # all three start together
        errors = [proc.communicate(timeout=60)[1].decode()[-2000:] for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert [proc.returncode for proc in procs] == [0, 0, 0], errors
    s = UserSamples(path).load()
    assert len(s) == 3 * count
    for seed in (1, 2, 3):  # each writer's samples, all of them, in the order it added them
        own = s.labels == seed
        assert own.sum() == count and (s.images[own] == seed).all()
        assert [float(x[0][0, 0]) for x, mine in zip(s.strokes, own) if mine] == list(range(count))


def test_a_samples_path_given_that_names_no_file_is_not_no_samples_yet(tmp_path):
    """learn --samples with a typo said "found 0 ... press the right digit key"; a folder was called
    a damaged samples file, to be renamed."""
    from recognizer.errors import DataError
    from recognizer.samples import load_at_least

    with pytest.raises(DataError, match=r"--samples .*typo\.npz: not found \(without --samples"):
        load_at_least(tmp_path / "typo.npz", 3, "saved samples to learn from")
    with pytest.raises(DataError, match="is a folder, not a samples file"):
        load_at_least(tmp_path, 3, "saved samples to learn from")
