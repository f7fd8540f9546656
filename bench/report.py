"""The results as Markdown: what `make bench` prints and the README shows."""

from __future__ import annotations

from .common import fmt_ms, fmt_pct, md_table

PATH_NAMES = {
    "litert": "LiteRT interpreter, 1 thread (the app)",
    "keras-call": "Keras `model(x)`",
    "keras-predict": "Keras `model.predict(x)` (baseline)",
    "onnxruntime": "ONNX Runtime",
}
PIPELINE_NAMES = {
    "ours": "ours: crop, 20 px, thicken thin, center of mass",
    "resize-canvas": "whole canvas resized to 28x28 (web demos)",
    "box22-center": "crop, 22 px, geometric center (pygame demo)",
}
BUSY = 0.15  # more of the CPUs than this busy before the run: say the figures are disturbed


def render(r: dict) -> str:
    parts = [_header(r)]
    if "latency" in r:
        parts.append(_latency(r["latency"]))
    if "app" in r:
        parts.append(_app(r["app"]))
    if "accuracy" in r:
        parts.append(_accuracy(r["accuracy"]))
    if "training" in r:
        parts.append(_training(r["training"]))
    if "numbers" in r:
        parts.append(_numbers(r["numbers"]))
    return "\n\n".join(parts)


def _numbers(num: dict) -> str:
    head = "#### 5. Several digits and \"not sure\" (bench/numbers.py)"
    if "skipped" in num:
        return f"{head}\n\nnot measured: {num['skipped']}"
    from .numbers import report

    return f"{head}\n\n```\n{report(num)}\n```"


def _header(r: dict) -> str:
    m = r["machine"]
    lines = [
        f"### Benchmark{' (QUICK smoke run: too few samples to quote)' if r.get('quick') else ''}",
        "",
        f"- date: {m['date']}; commit {m.get('git_commit') or 'unknown'}; data: {r.get('data', '?')}",
        f"- machine: {m['cpu']}, {m['cores_usable']} of {m['cores']} cores usable, {m['memory_gib']} GiB; {m['os']}",
        f"- Python {m['python']}, NumPy {m['numpy']}, OpenCV {m['opencv']}, TensorFlow {m['tensorflow']}, "
        f"Keras {m['keras']}, ai-edge-litert {m['ai_edge_litert']}, pygame {m['pygame']}",
    ]
    for when in ("load_before", "load_after"):
        state = r.get(when)
        if state:
            others = "; ".join(state.get("busy_processes") or []) or "none"
            lines.append(f"- {when.replace('_', ' ')}: {fmt_pct(state.get('cpu_busy'), 0)} of CPU busy, "
                         f"load average {state.get('loadavg_1min')}, other busy processes: {others}")
    before = (r.get("load_before") or {}).get("cpu_busy")
    if before is not None and before > BUSY:
        lines.append(f"- **WARNING: the machine was {before:.0%} busy before the run: times are disturbed; "
                     f"re-take them on an idle machine.**")
    return "\n".join(lines)


def _latency(lat: dict) -> str:
    rows = []
    for name, p in lat["paths"].items():
        t = p["total"]
        rows.append([
            PATH_NAMES.get(name, name),
            fmt_ms(p["preprocess"]["p50_ms"]), fmt_ms(p["preprocess"]["p99_ms"]),
            fmt_ms(p["inference"]["p50_ms"]), fmt_ms(p["inference"]["p99_ms"]),
            f"**{fmt_ms(t['p50_ms'])}**", f"**{fmt_ms(t['p99_ms'])}**",
            f"{fmt_ms(t['p50_range_ms'][0])}-{fmt_ms(t['p50_range_ms'][1])}",
            f"{t['repeats']}x{t['n'] // max(1, t['repeats'])}",
            fmt_ms(p["first_call_ms"]),
        ])
    table = md_table(["inference path", "preprocess p50", "p99", "inference p50", "p99", "predict p50", "predict p99",
                      "p50 per repeat", "calls", "first call"], rows)
    lines = [f"#### 1. `rec.predict(canvas)` latency, {lat['canvas']} canvas, ms "
             f"({lat['canvases']} redrawn test digits, cycled; warm-up excluded, first call shown apart)", "", table]
    app = lat["paths"].get("litert")
    if app:
        tgt = app["target"]
        lines.append("")
        lines.append(f"App path target p50 <= {tgt['p50_ms']:g} ms and p99 <= {tgt['p99_ms']:g} ms: "
                     f"**{'PASS' if tgt['pass'] else 'FAIL'}**. Loading: LiteRT {app['load_s']:.2f} s")
        keras_paths = [p for n, p in lat["paths"].items() if n.startswith("keras")]
        if keras_paths:
            k = keras_paths[0]
            lines[-1] += (f"; Keras {k['load_s']:.2f} s after importing TensorFlow "
                          f"({k['tensorflow_import_s']:.1f} s).")
            diffs = {n: p.get("digit_differs_from_litert") for n, p in lat["paths"].items() if n != "litert"}
            lines.append("Same digit as LiteRT on the timed canvases: " + ", ".join(
                f"{PATH_NAMES.get(n, n).split(' (')[0]}: {'yes' if d == 0 else f'{d} differ'}" for n, d in diffs.items()))
    if "onnxruntime" not in lat["paths"]:
        lines.append("ONNX Runtime: not measured (not a dependency of this project).")
    return "\n".join(lines)


def _app(app: dict) -> str:
    head = "#### 2. App (headless: SDL dummy video driver; the real app.py loop, default 984x640 window)"
    if app.get("status") != "ok":
        return f"{head}\n\nnot measured: {app.get('reason', 'unknown')}"
    launch = app["launch"]
    live = app["live"]
    rows = [
        ["launch -> window on screen (s)", _median_range(launch["window_s"])],
        ["launch -> model loaded (s)", _median_range(launch["model_loaded_s"])],
        ["launch -> first prediction, digit drawn as the window appears (s)", _median_range(launch["first_prediction_s"])],
        [f"frames per second while drawing, live prediction (cap {live['cap']})",
         _median_range(live["fps"], 0) + f"; slowest frame {max(live['max_frame_ms']):.0f} ms"],
    ]
    work = app.get("frame_work")
    if work:
        f = work["frame"]
        split = []
        for key, label in (("frame_with_prediction", "frames that predict"), ("frame_without_prediction", "others")):
            part = work.get(key)
            if part:
                split.append(f"{label} (n={part['n']}) p50 {fmt_ms(part['p50_ms'])}, p99 {fmt_ms(part['p99_ms'])}")
        rows.append([f"work per frame, prediction in the frame (in-process, ms; budget {work['budget_ms']:.1f})",
                     f"all p50 {fmt_ms(f['p50_ms'])}, p99 {fmt_ms(f['p99_ms'])}, max {fmt_ms(f['max_ms'])}; "
                     + "; ".join(split) + f"; uncapped ~{work['uncapped_fps']:.0f} FPS"])
    notes = [f"- {n}" for n in app.get("notes", [])]
    text = [head, "", "Launch is counted from the spawn of a fresh Python process (imports included); "
            "a synthetic user posts mouse events at 120 Hz through pygame's queue.", "",
            md_table(["measure", "median (runs)"], rows)]
    return "\n".join(text + ([""] + notes if notes else []))


def _median_range(values, digits: int = 2) -> str:
    values = [v for v in values or [] if v is not None]
    if not values:
        return "n/a"
    vals = sorted(values)
    mid = len(vals) // 2
    med = vals[mid] if len(vals) % 2 else (vals[mid - 1] + vals[mid]) / 2
    runs = f" ({', '.join(f'{v:.{digits}f}' for v in values)})" if len(values) > 1 else ""
    return f"{med:.{digits}f}{runs}"


def _acc(entry: dict) -> str:
    if not entry or not entry.get("n"):
        return "n/a"
    return f"{fmt_pct(entry['accuracy'])}"


def _ci(entry: dict) -> str:
    return f"{fmt_pct(entry['ci95'][0])}-{fmt_pct(entry['ci95'][1])}"


def _accuracy(acc: dict) -> str:
    lines = ["#### 3. Accuracy (shipped model)"]
    if "skipped" in acc:
        return f"{lines[0]}\n\nnot measured: {acc['skipped']}"
    t = acc["mnist_test"]
    lines += ["", f"MNIST test set: **{fmt_pct(t['accuracy'], 2)}** (95% CI {_ci(t)}), "
                  f"{t['n'] - t['correct']} errors in {t['n']:,} images (LiteRT)"]
    k = acc.get("mnist_test_keras")
    if k:
        lines[-1] += (f"; the .keras model: {fmt_pct(k['accuracy'], 2)}, "
                      f"disagreeing with the .tflite on {k['disagree_with_litert']} images.")
    d = acc["drawn"]
    s = d["setup"]
    lines += ["", f"Drawn: {d['n']:,} MNIST test digits redrawn on a {d['canvas']} canvas (seed {d['seed']}) with a "
                  f"round pen: height {s['height_frac'][0]:.0%}-{s['height_frac'][1]:.0%} of the canvas, pen "
                  f"{s['stroke_frac_of_height_loguniform'][0]:g}-{s['stroke_frac_of_height_loguniform'][1]:g} of the "
                  f"digit's height (log-uniform, >= {s['min_stroke_px']:g} px), slant +-{s['slant'][1]:g}, random "
                  f"position. Same model, same canvases; columns after the CI: accuracy by digit height and pen width."]
    ref = d.get("same_digits_mnist_form")
    if ref:
        lines[-1] += (f" The same {ref['n']:,} digits in their MNIST form score {fmt_pct(ref['accuracy'])}: "
                      f"the reference for any preprocessing (hard digits stay hard when redrawn).")
    lines.append("")
    first = next(iter(d["pipelines"].values()))
    h_bins, s_bins = list(first["by_height"]), list(first["by_stroke"])
    rows = []
    for name, e in d["pipelines"].items():
        vs = e.get("vs_ours")
        rows.append([PIPELINE_NAMES.get(name, name), f"**{_acc(e)}**", _ci(e)]
                    + [_acc(e["by_height"][b]) for b in h_bins] + [_acc(e["by_stroke"][b]) for b in s_bins]
                    + [f"{vs['only_ours_right']} / {vs['only_this_right']}" if vs else "-"])
    n_h = [first["by_height"][b]["n"] for b in h_bins]
    n_s = [first["by_stroke"][b]["n"] for b in s_bins]
    header = (["preprocessing", "accuracy", "95% CI"] + [f"{b} (n={n})" for b, n in zip(h_bins, n_h)]
              + [f"{b} (n={n})" for b, n in zip(s_bins, n_s)] + ["only ours right / only this right"])
    lines.append(md_table(header, rows))
    return "\n".join(lines)


def _training(tr: dict) -> str:
    step = tr["step"]
    rows = [[f"this machine, extrapolated: {tr['timed_steps']} timed steps (after {tr['warmup_steps']} warm-up), "
             f"mean {fmt_ms(step['mean_ms'])} ms/step (p50 {fmt_ms(step['p50_ms'])}, p99 {fmt_ms(step['p99_ms'])}) "
             f"x {tr['steps_per_epoch']} steps + validation {tr['validation_seconds'] if tr['validation_seconds'] is not None else 'n/a'} s",
             f"**{tr['seconds_per_epoch_extrapolated']:.0f}**"]]
    card = tr.get("model_card") or {}
    if card.get("seconds_per_epoch") is not None:
        hist = card.get("history_epoch_seconds")
        spread = f"; per epoch median {hist['median']:.0f}, {hist['min']:.0f}-{hist['max']:.0f}" if hist else ""
        rows.append([f"measured by the full training run (model card: {card['epochs']} epochs in "
                     f"{card['training_seconds']:.0f} s{spread}; {card.get('date') or '?'}, "
                     f"{card.get('machine') or '?'}; not necessarily this machine)",
                     f"{card['seconds_per_epoch']:.0f}"])
    else:
        rows.append(["measured by the full training run (model card)", "n/a: no model card next to the model"])
    return "\n".join([f"#### 4. Training: seconds per epoch, shipped architecture + augmenter, batch {tr['batch_size']}",
                      "", md_table(["how", "s/epoch"], rows)])


def main(argv: list[str] | None = None) -> int:
    """python -m bench.report [results.json]: print the tables again (e.g. for the README)."""
    import json
    import sys
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else Path(__file__).resolve().parent / "results.json"
    print(render(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
