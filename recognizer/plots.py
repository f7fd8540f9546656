"""The figures of deeplearning/MNIST.ipynb: data, preprocessing, augmentation, training, errors.

Each function returns a matplotlib Figure (made with pyplot, so a notebook shows it at the end of
the cell) and draws nothing else; `save_figure` writes one as PNG. Works headless (Agg).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .fileio import atomic_write

DIGITS = range(10)
NUMBER_MARGIN = 12  # px of canvas around a number's ink in number_readings


def _pyplot():
    import matplotlib

    if not os.environ.get("DISPLAY") and "inline" not in matplotlib.get_backend().lower():
        matplotlib.use("Agg")  # headless: never try to open a window
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | os.PathLike, dpi: int = 110) -> Path:
    """Write fig as PNG atomically (temporary file, then rename); returns the path."""
    path = Path(path)
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=dpi, bbox_inches="tight")
    return path


def _show(ax, image, title: str | None = None, **title_kw) -> None:
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=float(max(np.max(image), 1e-6)), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, **title_kw)


# --- the data ----------------------------------------------------------------------------------


def class_balance(splits: dict[str, np.ndarray]):
    """Bar chart of how many images of each digit every split has, e.g. {"train": y, "test": y}."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / max(len(splits), 1)
    for i, (name, labels) in enumerate(splits.items()):
        counts = np.bincount(np.asarray(labels, dtype=int), minlength=10)[:10]
        ax.bar(np.arange(10) + (i - (len(splits) - 1) / 2) * width, counts, width, label=f"{name} ({len(labels):,})")
    ax.set_xticks(list(DIGITS))
    ax.set_xlabel("digit")
    ax.set_ylabel("images")
    ax.set_title("Class balance")
    ax.set_ylim(top=ax.get_ylim()[1] * 1.18)  # room for the legend above the bars
    ax.legend(loc="upper center", ncol=len(splits))
    fig.tight_layout()
    return fig


def sample_grid(images: np.ndarray, labels: np.ndarray, per_class: int = 12, seed: int = 0):
    """One row per digit: `per_class` random examples of it (one image, so it draws fast)."""
    plt = _pyplot()
    rng = np.random.default_rng(seed)
    side, gap = images.shape[1], 2
    cell = side + gap
    mosaic = np.full((10 * cell - gap, per_class * cell - gap), 40, np.uint8)  # light grey gaps
    for digit in DIGITS:
        index = np.flatnonzero(labels == digit)
        chosen = rng.choice(index, size=min(per_class, len(index)), replace=False) if len(index) else []
        for col, i in enumerate(chosen):
            mosaic[digit * cell : digit * cell + side, col * cell : col * cell + side] = images[i]
    fig, ax = plt.subplots(figsize=(per_class * 0.62, 10 * 0.62))
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
    ax.set_yticks([d * cell + side / 2 for d in DIGITS], [str(d) for d in DIGITS], fontsize=12)
    ax.set_xticks([])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("Sample digits, one row per class")
    fig.tight_layout()
    return fig


def style_variants(rows: dict[str, tuple[np.ndarray, np.ndarray]]):
    """One row per writing style (recognizer.styles): each digit beside its styled variant, both
    (n, 28, 28) uint8, so the added stroke shows."""
    plt = _pyplot()
    side, gap = 28, 2
    n = max(len(plain) for plain, _ in rows.values())
    mosaic = np.full((len(rows) * (side + gap) - gap, n * (2 * side + 3 * gap) - 2 * gap), 40, np.uint8)
    for r, (plain, styled) in enumerate(rows.values()):
        for c, (a, b) in enumerate(zip(plain, styled)):
            y, x = r * (side + gap), c * (2 * side + 3 * gap)
            mosaic[y : y + side, x : x + side] = a
            mosaic[y : y + side, x + side + gap : x + 2 * side + gap] = b
    fig, ax = plt.subplots(figsize=(n * 1.3, len(rows) * 0.7))
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
    ax.set_yticks([r * (side + gap) + side / 2 for r in range(len(rows))], list(rows), fontsize=11)
    ax.set_xticks([])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("Writing styles: each digit, then the same digit with the style's stroke")
    fig.tight_layout()
    return fig


# --- preprocessing -----------------------------------------------------------------------------


def preprocessing_steps(canvas: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The stages of recognizer.preprocess (preprocess.stages, which to_mnist itself runs) as
    (title, image) pairs, the canvas first; the last image is what to_mnist returns."""
    from .ink import ink_from_canvas
    from .preprocess import BOX, CENTER, stages

    ink = ink_from_canvas(canvas)
    if ink.box is None:
        raise ValueError("the canvas has no ink")
    steps = stages(ink)
    h, w = steps.crop.shape
    kept = steps.thickened is steps.work
    return [
        (f"canvas {ink.pixels.shape[1]}x{ink.pixels.shape[0]}", ink.pixels),
        (f"cropped to the ink {w}x{h}", steps.crop),
        (f"stroke {steps.stroke_px:.1f} px at 28x28: {'kept' if kept else 'thin, thickened'}", steps.thickened),
        (f"longer side {BOX} px ({steps.fitted.shape[1]}x{steps.fitted.shape[0]})", steps.fitted),
        (f"28x28, center of mass at ({CENTER:g}, {CENTER:g})", steps.image),
    ]


def preprocessing_figure(canvases: list[np.ndarray]):
    """One row per canvas: every step of the preprocessing side by side."""
    from .ink import ink_box
    from .preprocess import CENTER

    plt = _pyplot()
    rows = [preprocessing_steps(c) for c in canvases]
    fig, axes = plt.subplots(len(rows), 5, figsize=(15, 3.2 * len(rows)), squeeze=False)
    for r, steps in enumerate(rows):
        for c, (title, image) in enumerate(steps):
            ax = axes[r, c]
            _show(ax, image, title, fontsize=10)
            if c == 0:
                x, y, w, h = ink_box(image)
                ax.add_patch(plt.Rectangle((x - 0.5, y - 0.5), w, h, fill=False, ec="tab:red", lw=1.5))
            if c == len(steps) - 1:
                mass = image.sum()
                com_y = (image.sum(axis=1) @ np.arange(image.shape[0])) / mass
                com_x = (image.sum(axis=0) @ np.arange(image.shape[1])) / mass
                ax.plot([com_x], [com_y], "x", color="tab:red", ms=10, mew=2, label="center of mass")
                ax.axhline(CENTER, color="tab:blue", lw=0.6)
                ax.axvline(CENTER, color="tab:blue", lw=0.6)
        for c in range(1, 5):
            axes[r, c].annotate(
                "",
                xy=(-0.02, 0.5),
                xytext=(-0.14, 0.5),
                xycoords="axes fraction",
                arrowprops={"arrowstyle": "->", "lw": 1.5},
            )
    fig.suptitle("From a drawing to the 28x28 image the model sees (MNIST's own recipe)")
    fig.tight_layout()
    return fig


# --- augmentation ------------------------------------------------------------------------------


def augmentation_preview(images: np.ndarray, seed: int = 0):
    """Rows: the originals, then each random change of training on its own, then all together
    (the augmenter the training uses). Columns: the given (n, 28, 28) uint8 digits."""
    from . import augment
    from .train import to_input

    plt = _pyplot()
    batch = to_input(images)
    still = {"max_rotation_deg": 0.0, "max_shear": 0.0, "zoom": (1.0, 1.0), "max_aspect": 0.0, "max_shift_px": 0.0}
    affine_only = {
        f"rotation ±{augment.MAX_ROTATION_DEG:g}°, slant ±{augment.MAX_SHEAR:g}": {
            "max_rotation_deg": augment.MAX_ROTATION_DEG,
            "max_shear": augment.MAX_SHEAR,
        },
        f"zoom {augment.ZOOM[0]:g}-{augment.ZOOM[1]:g}, aspect ±{augment.MAX_ASPECT:g}": {
            "zoom": augment.ZOOM,
            "max_aspect": augment.MAX_ASPECT,
        },
        f"shift ±{augment.MAX_SHIFT_PX:g} px": {"max_shift_px": augment.MAX_SHIFT_PX},
    }
    rows = [("original", batch)]
    for title, ranges in affine_only.items():
        layer = augment.RandomDigitAffine(seed, **{**still, **ranges})
        rows.append((title, layer(batch, training=True)))
    rows.append(("stroke width (thinner / bolder)", augment.RandomStrokeWidth(seed=seed)(batch, training=True)))
    rows.append(("all together (as in training)", augment.build_augmenter(seed)(batch, training=True)))

    fig, axes = plt.subplots(len(rows), len(images), figsize=(1.3 * len(images) + 2.2, 1.35 * len(rows)), squeeze=False)
    for r, (title, out) in enumerate(rows):
        out = np.asarray(out)[..., 0]
        for c in range(len(images)):
            _show(axes[r, c], out[c])
        axes[r, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle("Augmentation: each row a fresh random draw")
    fig.tight_layout()
    return fig


# --- training and evaluation -------------------------------------------------------------------


def training_curves(history: list[dict[str, float]]):
    """Loss and accuracy per epoch, training and validation (history rows from train.train, or
    from train.train_members: a line for each member)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter

    plt = _pyplot()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
    members = list(dict.fromkeys(r.get("member") for r in history))  # [None] for train.train's rows
    for ax, key, title in ((ax_loss, "loss", "Loss"), (ax_acc, "accuracy", "Accuracy")):
        for prefix, label, style in (("", "training (augmented, dropout on)", "-o"), ("val_", "validation", "-s")):
            for member in members:
                rows = [r for r in history if r.get("member") == member]
                values = [r.get(prefix + key) for r in rows]
                if any(v is not None for v in values):
                    named = label if len(members) == 1 else f"{label}, network {int(member) + 1}"
                    x = [int(r["epoch"]) + 1 for r in rows]
                    ax.plot(x, [np.nan if v is None else v for v in values], style, ms=3, label=named)
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    if history and any("val_accuracy" in r for r in history):
        last = history[-1].get("val_accuracy")
        if last is not None:
            ax_acc.set_title(f"Accuracy (last validation {last:.2%})")
    if len(history) > 3:  # near 0 and near 1, where differences matter, these scales spread them out
        ax_loss.set_yscale("log")
        ax_acc.set_yscale("logit")
        ax_acc.yaxis.set_major_locator(FixedLocator([0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995]))
    # as many decimals as each tick needs (99.5%, 99.95%): a fixed count shows 0.995 and 0.999 both as 100%
    ax_acc.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{round(v * 100, 2):g}%"))
    ax_acc.yaxis.set_minor_formatter(NullFormatter())
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return fig


def confusion(y_true: np.ndarray, y_pred: np.ndarray):
    """Confusion matrix (scikit-learn): all counts, and the errors alone so that they show."""
    from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

    plt = _pyplot()
    matrix = confusion_matrix(y_true, y_pred, labels=list(DIGITS))
    errors = matrix.copy()
    np.fill_diagonal(errors, 0)
    fig, (ax_all, ax_err) = plt.subplots(1, 2, figsize=(13, 5.6))
    ConfusionMatrixDisplay(matrix, display_labels=list(DIGITS)).plot(ax=ax_all, cmap="Blues", colorbar=False)
    ax_all.set_title(f"Confusion matrix ({matrix.trace():,} of {matrix.sum():,} right)")
    ConfusionMatrixDisplay(errors, display_labels=list(DIGITS)).plot(ax=ax_err, cmap="Reds", colorbar=False)
    ax_err.set_title(f"Errors only ({errors.sum():,})")
    for ax in (ax_all, ax_err):
        ax.set_xlabel("predicted digit")
        ax.set_ylabel("true digit")
    fig.tight_layout()
    return fig


CONFIDENCE_BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 1.0)  # finest near 1, where most fall


def reliability(raw: np.ndarray, scaled: np.ndarray, labels: np.ndarray, threshold: float):
    """Calibration at a glance. Left: accuracy against the top probability, in bins, before and
    after temperature scaling (on the diagonal, a 90% answer is right 90% of the time). Right: the
    scaled top probability of right and wrong answers, and the "low confidence" threshold."""
    from .calibration import expected_calibration_error

    plt = _pyplot()
    fig, (ax_rel, ax_hist) = plt.subplots(1, 2, figsize=(12, 4.2))
    ax_rel.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    for name, probs, color in (("the model's own", raw, "tab:orange"), ("temperature-scaled", scaled, "tab:blue")):
        confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == labels
        which = np.clip(np.digitize(confidence, CONFIDENCE_BINS[1:-1]), 0, len(CONFIDENCE_BINS) - 2)
        used = [b for b in range(len(CONFIDENCE_BINS) - 1) if (which == b).any()]
        x = [confidence[which == b].mean() for b in used]
        y = [correct[which == b].mean() for b in used]
        sizes = [20 + 200 * np.sqrt((which == b).mean()) for b in used]
        ece = expected_calibration_error(probs, labels)
        ax_rel.plot(x, y, color=color, linewidth=1)
        ax_rel.scatter(x, y, s=sizes, color=color, alpha=0.7, label=f"{name} (ECE {ece:.4f})")
    ax_rel.set_xlabel("top probability (bin mean; marker area: share of answers)")
    ax_rel.set_ylabel("share right")
    ax_rel.set_title("Reliability")
    ax_rel.legend(loc="upper left", fontsize=9)
    confidence, correct = scaled.max(axis=1), scaled.argmax(axis=1) == labels
    edges = np.linspace(0, 1, 41)
    ax_hist.hist(confidence[correct], bins=edges, color="tab:green", alpha=0.6, label=f"right ({correct.sum():,})")
    ax_hist.hist(confidence[~correct], bins=edges, color="tab:red", alpha=0.8, label=f"wrong ({(~correct).sum():,})")
    ax_hist.set_yscale("log")
    ax_hist.axvline(threshold, color="black", linestyle="--", linewidth=1)
    low = confidence < threshold
    ax_hist.set_title(
        f"Below {threshold:.2f}: 'low confidence' ({low.mean():.1%} of answers, {(low & ~correct).sum()} of "
        f"{(~correct).sum()} errors)",
        fontsize=10,
    )
    ax_hist.set_xlabel("temperature-scaled top probability")
    ax_hist.set_ylabel("answers (log scale)")
    ax_hist.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


def worst_errors(images: np.ndarray, y_true: np.ndarray, probabilities: np.ndarray, n: int = 24, cols: int = 8):
    """The misclassified images the model was surest about, with predicted vs true labels."""
    plt = _pyplot()
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    order = wrong[np.argsort(-probabilities[wrong, predicted[wrong]])][:n]
    rows = max(1, -(-len(order) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.6, rows * 2.0), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, order):
        ax.axis("on")
        p, t = predicted[i], int(y_true[i])
        _show(
            ax,
            images[i],
            f"true {t}, said {p}\n{p}: {probabilities[i, p]:.0%}  {t}: {probabilities[i, t]:.0%}",
            fontsize=9,
            color="tab:red",
        )
    if len(order) == 0:
        axes[0, 0].text(0, 0.5, "no errors", fontsize=14)
    fig.suptitle(f"The {len(order)} most confident errors of {len(wrong):,} (of {len(y_true):,} images)")
    fig.tight_layout()
    return fig


def letter_verdicts(
    images: np.ndarray, labels: np.ndarray, not_digit: np.ndarray, threshold: float, n: int = 32, cols: int = 8
):
    """n letters with the digit detector's verdict, each with its P(not a digit): up to n // 2 it
    passed as digits, surest first (in red, the ones to study next), then random ones it caught."""
    plt = _pyplot()
    caught = not_digit > threshold
    missed = np.flatnonzero(~caught)[np.argsort(not_digit[~caught])][: n // 2]
    rng = np.random.default_rng(0)
    hits = np.flatnonzero(caught)
    shown = np.concatenate([missed, rng.choice(hits, size=min(n - len(missed), len(hits)), replace=False)])
    rows = max(1, -(-len(shown) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.5, rows * 1.8), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, shown.astype(int)):
        ax.axis("on")
        verdict = "not a digit" if caught[i] else "passes"
        color = "tab:green" if caught[i] else "tab:red"
        _show(ax, images[i], f"{labels[i]}: {verdict}\nP = {not_digit[i]:.2f}", fontsize=9, color=color)
    fig.suptitle(
        f"{caught.mean():.1%} of {len(labels):,} letters read 'not a digit' (P above {threshold:.3f}); "
        f"red: the {len(missed)} it was surest were digits"
    )
    fig.tight_layout()
    return fig


# --- numbers -------------------------------------------------------------------------------------


def number_readings(numbers: list[tuple[np.ndarray, str, dict[str, list[tuple[tuple[int, int, int, int], str]]]]]):
    """Numbers written on a canvas, one row each, one panel per way of reading it: each digit's box
    and what it read ("?": not sure); the panel's title green when the whole number reads right,
    red when not. numbers: (canvas, the digits written, {path: [(box x, y, w, h; text)]})."""
    plt = _pyplot()
    paths = list(numbers[0][2]) if numbers else []
    fig, axes = plt.subplots(
        max(1, len(numbers)),
        max(1, len(paths)),
        figsize=(4.2 * max(1, len(paths)), 1.7 * max(1, len(numbers))),
        squeeze=False,
    )
    for row, (canvas, truth, readings) in zip(axes, numbers):
        ys, xs = np.nonzero(canvas)  # the panel shows the ink and a margin, not the whole canvas
        y0, x0 = (max(0, ys.min() - NUMBER_MARGIN), max(0, xs.min() - NUMBER_MARGIN)) if len(ys) else (0, 0)
        y1, x1 = (ys.max() + NUMBER_MARGIN + 1, xs.max() + NUMBER_MARGIN + 1) if len(ys) else canvas.shape
        part = canvas[y0:y1, x0:x1]
        for ax, path in zip(row, paths):
            read = "".join(text for _, text in readings[path])
            title = f"{path}: {read or 'nothing'}" + ("" if read == truth else f" (written {truth})")
            _show(ax, part, title, fontsize=10, color="tab:green" if read == truth else "tab:red")
            for (x, y, w, h), text in readings[path]:
                ax.add_patch(plt.Rectangle((x - x0 - 0.5, y - y0 - 0.5), w, h, fill=False, lw=1.2, ec="tab:blue"))
                ax.text(x - x0 + w / 2, y - y0 - 2, text, ha="center", va="bottom", fontsize=9, color="tab:blue")
    fig.suptitle("Numbers by held-out writers, as each path splits and reads them (blue: a digit's box)")
    fig.tight_layout()
    return fig
