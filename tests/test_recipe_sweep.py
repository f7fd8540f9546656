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
    out = runs / f"{name}_{phase}_{seed}"
    out.mkdir(parents=True)
    accuracy = {k: float((p.argmax(axis=1) == labels[k]).mean()) for k, p in probs.items()}
    result = {"recipe": name, "phase": phase, "seed": seed, "seconds": 1.0, "train_images": 10, **accuracy}
    (out / "result.json").write_text(json.dumps({**result, "history": []}))
    np.savez(out / "probs.npz", **{k: v.astype(np.float16) for k, v in probs.items()})


def test_report_averages_the_seeds_and_applies_the_rule(tmp_path, capsys):
    labels = {k: np.array([0, 1, 2, 3]) for k in ("heldout", "val", "test")}
    np.savez(tmp_path / "data.npz", **{f"y_{k}": v for k, v in labels.items()})
    right, one_wrong = np.eye(10)[[0, 1, 2, 3]], np.eye(10)[[0, 1, 2, 5]]
    runs = tmp_path / "runs"
    for seed, probs in ((42, right), (43, one_wrong)):
        fake_run(runs, "shipped", "held-out", seed, {k: probs for k in labels}, labels)
    for seed in (42, 43):
        fake_run(runs, "wider", "held-out", seed, {k: right for k in labels}, labels)
    out = tmp_path / "sweep.json"
    assert recipe_sweep.main(["report", str(tmp_path / "data.npz"), str(runs), "--json", str(out)]) == 0
    saved = json.loads(out.read_text())
    shipped = saved["summary"]["shipped held-out"]
    assert shipped["mean_heldout"] == 0.875 and len(shipped["runs"]) == 2
    assert saved["summary"]["wider held-out"]["averaged_val"] == 1.0
    assert saved["chosen"] == "wider"
    assert "chosen by the rule (held-out phase): wider" in capsys.readouterr().out


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


def test_report_of_an_empty_folder_and_unknown_recipes_are_refused(tmp_path, capsys):
    np.savez(tmp_path / "data.npz", y_heldout=[0], y_val=[0], y_test=[0])
    (tmp_path / "runs").mkdir()
    assert recipe_sweep.main(["report", str(tmp_path / "data.npz"), str(tmp_path / "runs")]) == 2
    assert "no finished runs" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        recipe_sweep.main(["run", str(tmp_path / "data.npz"), "runs", "--recipes", "nonsense"])
    assert stop.value.code == 2 and "unknown recipe" in capsys.readouterr().err
