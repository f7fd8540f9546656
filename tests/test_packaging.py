"""`pip install .` ships what the app and the CLI need: the packages, the models as package data, the
`digit-recognizer` command; and the code finds its models without reaching into the checkout."""

import ast
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import recognizer
from recognizer.__main__ import COMMANDS
from recognizer.predictor import DEFAULT_DETECTOR, DEFAULT_MODEL, DEFAULT_PAIRS, DEFAULT_TOUCHING, MODELS_DIR

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# What the build reads: the packaging files and the packages.
BUILD_INPUTS = ["pyproject.toml", "requirements.txt", "README.md", "recognizer", "ui", "web"]
SOURCE_DIRS = ["recognizer", "ui", "web", "bench", "deeplearning"]


def tracked(folder: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.split()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel `pip install .` would install, built from a copy of the checkout."""
    src = tmp_path_factory.mktemp("src")
    for name in BUILD_INPUTS:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "checkpoints"))
        elif path.exists():
            shutil.copy(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-q",
            "-w",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = out.glob("digit_recognizer-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_the_packages_the_models_and_the_web_page(wheel):
    """The web page's files too: without them the installed server stopped at import (an outside
    review: "Directory '.../site-packages/web/static' does not exist")."""
    names = set(wheel.namelist())
    models, page = tracked("recognizer/models"), tracked("web/static")
    assert models and all(p in names for p in models), sorted(set(models) - names)
    assert page and all(p in names for p in page), sorted(set(page) - names)
    assert {"recognizer/__main__.py", "ui/main.py", "ui/app.py", "web/__init__.py"} <= names
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"recognizer", "ui", "web"}  # no tests/, bench/, deeplearning/, app.py in site-packages


def test_wheel_has_the_console_script_and_the_pinned_dependencies(wheel):
    info = next(n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt"))
    assert "digit-recognizer = recognizer.__main__:main" in wheel.read(info).decode()
    metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    requires = sorted(line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: "))
    pinned = sorted(
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert requires == pinned


def test_models_are_found_inside_the_package():
    package = Path(recognizer.__file__).resolve().parent
    assert MODELS_DIR == package / "models"
    assert all(p.is_file() for p in (DEFAULT_MODEL, DEFAULT_DETECTOR, DEFAULT_TOUCHING, DEFAULT_PAIRS))
    assert not tracked("models")  # moved, not copied


def test_every_command_points_at_a_function():
    for name, (module, function, _) in COMMANDS.items():
        path = ROOT / (module.replace(".", "/") + ".py")
        defined = {n.name for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef)}
        assert function in defined, f"{name}: {module}.{function}"
    script = PYPROJECT["project"]["scripts"]["digit-recognizer"]
    assert script == "recognizer.__main__:main"


def test_no_sys_path_edits_in_shipped_or_tool_code():
    """Imports work because the package is installed (or run from the checkout), never by editing
    sys.path; the notebook imports the library the same way."""
    offenders = []
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            if re.search(r"sys\.path\.(insert|append)", path.read_text()):
                offenders.append(path.relative_to(ROOT).as_posix())
    nb = json.loads((ROOT / "deeplearning" / "MNIST.ipynb").read_text())
    if any("sys.path" in "".join(c["source"]) for c in nb["cells"]):
        offenders.append("deeplearning/MNIST.ipynb")
    if "sys.path" in (ROOT / "app.py").read_text():
        offenders.append("app.py")
    assert not offenders


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "args, words",
    [
        (["-m", "recognizer", "frobnicate"], "unknown command 'frobnicate'"),
        (["-m", "recognizer"], "no command given"),
        (["-m", "bench", "--only", "speed"], "unknown section(s) speed"),
        (["-m", "deeplearning.run_notebook", "--data", "no/such/mnist.npz"], "--data no/such/mnist.npz: not found"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args, words):
    proc = run(*args)
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and words in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_app_is_a_command():
    proc = run("-m", "recognizer", "app", "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: python -m recognizer app")


@pytest.mark.parametrize("command", ["app", "predict", "train", "learn", "calibrate"])
def test_usage_names_the_command_as_the_user_typed_it(command):
    """The installed script's usage says `digit-recognizer COMMAND`; `python -m recognizer COMMAND`'s
    says that (each said `python -m recognizer COMMAND` either way, but app, which said the script)."""
    script = Path(sys.executable).parent / "digit-recognizer"
    if not script.exists():
        pytest.skip("the digit-recognizer script is not installed beside this Python")
    typed = subprocess.run([script, command, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert typed.returncode == 0, typed.stderr
    assert typed.stdout.startswith(f"usage: digit-recognizer {command} "), typed.stdout[:200]
    module = run("-m", "recognizer", command, "--help")
    assert module.stdout.startswith(f"usage: python -m recognizer {command} "), module.stdout[:200]
