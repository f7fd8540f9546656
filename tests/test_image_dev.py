"""bench.image_dev: the image path's dev measurement refuses bad input with a one-line error."""

import pytest

from bench import image_dev
from tests.test_cli import assert_main_fails_cleanly


@pytest.mark.parametrize(
    "argv",
    [
        ["--unipen", "/nonexistent/unipen_dev.npz"],
        ["--unipen", "/nonexistent/unipen_dev.npz", "--numbers", "0"],
        ["--unipen", "/nonexistent/unipen_dev.npz", "--mnist", "-1"],
    ],
)
def test_bad_input_is_a_one_line_error(capsys, argv):
    assert_main_fails_cleanly(image_dev.main, argv, capsys)
