"""Dev figures for photos (issue 15) on training-side data only: bench.photos' generator, but numbers
of MNIST *training* digits and another seed, so that the photo cleaning can be tuned without ever
looking at the MNIST test digits or the seed the bench reports on.

    python -m bench.photo_dev --data ../shared/data/mnist.npz [--photos 50] [--seed 7001] [--json OUT]
                              [--faint SHARE] [--unipen ../shared/data/unipen_dev.npz]

Each photo is also read as its bare ink (the digits as drawn, before any photo effect: the oracle
of a perfect cleaning). Each digit of a number whose count came out right is classed:
  * right;
  * not sure, and why (reject.REASONS: "not a digit" is the detector, "low confidence" the
    classifier, the others the ink checks);
  * misread, as what;
and whether the oracle read that digit right, so that misses of the cleaning are told from misses
of the reading. The 28x28 images the models saw are compared with the oracle's: stroke width
(ink mass over skeleton length, 28x28 px), ink mass, and enclosed holes. With --faint, one digit of
each number is written at SHARE of the others' darkness (0.3-0.42: a pencil correction, light
pressure), in otherwise the same photos. With --unipen, the numbers are of real pen digits of the
UNIPEN 'val' people (bench.photos.pen_numbers) in place of MNIST training digits.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import cv2
import numpy as np

from recognizer.errors import RecognizerError
from recognizer.fileio import atomic_write, first_paragraph
from recognizer.images import load_canvases
from recognizer.predictor import Prediction, Recognizer, number_text
from recognizer.synthetic import thin

from . import photos
from .common import write_json

DEV_SEED = 7001  # not the bench's seed (0)
PAD = 0.5  # the oracle canvas: the bare ink with this share of its height as a margin
FAINT_SEED = 1  # --faint: the digit written faint is picked by a generator seeded seed + this


def oracle_canvas(ink: np.ndarray) -> np.ndarray:
    """The bare ink (0-1 float, as bench.photos draws it) as a canvas: 0-255 uint8 with a margin."""
    pad = int(PAD * ink.shape[0])
    return np.pad(np.round(ink * 255).astype(np.uint8), pad)


def image_stats(image: np.ndarray) -> dict[str, float]:
    """Stroke width (mass over skeleton length, px), ink mass and holes of a 28x28 image (0-1)."""
    mask = (image > 0.25).astype(np.uint8)
    skeleton = thin(mask.astype(bool))
    mass = float(image.sum())
    holes = _holes(mask)
    return {"width": mass / max(int(skeleton.sum()), 1), "mass": mass, "holes": holes}


def _holes(mask: np.ndarray) -> int:
    """Background regions of a 0/1 mask that do not reach its border (a 0's, 6's, 8's loops)."""
    count, labels = cv2.connectedComponents((1 - mask).astype(np.uint8), connectivity=4)
    border = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])))
    sizes = np.bincount(labels.ravel(), minlength=count)
    return sum(1 for k in range(1, count) if k not in border and sizes[k] >= 2)


@contextmanager
def faint_digits(share: float, pick: np.random.Generator) -> Iterator[None]:
    """Within it, bench.photos draws one digit of each number (which one: `pick`) at `share` of the
    others' darkness; the photos' own random draws are untouched."""
    draw, pen = photos._number_ink, photos.digit_ink
    left = [-1]  # digits of the number still to draw before the faint one

    def number(digits, *args, **kwargs):
        left[0] = int(pick.integers(len(digits)))
        return draw(digits, *args, **kwargs)

    def digit(*args, **kwargs):
        out = pen(*args, **kwargs)
        left[0] -= 1
        if left[0] != -1:
            return out
        faint = np.round(out * share).astype(out.dtype)
        ys, xs = np.nonzero(faint)  # cropped again: the faintest edge pixels round to nothing
        return faint[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]

    photos._number_ink, photos.digit_ink = number, digit
    try:
        yield
    finally:
        photos._number_ink, photos.digit_ink = draw, pen


def digit_class(pred: Prediction, truth: str) -> str:
    """ "right", "? <reason>" or "misread as D"."""
    if pred.unsure:
        return f"? {pred.unsure}"
    return "right" if str(pred.digit) == truth else f"misread as {pred.digit}"


def dev_run(
    rec: Recognizer,
    numbers: photos.Numbers,
    n: int,
    seed: int,
    keep_images: bool = False,
    failed: Path | None = None,
    faint: float | None = None,
) -> dict:
    """n photos per condition of `numbers`, read as photos and as bare ink; the photos
    read wrong are copied to the folder `failed`, if given. With `faint`, one digit of each number
    (picked by a generator of its own: the photos are otherwise the same) is written at that share
    of the others' darkness: a pencil correction, light pressure."""
    rng = np.random.default_rng(seed)
    bare: list[np.ndarray] = []  # the photo's bare ink, from render's on_ink
    lighter = faint_digits(faint, np.random.default_rng(seed + FAINT_SEED)) if faint is not None else nullcontext()
    per_condition, digits, images = {}, [], []
    with lighter, tempfile.TemporaryDirectory(prefix="photo-dev-") as tmp:
        for name, cond in photos.CONDITIONS.items():
            exact = oracle_exact = 0
            for i in range(n):
                truth, data, suffix = photos.random_photo(numbers, cond, rng, on_ink=bare.append)
                bare_canvas = oracle_canvas(bare.pop())
                path = Path(tmp) / f"p{suffix}"
                path.write_bytes(data)
                preds = rec.read_picture(load_canvases(path))
                oracle = rec.read(bare_canvas)
                text, otext = number_text(preds), number_text(oracle)
                exact += text == truth
                if failed is not None and text != truth:
                    failed.mkdir(parents=True, exist_ok=True)
                    stem = f"{name.replace(' ', '_')}-{i}-{truth}-{text.replace('?', 'x')}"
                    (failed / f"{stem}{suffix}").write_bytes(data)
                    cv2.imwrite(str(failed / f"{stem}-oracle.png"), bare_canvas)
                oracle_exact += otext == truth
                if len(preds) != len(truth):
                    digits.append({"condition": name, "truth": truth, "read": text, "class": "count wrong"})
                    continue
                for k, (p, t) in enumerate(zip(preds, truth)):
                    o = oracle[k] if len(oracle) == len(truth) else None
                    row = {
                        "condition": name,
                        "truth": truth,
                        "read": text,
                        "oracle": otext,
                        "digit": t,
                        "class": digit_class(p, t),
                        "oracle_class": None if o is None else digit_class(o, t),
                        "stats": image_stats(p.image),
                        "oracle_stats": None if o is None else image_stats(o.image),
                    }
                    if keep_images:
                        row["index"] = len(images)
                        images.append((p.image, np.zeros((28, 28), np.float32) if o is None else o.image))
                    digits.append(row)
            per_condition[name] = {"exact": exact / n, "oracle_exact": oracle_exact / n}
    out = {"photos_per_condition": n, "seed": seed, "conditions": per_condition, "digits": digits}
    if keep_images:
        out["images"] = images
    return out


def summary(results: dict) -> str:
    """Per condition exact (photo, oracle) and the photo's failures by kind; the classes; the digits
    wrong on the photo, the oracle or both; 28x28 stats of right and wrong digits."""
    rows = results["digits"]
    kinds = ("misread", "? not a digit", "? low confidence", "? ink checks", "count wrong")
    lines = ["condition            photo  oracle  " + "  ".join(kinds)]
    for name, c in results["conditions"].items():
        found = collections.Counter(_kind(r["class"]) for r in rows if r["condition"] == name)
        counts = "  ".join(f"{found[k]:{len(k)}d}" for k in kinds)
        lines.append(f"{name:20s} {c['exact']:5.1%}  {c['oracle_exact']:5.1%}   {counts}")
    total = np.mean([c["exact"] for c in results["conditions"].values()])
    ototal = np.mean([c["oracle_exact"] for c in results["conditions"].values()])
    lines.append(f"{'overall':20s} {total:5.1%}  {ototal:5.1%}")
    classes = collections.Counter(r["class"] for r in rows if r["class"] != "right")
    lines.append("failures: " + ", ".join(f"{k}: {v}" for k, v in classes.most_common()))
    both = collections.Counter(
        (r["class"] != "right", r["oracle_class"] != "right") for r in rows if r.get("oracle_class") is not None
    )
    lines.append(
        f"digits (both counts right): photo wrong & oracle right {both[(True, False)]}, both wrong "
        f"{both[(True, True)]}, photo right & oracle wrong {both[(False, True)]}"
    )
    by_digit = collections.Counter(r["digit"] for r in rows if r["class"] not in ("right", "count wrong"))
    lines.append("wrong digits by truth: " + ", ".join(f"{k}: {v}" for k, v in sorted(by_digit.items())))
    paired = [r for r in rows if r.get("oracle_stats")]
    for label, pick in (("right", lambda r: r["class"] == "right"), ("wrong", lambda r: r["class"] != "right")):
        sel = [r for r in paired if pick(r)]
        if not sel:
            continue
        for key in ("width", "mass", "holes"):
            a = np.array([r["stats"][key] for r in sel])
            b = np.array([r["oracle_stats"][key] for r in sel])
            lines.append(f"{label:5s} {key:5s} photo {a.mean():6.2f}  oracle {b.mean():6.2f}  (n {len(sel)})")
        lost = sum(r["stats"]["holes"] < r["oracle_stats"]["holes"] for r in sel)
        lines.append(f"{label:5s} holes lost vs oracle: {lost}/{len(sel)}")
    return "\n".join(lines)


def _kind(digit_class: str) -> str:
    """A digit's class as one of summary's columns (the ink checks' reasons together)."""
    if digit_class.startswith("misread"):
        return "misread"
    if digit_class in ("? not a digit", "? low confidence", "count wrong", "right"):
        return digit_class
    return "? ink checks"


def main(argv: list[str] | None = None) -> int:
    from recognizer.data import load_mnist, load_unipen

    parser = argparse.ArgumentParser(prog="python -m bench.photo_dev", description=first_paragraph(__doc__))
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", help="mnist.npz or IDX folder (default: $MNIST_NPZ, else download)")
    source.add_argument("--unipen", help="unipen_dev.npz: numbers of the 'val' people's real digits instead")
    parser.add_argument("--model", help="a .tflite or .keras model (default: the shipped model)")
    parser.add_argument("--photos", type=int, default=50, help="photos per condition (default 50)")
    parser.add_argument("--seed", type=int, default=DEV_SEED)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--images", help="also write the 28x28 images (photo, oracle) to this .npz")
    parser.add_argument("--failed", help="copy the photos read wrong (and their bare ink) to this folder")
    parser.add_argument(
        "--faint", type=float, help="write one digit of each number at this share (0-1) of the others' darkness"
    )
    args = parser.parse_args(argv)
    if args.photos < 1:
        parser.exit(2, "error: --photos must be at least 1\n")
    if args.faint is not None and not 0 < args.faint <= 1:
        parser.exit(2, "error: --faint must be more than 0 and at most 1\n")
    try:
        rec = Recognizer.load(args.model)
        if args.unipen:
            numbers = photos.pen_numbers(load_unipen(args.unipen), "val")
        else:
            data = load_mnist(args.data)
            numbers = photos.mnist_numbers(data.x_train, data.y_train)
    except RecognizerError as exc:
        parser.exit(2, f"error: {exc}\n")
    results = dev_run(
        rec,
        numbers,
        args.photos,
        args.seed,
        keep_images=bool(args.images),
        failed=Path(args.failed) if args.failed else None,
        faint=args.faint,
    )
    print(summary(results))
    images = results.pop("images", None)
    if args.images:
        with atomic_write(args.images, "wb") as f:
            np.savez_compressed(f, images=np.array(images))
    if args.json:
        write_json(args.json, results, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
