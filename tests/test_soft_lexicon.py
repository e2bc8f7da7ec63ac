"""The lexicon matcher against brute force, and SoftLexicon's pooling against a hand computation."""

import math
import random

import numpy
import pytest
import spacy
from thinc.api import SGD

from spacy_cner.data.lexicon import LexiconMatcher
from spacy_cner.features.soft_lexicon import B, E, M, S, build_soft_lexicon, token_sets

from .conftest import TINY_MODEL, blank_char_nlp, make_examples


@pytest.mark.parametrize("seed", range(30))
def test_matches_equal_brute_force_on_random_strings(seed):
    rng = random.Random(seed)
    alphabet = "肝脏癌胃肺a1 "
    terms = list({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 12))})
    text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
    expected = {
        (start, end, terms.index(text[start:end]))
        for start in range(len(text))
        for end in range(start + 1, len(text) + 1)
        if text[start:end] in terms
    }
    found = LexiconMatcher(terms).matches(text)
    assert len(found) == len(set(found)) and set(found) == expected


def test_token_sets_are_begin_middle_end_single():
    doc = blank_char_nlp()("肝癌术后")
    # 肝癌术 (0-3) and 肝 (0-1) and 癌 (1-2)
    assert sorted(token_sets(doc, [(0, 3, 0), (0, 1, 1), (1, 2, 2)])) == sorted(
        [(0, B, 0), (1, M, 0), (2, E, 0), (0, S, 1), (1, S, 2)]
    )


def lexicon_file(tmp_path, lines):
    path = tmp_path / "lexicon.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_pooling_equals_a_hand_computation(tmp_path):
    model = build_soft_lexicon([lexicon_file(tmp_path, ["肝癌\t3", "癌\t1", "胃癌\tDisease\t7"])], width=4, rows=50)
    model.initialize()
    doc = blank_char_nlp()("肝癌")
    (output,), _ = model([doc], is_train=False)
    words, labels = model.layers
    vector = {i: words.predict(numpy.asarray([i], dtype="uint64"))[0] for i in range(3)}
    no_label = labels.predict(numpy.asarray([0], dtype="uint64"))[0]
    w_liver_cancer, w_cancer = math.log1p(3), math.log1p(1)
    expected = numpy.zeros((2, 4, 4), dtype="f")
    expected[0, B] = w_liver_cancer * (vector[0] + no_label) / w_liver_cancer  # 肝: only B of 肝癌
    total = w_liver_cancer + w_cancer  # 癌: E of 肝癌 and S of 癌
    expected[1, E] = w_liver_cancer * (vector[0] + no_label) / total
    expected[1, S] = w_cancer * (vector[1] + no_label) / total
    numpy.testing.assert_allclose(output, expected.reshape(2, 16), rtol=1e-5, atol=1e-6)


def test_a_token_without_matches_gets_zeros_and_gradients_reach_the_words(tmp_path):
    model = build_soft_lexicon([lexicon_file(tmp_path, ["肝癌"])], width=4, rows=50, weighting="uniform")
    model.initialize()
    outputs, backprop = model([blank_char_nlp()("查肝癌")], is_train=True)
    assert not outputs[0][0].any() and outputs[0][1].any()
    before = model.layers[0].get_param("E").copy()
    backprop([numpy.ones_like(outputs[0])])
    model.finish_update(SGD(0.1))
    assert not numpy.array_equal(before, model.layers[0].get_param("E"))


def test_the_terms_travel_with_the_pipeline(tmp_path):
    features = {
        "@architectures": "spacy_cner.ConcatFeatures.v1",
        "*": {
            "chars": TINY_MODEL["features"],
            "lexicon": {
                "@architectures": "spacy_cner.SoftLexicon.v1",
                "lexicons": [lexicon_file(tmp_path, ["直肠癌\t5", "根治术\t2"])],
                "width": 8,
                "rows": 100,
            },
        },
    }
    nlp = blank_char_nlp()
    encoder = {**TINY_MODEL["encoder"], "width": 32 + 4 * 8}  # characters + the lexicon's four sets
    nlp.add_pipe("cner", name="ner", config={"model": {**TINY_MODEL, "features": features, "encoder": encoder}})
    nlp.initialize(lambda: make_examples(nlp))
    nlp.to_disk(tmp_path / "model")
    (tmp_path / "lexicon.txt").unlink()  # the saved pipeline carries its terms
    loaded = spacy.load(tmp_path / "model")
    text = "患者因直肠癌行直肠癌根治术。"
    ours, theirs = nlp.get_pipe("ner").model.predict([nlp(text)]), loaded.get_pipe("ner").model.predict([loaded(text)])
    numpy.testing.assert_array_equal(ours[0], theirs[0])


def test_an_unknown_weighting_is_refused():
    with pytest.raises(ValueError, match="weighting must be one of"):
        build_soft_lexicon(weighting="tf-idf")


def test_the_shipped_lexicon_is_the_default():
    model = build_soft_lexicon(width=2, rows=10)
    model.initialize()
    assert len(model.attrs["terms"]) == 18749
