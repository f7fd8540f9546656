"""deeplearning/MNIST.ipynb runs top to bottom, headless, in quick mode on generated data."""

from pathlib import Path

import nbformat
import numpy as np
import pytest

from deeplearning import run_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "deeplearning" / "MNIST.ipynb"


def outputs(nb, kind=None):
    return [o for cell in nb.cells for o in cell.get("outputs", []) if kind is None or o.output_type == kind]


def text_of(nb):
    parts = []
    for o in outputs(nb):
        if o.output_type == "stream":
            parts.append(o.text)
        elif "data" in o:
            parts.extend(str(v) for k, v in o.data.items() if k.startswith("text/"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """The notebook executed once in quick mode, without MNIST and without internet."""
    work = tmp_path_factory.mktemp("notebook")
    figures = work / "figures"
    before = NOTEBOOK.read_bytes()
    nb = run_notebook.execute(
        NOTEBOOK,
        NOTEBOOK.parent,
        "quick",
        env={
            "MNIST_NPZ": "",
            "MNIST_DOWNLOAD": "0",
            "KAGGLE_DIR": "",
            "MNIST_WORK_DIR": str(work / "run"),
            "MNIST_FIGURES_DIR": str(figures),
        },
    )
    assert NOTEBOOK.read_bytes() == before  # executing never touches the file
    return nb, work


def test_quick_mode_runs_without_errors(quick_run):
    nb, _ = quick_run
    assert not outputs(nb, "error")
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip())


def test_quick_mode_says_it_uses_generated_data(quick_run):
    nb, _ = quick_run
    text = text_of(nb)
    assert "uses generated font digits" in text
    assert "Stand-ins, not Kaggle's files" in text
    assert "mode: quick" in text


def test_notebook_shows_its_figures(quick_run):
    nb, _ = quick_run
    pictures = [o for o in outputs(nb) if "image/png" in o.get("data", {})]
    # balance, samples, preprocessing, augmentation, curves, confusion matrix, worst errors
    assert len(pictures) >= 7
    assert "oneDNN" not in text_of(nb)  # TensorFlow's start-up chatter is filtered out


def test_quick_mode_writes_a_submission_and_no_figures(quick_run):
    _, work = quick_run
    lines = (work / "run" / "kaggle" / "submission.csv").read_text().splitlines()
    assert lines[0] == "ImageId,Label" and lines[1].startswith("1,") and len(lines) == 501
    assert not (work / "figures").exists()  # only the full run saves figures
    assert not (work / "run" / "mnist_cnn.keras").exists()  # nor its model


def test_committed_notebook_is_clean_or_a_full_run():
    """The committed notebook either has no outputs or those of a successful full run."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == run_notebook.KERNEL
    if outputs(nb):
        assert not outputs(nb, "error")
        assert "mode: full" in text_of(nb)
        assert "generated font digits" not in text_of(nb)
        assert "held-out writer files" in text_of(nb)  # the real-writing sections ran (UNIPEN): never skipped
        assert "no UNIPEN file" not in text_of(nb)


def test_preprocessing_figure_shows_the_real_steps():
    """The steps the notebook draws end in exactly what the app feeds the model."""
    from recognizer import plots
    from recognizer.preprocess import to_mnist
    from recognizer.strokes import rasterize
    from recognizer.synthetic import digit_strokes

    for width in (3, 22):  # a thin pen (thickened) and a bold one (kept)
        canvas = rasterize(digit_strokes(5, 400, box=(30, 50, 150, 250)), (400, 400), width=width)
        steps = plots.preprocessing_steps(canvas)
        assert len(steps) == 5
        assert np.array_equal(steps[-1][1], to_mnist(canvas))
        assert ("thickened" in steps[2][0]) == (width == 3)


def test_save_figure_is_atomic(tmp_path):
    from recognizer import plots

    fig = plots.class_balance({"train": np.arange(50) % 10})
    path = plots.save_figure(fig, tmp_path / "figures" / "balance.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in path.parent.iterdir()] == ["balance.png"]


def test_letter_verdicts_shows_the_letters_taken_for_digits_first():
    """The figure leads with the letters the detector passed, surest first, in red; then caught ones."""
    from recognizer import plots

    images = np.zeros((6, 28, 28), np.float32)
    labels = np.array(list("abcdef"))
    p = np.array([0.99, 0.10, 0.97, 0.50, 0.999, 0.30])
    fig = plots.letter_verdicts(images, labels, p, threshold=0.95, n=4, cols=4)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[:2] == ["b: passes\nP = 0.10", "f: passes\nP = 0.30"]
    assert all(t.split(":")[0] in "ace" and "not a digit" in t for t in titles[2:]) and len(titles) == 4
    colors = [ax.title.get_color() for ax in fig.axes if ax.get_title()]
    assert colors[:2] == ["tab:red"] * 2 and colors[2:] == ["tab:green"] * 2
    assert "50.0% of 6 letters" in fig._suptitle.get_text()


def test_reliability_plots_accuracy_against_confidence_and_the_threshold():
    """Answers 95% sure and right 95% of the time sit on the diagonal; the right panel counts the
    answers and the errors below the threshold."""
    from recognizer import plots

    labels = np.zeros(200, int)
    probs = np.full((200, 10), 0.05 / 9)
    probs[:, 0] = 0.95
    probs[:10] = np.roll(probs[:10], 1, axis=1)  # 10 of 200 wrong, each 95% sure of digit 1
    probs[:4, :2] = [0.3, 0.45]  # 4 of the wrong ones hesitate ...
    probs[:4] /= probs[:4].sum(axis=1, keepdims=True)  # 57% sure
    fig = plots.reliability(probs, probs, labels, threshold=0.6)
    rel, hist = fig.axes
    x, y = rel.collections[-1].get_offsets().T
    top = np.argmax(x)
    assert abs(x[top] - 0.95) < 1e-9 and abs(y[top] - 190 / 196) < 1e-9  # the 95% bin: 190 of 196 right
    assert y[np.argmin(x)] == 0.0  # the hesitant ones are all wrong
    assert hist.get_title() == "Below 0.60: 'low confidence' (2.0% of answers, 4 of 10 errors)"


# --- the runner: quick leaves the notebook alone, full saves it in place, errors exit 1 --------


def tiny_notebook(path: Path, source: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_runner_modes(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("UNIPEN_NPZ", "unipen_dev.npz")  # --full refuses to start without it
    source = "import os\nprint('mode', os.environ['MNIST_MODE'], 'work', bool(os.environ.get('MNIST_WORK_DIR')))"
    path = tiny_notebook(tmp_path / "tiny.ipynb", source)
    original = path.read_bytes()

    saved = tmp_path / "out" / "tiny.ipynb"
    assert run_notebook.main(["--notebook", str(path), "--output", str(saved)]) == 0
    assert path.read_bytes() == original
    assert "mode quick work True" in text_of(nbformat.read(saved, as_version=4))
    saved.unlink()
    saved.parent.rmdir()

    assert run_notebook.main(["--notebook", str(path), "--full"]) == 0
    assert "mode full" in text_of(nbformat.read(path, as_version=4))
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.ipynb"]  # no temporary file left


def test_runner_refuses_a_full_run_without_unipen(tmp_path, capsys, monkeypatch):
    """Without UNIPEN the full run would train for most of an hour, then skip its real-writing
    sections: it stops at once, with one line."""
    monkeypatch.delenv("UNIPEN_NPZ", raising=False)
    path = tiny_notebook(tmp_path / "tiny.ipynb", "raise AssertionError('the kernel must not start')")
    original = path.read_bytes()
    with pytest.raises(SystemExit) as exit_:
        run_notebook.main(["--notebook", str(path), "--full"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "--full needs --unipen" in err and "Traceback" not in err
    assert path.read_bytes() == original and [p.name for p in tmp_path.iterdir()] == ["tiny.ipynb"]


def test_runner_reports_a_failing_cell(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("UNIPEN_NPZ", "unipen_dev.npz")
    path = tiny_notebook(tmp_path / "bad.ipynb", "raise ValueError('broken cell')")
    original = path.read_bytes()
    assert run_notebook.main(["--notebook", str(path), "--full"]) == 1
    err = capsys.readouterr().err
    assert "broken cell" in err and "\x1b[" not in err
    assert path.read_bytes() == original  # a failed run leaves the notebook alone ...
    failed = nbformat.read(tmp_path / "bad.failed.ipynb", as_version=4)  # ... and keeps its outputs beside it
    assert outputs(failed, "error")


def test_number_readings_marks_each_path_right_or_wrong_with_the_digits_written():
    """One row per number, one panel per path: a box per digit read, the title red with the digits
    written when the path misread the number, green when it read it exactly."""
    from recognizer import plots

    canvas = np.zeros((100, 200), np.uint8)
    canvas[30:70, 40:50] = canvas[30:70, 120:150] = 255
    readings = {"app": [((40, 30, 10, 40), "1"), ((120, 30, 30, 40), "7")], "image": [((40, 30, 110, 40), "4")]}
    fig = plots.number_readings([(canvas, "17", readings)])
    app, image = fig.axes
    assert (app.get_title(), app.title.get_color()) == ("app: 17", "tab:green")
    assert (image.get_title(), image.title.get_color()) == ("image: 4 (written 17)", "tab:red")
    assert [len(app.patches), len(image.patches)] == [2, 1]
    assert app.patches[0].get_xy() == (40 - 28 - 0.5, 30 - 18 - 0.5)  # on the crop: the ink and 12 px around it
    assert [t.get_text() for t in app.texts] == ["1", "7"]


def test_the_kernel_opened_from_the_notebooks_folder_imports_bench():
    """Jupyter starts the kernel in deeplearning/ with no PYTHONPATH: sections 7-8's `import
    bench.real_numbers` failed there (bench/ is not installed), though the headless runner, which
    sets PYTHONPATH, ran them. The kernel `make` installs puts the checkout on its path."""
    import os

    from jupyter_client.manager import start_new_kernel

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    manager, client = start_new_kernel(kernel_name=run_notebook.KERNEL, cwd=str(NOTEBOOK.parent), env=env)
    try:
        reply = client.execute_interactive("import bench.real_numbers, bench.personal, recognizer", timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
