"""Learning from samples of only some digits: three class-means rules side by side (docs/measurements.md).

    python -m bench.partial_dev --unipen ../shared/data/unipen_dev.npz --data ../shared/data/mnist.npz
        [--split train] [--model bench/models/mnist_only.keras] [--draws 12]

`make bench` (bench.personal) saves K samples of every digit. A user may save a few digits only (an
outside review saved three 0s and a 1, all read right, and the personal model kept then read 7s as 1).
Here each person of the split with MIN_EACH or more of every digit saves 1-3 samples of 1-6 random
digits, `draws` times; the personal layer made from them (recognizer.personal.judge, the class means)
reads that person's other digits, every digit, saved or not. Rules:
  * average: a digit with no sample scored by the average of the others' scores (before December 7);
  * mnist means: scored by the mean features of MNIST training images of it (personal.digit_means);
  * mnist means + refuse: ... and not kept where the base reads every sample right (what `learn` does).
Per rule: tries kept, the mean change of the other digits over all tries (0 where refused), tries
losing or gaining over a point, the worst. Choose on 'train' (with the MNIST-only base, to which every
UNIPEN person is unseen) or 'val' people; 'test' people only to report.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from recognizer import personal
from recognizer.fileio import first_paragraph

from .common import write_json
from .personal import MNIST_ONLY, writer_seed, writers

MIN_EACH = 3  # of every digit, so that any 1-3 of a digit can be saved with some left to read
DIGITS_SAVED = (1, 2, 2, 3, 4, 6)  # how many digits a try saves, in turn
DRAWS = 12
SEED = 7
RULES = ("average", "mnist means", "mnist means + refuse")


def partial_tries(labels: np.ndarray, draws: int, rng_seed: int) -> list[np.ndarray]:
    """The samples each try saves (positions in `labels`): 1-3 of each of a few random digits; tries
    with fewer than 3 samples or of one digit are left out, as `learn` refuses them."""
    tries = []
    for draw in range(draws):
        rng = np.random.default_rng([SEED, draw, rng_seed])
        digits = rng.choice(10, DIGITS_SAVED[draw % len(DIGITS_SAVED)], replace=False)
        per = [int(rng.integers(1, 4)) for _ in digits]
        saved = np.concatenate([rng.choice(np.flatnonzero(labels == d), k, replace=False) for d, k in zip(digits, per)])
        if len(saved) >= 3 and len(np.unique(labels[saved])) >= 2:
            tries.append(saved)
    return tries


def summarize(changes: list[float], kept: list[bool]) -> dict:
    """One rule's figures: changes in points (0 where refused)."""
    gain = np.where(kept, changes, 0.0)
    return {
        "tries": len(gain),
        "kept": int(np.sum(kept)),
        "mean_change_points": round(float(gain.mean()), 2) if len(gain) else None,
        "losing_over_a_point": int((gain < -1.0).sum()),
        "gaining_over_a_point": int((gain > 1.0).sum()),
        "worst_points": round(float(gain.min()), 2) if len(gain) else None,
    }


def run(chars, mnist, model_path, split: str, draws: int = DRAWS) -> dict:
    """The three rules on `split` people (see the module's docstring) as a JSON-able dict."""
    import keras

    from recognizer.unipen import render

    model = keras.saving.load_model(model_path, safe_mode=True, compile=False)
    extractor, base = personal.feature_model(model), personal.shipped_head(model)
    mnist_feats = personal.features(extractor, mnist.x_test)
    mnist_labels = mnist.y_test.astype(np.int64)
    fill = personal.digit_means(*personal.mix_set(extractor, mnist.x_train, mnist.y_train))
    rows = {rule: ([], []) for rule in RULES}  # rule -> (changes in points, kept)
    chosen = writers(chars, split, MIN_EACH)
    for name in sorted(chosen):
        idx = chosen[name]
        seed = writer_seed(name)
        labels = chars.label[idx].astype(np.int64)
        feats = personal.features(extractor, render(chars, idx, seed=seed))
        for saved in partial_tries(labels, draws, seed):
            others = np.setdiff1d(np.arange(len(labels)), saved)
            before = (base.predict(feats[others]) == labels[others]).mean()
            for rule, f in (("average", None), ("mnist means", fill)):
                fit = personal.prototypes(base, fill=f)
                v = personal.judge(base, feats[saved], labels[saved], fit, mnist_feats, mnist_labels)
                change = 100.0 * ((v.head.predict(feats[others]) == labels[others]).mean() - before)
                rows[rule][0].append(change)
                rows[rule][1].append(v.kept)
                if f is not None:  # the same layer, refused where every sample reads right
                    rows[RULES[2]][0].append(change)
                    rows[RULES[2]][1].append(v.kept and v.own_before < 1.0)
    return {
        "split": split,
        "model": str(model_path),
        "people": len(chosen),
        "draws": draws,
        "rules": {rule: summarize(*rows[rule]) for rule in RULES},
    }


def main(argv: list[str] | None = None) -> int:
    from recognizer.data import load_mnist, load_unipen
    from recognizer.errors import RecognizerError

    parser = argparse.ArgumentParser(prog="python -m bench.partial_dev", description=first_paragraph(__doc__))
    parser.add_argument("--unipen", required=True)
    parser.add_argument("--data", required=True, help="mnist.npz: the MNIST images mixed in and the MNIST check")
    parser.add_argument("--split", choices=("train", "val", "test"), default="train")
    parser.add_argument("--model", help=f"the base .keras (default: {MNIST_ONLY.name} for train, else the shipped)")
    parser.add_argument("--draws", type=int, default=DRAWS)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if not 1 <= args.draws <= 100:
        parser.exit(2, f"error: --draws must be 1 to 100, got {args.draws}\n")
    model = args.model or (MNIST_ONLY if args.split == "train" else personal.DEFAULT_BASE)
    try:
        personal.base_model(model, "measuring")
        chars, mnist = load_unipen(args.unipen), load_mnist(args.data)
    except RecognizerError as exc:
        parser.exit(2, f"error: {exc}\n")
    out = run(chars, mnist, model, args.split, args.draws)
    print(json.dumps(out, indent=1))
    if args.json:
        write_json(args.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
