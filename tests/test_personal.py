"""Learning the user's handwriting (recognizer.personal, `python -m recognizer learn`, bench/personal.py)
on generated samples, a tiny MNIST stand-in and the shipped model (no network is trained)."""

import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from recognizer import personal
from recognizer.__main__ import main as cli
from recognizer.predictor import MODELS_DIR, Recognizer
from recognizer.samples import UserSamples, app_note, personal_model_path, uses_personal
from tests.test_finetune import make_samples

BASE = MODELS_DIR / "mnist_cnn.keras"


def random_head(rng, dims=6):
    return personal.Head(rng.normal(size=(dims, 10)), rng.normal(size=10))


def test_prototype_head_is_the_shipped_logits_plus_nearest_mean_scores():
    rng = np.random.default_rng(0)
    base = random_head(rng)
    feats = rng.normal(size=(30, 6))
    labels = np.arange(30) % 10
    head = personal.prototype_head(base, feats, labels, blend=2.0)
    means = np.stack([feats[labels == c].mean(axis=0) for c in range(10)])
    spread = ((feats - feats.mean(axis=0)) ** 2).sum(axis=1).mean()
    probe = rng.normal(size=(5, 6))
    distance = ((probe[:, None, :] - means[None]) ** 2).sum(axis=2)
    extra = head.logits(probe) - base.logits(probe)
    expected = -2.0 * distance / spread
    # Equal up to a constant per row (the -||f||^2 term, the same for every class).
    np.testing.assert_allclose(extra - expected, (extra - expected)[:, :1].repeat(10, axis=1), atol=1e-9)


def test_a_digit_without_samples_gets_the_average_score():
    rng = np.random.default_rng(1)
    base = personal.Head(np.zeros((4, 10)), np.zeros(10))
    feats = rng.normal(size=(9, 4))
    labels = np.arange(9)  # no 9
    logits = personal.prototype_head(base, feats, labels).logits(rng.normal(size=(3, 4)))
    np.testing.assert_allclose(logits[:, 9], logits[:, :9].mean(axis=1), atol=1e-9)
    with pytest.raises(Exception, match="at least two samples"):
        personal.prototype_head(base, feats[:1], labels[:1])


def test_a_digit_without_samples_is_scored_by_mnist_images_of_it_when_learned():
    """With the others' average score, the digits saved gained over every digit not saved (a
    reviewer saved three 0s and a 1, and a 7 then read 1); learn_head scores a digit not saved by
    the mean features of MNIST training images of it (fill), called for only then."""
    rng = np.random.default_rng(2)
    base = random_head(rng, dims=5)
    feats, labels = rng.normal(size=(4, 5)), np.array([0, 0, 0, 1])
    fill = rng.normal(size=(10, 5))
    head = personal.prototype_head(base, feats, labels, blend=2.0, fill=fill)
    means = fill.copy()
    means[0], means[1] = feats[:3].mean(axis=0), feats[3]
    spread = ((feats - feats.mean(axis=0)) ** 2).sum(axis=1).mean()
    probe = rng.normal(size=(6, 5))
    extra = head.logits(probe) - base.logits(probe)
    expected = -2.0 * ((probe[:, None, :] - means[None]) ** 2).sum(axis=2) / spread
    np.testing.assert_allclose(extra - expected, (extra - expected)[:, :1].repeat(10, axis=1), atol=1e-9)
    mix_labels = np.repeat(np.arange(10), 5)
    mix = rng.normal(size=(50, 5))
    asked = []

    def mix_once() -> tuple[np.ndarray, np.ndarray]:
        asked.append(True)
        return mix, mix_labels

    _, verdict = personal.learn_head(base, feats, labels, mix_once, None)
    expected_head = personal.prototype_head(base, feats, labels, fill=personal.digit_means(mix, mix_labels))
    np.testing.assert_allclose(verdict.head.kernel, expected_head.kernel)
    np.testing.assert_allclose(verdict.head.bias, expected_head.bias)
    assert asked == [True]


def test_a_digit_neither_saved_nor_in_the_mnist_images_gets_the_average_score():
    """digit_means left zeros for a digit the MNIST images mixed in lack, and a zero mean scored it
    against the others: it is NaN there, and such a digit takes the others' average, as before."""
    rng = np.random.default_rng(3)
    base = personal.Head(np.zeros((4, 10)), np.zeros(10))
    feats, labels = rng.normal(size=(9, 4)), np.arange(9)  # no 9 saved
    mix = rng.normal(size=(40, 4))
    fill = personal.digit_means(mix, np.arange(40) % 9)  # ... nor among the MNIST images
    assert np.isnan(fill[9]).all() and np.isfinite(fill[:9]).all()
    logits = personal.prototype_head(base, feats, labels, fill=fill).logits(rng.normal(size=(3, 4)))
    np.testing.assert_allclose(logits[:, 9], logits[:, :9].mean(axis=1), atol=1e-9)


def clusters(rng, per_class, shift=None):
    """Features in 10 clusters; the base head reads them by cluster, except that `shift` moves the
    user's 3s next to the base's idea of a 5 (a writer's style)."""
    centers = np.eye(10) * 5
    labels = np.repeat(np.arange(10), per_class)
    feats = centers[labels] + rng.normal(scale=0.1, size=(len(labels), 10))
    if shift is not None:
        feats[labels == 3] += shift
    return feats, labels


def style() -> np.ndarray:
    """A writer's style for `clusters`: their 3s moved next to the base's 5."""
    shift = np.zeros(10)
    shift[3], shift[5] = -2.8, 2.8
    return shift


def test_guard_keeps_a_model_that_fixes_a_writers_style_and_says_so():
    rng = np.random.default_rng(2)
    base = personal.Head(np.eye(10), np.zeros(10))
    shift = style()  # the writer's 3 reads 5 to the shipped model
    feats, labels = clusters(rng, 3, shift)
    mnist, mnist_labels = clusters(rng, 20)
    verdict = personal.judge(base, feats, labels, personal.prototypes(base), mnist, mnist_labels)
    assert verdict.own_before == pytest.approx(0.9)  # the three 3s misread
    assert verdict.own_after == 1.0 and verdict.kept and verdict.reason.startswith("kept")
    other, other_labels = clusters(rng, 10, shift)  # the writer's other digits
    head = personal.prototype_head(base, feats, labels)
    assert (base.predict(other) == other_labels).mean() == pytest.approx(0.9)
    assert (head.predict(other) == other_labels).mean() == 1.0


def test_guard_refuses_when_mnist_drops_too_much_or_the_samples_read_worse():
    rng = np.random.default_rng(3)
    base = personal.Head(np.eye(10), np.zeros(10))
    shift = style()
    feats, labels = clusters(rng, 3, shift)
    mnist, mnist_labels = clusters(rng, 20)
    five = mnist_labels == 5
    mnist[five] = feats[labels == 3].mean(axis=0) + rng.normal(scale=0.1, size=(five.sum(), 10))
    # MNIST's 5s look like this writer's 3s: the personal model reads them 3.
    strict = personal.judge(base, feats, labels, personal.prototypes(base), mnist, mnist_labels, max_drop=0.5)
    assert strict.mnist_drop_points > 5
    assert not strict.kept and "MNIST test accuracy would drop" in strict.reason
    # A 7 the shipped model reads by a trait the class means do not weigh (feature 10): it looks
    # like the writer's 1s, so the model built without it reads it 1.
    kernel = np.vstack([np.eye(10), 3 * np.eye(10)[7]])
    plain, plain_labels = clusters(rng, 3)
    plain = np.hstack([plain, np.zeros((len(plain), 1))])
    odd = np.flatnonzero(plain_labels == 7)[0]
    plain[odd] = 0
    plain[odd, 1], plain[odd, 10] = 5.0, 2.0
    odd_base = personal.Head(kernel, np.zeros(10))
    worse = personal.judge(odd_base, plain, plain_labels, personal.prototypes(odd_base), None, None)
    assert worse.own_before == 1.0 and worse.own_after < 1.0
    assert not worse.kept and "reads your samples worse" in worse.reason and "save 2 or more" not in worse.reason
    one = np.flatnonzero(np.r_[True, plain_labels[1:] != plain_labels[:-1]] | (np.arange(len(plain)) == odd))
    one = one[plain_labels[one] != 7].tolist() + [odd]  # one sample of each digit (K=1), the odd 7 among them
    single = personal.judge(odd_base, plain[one], plain_labels[one], personal.prototypes(odd_base), None, None)
    assert not single.kept and single.reason.endswith(
        "; save 2 or more samples of each digit (fewer of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)"
    )


def test_app_note_says_whether_the_app_uses_the_model(tmp_path):
    assert uses_personal(personal_model_path(".keras"))
    assert "uses it from its next start" in app_note(personal_model_path(".keras"))  # an open window: M twice
    elsewhere = tmp_path / "mine.keras"
    assert not uses_personal(elsewhere)
    assert app_note(elsewhere) == f"the app does not use it unless started with --model {tmp_path / 'mine.tflite'}"


def test_learn_refuses_with_too_few_samples(tmp_path, tiny_mnist, capsys):
    """Two samples are too few: leaving a fold of one out leaves one, and the class means need two."""
    make_samples(tmp_path / "samples.npz", 2)
    assert cli(["learn", "--samples", str(tmp_path / "samples.npz"), "--data", str(tiny_mnist)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: need at least 3 saved samples") and "found 2" in err and "\n" not in err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--out", str(MODELS_DIR / "mnist_cnn.keras")], "is in the shipped models' folder"),
        (["--max-drop", "nan"], "--max-drop must be a number of points, 0 or more, got nan"),
        (["--max-drop", "-1"], "--max-drop must be a number of points, 0 or more, got -1.0"),
    ],
)
def test_learn_refuses_the_shipped_folder_and_absurd_limits(tmp_path, tiny_mnist, capsys, extra, message):
    make_samples(tmp_path / "samples.npz", 12)
    shipped = {p: p.stat().st_mtime_ns for p in MODELS_DIR.iterdir() if p.is_file()}
    assert cli(["learn", "--samples", str(tmp_path / "samples.npz"), "--data", str(tiny_mnist), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert {p: p.stat().st_mtime_ns for p in MODELS_DIR.iterdir() if p.is_file()} == shipped


def test_guard_refuses_samples_of_a_single_digit():
    """One digit's prototype alone scores every class alike: the model would change nothing."""
    rng = np.random.default_rng(4)
    base = personal.Head(np.eye(10), np.zeros(10))
    feats = rng.normal(0, 0.1, (6, 10)) + np.eye(10)[3]
    verdict = personal.judge(base, feats, np.full(6, 3), personal.prototypes(base), None, None)
    assert not verdict.kept and "all of one digit" in verdict.reason


def test_learn_writes_a_model_that_reads_as_its_head_says(tmp_path, tiny_mnist, capsys):
    """The exported .tflite is the shipped network with the personal last layer that
    personal.learn_head keeps for these samples: it reads as that Head does."""
    import keras

    from recognizer.data import load_mnist
    from recognizer.learn import METHODS

    samples = tmp_path / "samples.npz"
    make_samples(samples, 20)
    out = tmp_path / "me" / "personal.keras"
    rc = cli(["learn", "--samples", str(samples), "--data", str(tiny_mnist), "--out", str(out), "--max-drop", "100"])
    captured = capsys.readouterr()
    text = captured.out
    assert [line[:5] for line in text.splitlines() if line.startswith("[")] == [f"[{k}/5]" for k in range(1, 6)]
    assert rc == 0, captured.err
    assert "personal model kept: your 20 samples" in text
    assert f"the app does not use it unless started with --model {out.with_suffix('.tflite')}" in text
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["samples"] == 20 and card["method"] in METHODS.values()

    shipped = keras.saving.load_model(BASE, safe_mode=True, compile=False)
    extractor, base = personal.feature_model(shipped), personal.shipped_head(shipped)
    stored = UserSamples(samples).load()
    data = load_mnist(tiny_mnist)
    name, verdict = personal.learn_head(
        base,
        personal.features(extractor, stored.images),
        stored.labels,
        lambda: personal.mix_set(extractor, data.x_train, data.y_train),
        (personal.features(extractor, data.x_test), data.y_test),
        max_drop=100,
    )
    assert card["method"] == METHODS[name] and f"({METHODS[name].split(' (')[0]})" in text
    written = personal.shipped_head(keras.saving.load_model(out, safe_mode=True, compile=False))
    np.testing.assert_allclose(written.kernel, verdict.head.kernel, atol=1e-5)
    np.testing.assert_allclose(written.bias, verdict.head.bias, atol=1e-5)
    probe = make_samples(tmp_path / "probe.npz", 30, seed=5).load().images
    expected = verdict.head.predict(personal.features(extractor, probe))
    rec = Recognizer.load(out.with_suffix(".tflite"), detector=None)
    got = rec.probabilities(probe.astype(np.float32) / 255).argmax(axis=1)
    assert (got == expected).mean() >= 0.95  # float32 LiteRT vs float64 NumPy: a near tie may differ
    assert rec.calibration.threshold > 0  # its own calibration, made for this file


def test_learn_says_why_a_model_is_not_kept(tmp_path, tiny_mnist, capsys):
    from recognizer.preprocess import to_mnist
    from recognizer.strokes import rasterize
    from recognizer.synthetic import digit_strokes

    samples = tmp_path / "samples.npz"
    store, rng = UserSamples(samples), np.random.default_rng(0)
    for _ in range(6):  # six 3s and nothing else
        strokes = digit_strokes(3, 300, rng=rng, jitter=0.05)
        store.add(to_mnist(rasterize(strokes, (300, 300), 12)), 3, strokes)
    out = tmp_path / "personal.keras"
    rc = cli(["learn", "--samples", str(samples), "--data", str(tiny_mnist), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 1
    assert re.search(r"^personal model not kept: your samples are all of one digit", err, re.M)
    assert not out.exists() and not out.with_suffix(".tflite").exists()


def test_bench_section_plays_a_writer_saving_k_samples(tmp_path, tiny_mnist):
    """bench/personal.py on a tiny UNIPEN-layout file: one held-out ('test') person, 4 of each digit."""
    from bench import personal as bench_personal
    from recognizer.data import load_mnist, load_unipen
    from recognizer.synthetic import DIGIT_STROKES
    from recognizer.unipen import split_of
    from tests.test_unipen import pen_file

    writer = "ced/ayml3525_s_0k.dat"
    assert split_of("ced/ayml3525_s_0k") == "test"
    rng = np.random.default_rng(0)
    rows = [
        (str(d), writer, [[(x + rng.normal(0, 0.02), y + rng.normal(0, 0.02)) for x, y in s] for s in DIGIT_STROKES[d]])
        for _ in range(4)
        for d in range(10)
    ]
    pen_file(tmp_path / "unipen.npz", rows)
    chars = load_unipen(tmp_path / "unipen.npz")
    data = load_mnist(tiny_mnist)
    result = bench_personal.run(chars, BASE, data.x_test, data.y_test, data.x_train, data.y_train, ks=(1, 3, 5))
    assert [(r["k"], r["samples"], r["tested"]) for r in result["rows"]] == [(1, 10, 30), (3, 30, 10)]  # 5: too few
    for row in result["rows"]:
        assert set(row["methods"]) == {"learn", "class means"}
        for chosen in row["methods"].values():
            assert 0 <= row["before"] <= 1 and 0 <= chosen["after"] <= 1 and isinstance(chosen["kept"], bool)
            assert chosen["reason"].startswith("kept" if chosen["kept"] else "not kept")
    assert result["rows"][0]["methods"]["learn"]["method"] == "class means"  # K=1: one sample of each digit
    assert result["summary"]["learn"].keys() == {"1", "3"}
    text = bench_personal.report(result)
    assert "| ced/ayml3525_s_0k " in text and "K=3: before -> after" in text and "UNIPEN `test` people" in text
    unseen = dict(result, base="mnist_only.keras", split="train")
    both = bench_personal.report(dict(result, mnist_only={"train": unseen}))
    assert both.startswith(text) and "`train` people: where the rule was chosen" in both
    assert both.count("| ced/ayml3525_s_0k ") == 1  # the train people: the summary alone
    missing = bench_personal.report(dict(result, mnist_only={"skipped": "no mnist_only.keras"}))
    assert missing.startswith(text) and missing.endswith("MNIST-only base not measured: no mnist_only.keras.")
    assert all("read as if unseen: shipped" in m["reason"] for r in result["rows"] for m in r["methods"].values())
    other = tmp_path / "mnist_only.keras"  # another base (the MNIST-only one): not "shipped" in the reasons
    other.write_bytes(BASE.read_bytes())
    again = bench_personal.run(chars, other, data.x_test, data.y_test, data.x_train, data.y_train, ks=(3,))
    assert all("read as if unseen: base model" in m["reason"] for r in again["rows"] for m in r["methods"].values())


def test_bench_never_tests_a_writer_on_ink_it_saved(tmp_path):
    """A writer file holding the same character twice: when one copy is saved, the other is not
    among the digits read afterwards (it would be reading ink the personal model learned from)."""
    from bench import personal as bench_personal
    from recognizer.data import load_unipen
    from recognizer.synthetic import DIGIT_STROKES
    from tests.test_unipen import pen_file

    rng = np.random.default_rng(1)
    rows = [
        (
            "3",
            "ced/w.dat",
            [[(x + rng.normal(0, 0.02), y + rng.normal(0, 0.02)) for x, y in s] for s in DIGIT_STROKES[3]],
        )
        for _ in range(4)
    ]
    rows.insert(2, rows[0])  # the first 3 again, as written once and stored twice
    pen_file(tmp_path / "unipen.npz", rows)
    chars = load_unipen(tmp_path / "unipen.npz")
    idx = np.arange(len(chars))
    assert bench_personal.others(chars, idx, np.array([0])).tolist() == [1, 3, 4]  # 2 is 0's twin
    assert bench_personal.others(chars, idx, np.array([2])).tolist() == [1, 3, 4]
    assert bench_personal.others(chars, idx, np.array([1, 4])).tolist() == [0, 2, 3]


@pytest.mark.parametrize("members", [1, 2])
def test_features_and_head_rebuild_the_classifier_single_or_ensemble(members):
    """feature_model + shipped_head: softmax(features @ kernel + bias) is the model's own output,
    for one network and for an ensemble of them (model.build_ensemble), whose features are its
    members' side by side."""
    import keras

    from recognizer.model import build_ensemble, build_model

    keras.utils.set_random_seed(members)
    model = build_model() if members == 1 else build_ensemble([build_model() for _ in range(members)])
    images = np.random.default_rng(members).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    feats = personal.features(personal.feature_model(model), images)
    assert feats.shape == (5, 128 * members)
    logits = personal.shipped_head(model).logits(feats)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(np.asarray(model(images[..., None] / np.float32(255))), expected, atol=1e-5)


def test_finetuned_layer_learns_a_writers_style_and_keeps_the_rest():
    """The writer's 3s sit where the base reads 5: the fine-tuned layer reads their other 3s, and the
    mixed-in images keep the base's other digits."""
    rng = np.random.default_rng(5)
    base = personal.Head(np.eye(10), np.zeros(10))
    shift = style()
    feats, labels = clusters(rng, 3, shift)
    mix, mix_labels = clusters(rng, 30)
    head = personal.finetune_head(base, feats, labels, mix, mix_labels)
    other, other_labels = clusters(rng, 10, shift)
    assert (base.predict(other) == other_labels).mean() == pytest.approx(0.9)
    assert (head.predict(other) == other_labels).mean() == 1.0
    assert (head.predict(mix) == mix_labels).mean() == 1.0
    unchanged = personal.finetune_head(base, feats, labels, mix, mix_labels, steps=0)
    np.testing.assert_array_equal(unchanged.kernel, np.eye(10))


@pytest.mark.parametrize("per_digit, n", [(1, 5), (3, 5), (7, 5), (2, 7), (1, 30)])
def test_folds_spread_each_digit_over_the_folds(per_digit, n):
    labels = np.random.default_rng(per_digit).permutation(np.repeat(np.arange(10), per_digit))
    fold = personal.folds(labels, n)
    used = min(n, len(labels))
    assert sorted(np.unique(fold)) == list(range(used))
    sizes = np.bincount(fold)
    assert sizes.max() - sizes.min() <= 1
    for digit in range(10):  # a digit's samples in as many folds as they can be
        assert np.bincount(fold[labels == digit], minlength=used).max() == -(-per_digit // used)


def test_learn_head_fine_tunes_only_for_samples_the_base_misreads():
    rng = np.random.default_rng(6)
    base = personal.Head(np.eye(10), np.zeros(10))
    shift = style()
    mix, mix_labels = clusters(rng, 30)
    styled, styled_labels = clusters(rng, 3, shift)  # the base misreads this writer's 3s
    name, verdict = personal.learn_head(base, styled, styled_labels, lambda: (mix, mix_labels), (mix, mix_labels))
    assert name == "last layer" and verdict.kept and verdict.own_after > verdict.own_before
    other, other_labels = clusters(rng, 10, shift)
    assert (verdict.head.predict(other) == other_labels).mean() == 1.0
    plain, plain_labels = clusters(rng, 3)  # read right already: nothing to fine-tune on
    mixed = []  # the MNIST images to mix in are made only when the fine-tuning is tried

    def mix_once() -> tuple[np.ndarray, np.ndarray]:
        mixed.append(True)
        return mix, mix_labels

    name, verdict = personal.learn_head(base, plain, plain_labels, mix_once, (mix, mix_labels))
    assert name == "class means" and verdict.kept and not mixed
    one = np.flatnonzero(np.r_[True, styled_labels[1:] != styled_labels[:-1]])  # one sample of each digit
    name, verdict = personal.learn_head(base, styled[one], styled_labels[one], mix_once, None)
    assert name == "class means" and mixed == [True]  # not fine-tuned; MNIST's means for the guard's folds
    whole = personal.prototype_head(base, styled[one], styled_labels[one])  # the layer kept: every digit saved
    np.testing.assert_allclose(verdict.head.kernel, whole.kernel)
    # ... judged with MNIST's means for the digit a fold leaves out, not the others' average
    fill = personal.digit_means(mix, mix_labels)
    judged = {
        f is not None: personal.judge(
            base, styled[one], styled_labels[one], personal.prototypes(base, fill=f), None, None
        )
        for f in (fill, None)
    }
    assert verdict.own_after == judged[True].own_after != judged[False].own_after
    # A fine-tuning the guard refuses (MNIST's 5s look like the writer's 3s) falls back to the class means.
    fives = mix_labels == 5
    crowded = mix.copy()
    crowded[fives] = styled[styled_labels == 3].mean(axis=0) + rng.normal(scale=0.1, size=(fives.sum(), 10))
    mixed.clear()
    name, verdict = personal.learn_head(base, styled, styled_labels, mix_once, (crowded, mix_labels))
    assert name == "class means" and not verdict.kept and mixed == [True]
    assert verdict.reason.startswith("not kept: MNIST test accuracy would drop")
    assert "; the fine-tuned layer was not kept either: MNIST test accuracy would drop" in verdict.reason


def test_learn_fine_tunes_for_samples_the_shipped_model_misreads(tmp_path, tiny_mnist, capsys):
    """Every sample saved under the next digit's label (a writer whose digits the shipped model reads
    as others): `learn` writes the fine-tuned layer, and its card says so with its settings."""
    from recognizer.learn import METHODS

    source = make_samples(tmp_path / "drawn.npz", 30).load()
    store = UserSamples(tmp_path / "samples.npz")
    for image, label in zip(source.images, source.labels):
        store.add(image, (int(label) + 1) % 10)
    out = tmp_path / "personal.keras"
    rc = cli(["learn", "--samples", str(store.path), "--data", str(tiny_mnist), "--out", str(out), "--max-drop", "100"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["method"] == METHODS["last layer"] and "(the last Dense layer fine-tuned" in captured.out
    assert card["steps"] == personal.FINETUNE_STEPS and card["mnist_mixed"] == personal.MIX_IMAGES
    assert card["own_samples_held_out_folds"] == personal.FOLDS and card["own_samples_held_out_after"] > 0.5
    assert card["own_samples_held_out_before"] < 0.5  # the shipped model reads the relabelled samples wrong


def test_learn_refuses_a_data_file_without_training_images(tmp_path, tiny_mnist, capsys):
    make_samples(tmp_path / "samples.npz", 12)
    arrays = dict(np.load(tiny_mnist))
    empty = tmp_path / "test_only.npz"
    np.savez(empty, **dict(arrays, x_train=arrays["x_train"][:0], y_train=arrays["y_train"][:0]))
    rc = cli(["learn", "--samples", str(tmp_path / "samples.npz"), "--data", str(empty)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("error: ") and "MNIST's training images" in err and "\n" not in err


def test_a_damaged_base_model_is_called_damaged_not_missing(tmp_path):
    """learn and finetune load the .keras base themselves: a file that is not a zip archive is
    named for what it is (Keras says "File not found" for one)."""
    from recognizer.errors import ModelError
    from recognizer.predictor import load_keras_model

    junk = tmp_path / "base.keras"
    junk.write_bytes(b"\x00garbage" * 100)
    damaged = r"base.keras: not a Keras model: the file is not a .keras zip archive \(damaged, truncated"
    with pytest.raises(ModelError, match=damaged):
        load_keras_model(junk)


def test_a_base_model_that_is_a_folder_or_a_device_is_called_so_not_missing(tmp_path):
    """learn --model FOLDER.keras (or /dev/zero) said "model file not found"."""
    from recognizer.errors import ModelError
    from recognizer.personal import base_model

    (tmp_path / "m.keras").mkdir()
    with pytest.raises(ModelError, match="m.keras is a folder; pass the .keras file"):
        base_model(tmp_path / "m.keras", "learn")
    os.mkfifo(tmp_path / "p.keras")
    with pytest.raises(ModelError, match="p.keras is not a regular file"):
        base_model(tmp_path / "p.keras", "learn")
    with pytest.raises(ModelError, match="model file not found"):
        base_model(tmp_path / "missing.keras", "learn")


PERSONAL_FILES = ("personal.keras", "personal.tflite", "personal.calibration.json", "personal.json")
# write_model with the slow parts faked (no TensorFlow): the model files written in a temporary folder
# beside them, as train.save_model does; argv: the folder, where to stop with SIGTERM ("saving", "calibrating")
STOPPED_WRITER = """
import os, signal, sys, tempfile, time, types
from pathlib import Path
import numpy as np
from recognizer import calibrate, card, personal, train
from recognizer.samples import Samples
folder, stop_at = Path(sys.argv[1]), sys.argv[2]

def stop(moment):
    if moment == stop_at:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)

def save_model(model, out):
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        (Path(tmp) / out.name).write_text("half")
        stop("saving")
    out.write_text("new"), out.with_suffix(".tflite").write_text("new")
    return out, out.with_suffix(".tflite")

class Finalizer:
    def __del__(self):  # Python prints what a finalizer raises and goes on: the stop's SystemExit too
        stop("in a finalizer")

def run_calibration(model_path, *args, **kwargs):
    stop("calibrating")
    Finalizer()  # dropped at once

train.save_model, calibrate.run_calibration = save_model, run_calibration
card.model_card = lambda *args, **kwargs: {"new": True}
data = types.SimpleNamespace(source="mnist.npz", x_train=np.zeros((0, 28, 28), np.uint8))
personal.write_model(None, folder / "personal.keras", Path("base.keras"), Samples.empty(), Path("s.npz"), data)
"""


@pytest.mark.parametrize("stop_at", ["saving", "calibrating", "in a finalizer"])
def test_a_personal_model_stopped_while_written_leaves_the_old_one_whole_and_nothing_else(tmp_path, stop_at):
    """The app stops learning with SIGTERM when it closes: stopped in the "writing" step, learning left
    the new personal.keras and .tflite without their calibration and card (the app then read with
    default settings, silently), or a temporary folder of 1.4 MB for good. A stop that landed in a
    finalizer (TensorFlow's) was lost, and the new model moved into place after the app had closed."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    for name in PERSONAL_FILES:
        (tmp_path / name).write_text("old")
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", STOPPED_WRITER, str(tmp_path), stop_at], cwd=root, capture_output=True, text=True
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(PERSONAL_FILES)
    assert all((tmp_path / name).read_text() == "old" for name in PERSONAL_FILES)
    assert done.returncode == 128 + signal.SIGTERM and done.stderr.startswith("terminated\n"), done.stderr
    assert done.stderr.count("terminated") == 1, done.stderr  # said once, even when raised again
    if stop_at != "in a finalizer":  # there, Python also prints the exception it ignored
        assert done.stderr == "terminated\n", done.stderr


def test_a_personal_model_moves_into_place_tflite_last_and_stale_folders_go(tmp_path, monkeypatch):
    """The app loads personal.tflite when it exists: it comes last, after its calibration and card.
    A folder left by a writer killed outright (its process gone) is removed; one still being written
    is not. A calibration that could not be made takes the old one away (made for the old model)."""
    import subprocess
    import sys
    import types
    from pathlib import Path

    from recognizer import calibrate, card, train
    from recognizer.errors import DataError
    from recognizer.samples import Samples

    def save_model(model, out):
        out.write_text("new"), out.with_suffix(".tflite").write_text("new")
        return out, out.with_suffix(".tflite")

    def no_calibration(*args, **kwargs):
        raise DataError("too few images")

    moves = []
    monkeypatch.setattr(train, "save_model", save_model)
    monkeypatch.setattr(calibrate, "run_calibration", no_calibration)
    monkeypatch.setattr(card, "model_card", lambda *args, **kwargs: {"new": True})
    monkeypatch.setattr(
        personal, "replace_files", lambda pairs: moves.extend(pairs) or [p.replace(t) for p, t in pairs]
    )
    gone = subprocess.Popen([sys.executable, "-c", ""])
    gone.wait()
    dead = tmp_path / f".personal.{gone.pid}.x1{personal.WRITING}"
    alive = tmp_path / f".personal.{os.getppid()}.x2{personal.WRITING}"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "personal.keras").write_text("half")
    for name in PERSONAL_FILES:
        (tmp_path / name).write_text("old")

    data = types.SimpleNamespace(source="mnist.npz", x_train=np.zeros((0, 28, 28), np.uint8))
    personal.write_model(None, tmp_path / "personal.keras", Path("base.keras"), Samples.empty(), Path("s.npz"), data)
    assert [target.name for _, target in moves] == ["personal.keras", "personal.json", "personal.tflite"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [alive.name, "personal.keras", "personal.json", "personal.tflite", ".personal.lock"]
    )
    assert (tmp_path / "personal.tflite").read_text() == "new"


def test_two_personal_models_finishing_at_once_leave_one_of_them_whole(tmp_path, monkeypatch):
    """The app's L and `learn` in a shell, finishing together: their renames interleaved, leaving one's
    .keras beside the other's .tflite. Moves into place take turns under .personal.lock."""
    import threading

    from recognizer import fileio

    def slow_replace(source, target):  # writer a is preempted after each rename, b is not
        pause = 0.05 if Path(source).read_text() == "a" else 0.001
        os.rename(source, target)
        time.sleep(pause)

    monkeypatch.setattr(fileio.os, "replace", slow_replace)
    out = tmp_path / "personal.keras"
    staged = {}
    for writer in ("a", "b"):
        folder = tmp_path / f".personal.{writer}{personal.WRITING}"
        folder.mkdir()
        staged[writer] = [folder / name for name in ("personal.keras", "personal.json", "personal.tflite")]
        for path in staged[writer]:
            path.write_text(writer)
    writers = [threading.Thread(target=personal._move_into_place, args=(staged[w], out)) for w in staged]
    for thread in writers:
        thread.start()
        time.sleep(0.02)  # b starts while a moves its first file
    for thread in writers:
        thread.join(10)
    written = {(tmp_path / name).read_text() for name in ("personal.keras", "personal.json", "personal.tflite")}
    assert len(written) == 1, written


@pytest.mark.parametrize("command", ["learn", "finetune"])
@pytest.mark.parametrize("given", ["--model", "--samples"])
def test_learn_and_finetune_refuse_to_write_over_a_file_they_read(tmp_path, tiny_mnist, capsys, command, given):
    """`learn --model base.keras --out base.keras` replaced the base it learned from."""
    import shutil

    base, samples = tmp_path / "base.keras", tmp_path / "samples.keras"
    shutil.copy(BASE, base)
    make_samples(samples, 12)
    before = {p: p.read_bytes() for p in (base, samples)}
    out = {"--model": base, "--samples": samples}[given]
    argv = [command, "--samples", str(samples), "--model", str(base), "--data", str(tiny_mnist), "--out", str(out)]
    assert cli(argv) == 2
    err = capsys.readouterr().err.strip()
    name = {"--model": "base model", "--samples": "samples"}[given]
    assert err == f"error: --out {out} is the {name} file this command reads: choose another path"
    assert {p: p.read_bytes() for p in (base, samples)} == before


def test_learn_calls_a_base_model_other_than_the_shipped_one_base_model(tmp_path, tiny_mnist, capsys, monkeypatch):
    """The verdict named the model learned from "shipped" whatever --model said."""
    import shutil

    base = tmp_path / "base.keras"
    shutil.copy(BASE, base)
    make_samples(tmp_path / "samples.npz", 20)
    monkeypatch.setattr(personal, "write_model", lambda *args, **kwargs: None)  # the verdict is what matters
    argv = ["learn", "--samples", str(tmp_path / "samples.npz"), "--data", str(tiny_mnist), "--max-drop", "100"]
    assert cli([*argv, "--model", str(base), "--out", str(tmp_path / "mine.keras")]) == 0
    verdict = (
        r"^personal model kept: your 20 samples, each read as if unseen: base model \d+%, personal \d+%"
        r"; MNIST test [\d.]+% -> [\d.]+%$"
    )
    assert re.search(verdict, capsys.readouterr().out, re.M)
    assert personal.base_name(BASE) == "shipped" and personal.base_name(base) == "base model"


def test_learn_prints_a_limit_of_minus_zero_as_0(tmp_path, tiny_mnist, capsys, monkeypatch):
    """`learn --max-drop=-0` printed "limit --0.0"."""
    make_samples(tmp_path / "samples.npz", 20)
    monkeypatch.setattr(personal, "write_model", lambda *args, **kwargs: None)
    cli(["learn", "--samples", str(tmp_path / "samples.npz"), "--data", str(tiny_mnist), "--max-drop=-0"])
    text = capsys.readouterr()
    assert re.search(r"^MNIST test accuracy: .* points, limit 0\); learned in", text.out, re.M), text
    assert "-0.0" not in text.out + text.err and "-0.00 points" not in text.out


@pytest.mark.parametrize("command", ["learn", "finetune"])
def test_the_personal_models_place_is_named_as_such_when_no_out_was_given(
    tmp_path, tiny_mnist, capsys, monkeypatch, command
):
    """The app's L passes no --out, and its pane said "--out .../personal.keras: cannot write there"."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder would be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))
    make_samples(tmp_path / "samples.npz", 20)
    assert cli([command, "--samples", str(tmp_path / "samples.npz"), "--data", str(tiny_mnist)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: the personal model {blocked}/digit-recognizer/personal.keras: cannot write there")
    assert "--out" not in err


def test_samples_of_some_digits_all_read_right_teach_nothing_and_are_not_kept():
    """Three 0s and a 1, all read right, made a personal model that was kept (100% read as before)
    and read the writer's 7s as 1; with samples of every digit, or one misread, the guard decides."""
    rng = np.random.default_rng(8)
    base = personal.Head(np.eye(10), np.zeros(10))
    mix, mix_labels = clusters(rng, 30)
    feats, labels = clusters(rng, 3)
    some = np.isin(labels, [0, 1])
    _, verdict = personal.learn_head(base, feats[some], labels[some], lambda: (mix, mix_labels), (mix, mix_labels))
    assert not verdict.kept and verdict.own_before == 1.0
    assert verdict.reason.startswith("not kept: you saved no 2, 3, 4, 5, 6, 7, 8, 9, and the shipped model reads all")
    _, verdict = personal.learn_head(base, feats, labels, lambda: (mix, mix_labels), (mix, mix_labels))
    assert verdict.kept  # every digit: the class means, as before
    styled, styled_labels = clusters(rng, 3, style())  # the base misreads these 3s
    mine = np.isin(styled_labels, [3, 5])
    _, verdict = personal.learn_head(
        base, styled[mine], styled_labels[mine], lambda: (mix, mix_labels), (mix, mix_labels)
    )
    assert verdict.own_before < 1.0 and verdict.kept and verdict.own_after > verdict.own_before


def test_a_learning_run_whose_app_was_killed_writes_nothing(tmp_path, tiny_mnist, capsys, monkeypatch):
    """The app's L names itself to the run it starts ($DIGIT_RECOGNIZER_APP_PID); killed (kill -9)
    while it learned, the run went on and replaced the personal model, where quitting leaves it."""
    import os

    from recognizer.samples import APP_PID_ENV

    written = []
    monkeypatch.setattr(personal, "write_model", lambda *args, **kwargs: written.append(True))
    make_samples(tmp_path / "samples.npz", 20)
    argv = ["learn", "--samples", str(tmp_path / "samples.npz"), "--data", str(tiny_mnist), "--max-drop", "100"]
    argv += ["--out", str(tmp_path / "mine.keras")]
    monkeypatch.setenv(APP_PID_ENV, str(os.getppid() + 1_000_000))  # not this process's parent: gone
    assert cli(argv) == 1 and not written
    gone = f"the app that started it has quit ({APP_PID_ENV}={os.getppid() + 1_000_000}): nothing written"
    assert gone in capsys.readouterr().err
    monkeypatch.setenv(APP_PID_ENV, str(os.getppid()))  # the parent that started it: still there
    assert cli(argv) == 0 and written


def test_a_personal_model_whose_app_died_while_it_was_written_stays_out(tmp_path, monkeypatch):
    """Writing takes 4 s of a 10 s run: the app killed then still got its personal model replaced.
    write_model checks again just before the files move into place, and leaves the old ones."""
    import os
    import types
    from pathlib import Path

    from recognizer import calibrate, card, train
    from recognizer.errors import DataError
    from recognizer.samples import APP_PID_ENV, Samples

    def save_model(model, out):
        monkeypatch.setenv(APP_PID_ENV, str(os.getppid() + 1_000_000))  # the app dies meanwhile
        out.write_text("new"), out.with_suffix(".tflite").write_text("new")
        return out, out.with_suffix(".tflite")

    monkeypatch.setattr(train, "save_model", save_model)
    monkeypatch.setattr(calibrate, "run_calibration", lambda *args, **kwargs: None)
    monkeypatch.setattr(card, "model_card", lambda *args, **kwargs: {"new": True})
    for name in PERSONAL_FILES:
        (tmp_path / name).write_text("old")
    data = types.SimpleNamespace(source="mnist.npz", x_train=np.zeros((0, 28, 28), np.uint8))
    with pytest.raises(DataError, match="the app that started it has quit"):
        personal.write_model(
            None, tmp_path / "personal.keras", Path("base.keras"), Samples.empty(), Path("s.npz"), data
        )
    assert all((tmp_path / name).read_text() == "old" for name in PERSONAL_FILES)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".personal.lock") == sorted(PERSONAL_FILES)
