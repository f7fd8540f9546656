"""Benchmarks: speed and accuracy of the recognizer, side by side with the usual approaches.

    python -m bench [--data mnist.npz] [--quick] [--out bench/results.json]

Sections (bench.__main__.SECTIONS, each its own module): latency (per-call predict on a 640x640
canvas, per inference path), app (launch, frame rate, a frame's work), accuracy (MNIST test set;
digits redrawn on a big canvas through three preprocessing pipelines), numbers (numbers of MNIST
digits), real (real pen writing of held-out UNIPEN people: digits, letters, numbers, marks), photos
and forms (photos and scans of numbers on paper), web (the JSON API under load), training (seconds
per epoch) and personal (learning a writer's hand). The figures are written as JSON
(bench/results.json), and `python -m bench.report --readme` writes the README's tables from them.
"""
