"""python -m bench [--data PATH] [--quick] [--out bench/results.json] [--only SECTIONS]

Runs the sections in an order that keeps TensorFlow out of the app's figures: the LiteRT latency,
the app, the accuracy, numbers, real handwriting, photos, forms and the web API first (none imports
TensorFlow), then the Keras paths and the training steps. Prints Markdown tables and writes every
figure to --out as JSON.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from recognizer.fileio import first_paragraph

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from recognizer.data import UNIPEN_ENV_VAR, Mnist, PenCharacters, load_mnist, load_unipen  # noqa: E402
from recognizer.errors import RecognizerError  # noqa: E402
from recognizer.fileio import check_writable  # noqa: E402
from recognizer.predictor import DEFAULT_MODEL, Recognizer  # noqa: E402

from . import drawn  # noqa: E402
from .common import ROOT, Clock, load_state, machine_info, portable, write_json  # noqa: E402
from .report import render  # noqa: E402

SECTIONS = ("latency", "app", "accuracy", "numbers", "real", "photos", "forms", "web", "training", "personal")
RESULTS = ROOT / "bench" / "results.json"  # the full run's figures, which the README is written from
QUICK_RESULTS = ROOT / "bench" / "quick.json"  # a smoke run's (git-ignored): they mean nothing
NUMBERS = {"full": (1000, 3000), "quick": (20, 40)}  # (composed numbers, redrawn digits) for bench.numbers
PHOTOS = {"full": (50, 5), "quick": (1, 1)}  # (photos per condition, 12-megapixel loads) for bench.photos
FORMS = {"full": 200, "quick": 1}  # scans per source and tilt for bench.forms
LATENCY_CANVASES = 50
NO_UNIPEN = "no UNIPEN file: pass --unipen PATH (or set UNIPEN_NPZ)"  # why a section on real handwriting was skipped


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options; an unknown section is a usage error (exit 2)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=first_paragraph(__doc__))
    parser.add_argument("--data", help="mnist.npz or IDX folder (default: $MNIST_NPZ, else Keras downloads it)")
    parser.add_argument("--unipen", help="unipen_dev.npz, for the real-handwriting section (default: $UNIPEN_NPZ)")
    parser.add_argument(
        "--model",
        default=str(DEFAULT_MODEL),
        help="the .tflite model; the .keras and .json beside it are used too (default: shipped)",
    )
    parser.add_argument(
        "--out",
        help=f"JSON results (default: {RESULTS.relative_to(ROOT)}; with --quick {QUICK_RESULTS.relative_to(ROOT)}, "
        "leaving the full run's figures alone)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke mode: a few calls and steps each, for tests")
    parser.add_argument("--drawn", type=int, help="number of redrawn digits (default 2000, --quick 40)")
    parser.add_argument("--only", help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})")
    args = parser.parse_args(argv)
    args.out = args.out or str(QUICK_RESULTS if args.quick else RESULTS)
    args.sections = SECTIONS if not args.only else tuple(s.strip() for s in args.only.split(","))
    if args.drawn is not None and args.drawn < 1:
        parser.error(f"--drawn must be at least 1, got {args.drawn}")
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sections = args.sections
    tflite = Path(args.model)
    keras_path, card_path = tflite.with_suffix(".keras"), tflite.with_suffix(".json")
    started = time.perf_counter()
    results: dict = {"schema": 1, "quick": args.quick, "machine": machine_info()}
    print(f"bench: {'quick smoke run' if args.quick else 'full run'}; measuring machine load ...", flush=True)
    results["load_before"] = load_state()
    try:
        check_writable(args.out, "--out")  # found now, not after the run (its figures would be lost)
        data = load_mnist(args.data)
        chars = load_unipen(args.unipen) if args.unipen or os.environ.get(UNIPEN_ENV_VAR) else None
        if not Path(tflite).is_file():
            raise RecognizerError(f"model file not found: {tflite} (train one with `make train`)")
        with Clock() as load:
            litert_rec = Recognizer.load(tflite)  # the first load: ai_edge_litert's import included
    except RecognizerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results["data"] = data.source
    has_test = data.x_test is not None
    no_test = f"{data.source} has no test set: pass mnist.npz or the IDX folder"
    digits = data.x_test if has_test else data.x_train
    labels = data.y_test if has_test else data.y_train
    latency_cases = drawn.cases(len(digits), LATENCY_CANVASES, seed=drawn.SEED + 1, labels=labels)
    canvases = list(drawn.canvases(latency_cases, digits))
    if "latency" in sections:
        from . import latency

        with Clock() as c:
            results["latency"] = {
                "canvas": f"{drawn.CANVAS}x{drawn.CANVAS}",
                "canvases": len(canvases),
                "paths": {"litert": latency.run_litert(litert_rec, load.seconds, canvases, args.quick)},
            }
        _done("latency (LiteRT)", c)

    if "app" in sections:
        from . import app

        with Clock() as c:
            results["app"] = app.run(tflite, args.quick)
        _done("app", c)

    litert_predicted = None
    if "accuracy" in sections:
        from . import accuracy

        with Clock() as c:
            acc: dict = {}
            if has_test:
                acc["mnist_test"], litert_predicted = accuracy.mnist_test(litert_rec, data.x_test, data.y_test)
                n = args.drawn or (accuracy.QUICK_DRAWN if args.quick else accuracy.FULL_DRAWN)
                acc["drawn"] = accuracy.drawn_accuracy(litert_rec, data.x_test, data.y_test, n)
            else:
                acc["skipped"] = no_test
            results["accuracy"] = acc
        _done("accuracy", c)

    if "numbers" in sections:  # issue 5's figures (bench/numbers.py): several digits, "not sure"
        from . import numbers

        with Clock() as c:
            n_numbers, n_drawn = NUMBERS["quick" if args.quick else "full"]
            try:
                results["numbers"] = numbers.run(litert_rec, data, n_numbers, seed=0, drawn=n_drawn)
            except RecognizerError as exc:
                results["numbers"] = {"skipped": str(exc)}
            from . import drawings  # doodles, faces and signs drawn with a mouse: a sure digit for one?

            results["drawings"] = drawings.run(litert_rec, quick=args.quick)
            print(drawings.report(results["drawings"]), flush=True)
        _done("numbers", c)

    if "real" in sections:  # held-out UNIPEN people's pen digits and letters (bench/real.py)
        from . import real

        with Clock() as c:
            if chars is not None:
                results["real"] = real.run(litert_rec, chars, data.x_test, data.y_test, args.quick)
                results["real"]["data"] = chars.source
                from . import real_numbers

                results["real_numbers"] = real_numbers.run(litert_rec, chars, quick=args.quick)
                from . import marks

                results["marks"] = marks.run(litert_rec, chars, quick=args.quick)
                print(marks.report(results["marks"]), flush=True)
            else:
                results["real"] = {"skipped": NO_UNIPEN}
                results["real_numbers"] = results["marks"] = results["real"]
        _done("real handwriting", c)

    if "photos" in sections or "forms" in sections:  # numbers written on paper: held-out digits, real and MNIST
        from . import photos

        mnist_numbers, pen_numbers = _held_out_numbers(data, chars, no_test)

    if "photos" in sections:  # generated photos and scans of numbers on paper (bench/photos.py)
        with Clock() as c:
            per_condition, loads = PHOTOS["quick" if args.quick else "full"]
            if callable(mnist_numbers):
                results["photos"] = photos.run(litert_rec, mnist_numbers, per_condition, 0, loads)
                print(photos.report(results["photos"]), flush=True)
            else:
                results["photos"] = {"skipped": mnist_numbers}
            if callable(pen_numbers):  # the same photos of held-out people's real pen digits
                results["photos_real"] = photos.run(litert_rec, pen_numbers, per_condition, 0, 0, photos.PEN_DIGITS)
                print(photos.report(results["photos_real"]), flush=True)
            else:
                results["photos_real"] = {"skipped": pen_numbers}
        _done("photos", c)

    if "forms" in sections:  # scanned forms: digits in printed boxes, straight and askew (bench/forms.py)
        from . import forms

        with Clock() as c:
            named = {forms.REAL_DIGITS: pen_numbers, forms.MNIST_DIGITS: mnist_numbers}
            sources = {name: source for name, source in named.items() if callable(source)}
            results["forms"] = forms.section(litert_rec, sources, FORMS["quick" if args.quick else "full"])
            if skipped := {name: why for name, why in named.items() if not callable(why)}:
                results["forms"]["skipped"] = skipped
            print(forms.report(results["forms"]), flush=True)
        _done("forms", c)

    if "web" in sections:  # the web API under bounded load on 127.0.0.1 (bench/load.py)
        from . import load

        with Clock() as c:
            results["web_load"] = load.run(quick=args.quick)
        _done("web load", c)

    # From here on TensorFlow is imported.
    if "latency" in sections or "accuracy" in sections:
        if keras_path.is_file():
            with Clock() as c:
                if "latency" in sections:
                    from . import latency

                    results["latency"]["paths"].update(
                        latency.run_keras(keras_path, canvases, args.quick, litert=litert_rec)
                    )
                if litert_predicted is not None:
                    from . import accuracy

                    results["accuracy"]["mnist_test_keras"] = accuracy.keras_agreement(
                        keras_path, data.x_test, data.y_test, litert_predicted
                    )
            _done("Keras paths", c)
        else:
            print(f"note: {keras_path} not found: Keras paths skipped", file=sys.stderr)

    if "training" in sections:
        from . import training

        with Clock() as c:
            results["training"] = training.run(
                data.x_train, data.y_train, data.x_test, data.y_test, args.quick, card_path
            )
        _done("training", c)

    if "personal" in sections:  # issue 14: real writers' saved samples -> their personal model (bench/personal.py)
        from . import personal

        with Clock() as c:
            if chars is None:
                results["personal"] = {"skipped": NO_UNIPEN}
            elif not has_test or not keras_path.is_file():
                results["personal"] = {"skipped": f"needs {keras_path.name} and MNIST's test set"}
            else:
                results["personal"] = personal.run(
                    chars,
                    keras_path,
                    data.x_test,
                    data.y_test,
                    data.x_train,
                    data.y_train,
                    ks=(3,) if args.quick else personal.KS,
                    max_writers=1 if args.quick else None,
                )
                results["personal"]["data"] = chars.source
                if not args.quick and not personal.MNIST_ONLY.is_file():
                    results["personal"]["mnist_only"] = {"skipped": f"no {personal.MNIST_ONLY.name}"}
                elif not args.quick:  # the writers issue 14 is about: a base that never saw them
                    results["personal"]["mnist_only"] = {
                        split: personal.run(
                            chars, personal.MNIST_ONLY, data.x_test, data.y_test, data.x_train, data.y_train, split
                        )
                        for split in ("test", "train")
                    }
        _done("personal", c)

    results["load_after"] = load_state()
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    results = portable(results)  # committed: no absolute paths of this machine (model files, command lines)
    out = Path(args.out)
    print()
    print(render(results))  # first: the figures are on screen even if the file cannot be written
    try:
        write_json(out, results)
    except OSError as exc:  # the disk filled up, the folder went away during the run
        print(f"error: cannot write {out}: {exc}", file=sys.stderr)
        return 2
    print(f"\nwritten {out} in {results['bench_seconds']:.0f} s")
    return 0


def _held_out_numbers(data: Mnist, chars: PenCharacters | None, no_test: str) -> tuple:
    """(MNIST test digits, the UNIPEN 'test' people's real pen digits): the numbers the photos and
    forms are written with, each a bench.photos.Numbers or the reason it cannot be made (a str;
    no_test: the data has no test set)."""
    from . import photos

    mnist = photos.mnist_numbers(data.x_test, data.y_test) if data.x_test is not None else no_test
    try:
        pen = photos.pen_numbers(chars) if chars is not None else NO_UNIPEN
    except RecognizerError as exc:  # no 'test' person with enough digits
        pen = str(exc)
    return mnist, pen


def _done(what: str, clock: Clock) -> None:
    print(f"  {what}: {clock.seconds:.1f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
