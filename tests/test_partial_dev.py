"""bench.partial_dev: learning from samples of only some digits, measured; its pieces and its bad input."""

import numpy as np
import pytest

from bench import partial_dev
from tests.test_cli import assert_main_fails_cleanly


def test_each_try_saves_a_few_samples_of_a_few_digits_as_learn_takes_them():
    labels = np.repeat(np.arange(10), 5)
    tries = partial_dev.partial_tries(labels, 12, 1)
    assert tries and len(tries) <= 12
    for saved in tries:
        digits, counts = np.unique(labels[saved], return_counts=True)
        assert len(saved) >= 3 and 2 <= len(digits) <= max(partial_dev.DIGITS_SAVED) and counts.max() <= 3
    assert [t.tolist() for t in tries] == [t.tolist() for t in partial_dev.partial_tries(labels, 12, 1)]


def test_a_refused_try_counts_as_no_change():
    figures = partial_dev.summarize([-2.0, 1.5, 0.5], [False, True, True])
    assert figures == {
        "tries": 3,
        "kept": 2,
        "mean_change_points": round((1.5 + 0.5) / 3, 2),
        "losing_over_a_point": 0,
        "gaining_over_a_point": 1,
        "worst_points": 0.0,
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["--unipen", "/nonexistent/unipen_dev.npz", "--data", "/nonexistent/mnist.npz"],
        ["--unipen", "/nonexistent/unipen_dev.npz", "--data", "/nonexistent/mnist.npz", "--draws", "0"],
        ["--unipen", "/nonexistent/u.npz", "--data", "/nonexistent/m.npz", "--model", "/nonexistent/base.tflite"],
    ],
)
def test_bad_input_is_a_one_line_error(capsys, argv):
    assert_main_fails_cleanly(partial_dev.main, argv, capsys)
