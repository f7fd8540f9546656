"""python -m recognizer COMMAND ...  (predict, evaluate, train, train-detector, kaggle, finetune,
calibrate)"""

from __future__ import annotations

import importlib
import sys

from .errors import RecognizerError

# command -> (module, function, one-line help); modules are imported only when their command runs.
COMMANDS = {
    "predict": ("recognizer.cli", "predict_main", "recognize digits in image files"),
    "evaluate": ("recognizer.cli", "evaluate_main", "accuracy and confusion matrix on MNIST test"),
    "train": ("recognizer.train", "main", "train the CNN (same as python -m recognizer.train)"),
    "train-detector": ("recognizer.train_detector", "main", "train the 'not a digit' detector"),
    "kaggle": ("recognizer.kaggle", "main", "train on Kaggle train.csv and write submission.csv"),
    "finetune": ("recognizer.finetune", "main", "adapt the model to your saved handwriting samples"),
    "calibrate": ("recognizer.calibrate", "main", "fit a model's 'not sure' threshold and temperature"),
}


def usage() -> str:
    lines = ["usage: python -m recognizer COMMAND [--help] ...", "", "commands:"]
    lines += [f"  {name:<16} {help_}" for name, (_, _, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        print(f"error: unknown command {argv[0]!r}\n{usage()}", file=sys.stderr)
        return 2
    module, function, _ = COMMANDS[argv[0]]
    try:
        return getattr(importlib.import_module(module), function)(argv[1:])
    except RecognizerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
