"""bench.recipe_sweep: the rule that picks a recipe, the recipes' training sets, the report's figures
and its refusals (no training here: the runs are made up)."""

import json

import numpy as np
import pytest

from bench import recipe_sweep
from bench.recipe_sweep import MAX_VAL_LOSS, MIN_GAIN, Recipe, choose, recipe_set
from recognizer.data import Mnist


def test_choose_keeps_the_baseline_unless_a_recipe_gains_enough():
    base = (0.9958, 0.9881)
    assert choose({"shipped": base, "a": (0.9958 + MIN_GAIN / 2, 0.995)}) == "shipped"
    assert choose({"shipped": base, "a": (0.9958 + MIN_GAIN, 0.9881 - MAX_VAL_LOSS)}) == "a"  # both limits allowed
    assert choose({"shipped": base, "a": (0.9958 + MIN_GAIN, 0.9881), "b": (0.9958 + 2 * MIN_GAIN, 0.9881)}) == "b"


def test_choose_refuses_a_recipe_that_reads_real_digits_worse():
    base = (0.9958, 0.9881)
    worse_real = (0.9990, 0.9881 - 2 * MAX_VAL_LOSS)
    assert choose({"shipped": base, "mnistonly": worse_real}) == "shipped"
    assert choose({"shipped": base, "mnistonly": worse_real, "ok": (0.9970, 0.9881 - MAX_VAL_LOSS / 2)}) == "ok"


def test_recipe_set_repeats_mnist_and_leaves_out_what_the_recipe_drops():
    rng = np.random.default_rng(0)
    mnist = Mnist(rng.integers(0, 255, (40, 28, 28), dtype=np.uint8), np.arange(40, dtype=np.uint8) % 10)
    x, y = recipe_set(mnist, None, None, Recipe(renders=0, styles=False))
    assert x.shape == (40, 28, 28) and sorted(y.tolist()) == sorted(mnist.y_train.tolist())
    x2, y2 = recipe_set(mnist, None, None, Recipe(mnist_copies=2, renders=0, styles=False))
    assert len(x2) == 80 and np.bincount(y2).tolist() == (2 * np.bincount(mnist.y_train)).tolist()


def fake_run(runs, name, phase, seed, probs, labels):
    """A finished run's folder as `worker` writes it, with made-up probabilities."""
    out = runs / f"{name}_{phase}_{seed}"
    out.mkdir(parents=True)
    accuracy = {k: float((p.argmax(axis=1) == labels[k]).mean()) for k, p in probs.items()}
    result = {"recipe": name, "phase": phase, "seed": seed, "seconds": 1.0, "train_images": 10, **accuracy}
    (out / "result.json").write_text(json.dumps({**result, "history": []}))
    np.savez(out / "probs.npz", **{k: v.astype(np.float16) for k, v in probs.items()})


def soft(rows):
    """Probabilities from (class, p) per image: p on the class, the rest spread evenly."""
    probs = np.array([[(1 - p) / 9] * 10 for _, p in rows])
    probs[np.arange(len(rows)), [c for c, _ in rows]] = [p for _, p in rows]
    return probs


def test_report_averages_the_seeds_and_applies_the_rule(tmp_path, capsys):
    labels = {k: np.array([0, 1, 2, 3]) for k in ("heldout", "val", "test")}
    np.savez(tmp_path / "data.npz", **{f"y_{k}": v for k, v in labels.items()})
    # Each run misreads one image, unsurely; the other run reads it surely right: averaged, all right.
    first = soft([(0, 0.9), (1, 0.9), (2, 0.9), (5, 0.4)])
    second = soft([(9, 0.4), (1, 0.9), (2, 0.9), (3, 0.9)])
    runs = tmp_path / "runs"
    for seed, probs in ((42, first), (43, second)):
        fake_run(runs, "shipped", "held-out", seed, {k: probs for k in labels}, labels)
    right = np.eye(10)[[0, 1, 2, 3]]
    for seed in (42, 43):
        fake_run(runs, "wider", "held-out", seed, {k: right for k in labels}, labels)
    fake_run(runs, "mnist2", "full", 42, {k: right for k in labels}, labels)
    out = tmp_path / "sweep.json"
    assert recipe_sweep.main(["report", str(tmp_path / "data.npz"), str(runs), "--json", str(out)]) == 0
    saved = json.loads(out.read_text())
    shipped = saved["summary"]["shipped held-out"]
    assert shipped["mean_heldout"] == 0.75 and len(shipped["runs"]) == 2
    assert shipped["averaged_heldout"] == 1.0 and shipped["averaged_val"] == 1.0
    assert saved["summary"]["mnist2 full"]["phase"] == "full"
    assert saved["chosen"] == "wider"  # the full-phase run, perfect too, is not a candidate
    printed = capsys.readouterr().out
    assert "chosen by the rule (held-out phase): wider" in printed
    assert "| mnist2 | full | 1 | trained on |" in printed


def test_run_refuses_a_file_without_the_sets_it_needs(tmp_path, capsys):
    np.savez(tmp_path / "data.npz", **{"x_held-out_m1r3s1": np.zeros((1, 28, 28)), "x_heldout": [0], "x_val": [0]})
    argv = ["run", str(tmp_path / "data.npz"), str(tmp_path / "runs"), "--phase", "full", "--recipes", "shipped"]
    assert recipe_sweep.main(argv) == 2
    err = capsys.readouterr().err
    assert "lacks x_full_m1r3s1, x_test" in err and err.count("\n") == 1
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["report", "missing.npz", "runs"], "no such file"),
        (["run", "missing.npz", "runs"], "no such file"),
    ],
)
def test_bad_input_is_one_line(tmp_path, capsys, argv, message):
    assert recipe_sweep.main([str(tmp_path / a) if a.endswith(".npz") else a for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_corrupt_file_and_a_file_for_a_folder_are_one_line(tmp_path, capsys):
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not a zip")
    assert recipe_sweep.main(["report", str(tmp_path / "bad.npz"), str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    np.savez(tmp_path / "data.npz", y_heldout=[0], y_val=[0], y_test=[0])
    (tmp_path / "runs").write_text("a file")
    assert recipe_sweep.main(["report", str(tmp_path / "data.npz"), str(tmp_path / "runs")]) == 2


def test_report_of_an_empty_folder_and_unknown_recipes_are_refused(tmp_path, capsys):
    np.savez(tmp_path / "data.npz", y_heldout=[0], y_val=[0], y_test=[0])
    (tmp_path / "runs").mkdir()
    assert recipe_sweep.main(["report", str(tmp_path / "data.npz"), str(tmp_path / "runs")]) == 2
    assert "no finished runs" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        recipe_sweep.main(["run", str(tmp_path / "data.npz"), "runs", "--recipes", "nonsense"])
    assert stop.value.code == 2 and "unknown recipe" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        recipe_sweep.main(["run", str(tmp_path / "data.npz"), "runs", "--seeds", "42,x"])
    assert stop.value.code == 2 and "seeds are integers" in capsys.readouterr().err


def test_recipes_and_seeds_given_twice_run_once():
    assert recipe_sweep.names_arg("shipped,wider,shipped") == ["shipped", "wider"]
    assert recipe_sweep.seeds_arg("42,42,43") == [42, 43]


def test_styles_reads_each_run_on_each_style(tmp_path, tiny_mnist, capsys):
    from recognizer.model import build_model
    from recognizer.styles import STYLES

    run = tmp_path / "runs" / "shipped_held-out_42"
    run.mkdir(parents=True)
    build_model().save(run / "model.keras")
    out = tmp_path / "styles.json"
    argv = ["styles", "--data", str(tiny_mnist), str(tmp_path / "runs"), "--per-style", "3", "--json", str(out)]
    assert recipe_sweep.main(argv) == 0
    saved = json.loads(out.read_text())
    assert list(saved["runs"]) == ["shipped_held-out_42"]
    assert set(saved["runs"]["shipped_held-out_42"]) == set(STYLES)
    assert all(0 <= v <= 1 for v in saved["runs"]["shipped_held-out_42"].values())
    assert all(1 <= n <= 3 for n in saved["images"].values())
    assert "| shipped_held-out_42 |" in capsys.readouterr().out


def test_styles_refuses_no_runs_and_no_digits(tmp_path, tiny_mnist, capsys):
    (tmp_path / "runs").mkdir()
    assert recipe_sweep.main(["styles", "--data", str(tiny_mnist), str(tmp_path / "runs")]) == 2
    assert "no finished runs" in capsys.readouterr().err
    argv = ["styles", "--data", str(tiny_mnist), str(tmp_path / "runs"), "--per-style", "0"]
    assert recipe_sweep.main(argv) == 2
    assert "--per-style must be at least 1" in capsys.readouterr().err
