"""Execute deeplearning/MNIST.ipynb top to bottom, headless, with the project's Jupyter kernel.

    python -m deeplearning.run_notebook            # quick mode: ~1 min, output to a temp file
    python -m deeplearning.run_notebook --full --data ../shared/data/mnist.npz --unipen ../shared/data/unipen_dev.npz
                                                   # ~1 h on 2 cores: saves the outputs in the notebook
                                                   # and the figures in deeplearning/figures/

Parameters reach the notebook through environment variables (its first cell reads them):
MNIST_MODE (quick|full), MNIST_NPZ (the data), UNIPEN_NPZ (real pen strokes), MNIST_WORK_DIR
(checkpoints, models, Kaggle files), MNIST_FIGURES_DIR, MNIST_EPOCHS / KAGGLE_EPOCHS (dry runs),
MNIST_RESUME (continue a stopped training), MNIST_REUSE (load the model an earlier run saved),
MNIST_DOWNLOAD=0 (no Keras download: generated digits in quick mode), KAGGLE_DIR (Kaggle's own train.csv and test.csv).
The full run refuses to start without UNIPEN (--unipen or $UNIPEN_NPZ): it shows the real-writing
sections. Exit status 0 when every cell ran, 1 when a cell failed (its error is printed, and a full
run keeps its outputs so far in MNIST.failed.ipynb), 2 for bad usage (a full run without UNIPEN too).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from recognizer.fileio import atomic_write

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOTEBOOK = HERE / "MNIST.ipynb"
KERNEL = "python3"  # installed into the venv by `make test`'s set-up (ipykernel install --sys-prefix)
QUICK_CELL_TIMEOUT = 900  # seconds; full mode has none (its training cell runs ~50 minutes)


def execute(
    nb,
    folder: str | os.PathLike = HERE,
    mode: str = "quick",
    env: dict[str, str] | None = None,
    timeout: int | None = QUICK_CELL_TIMEOUT,
):
    """Run the notebook `nb` (an nbformat node, or a path to read) in a fresh kernel whose working
    directory is `folder` (the notebook's, as in Jupyter), with `env` added to this process's
    environment. Fills in the outputs and returns it; raises nbclient's CellExecutionError when a
    cell fails (the outputs so far stay in nb)."""
    import nbformat
    from nbclient import NotebookClient

    if isinstance(nb, (str, os.PathLike)):
        nb = nbformat.read(nb, as_version=4)
    # PYTHONPATH: the kernel imports this checkout's `recognizer`, whatever else the venv has installed.
    python_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    kernel_env = {
        **os.environ,
        "MNIST_MODE": mode,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": python_path,
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        **(env or {}),
    }
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=timeout,
        startup_timeout=120,
        record_timing=False,  # no timestamps in the saved notebook: smaller diffs
        resources={"metadata": {"path": str(folder)}},
    )
    try:
        client.execute(env=kernel_env)
    finally:
        _drop_startup_noise(nb)
    return nb


# TensorFlow's chatter: C++ start-up lines (absl logging before its set-up ignores
# TF_CPP_MIN_LOG_LEVEL) and the SavedModel export's INFO lines.
NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog|I0000 .*\] oneDNN custom operations"
    r"|I0000 .*cpu_feature_guard|To enable the following instructions:|INFO:tensorflow:)"
)


def _drop_startup_noise(nb) -> None:
    """Remove TensorFlow's chatter from the cells' streams, and outputs left empty."""
    for cell in nb.cells:
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                out["text"] = "".join(line for line in out["text"].splitlines(keepends=True) if not NOISE.match(line))
                if not out["text"].strip():
                    continue
            outputs.append(out)
        if "outputs" in cell:
            cell["outputs"] = outputs


def write_atomic(nb, path: str | os.PathLike) -> Path:
    """Save the notebook via a temporary file and a rename: never half a notebook."""
    import nbformat

    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deeplearning.run_notebook", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--full",
        action="store_true",
        help="the full run (~1 h): train as `make train` does, save figures and outputs in the notebook",
    )
    parser.add_argument(
        "--data", help="mnist.npz, IDX folder or Kaggle train.csv (default: $MNIST_NPZ, else Keras's copy)"
    )
    parser.add_argument(
        "--unipen", help="unipen_dev.npz, for the real-writing sections (default: $UNIPEN_NPZ; --full needs it)"
    )
    parser.add_argument(
        "--output", help="where to save the executed notebook (default: in place with --full, else a temporary file)"
    )
    parser.add_argument("--notebook", default=str(NOTEBOOK), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    mode = "full" if args.full else "quick"
    env = {}
    notebook = Path(args.notebook)
    if args.data:
        if not Path(args.data).exists():
            parser.error(f"--data {args.data}: not found")
        # Relative to the kernel's working directory (the notebook's folder): the saved outputs that
        # print it then name no folder of this machine.
        env["MNIST_NPZ"] = os.path.relpath(Path(args.data).resolve(), notebook.resolve().parent)
    if args.unipen:
        if not Path(args.unipen).exists():
            parser.error(f"--unipen {args.unipen}: not found")
        env["UNIPEN_NPZ"] = os.path.relpath(Path(args.unipen).resolve(), notebook.resolve().parent)
    elif args.full and not os.environ.get("UNIPEN_NPZ"):  # else the notebook stops at its data cell
        parser.error("--full needs --unipen path/to/unipen_dev.npz: the full run shows the real-writing sections")
    if args.output:
        output = Path(args.output)
    elif args.full:
        output = notebook
    else:
        output = Path(tempfile.mkdtemp(prefix="mnist-notebook-")) / notebook.name
    with tempfile.TemporaryDirectory(prefix="mnist-notebook-run-") as work_dir:
        if not args.full and not os.environ.get("MNIST_WORK_DIR"):  # quick runs leave nothing behind
            env["MNIST_WORK_DIR"] = work_dir
        return _run(notebook, mode, env, output, args.full)


def _run(notebook: Path, mode: str, env: dict[str, str], output: Path, full: bool) -> int:
    import nbformat

    before = notebook.stat().st_mtime_ns
    start = time.perf_counter()
    print(f"running {notebook} in {mode} mode ...", flush=True)
    nb = nbformat.read(notebook, as_version=4)
    try:
        execute(nb, notebook.parent, mode, env, timeout=None if full else QUICK_CELL_TIMEOUT)
    except Exception as exc:  # CellExecutionError (a cell failed), DeadKernelError, timeouts
        message = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip() or exc.__class__.__name__  # no colour codes
        print(f"error: the notebook failed after {time.perf_counter() - start:.0f} s:\n{message}", file=sys.stderr)
        if full:  # keep what ran, for a look, without touching the notebook itself
            failed = write_atomic(nb, output.with_name(f"{notebook.stem}.failed.ipynb"))
            print(f"the outputs up to the failure are in {failed}", file=sys.stderr)
        return 1
    if output == notebook and notebook.stat().st_mtime_ns != before:
        # Someone edited the notebook during the run: keep their edits, save beside it.
        output = notebook.with_name(f"{notebook.stem}.executed.ipynb")
        print(f"warning: {notebook} changed during the run; outputs saved to {output} instead", file=sys.stderr)
    write_atomic(nb, output)
    print(f"ran every cell in {time.perf_counter() - start:.0f} s; saved {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
