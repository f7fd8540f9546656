"""How the classifier reads a UNIPEN site it never saw (issue 12: "prefer what generalizes").

    python -m bench.site_holdout train --data ../shared/data/mnist.npz --unipen ../shared/data/unipen_dev.npz \\
        --site ced --out sweep/noced [--resume]
    python -m bench.site_holdout report --unipen ../shared/data/unipen_dev.npz --site ced \\
        recognizer/models/mnist_cnn.keras sweep/noced/model.keras [--json bench/site_holdout.json]

Every site of the held-out 'test' people has 'train' people too, so the README's per-site figures
are of writers the model never saw at sites it saw. The project is judged on other sites as well.
`train` trains the shipped recipe (recognizer.train's, same seed and epochs) with every person of
one site left out of its real pen digits and their style variants; `report` reads, with each model
given (the classifier alone, no "not sure"), that site's 'val' and 'test' people and the other
sites' 'val' people, their digits drawn DRAWS times as the app draws them. The other sites' people
are the control: the model without the site also has fewer real digits. Reported only: nothing is
chosen on it. On this 2-core CPU `train` takes about as long as `make train` (20-40 min, by host).
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

import numpy as np

from recognizer.errors import RecognizerError
from recognizer.fileio import first_paragraph

from .common import write_json

LEFT_OUT = "left out"  # the split given to the left-out site's people: neither train, val nor test
DRAWS = (7, 8, 9)  # each digit drawn once with each seed (recipe_sweep's 'val' draws)


def check_site(site_of: np.ndarray, site: str) -> None:
    """RecognizerError unless some character was written at `site`."""
    sites = sorted(set(site_of.tolist()))
    if site not in sites:
        raise RecognizerError(f"no site {site!r} in the data: choose from {', '.join(sites)}")


def without_site(site_of: np.ndarray, split: np.ndarray, site: str) -> np.ndarray:
    """The person split with every character of `site` moved to LEFT_OUT, whatever its split."""
    check_site(site_of, site)
    return np.where(site_of == site, LEFT_OUT, split)


def train_without(data: str, unipen: str, site: str, out: str, epochs: int, resume: bool) -> Path:
    """Train the shipped recipe without `site`'s people; returns out/model.keras (written whole)."""
    from recognizer.data import load_mnist, load_unipen
    from recognizer.dataset import training_set
    from recognizer.train import fit_once, train
    from recognizer.unipen import person_split

    mnist, chars = load_mnist(data), load_unipen(unipen)
    split = without_site(chars.site, person_split(chars), site)
    training = training_set(mnist, chars, split)
    print(f"training on {len(training.y_train)} images, site {site!r} left out", flush=True)
    out_dir = Path(out)
    done = out_dir / "model.keras"
    work = out_dir / "work"
    fit_once(done, work / "history.csv", resume, functools.partial(train, training, epochs, work, resume, verbose=2))
    return done


def judged_sets(chars, site: str) -> dict[str, np.ndarray]:
    """The characters read: the site's 'val' and 'test' people's digits, the other sites' 'val'
    people's digits."""
    from recognizer.unipen import person_split

    check_site(chars.site, site)
    split, digit = person_split(chars), chars.kind == "digit"
    here = chars.site == site
    return {
        f"{site} people, val and test": np.flatnonzero(digit & here & np.isin(split, ["val", "test"])),
        "other sites' val people": np.flatnonzero(digit & ~here & (split == "val")),
    }


def report(unipen: str, site: str, models: list[str], out_json: str | None) -> dict:
    """Each model's accuracy on each judged set (DRAWS drawings of every digit); printed, and written
    to out_json if given."""
    from recognizer.batch import predict_batches
    from recognizer.data import load_unipen
    from recognizer.predictor import NUM_CLASSES, load_keras_model
    from recognizer.unipen import render

    chars = load_unipen(unipen)
    sets = judged_sets(chars, site)
    images = {name: np.concatenate([render(chars, idx, seed=s) for s in DRAWS]) for name, idx in sets.items()}
    labels = {name: np.tile(chars.label[idx].astype(np.uint8), len(DRAWS)) for name, idx in sets.items()}
    table = {}
    for path in models:
        model = load_keras_model(Path(path), NUM_CLASSES)
        row = {}
        for name, x in images.items():
            read = predict_batches(model, x).argmax(axis=1)
            row[name] = {"right": int((read == labels[name]).sum()), "drawings": len(x)}
        table[path] = row
    print(f"| model | {' | '.join(sets)} |")
    print("|---" * (len(sets) + 1) + "|")
    for path, row in table.items():
        cells = [
            f"{r['right'] / r['drawings']:.2%} ({r['drawings'] - r['right']} wrong of {r['drawings']:,})"
            for r in row.values()
        ]
        print(f"| {path} | {' | '.join(cells)} |")
    result = {"site": site, "draws": list(DRAWS), "digits": {n: len(i) for n, i in sets.items()}, "models": table}
    if out_json:
        write_json(out_json, result)
    return result


def main(argv: list[str] | None = None) -> int:
    from recognizer.train import DEFAULT_EPOCHS, check_counts

    parser = argparse.ArgumentParser(prog="python -m bench.site_holdout", description=first_paragraph(__doc__))
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train the shipped recipe with one site's people left out")
    t.add_argument("--data", required=True, help="mnist.npz")
    t.add_argument("--unipen", required=True, help="unipen_dev.npz")
    t.add_argument("--site", required=True, help="the UNIPEN site to leave out (aga, art, ced, gmd, syn, ...)")
    t.add_argument("--out", required=True, help="folder for the checkpoints and model.keras")
    t.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    t.add_argument("--resume", action="store_true", help="go on from the last checkpoint in --out")
    r = sub.add_parser("report", help="read the site's people and the others' with each model")
    r.add_argument("--unipen", required=True, help="unipen_dev.npz")
    r.add_argument("--site", required=True)
    r.add_argument("models", nargs="+", help=".keras classifiers")
    r.add_argument("--json", help="write the table here too")
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            check_counts(args.epochs, None)
            print(train_without(args.data, args.unipen, args.site, args.out, args.epochs, args.resume))
        else:
            report(args.unipen, args.site, args.models, args.json)
    except RecognizerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
