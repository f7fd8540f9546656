"""digit-recognizer COMMAND ...  (or python -m recognizer COMMAND ...): app, predict, evaluate, train,
train-detector, train-touching, train-pairs, kaggle, learn, finetune, calibrate."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from .errors import RecognizerError
from .fileio import command_prog

BROKEN_PIPE = 141  # the exit status of a command whose output pipe closed (128 + SIGPIPE, as the shell gives)

# command -> (module, function, one-line help); modules are imported only when their command runs.
COMMANDS = {
    "app": ("ui.main", "cli", "open the drawing window (same as python app.py)"),
    "predict": ("recognizer.cli", "predict_main", "recognize digits in image files"),
    "evaluate": ("recognizer.cli", "evaluate_main", "accuracy and confusion matrix on MNIST test"),
    "train": ("recognizer.train", "main", "train the CNN (same as python -m recognizer.train)"),
    "train-detector": ("recognizer.train_detector", "main", "train the 'not a digit' detector"),
    "train-touching": ("recognizer.train_touching", "main", "train the touching-digits model (images' cuts)"),
    "train-pairs": ("recognizer.train_pairs", "main", "train the digit-pair reader (two digits touching, read whole)"),
    "kaggle": ("recognizer.kaggle", "main", "train on Kaggle train.csv and write submission.csv"),
    "learn": ("recognizer.learn", "main", "learn your handwriting from your saved samples (under a minute)"),
    "finetune": ("recognizer.finetune", "main", "adapt the model to your saved handwriting samples"),
    "calibrate": ("recognizer.calibrate", "main", "fit a model's 'not sure' threshold and temperature"),
}


def build_parser() -> argparse.ArgumentParser:
    """Only for --help and usage errors: each command parses its own arguments."""
    prog = command_prog("").strip()
    commands = "\n".join(f"  {name:<16} {help_}" for name, (_, _, help_) in COMMANDS.items())
    return argparse.ArgumentParser(
        prog=prog,
        usage=f"{prog} COMMAND [--help] ...",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Handwritten digit recognition: the app, and the library's commands.",
        epilog=f"commands:\n{commands}",
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if argv and argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0
    if not argv or argv[0] not in COMMANDS:
        given = f"unknown command {argv[0]!r}" if argv else "no command given"
        parser.error(f"{given}; choose from {', '.join(COMMANDS)}")  # exits with status 2
    module, function, _ = COMMANDS[argv[0]]
    try:
        with warnings.catch_warnings():  # restores the default display when the command is done
            warnings.showwarning = _one_line_warning
            return getattr(importlib.import_module(module), function)(argv[1:])
    except BrokenPipeError:  # its reader stopped reading (`predict *.png | head -1`): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # else Python's exit flush fails again
        return BROKEN_PIPE
    except (RecognizerError, OSError) as exc:  # OSError: a disk full, a file taken away while it ran
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as the user needs it: one line, without our file name and source line."""
    print(f"warning: {message}", file=file or sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
