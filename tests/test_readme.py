"""README.md's benchmark figures are generated from bench/results.json (none copied by hand, none
stale), and no committed output names a folder of the machine it was made on."""

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import report
from bench.common import ROOT, portable, relative_path

README = ROOT / "README.md"
RESULTS = ROOT / "bench" / "results.json"
NOTEBOOK = ROOT / "deeplearning" / "MNIST.ipynb"
MODEL_CARDS = sorted((ROOT / "recognizer" / "models").glob("*.json"))
# An absolute path under the folders where machines keep checkouts, homes and scratch files.
MACHINE_PATH = re.compile(r"(?<![\w.:/~-])/(?:home|root|tmp|work|Users|mnt|opt|srv|var|private|workspace)/\S*")


@pytest.fixture(scope="module")
def results() -> dict:
    return json.loads(RESULTS.read_text())


def test_readme_figures_are_what_bench_report_writes(results):
    text = README.read_text(encoding="utf-8")
    assert report.update_readme(text, results) == text, (
        "README.md's figures differ from bench/results.json: run `python -m bench.report --readme`"
    )


@pytest.mark.parametrize("mode", [[], ["--check"], ["--readme"]])
@pytest.mark.parametrize("damage", ["missing key", "not a table"])
def test_a_results_file_missing_a_figure_is_one_line_not_a_traceback(results, tmp_path, capsys, mode, damage):
    broken = copy.deepcopy(results)
    if damage == "missing key":
        del broken["latency"]["canvas"]
    else:
        broken = [1, 2]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(broken))
    before = README.read_bytes()
    assert report.main([str(path), *mode]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: a figure the report needs is missing") and err.count("\n") == 1, err
    assert README.read_bytes() == before


def test_a_results_file_nested_thousands_deep_is_one_line(tmp_path, capsys):
    """JSON nested 100,000 deep made json.loads raise RecursionError: a traceback."""
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SystemExit) as exit_:
        report.main([str(deep)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and f"cannot read {deep}: RecursionError" in err and "Traceback" not in err


def test_a_changed_result_or_a_hand_edit_is_drift(results):
    text = README.read_text(encoding="utf-8")
    changed = copy.deepcopy(results)
    changed["accuracy"]["mnist_test"]["correct"] -= 7
    changed["accuracy"]["mnist_test"]["accuracy"] = changed["accuracy"]["mnist_test"]["correct"] / 10_000
    assert report.update_readme(text, changed) != text
    start = text.index("<!-- bench:model ")
    edited = text[:start] + text[start:].replace("MNIST test images", "MNIST test pictures", 1)
    assert report.update_readme(edited, results) == text  # the generator wins over a hand edit


def test_every_block_is_there_once(results):
    text = README.read_text(encoding="utf-8")
    for name in report.BLOCKS:
        assert text.count(f"<!-- bench:{name} ") == 1 and text.count(f"<!-- /bench:{name} -->") == 1
    without = re.sub(r"<!-- bench:summary .*?<!-- /bench:summary -->\n", "", text, flags=re.S)
    with pytest.raises(ValueError, match="no block 'summary'"):
        report.update_readme(without, results)


def _goal_row(table: str, goal: str) -> list[str]:
    """The cells of the goals table's rows whose goal column starts with `goal`."""
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines() if line.startswith("|")]
    found = [r for r in rows if r[1].startswith(goal)]
    assert found, f"no goal row {goal!r}"
    return found


def test_goals_say_met_or_not_from_the_figures(results):
    """The goals table judges each goal from the results: moving a figure across its target flips it."""
    table = report._goals(results)
    assert _goal_row(table, "MNIST test (a proxy)")[0][4] == (
        "yes" if results["accuracy"]["mnist_test"]["accuracy"] >= 0.997 else "**no**"
    )
    changed = copy.deepcopy(results)
    changed["accuracy"]["mnist_test"]["accuracy"] = 0.9971
    changed["real"]["digits"]["all"]["unsure"] = 0.0101
    changed["real_numbers"]["paths"]["image"]["all"]["count_right"]["accuracy"] = 0.9705
    changed["real_numbers"]["paths"]["image"]["all"]["whole"]["accuracy"] = 0.83
    changed["real_numbers"]["paths"]["image"]["all"]["bound"] = 0.8801
    changed["numbers"]["numbers"]["whole_number_accuracy"] = 0.967
    changed["numbers"]["numbers_touching"]["whole_number_accuracy"] = 0.941
    flipped = report._goals(changed)
    assert _goal_row(flipped, "MNIST test (a proxy)")[0][3:] == ["99.71%", "yes"]
    assert _goal_row(flipped, 'real digits read "not sure"')[0][3:] == ["1.01%", "**no**"]
    assert _goal_row(flipped, "numbers, image path: digit count")[0][3:] == ["97.0%", "yes"]
    assert _goal_row(flipped, "numbers, image path: whole")[0][3:] == [
        "83.0% against 88.0% (5.01 points under)",
        "**no**",
    ]
    assert _goal_row(flipped, "numbers of MNIST test digits")[0][3:] == ["96.7% / 94.1%", "yes"]
    changed["numbers"]["numbers_touching"]["whole_number_accuracy"] = 0.94
    assert _goal_row(report._goals(changed), "numbers of MNIST test digits")[0][3:] == ["96.7% / 94.0%", "**no**"]
    changed["numbers"]["numbers"].pop("not_sure_reads")  # counted before December 6: not the target's count
    assert "numbers of MNIST test digits" not in report._goals(changed)
    card = changed["training"]["model_card"]
    card.pop("run_seconds", None)
    card["training_seconds"] = 1500.0  # a card from before run_seconds: the epochs alone
    assert _goal_row(report._goals(changed), "retraining")[0][3:] == [
        "25 min of epochs (the model card; drawing the data first is not in it)",
        "yes (epochs only)",
    ]
    card["run_seconds"] = 4000.0  # the whole command, data drawn and model exported: over the hour
    assert _goal_row(report._goals(changed), "retraining")[0][3:] == ["67 min (the model card)", "**no**"]
    del changed["real"], changed["real_numbers"], changed["personal"]
    assert "real digits" not in report._goals(changed)  # sections not measured: no row, not a made-up one


def test_stored_figures_say_which_definition_they_use(results):
    """Results from before December 6 read each digit of a real number alone with predict and
    counted a "not sure" MNIST digit's best guess: the README says so; a newer run says neither."""
    old = copy.deepcopy(results)
    for key in ("numbers", "numbers_touching"):
        old["numbers"][key].pop("not_sure_reads", None)
    old["real_numbers"].pop("alone_read_by", None)
    new = copy.deepcopy(old)
    for key in ("numbers", "numbers_touching"):
        new["numbers"][key]["not_sure_reads"] = "?"
    new["real_numbers"]["alone_read_by"] = "read"
    old_text, new_text = (report._summary(r) + report._real_numbers(r) + report.render(r) for r in (old, new))
    assert "best guess counted as read" in old_text and "best guess" not in new_text
    assert "read alone with `predict`" in old_text and "the app path's bound will be higher" in old_text
    assert "read alone with `read`, as the number is" in new_text and "with `predict`" not in new_text


def test_check_command_exits_1_on_drift(tmp_path, results):
    ok = subprocess.run([sys.executable, "-m", "bench.report", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    changed = copy.deepcopy(results)
    changed["latency"]["paths"]["litert"]["total"]["p50_ms"] += 1
    stale = tmp_path / "results.json"
    stale.write_text(json.dumps(changed))
    drift = subprocess.run(
        [sys.executable, "-m", "bench.report", "--check", str(stale)], cwd=ROOT, capture_output=True, text=True
    )
    assert drift.returncode == 1
    assert drift.stderr.count("\n") == 1 and "python -m bench.report --readme" in drift.stderr


def _notebook_text() -> str:
    """The notebook's sources and text outputs (not its images: base64 may contain anything)."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        parts.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            parts += ["".join(v) for k, v in out.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(parts)


@pytest.mark.parametrize("path", [README, RESULTS, NOTEBOOK, *MODEL_CARDS], ids=lambda p: p.name)
def test_committed_outputs_name_no_machine_path(path):
    text = _notebook_text() if path == NOTEBOOK else path.read_text(encoding="utf-8")
    assert not MACHINE_PATH.findall(text)
    assert str(ROOT) not in text


def test_portable_makes_every_absolute_path_relative():
    outside = Path("/opt/elsewhere/data/mnist.npz")
    value = {
        "model": str(ROOT / "recognizer" / "models" / "mnist_cnn.tflite"),
        "busy": [f"{ROOT.parent / 'venv' / 'bin' / 'python'} -m recognizer.train --data {outside} (95% of a CPU)"],
        "units": "ms/step, p50/p99, https://example.org/a, 3 / 4",
        "n": 3,
    }
    assert portable(value) == {
        "model": "recognizer/models/mnist_cnn.tflite",
        "busy": ["python -m recognizer.train --data mnist.npz (95% of a CPU)"],
        "units": "ms/step, p50/p99, https://example.org/a, 3 / 4",
        "n": 3,
    }
    assert relative_path(ROOT) == "."


def test_the_photos_block_puts_real_digits_first_and_their_untimed_table_has_no_times(results):
    """bench.photos' two runs: the real pen digits' table (no 12-megapixel timing, so no time
    columns: its host may not be the MNIST run's) above the MNIST proxy's, which keeps its times;
    either alone when the other is missing or skipped."""
    block = report.BLOCKS["photos"](results)
    real, mnist = block.split("\n\n")
    assert "real pen digits of held-out UNIPEN 'test' people" in real.splitlines()[0]
    assert "load ms" not in real and "12-megapixel" not in real
    assert "MNIST test digits" in mnist.splitlines()[0] and "load ms p50" in mnist and "12-megapixel" in mnist
    skipped = {**results, "photos_real": {"skipped": "no UNIPEN file"}}
    assert report.BLOCKS["photos"](skipped) == mnist
    assert report.BLOCKS["photos"]({k: v for k, v in results.items() if k not in ("photos", "photos_real")}) == (
        "Not measured."
    )


@pytest.mark.parametrize("mode", [["--check"], ["--readme"]])
def test_a_quick_runs_figures_never_reach_the_readme(results, tmp_path, capsys, monkeypatch, mode):
    """`python -m bench --quick` wrote over bench/results.json, and the report then failed with
    "min() arg is an empty sequence" (or would have put smoke figures in the README)."""
    quick = tmp_path / "results.json"
    quick.write_text(json.dumps({**results, "quick": True}))
    readme = tmp_path / "README.md"  # a copy: a regression must not write smoke figures into the real one
    readme.write_bytes(README.read_bytes())
    monkeypatch.setattr(report, "README", readme)
    assert report.main([str(quick), *mode]) == 1
    err = capsys.readouterr().err
    assert "quick smoke run" in err and err.count("\n") == 1, err
    assert readme.read_bytes() == README.read_bytes()


def test_a_quick_run_writes_its_own_file_by_default():
    from bench.__main__ import QUICK_RESULTS, RESULTS, parse_args

    assert parse_args(["--quick"]).out == str(QUICK_RESULTS) != str(RESULTS) == parse_args([]).out
