"""bench.image_dev: the image path's dev measurement refuses bad input with a one-line error."""

import pytest

from bench import image_dev


@pytest.mark.parametrize(
    "argv",
    [
        ["--unipen", "/nonexistent/unipen_dev.npz"],
        ["--unipen", "/nonexistent/unipen_dev.npz", "--numbers", "0"],
        ["--unipen", "/nonexistent/unipen_dev.npz", "--mnist", "-1"],
    ],
)
def test_bad_input_is_a_one_line_error(capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        image_dev.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and "Traceback" not in err
