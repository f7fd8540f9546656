"""bench.site_holdout: a site's people left out of training, the sets it is judged on, the report and
its refusals (no training here: the model read is a fresh, untrained network)."""

import json

import numpy as np
import pytest

from bench import site_holdout
from bench.site_holdout import DRAWS, LEFT_OUT, judged_sets, without_site
from recognizer.errors import RecognizerError
from recognizer.synthetic import DIGIT_STROKES
from recognizer.unipen import person_split, real_digits
from tests.test_unipen import WRITERS, pen_file


@pytest.fixture
def pen_npz(tmp_path):
    path = tmp_path / "unipen.npz"
    pen_file(path, [(str(d), w, DIGIT_STROKES[d]) for w in WRITERS for d in range(10)])
    return path


@pytest.fixture
def chars(pen_npz):
    from recognizer.data import load_unipen

    return load_unipen(pen_npz)


def test_without_site_leaves_out_every_person_of_the_site_and_no_one_else(chars):
    split = person_split(chars)
    left = without_site(chars.site, split, "gmd")
    assert set(left[chars.site == "gmd"]) == {LEFT_OUT}
    assert (left[chars.site != "gmd"] == split[chars.site != "gmd"]).all()
    trained = real_digits(chars, left, "train")
    assert not (chars.site[trained] == "gmd").any()
    assert len(trained) == ((split == "train") & (chars.site != "gmd")).sum()


def test_an_unknown_site_is_refused_with_the_sites_there_are(chars):
    with pytest.raises(RecognizerError, match="no site 'xyz'.*ced.*gmd"):
        without_site(chars.site, person_split(chars), "xyz")


def test_the_site_is_judged_on_its_held_out_people_and_the_others_on_their_val_people(chars):
    split = person_split(chars)
    sets = judged_sets(chars, "gmd")
    mine, others = sets.values()
    assert (chars.site[mine] == "gmd").all() and set(split[mine]) <= {"val", "test"}
    assert (chars.site[others] != "gmd").all() and set(split[others]) <= {"val"}
    everyone = np.flatnonzero(np.isin(split, ["val", "test"]) & (chars.site == "gmd"))
    assert sorted(mine) == sorted(everyone)


def test_report_counts_each_models_right_readings_of_every_drawing(tmp_path, pen_npz, chars, capsys):
    from recognizer.model import build_model

    model = tmp_path / "fresh.keras"
    build_model().save(model)
    out = tmp_path / "table.json"
    site = next(
        s for s in ("ced", "gmd", "syn", "art", "kai") if len(judged_sets(chars, s)[f"{s} people, val and test"])
    )
    result = site_holdout.report(str(pen_npz), site, [str(model)], str(out))
    assert json.loads(out.read_text()) == result
    for name, cell in result["models"][str(model)].items():
        assert cell["drawings"] == len(DRAWS) * result["digits"][name]
        assert 0 <= cell["right"] <= cell["drawings"]
    assert str(model) in capsys.readouterr().out


def test_bad_arguments_are_one_line_errors(pen_npz, capsys):
    assert site_holdout.main(["report", "--unipen", str(pen_npz), "--site", "xyz", "missing.keras"]) == 1
    assert (
        site_holdout.main(["train", "--data", "x", "--unipen", "y", "--site", "ced", "--out", "o", "--epochs", "0"])
        == 1
    )
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: no site 'xyz'") and "--epochs" in lines[1]
