"""`python -m recognizer predict|evaluate`: the command-line face of the library."""

from __future__ import annotations

import argparse
import csv
import sys
import warnings

import numpy as np

from .batch import predict_batches
from .data import load_mnist, require_test_set
from .errors import NoInk, RecognizerError
from .fileio import command_prog
from .images import MAX_PAGES, MAX_PIXELS, STDIN, load_canvases, page_numbers
from .predictor import Prediction, Recognizer, number_text, percent

CSV_COLUMNS = ("file", "page", "number", "status", "lowest_confidence", "details")
# A row's status: every digit read sure; some read "?"; no digit found (only print or letters); a
# picture with no ink (a form's field left blank); a file that could not be read as an image
READ, NOT_SURE, NO_DIGITS, BLANK, ERROR = "read", "not sure", "no digits", "blank", "error"


def predict_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog=command_prog("predict"),
        description="Recognize the digit, or the digits left to right, in each image (PNG, JPG, ...; "
        f"dark ink on light paper or the reverse; at most {MAX_PIXELS:,} pixels), and in each page of a "
        f"multi-page TIFF (the first {MAX_PAGES}).",
    )
    parser.add_argument(
        "images",
        nargs="+",
        metavar="IMAGE",
        help=f"an image file; {STDIN} reads one piped to standard input; put -- before names that begin with -",
    )
    parser.add_argument("--model", help="a .tflite or .keras model (default: the shipped model)")
    parser.add_argument(
        "--csv",
        action="store_true",
        help="write CSV for a spreadsheet: a header, then one row per image (per page of a TIFF) in the order "
        f"given, those that fail too: {', '.join(CSV_COLUMNS)} (status: {READ}, {NOT_SURE}, {NO_DIGITS}, "
        f"{BLANK} or {ERROR}; lowest_confidence: of the digits read sure, 0-1)",
    )
    args = parser.parse_args(argv)
    rec = Recognizer.load(args.model)
    rows = csv.writer(sys.stdout, lineterminator="\n") if args.csv else None
    if rows is not None:
        rows.writerow(CSV_COLUMNS)
    failed = 0
    for path in args.images:
        pages: list[int | None] = page_numbers(path) or [None]  # None: a file of one picture (an animation's first)
        if len(pages) > MAX_PAGES:
            warnings.warn(f"{path}: more than {MAX_PAGES} pages; the first {MAX_PAGES} are read", stacklevel=1)
        for number_of_page, page in enumerate(pages[:MAX_PAGES], start=1):
            name = path if len(pages) == 1 else f"{path} (page {number_of_page})"
            status, number, lowest, details, named = read_one(rec, path, page)
            failed += status in (NO_DIGITS, BLANK, ERROR)
            if rows is not None:
                rows.writerow((path, number_of_page, number, status, lowest, details))
            elif status in (READ, NOT_SURE):
                print(f"{name}: {details}")
            else:  # a message that names its file otherwise ("image not found: x.png") is said as it is
                print(f"error: {f'{name}: {details}' if named else details}", file=sys.stderr)
            sys.stdout.flush()  # row by row: what was read before an interruption is kept
    return 1 if failed else 0


def read_one(rec: Recognizer, path: str, page: int | None) -> tuple[str, str, str, str, bool]:
    """One picture (a file, or a page of a TIFF) read: (status, number, lowest_confidence, details,
    named), details being what `predict` says of it, or why it could not be read, without the
    "file: " it began with (named: it did; a row names its file)."""
    try:
        preds = rec.read_picture(load_canvases(path, page))
    except RecognizerError as exc:
        message = str(exc)
        named = message.startswith(f"{path}: ")
        details = message.removeprefix(f"{path}: ")
        return BLANK if isinstance(exc, NoInk) else ERROR, "", "", details, named
    if not preds:
        return NO_DIGITS, "", "", "no digits found (only lines of print or letters)", True
    sure = [p.confidence for p in preds if not p.unsure]
    status = NOT_SURE if len(sure) < len(preds) else READ
    return status, number_text(preds), f"{min(sure):.4f}" if sure else "", describe(preds), True


def describe(preds: list[Prediction]) -> str:
    """One digit: "3 (99.1%; next 5: 0.6%, 8: 0.2%)"; several: "4?7 (4: 99.9%, ?: not a digit, 7: 99.8%)",
    lines of writing apart by a space ("12 345 (...)"); a digit that is not sure reads "not sure
    (reason; best guess 6: 48.6%)"."""
    if len(preds) == 1:
        p = preds[0]
        if p.unsure:
            return f"not sure ({p.unsure}; best guess {p.digit}: {percent(p.confidence)})"
        top = np.argsort(p.probabilities)[::-1][:3]
        others = ", ".join(f"{d}: {percent(p.probabilities[d])}" for d in top[1:])
        return f"{p.digit} ({percent(p.confidence)}; next {others})"
    parts = [f"?: {p.unsure}" if p.unsure else f"{p.digit}: {percent(p.confidence)}" for p in preds]
    return f"{number_text(preds)} ({', '.join(parts)})"


def evaluate_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog=command_prog("evaluate"),
        description="Accuracy and confusion matrix of a model on the 10,000 MNIST test images.",
    )
    parser.add_argument("--data", help="mnist.npz or IDX folder (default: $MNIST_NPZ, else download)")
    parser.add_argument("--model", help="a .tflite or .keras model (default: the shipped model)")
    args = parser.parse_args(argv)
    rec = Recognizer.load(args.model)
    data = require_test_set(load_mnist(args.data))
    predicted = predict_batches(rec.probabilities, data.x_test).argmax(axis=1)
    accuracy = float((predicted == data.y_test).mean())
    print(f"model: {rec.path}")
    print(
        f"accuracy: {accuracy:.2%} on {len(data.y_test):,} MNIST test images "
        f"({int((predicted != data.y_test).sum())} errors)"
    )
    print("confusion matrix (rows: true digit, columns: predicted):")
    print(format_confusion(confusion_matrix(data.y_test, predicted)))
    return 0


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int = 10) -> np.ndarray:
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (true.astype(int), predicted.astype(int)), 1)
    return matrix


def format_confusion(matrix: np.ndarray) -> str:
    header = "      " + "".join(f"{d:>6}" for d in range(len(matrix)))
    rows = [f"{t:>6}" + "".join(f"{n:>6}" for n in row) for t, row in enumerate(matrix)]
    return "\n".join([header, *rows])
