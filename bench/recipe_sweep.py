"""Compare variants of the classifier's training recipe on training-side data only (issue 12).

Does a change to the recipe read MNIST better without reading real writing worse?

    python -m bench.recipe_sweep prep --data ../shared/data/mnist.npz --unipen ../shared/data/unipen_dev.npz \\
        --out sweep/data.npz [--recipes shipped,epochs40] [--phase held-out|full]
    KERAS_BACKEND=jax python -m bench.recipe_sweep run sweep/data.npz sweep/runs [--recipes ...] [--seeds 42,43]
    python -m bench.recipe_sweep report sweep/data.npz sweep/runs [--json bench/recipe_sweep.json]
    python -m bench.recipe_sweep styles --data ../shared/data/mnist.npz sweep/runs [--json OUT]

(--phase full, to prep and run, trains on all of MNIST's training images: what would ship.)

Each recipe is recognizer.train's one recipe (fit_checkpointed: the drawn-digit augmenter, Adam on
the cosine schedule, the weights' moving average) with one thing changed (RECIPES; "mnistonly" drops
both the real pen digits and the styles). In the "held-out" phase a recipe trains on the first
50,000 MNIST training images plus its extras, drawn as recognizer.dataset draws them, and is judged
on the other 10,000 and on the 'val' people's digits drawn three times as the app draws them;
choose() picks on those alone, by a rule fixed before any run. The "full" phase trains on all 60,000
(what would ship). MNIST test is only reported, and so are the styles issue 12 asks for (`styles`:
MNIST test digits given each style by bench.style_proxy, a generator that never made a training
image, as `make bench` does). Every run is its own process, all at once, which suits a GPU
(KERAS_BACKEND=jax: six 20-epoch runs at once took about 2 minutes on one H200); on this project's
2-core CPU one run takes 25 minutes to 2 hours, so name fewer there (--recipes, --seeds).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from recognizer.data import Mnist, PenCharacters, load_mnist, load_unipen
from recognizer.dataset import REAL_RENDERS, STYLE_MNIST, training_set
from recognizer.errors import RecognizerError
from recognizer.fileio import first_paragraph

from .common import write_json

HELD_OUT = 10_000  # the last MNIST training images, judged on in the held-out phase
VAL_SEEDS = (7, 8, 9)  # the 'val' people's digits, drawn once with each
SEEDS = (42, 43)
PHASES = ("held-out", "full")  # training sets: MNIST's first 50,000 training images + extras; all of them
JUDGED = ("heldout", "val", "test")  # the sets each run is read on (MNIST's last 10,000 training images, ...)
PREDICT_BATCH = 2048
STYLES_SEED = 2024  # the style proxies' draw (bench.real's is another)
STYLED = 300  # MNIST test digits per style
LOG_FLOOR = 1e-7  # keeps log(probability) finite when the seeds' runs are averaged
# choose(): a recipe replaces the shipped one only if its mean over the seeds reads the held-out
# MNIST images better by MIN_GAIN (5 of 10,000) and the 'val' digits worse by at most MAX_VAL_LOSS
# (4 of 3,894 drawings).
MIN_GAIN = 0.0005
MAX_VAL_LOSS = 0.001
BASELINE = "shipped"


@dataclass(frozen=True)
class Recipe:
    """The shipped recipe with one thing changed: epochs, width (every layer's filters), MNIST's
    images repeated, real pen digits drawn `renders` times (0: none), style variants or not, and
    whether they are made from MNIST digits too or from the real pen digits alone."""

    epochs: int = 20
    width: float = 1.0
    mnist_copies: int = 1
    renders: int = REAL_RENDERS
    styles: bool = True
    mnist_styles: bool = True

    @property
    def data_key(self) -> str:
        """The name of its training set in prep's file (recipes differing only in training share one)."""
        return f"m{self.mnist_copies}r{self.renders}s{int(self.styles)}" + ("" if self.mnist_styles else "real")


RECIPES = {
    "shipped": Recipe(),
    "epochs40": Recipe(epochs=40),
    "wider": Recipe(width=1.5),
    "mnist2": Recipe(mnist_copies=2),
    "nostyles": Recipe(styles=False),
    "renders1": Recipe(renders=1),
    "mnistonly": Recipe(renders=0, styles=False),
    "realstyles": Recipe(mnist_styles=False),
}


def recipe_set(
    mnist: Mnist, chars: PenCharacters | None, split: np.ndarray | None, recipe: Recipe
) -> tuple[np.ndarray, np.ndarray]:
    """The recipe's training images and labels: recognizer.dataset's set, its parts as the recipe says."""
    data = training_set(
        mnist,
        chars if recipe.renders else None,
        split,
        renders=recipe.renders,
        per_style=STYLE_MNIST if recipe.styles else 0,
        mnist_styles=recipe.mnist_styles,
    )
    x, y = data.x_train, data.y_train
    copies = recipe.mnist_copies - 1
    return np.concatenate([x] + [mnist.x_train] * copies), np.concatenate([y] + [mnist.y_train] * copies)


def prep(data: str, unipen: str, out: str, names: list[str], phase: str) -> None:
    """Draw every set the recipes need once, into one .npz: x_<phase>_<data key>, and the judged
    sets x_heldout (MNIST), x_val (real digits), x_test (MNIST test, reported only), with y_ each."""
    from recognizer.unipen import person_split, real_digits, render

    mnist, chars = load_mnist(data), load_unipen(unipen)
    split = person_split(chars)
    cut = len(mnist.x_train) - HELD_OUT if phase == "held-out" else len(mnist.x_train)
    train = Mnist(mnist.x_train[:cut], mnist.y_train[:cut], source=mnist.source)
    val = real_digits(chars, split, "val")
    arrays = {
        "x_heldout": mnist.x_train[-HELD_OUT:],
        "y_heldout": mnist.y_train[-HELD_OUT:],
        "x_val": np.concatenate([render(chars, val, seed=s) for s in VAL_SEEDS]),
        "y_val": np.tile(chars.label[val].astype(np.uint8), len(VAL_SEEDS)),
        "x_test": mnist.x_test,
        "y_test": mnist.y_test,
    }
    for key in sorted({RECIPES[name].data_key for name in names}):
        recipe = next(RECIPES[name] for name in names if RECIPES[name].data_key == key)
        arrays[f"x_{phase}_{key}"], arrays[f"y_{phase}_{key}"] = recipe_set(train, chars, split, recipe)
        print(f"{phase} {key}: {len(arrays[f'y_{phase}_{key}'])} images", flush=True)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)


def worker(data: str, name: str, phase: str, seed: int, out: Path) -> None:
    """Train one recipe once and write out/result.json, out/probs.npz (the judged sets' probabilities)
    and out/model.keras."""
    from recognizer.batch import to_input
    from recognizer.model import build_model
    from recognizer.train import EMA_MOMENTUM, fit_checkpointed

    recipe = RECIPES[name]
    arrays = np.load(data)
    x, y = arrays[f"x_{phase}_{recipe.data_key}"], arrays[f"y_{phase}_{recipe.data_key}"]
    start = time.perf_counter()
    model, rows = fit_checkpointed(
        lambda: build_model(width=recipe.width),
        "sparse_categorical_crossentropy",
        x,
        y,
        (arrays["x_test"], arrays["y_test"]),
        recipe.epochs,
        out / "work",
        seed=seed,
        verbose=0,
        ema_momentum=EMA_MOMENTUM,
    )
    result = {"recipe": name, "phase": phase, "seed": seed, "seconds": round(time.perf_counter() - start, 1)}
    result["train_images"] = len(y)
    probs = {}
    for judged in JUDGED:
        probs[judged] = model.predict(to_input(arrays[f"x_{judged}"]), batch_size=PREDICT_BATCH, verbose=0)
        result[judged] = float((probs[judged].argmax(axis=1) == arrays[f"y_{judged}"]).mean())
    np.savez_compressed(out / "probs.npz", **{k: v.astype(np.float16) for k, v in probs.items()})
    model.save(out / "model.keras")
    write_json(out / "result.json", {**result, "history": rows})


def check_sets(data: str, names: list[str], phase: str) -> None:
    """RecognizerError unless prep's file holds every set these runs read (before any process starts)."""
    with np.load(data) as arrays:
        missing = [f"x_{phase}_{RECIPES[n].data_key}" for n in names] + [f"x_{j}" for j in JUDGED]
        missing = sorted({key for key in missing if key not in arrays.files})
    if missing:
        raise RecognizerError(f"{data} lacks {', '.join(missing)}: run prep with --phase {phase} and these --recipes")


def run(data: str, runs: str, names: list[str], phase: str, seeds: list[int]) -> int:
    """Every (recipe, seed) in its own process, all at once; returns how many failed."""
    check_sets(data, names, phase)
    env = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", **os.environ, "PYTHONUNBUFFERED": "1"}
    procs = []
    for name in names:
        for seed in seeds:
            out = Path(runs) / f"{name}_{phase}_{seed}"
            out.mkdir(parents=True, exist_ok=True)
            args = [sys.executable, "-m", "bench.recipe_sweep", "worker", data, name, phase, str(seed), str(out)]
            with open(out / "log.txt", "w") as log:
                procs.append((out.name, subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)))
    failed = [name for name, proc in procs if proc.wait()]
    for name in failed:
        print(f"{name} failed: see its log.txt", file=sys.stderr)
    return len(failed)


def summarize(runs: list[Path], labels: dict[str, np.ndarray]) -> dict:
    """Per recipe and phase: the runs' accuracies, their means, and the seeds' probabilities averaged
    (log-probabilities, as an ensemble of them would)."""
    groups: dict[tuple[str, str], list[Path]] = {}
    results: dict[Path, dict] = {}
    for path in runs:
        results[path] = json.loads((path / "result.json").read_text())
        groups.setdefault((results[path]["recipe"], results[path]["phase"]), []).append(path)
    summary = {}
    for (name, phase), paths in sorted(groups.items()):
        entry = {"recipe": asdict(RECIPES[name]), "phase": phase, "runs": []}
        for result in (results[p] for p in paths):
            entry["runs"].append({k: result[k] for k in ("seed", "seconds", "train_images", "heldout", "val", "test")})
        probs = [dict(np.load(p / "probs.npz")) for p in paths]  # each file read once
        for judged, y in labels.items():
            entry[f"mean_{judged}"] = round(float(np.mean([r[judged] for r in entry["runs"]])), 5)
            logp = np.mean([np.log(run[judged].astype(np.float32) + LOG_FLOOR) for run in probs], axis=0)
            entry[f"averaged_{judged}"] = round(float((logp.argmax(axis=1) == y).mean()), 5)
        summary[f"{name} {phase}"] = entry
    return summary


def choose(means: dict[str, tuple[float, float]], baseline: str = BASELINE) -> str:
    """The recipe to ship by the rule fixed before any run: the best mean on held-out MNIST among
    those reading the 'val' digits no worse than MAX_VAL_LOSS below the baseline, if it gains at
    least MIN_GAIN over the baseline; else the baseline. means: recipe -> (held-out, val)."""
    base_heldout, base_val = means[baseline]
    allowed = {name: m for name, m in means.items() if m[1] >= base_val - MAX_VAL_LOSS}
    best = max(allowed, key=lambda name: allowed[name][0])
    return best if allowed[best][0] >= base_heldout + MIN_GAIN else baseline


def report(data: str, runs_dir: str, out_json: str | None) -> dict:
    """Print the table (and write it as JSON): recipes of the held-out phase, then any full-phase runs."""
    arrays = np.load(data)
    labels = {judged: arrays[f"y_{judged}"] for judged in JUDGED}
    runs = sorted(p.parent for p in Path(runs_dir).glob("*/result.json"))
    if not runs:
        raise RecognizerError(f"{runs_dir}: no finished runs (result.json)")
    summary = summarize(runs, labels)
    print("Each cell: the runs' mean; their log-probabilities averaged (an ensemble of them).")
    print("| recipe | phase | runs | held-out MNIST | 'val' digits | MNIST test, report only |")
    print("|---|---|---|---|---|---|")
    for key, e in summary.items():
        cells = [f"{e[f'mean_{j}']:.2%}; {e[f'averaged_{j}']:.2%}" for j in labels]
        if e["phase"] == "full":
            cells[0] = "trained on"
        print(f"| {key.split()[0]} | {e['phase']} | {len(e['runs'])} | " + " | ".join(cells) + " |")
    means = {k.split()[0]: (e["mean_heldout"], e["mean_val"]) for k, e in summary.items() if e["phase"] == "held-out"}
    counts = {len(e["runs"]) for e in summary.values() if e["phase"] == "held-out"}
    if len(counts) > 1:
        print("warning: the recipes have different numbers of finished runs", file=sys.stderr)
    chosen = choose(means) if BASELINE in means else None
    print(f"chosen by the rule (held-out phase): {chosen}" if chosen else f"no choice: {BASELINE!r} was not run")
    if out_json:
        write_json(out_json, {"chosen": chosen, "min_gain": MIN_GAIN, "max_val_loss": MAX_VAL_LOSS, "summary": summary})
    return summary


def styles(data: str, runs_dir: str, per_style: int, out_json: str | None) -> dict:
    """Each finished run's classifier (no "not sure") on per_style MNIST test digits of each style's
    digit, redrawn with a pen plus the style's stroke by bench.style_proxy (the same images for every
    run): the share read right, per style. Report only: MNIST test chooses nothing."""
    from recognizer.batch import to_input
    from recognizer.predictor import NUM_CLASSES, load_keras_model
    from recognizer.preprocess import to_mnist
    from recognizer.styles import STYLES

    from .style_proxy import proxy_canvases

    runs = sorted(p.parent for p in Path(runs_dir).glob("*/model.keras"))
    if not runs:
        raise RecognizerError(f"{runs_dir}: no finished runs (model.keras)")
    mnist = load_mnist(data)
    if mnist.x_test is None or not len(mnist.x_test):
        raise RecognizerError(f"{data}: no test images")
    rng = np.random.default_rng(STYLES_SEED)
    sets = {}
    for style, _, canvases in proxy_canvases(mnist.x_test, mnist.y_test, per_style, rng):
        drawn = (to_mnist(canvas) for canvas in canvases)
        sets[style] = np.stack([image for image in drawn if image is not None])
    table = {}
    for run in runs:
        model = load_keras_model(run / "model.keras", NUM_CLASSES)
        read = {
            s: model.predict(to_input(x), batch_size=PREDICT_BATCH, verbose=0).argmax(axis=1) for s, x in sets.items()
        }
        table[run.name] = {s: round(float((read[s] == STYLES[s]).mean()), 4) for s in sets}
    print("| run | " + " | ".join(sets) + " |")
    print("|---" * (len(sets) + 1) + "|")
    for name, row in table.items():
        print(f"| {name} | " + " | ".join(f"{v:.1%}" for v in row.values()) + " |")
    if out_json:
        write_json(
            out_json,
            {
                "per_style": per_style,
                "seed": STYLES_SEED,
                "images": {s: len(x) for s, x in sets.items()},
                "runs": table,
            },
        )
    return table


def names_arg(text: str) -> list[str]:
    """--recipes: names from RECIPES, comma-separated, each once."""
    names = list(dict.fromkeys(n for n in text.split(",") if n))
    unknown = [n for n in names if n not in RECIPES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown recipe {unknown or text!r}: choose from {', '.join(RECIPES)}")
    return names


def seeds_arg(text: str) -> list[int]:
    """--seeds: integers, comma-separated, each once."""
    try:
        seeds = list(dict.fromkeys(int(s) for s in text.split(",") if s))
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds are integers separated by commas, not {text!r}") from None
    if not seeds:
        raise argparse.ArgumentTypeError("no seed given")
    return seeds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.recipe_sweep", description=first_paragraph(__doc__))
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prep", help="draw the sets once into one .npz")
    p.add_argument("--data", required=True, help="mnist.npz")
    p.add_argument("--unipen", required=True, help="unipen_dev.npz")
    p.add_argument("--out", required=True)
    p.add_argument("--recipes", type=names_arg, default=list(RECIPES))
    p.add_argument("--phase", choices=PHASES, default="held-out")
    p = sub.add_parser("run", help="train every recipe and seed, each in its own process")
    p.add_argument("sweep_data")
    p.add_argument("runs")
    p.add_argument("--recipes", type=names_arg, default=list(RECIPES))
    p.add_argument("--phase", choices=PHASES, default="held-out")
    p.add_argument("--seeds", type=seeds_arg, default=list(SEEDS))
    p = sub.add_parser("worker", help=argparse.SUPPRESS)
    p.add_argument("sweep_data")
    p.add_argument("recipe", choices=list(RECIPES))
    p.add_argument("phase", choices=PHASES)
    p.add_argument("seed", type=int)
    p.add_argument("out", type=Path)
    p = sub.add_parser("report", help="the table, the rule's choice, and a JSON of it")
    p.add_argument("sweep_data")
    p.add_argument("runs")
    p.add_argument("--json")
    p = sub.add_parser("styles", help="each run's classifier on MNIST test digits given each style (report only)")
    p.add_argument("--data", required=True, help="mnist.npz")
    p.add_argument("runs")
    p.add_argument("--per-style", type=int, default=STYLED, help=f"MNIST test digits per style (default {STYLED})")
    p.add_argument("--json")
    args = parser.parse_args(argv)
    try:
        data = getattr(args, "sweep_data", None)
        if data is not None and not Path(data).is_file():
            raise RecognizerError(f"{data}: no such file (make it with `prep`)")
        if args.command == "prep":
            prep(args.data, args.unipen, args.out, args.recipes, args.phase)
        elif args.command == "run":
            return 1 if run(args.sweep_data, args.runs, args.recipes, args.phase, args.seeds) else 0
        elif args.command == "styles":
            if args.per_style < 1:
                raise RecognizerError("--per-style must be at least 1")
            styles(args.data, args.runs, args.per_style, args.json)
        elif args.command == "worker":
            worker(args.sweep_data, args.recipe, args.phase, args.seed, args.out)
        else:
            report(args.sweep_data, args.runs, args.json)
    except (RecognizerError, KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
