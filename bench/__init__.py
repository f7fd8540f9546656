"""Benchmarks: speed and accuracy of the recognizer, side by side with the usual approaches.

    python -m bench [--data mnist.npz] [--quick] [--out bench/results.json]

Sections (each its own module): latency (per-call predict on a 640x640 canvas, per inference
path), app (launch and frame rate), accuracy (MNIST test set; digits redrawn on a big canvas
through three preprocessing pipelines), training (seconds per epoch). The table is printed as
Markdown, ready for the README, and the figures are written as JSON for comparisons.
"""
