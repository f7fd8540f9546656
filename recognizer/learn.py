"""`python -m recognizer learn`: a personal model from the user's saved samples in seconds.

    python -m recognizer learn [--samples PATH] [--data mnist.npz] [--model BASE.keras] [--out X.keras]

Makes recognizer.personal's last layer from the saved samples (the app's store by default): the
shipped one fine-tuned on the samples' features when it misreads some of them, else the class means;
judges it (each fold of the samples read by the layer made from the others; MNIST test accuracy may
drop by at most --max-drop points)
and, when kept, writes personal.keras + personal.tflite (+ calibration and a card) where the app
looks for them (recognizer.samples.personal_model_path), or to --out. Prints one `[step/STEPS] what`
line per step (the app's progress bar reads them) and the verdict; exit 0 kept, 1 not kept.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np

from . import personal
from .data import Mnist, load_mnist, require_test_set
from .errors import DataError
from .fileio import command_prog, path_arg
from .predictor import load_keras_model
from .samples import MIN_LEARN_SAMPLES, ONE_DIGIT, Samples, app_gone, app_gone_message, app_note, load_at_least

# Short: the app's pane shows "learning: <step>" in the room its model's name leaves (ui/panel.py)
STEPS = ("loading the model", "reading your samples", "checking on MNIST", "checking samples", "writing the model")
NOT_KEPT = 1
FINETUNED = {
    "user_share": personal.USER_SHARE,
    "steps": personal.FINETUNE_STEPS,
    "learning_rate": personal.FINETUNE_RATE,
    "mnist_mixed": personal.MIX_IMAGES,
}
METHODS = {  # personal.learn_head's names -> what the card says
    "last layer": "the last Dense layer fine-tuned on the samples' penultimate features, mixed with MNIST's "
    "(recognizer/personal.py)",
    "class means": "class means of the samples' penultimate features blended with the softmax (recognizer/personal.py)",
}


@dataclass(frozen=True)
class Learned:
    """The kept-or-not verdict and the seconds the learning itself took (model loading and writing apart)."""

    verdict: personal.Verdict
    method: str  # "last layer" or "class means" (personal.learn_head)
    seconds: float


def step(k: int, what: str | None = None) -> None:
    """One progress line: `[k/STEPS] what` (the app's progress bar parses it)."""
    print(f"[{k}/{len(STEPS)}] {what or STEPS[k - 1]}", flush=True)


def learn(
    model,
    samples: Samples,
    data: Mnist,
    max_drop: float = personal.MAX_DROP_POINTS,
    base_name: str = personal.SHIPPED_NAME,
) -> Learned:
    """Judge the personal last layer made from the samples (personal.learn_head) and, when kept, put
    it into the Keras model (in place); base_name: what the verdict calls the model it starts from."""
    start = time.perf_counter()
    extractor = personal.feature_model(model)
    base = personal.shipped_head(model)
    step(2)
    feats = personal.features(extractor, samples.images)
    labels = samples.labels.astype(np.int64)
    step(3)
    mnist_feats = personal.features(extractor, data.x_test)
    step(4)

    def mix() -> tuple[np.ndarray, np.ndarray]:
        return personal.mix_set(extractor, data.x_train, data.y_train)

    mnist = (mnist_feats, data.y_test.astype(np.int64))
    name, verdict = personal.learn_head(base, feats, labels, mix, mnist, max_drop, base_name)
    if verdict.kept:
        personal.set_head(model, verdict.head)
    return Learned(verdict, name, time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=command_prog("learn"),
        description="Learn your handwriting from your saved samples (under a minute).",
    )
    parser.add_argument(
        "--samples",
        type=path_arg,
        help="your samples file (default: the app's, $XDG_DATA_HOME/digit-recognizer/samples.npz)",
    )
    parser.add_argument(
        "--data", help="mnist.npz or IDX folder, for the MNIST check (default: $MNIST_NPZ, else download)"
    )
    parser.add_argument(
        "--model",
        type=path_arg,
        default=str(personal.DEFAULT_BASE),
        help="the .keras model to start from (default: shipped)",
    )
    parser.add_argument(
        "--out",
        type=path_arg,
        help="the personal .keras model to write, with its .tflite beside it (default: where the app looks)",
    )
    parser.add_argument(
        "--max-drop",
        type=float,
        default=personal.MAX_DROP_POINTS,
        help=f"refuse the model if MNIST test accuracy drops by more points (default {personal.MAX_DROP_POINTS})",
    )
    args = parser.parse_args(argv)
    store, samples = load_at_least(args.samples, MIN_LEARN_SAMPLES, "saved samples to learn from")
    if len(np.unique(samples.labels)) < 2:  # said at once, not after loading the model and MNIST
        print(f"personal model not kept: {ONE_DIGIT}", file=sys.stderr)
        return NOT_KEPT
    base = personal.base_model(args.model, "learning")
    out = personal.personal_out(base, store, args)
    args.max_drop = personal.check_max_drop(args.max_drop)
    step(1)
    data = require_test_set(load_mnist(args.data))
    if not len(data.x_train):  # for mix_set, which runs only when the fine-tuning is tried, and the calibration
        raise DataError(personal.NO_TRAINING_IMAGES)

    model = load_keras_model(base)  # safely, checked as the app checks its models
    result = learn(model, samples, data, max_drop=args.max_drop, base_name=personal.base_name(base))
    v = result.verdict
    counts = np.bincount(samples.labels, minlength=10)
    print(f"{len(samples)} samples ({', '.join(f'{d}: {n}' for d, n in enumerate(counts))}) from {store.path}")
    limit, method = personal.drop_limit(args.max_drop), METHODS[result.method].split(" (")[0]
    change = -v.mnist_drop_points + 0.0  # + 0.0: no change reads +0.00, not -0.00
    print(
        f"MNIST test accuracy: {v.mnist_before:.2%} -> {v.mnist_after:.2%} ({change:+.2f} points, "
        f"limit {limit}); learned in {result.seconds:.1f} s ({method})"
    )
    if not v.kept:
        print(f"personal model {v.reason}", file=sys.stderr)
        return NOT_KEPT
    if app_gone():  # checked again just before the files move into place (personal.write_model)
        print(app_gone_message(), file=sys.stderr)
        return NOT_KEPT
    step(5)
    personal.write_model(
        model,
        out,
        base,
        samples,
        store.path,
        data,
        method=METHODS[result.method],
        **(FINETUNED if result.method == "last layer" else {"blend": personal.BLEND}),
        own_samples_held_out_folds=min(personal.FOLDS, v.samples),
        own_samples_held_out_before=round(v.own_before, 4),
        own_samples_held_out_after=round(v.own_after, 4),
        mnist_test_accuracy_before=round(v.mnist_before, 5),
        mnist_test_accuracy_after=round(v.mnist_after, 5),
        seconds=round(result.seconds, 1),
    )
    print(f"personal model {v.reason}")
    print(f"wrote {out} and {out.with_suffix('.tflite').name}: {app_note(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
