"""Character vectors: the table trained from text, the CharVectors feature against a hand
computation, and the command's output as a pipeline's vectors through save and load."""

import json
from collections import Counter

import numpy
import pytest
import spacy
from thinc.api import Config

from spacy_cner.__main__ import main
from spacy_cner.data.char_vectors import CharVectorSettings, ngram_sequences, ngrams_of, train_char_vectors
from spacy_cner.features.bigram_vectors import build_bigram_vectors
from spacy_cner.features.char_vectors import build_char_vectors

from .conftest import EMR_SENTENCES, TINY_MODEL, blank_char_nlp, make_examples

TEXTS = [text for text, _ in EMR_SENTENCES] * 3
SMALL = CharVectorSettings(width=8, epochs=2, min_count=2)


def test_the_table_holds_every_character_seen_min_count_times_keyed_by_norm():
    nlp = blank_char_nlp()
    texts = ["CT示肝癌 Ct", "ct肝"]
    report = train_char_vectors(nlp, texts, SMALL)
    counts = Counter(char.lower() for text in texts for char in text if not char.isspace())
    expected = {char for char, count in counts.items() if count >= 2}  # c, t, 肝
    assert expected == {"c", "t", "肝"}
    table = nlp.vocab.vectors
    assert {nlp.vocab.strings[key] for key in table.keys()} == expected
    assert table.shape == (3, 8) and table.attr == spacy.attrs.NORM
    assert report["vectors"] == 3 and report["characters"] == sum(counts.values())
    doc = nlp("CT")  # looked up by NORM: upper case finds the lower-case row
    assert doc[0].has_vector and numpy.array_equal(doc[0].vector, table[nlp.vocab.strings["c"]])


def test_ngrams_leave_out_whitespace_and_the_end():
    doc = blank_char_nlp()("肝 癌A")
    assert ngrams_of(doc, 1) == ["肝", None, "癌", "a"]
    assert ngrams_of(doc, 2) == [None, None, "癌a", None]
    assert ngram_sequences([doc, blank_char_nlp()("B")], 2) == [["癌a"], []]


def test_bigram_rows_join_the_table_and_leave_the_character_rows_as_they_were():
    texts = ["肝癌肝癌", "胃癌胃癌肝"]
    plain, with_bigrams = blank_char_nlp(), blank_char_nlp()
    train_char_vectors(plain, texts, SMALL)
    report = train_char_vectors(with_bigrams, texts, CharVectorSettings(width=8, epochs=2, min_count=2, bigrams=True))
    bigrams = Counter(text[i : i + 2] for text in texts for i in range(len(text) - 1))
    expected = {gram for gram, count in bigrams.items() if count >= 2}
    assert expected == {"肝癌", "癌肝", "胃癌"}  # 癌胃 occurs once
    strings = with_bigrams.vocab.strings
    assert {strings[key] for key in with_bigrams.vocab.vectors.keys()} == {"肝", "癌", "胃"} | expected
    assert report["bigrams_vectors"] == 3 and report["vectors"] == 6
    for char in "肝癌胃":
        key = strings[char]
        assert numpy.array_equal(with_bigrams.vocab.vectors[key], plain.vocab.vectors[key])


def test_a_seed_gives_the_same_table_and_another_seed_another():
    tables = []
    for seed in (0, 0, 1):
        nlp = blank_char_nlp()
        train_char_vectors(nlp, TEXTS, CharVectorSettings(width=8, epochs=2, min_count=2, seed=seed))
        tables.append(nlp.vocab.vectors.data.copy())
    assert numpy.array_equal(tables[0], tables[1]) and not numpy.array_equal(tables[0], tables[2])


def test_no_character_frequent_enough_is_a_clear_error():
    with pytest.raises(ValueError, match="No character occurs 2 times"):
        train_char_vectors(blank_char_nlp(), ["肝癌"], SMALL)


def test_the_feature_is_the_vector_times_its_projection_and_zero_for_a_missing_character():
    nlp = blank_char_nlp()
    train_char_vectors(nlp, TEXTS, SMALL)
    doc = nlp("肝癌龘")  # 龘 is in no text
    model = build_char_vectors(width=5)
    model.initialize(X=[doc])
    (output,), _ = model([doc], is_train=False)
    W = model.layers[0].layers[0].get_param("W")
    table = nlp.vocab.vectors
    for i, char in enumerate("肝癌"):
        numpy.testing.assert_allclose(output[i], W @ table[nlp.vocab.strings[char]], rtol=1e-5)
    assert output.shape == (3, 5) and not output[2].any()


def test_the_bigram_feature_projects_the_vector_of_the_bigram_each_character_begins():
    nlp = blank_char_nlp()
    train_char_vectors(nlp, TEXTS, CharVectorSettings(width=8, epochs=2, min_count=2, bigrams=True))
    doc = nlp("直肠癌龘")  # 直肠 and 肠癌 occur in TEXTS; 癌龘 does not; 龘 is last
    model = build_bigram_vectors(width=5)
    model.initialize(X=[doc])
    (output,), backprop = model.begin_update([doc])
    W, table = model.get_param("W"), nlp.vocab.vectors
    for i, gram in enumerate(["直肠", "肠癌"]):
        numpy.testing.assert_allclose(output[i], W @ table[nlp.vocab.strings[gram]], rtol=1e-5)
    assert output.shape == (4, 5) and not output[2:].any()
    backprop([numpy.ones_like(output)])
    expected = (
        numpy.ones((5, 1), dtype="f") @ (table[nlp.vocab.strings["直肠"]] + table[nlp.vocab.strings["肠癌"]])[None]
    )
    numpy.testing.assert_allclose(model.get_grad("W"), expected, rtol=1e-5)


@pytest.mark.parametrize("build", [build_char_vectors, build_bigram_vectors])
def test_a_pipeline_without_vectors_says_how_to_make_them(build):
    model = build(width=5)
    with pytest.raises(ValueError, match="spacy_cner char-vectors"):
        model.initialize(X=[blank_char_nlp()("肝癌")])


def test_the_bigram_feature_refuses_a_table_without_bigrams():
    nlp = blank_char_nlp()
    train_char_vectors(nlp, TEXTS, SMALL)
    with pytest.raises(ValueError, match="no bigrams.*--bigrams"):
        build_bigram_vectors(width=5).initialize(X=[nlp("肝癌")])


def test_the_command_refuses_evaluation_text_and_its_vectors_train_save_and_load(tmp_path):
    unlabelled = tmp_path / "unlabelled.txt"
    evaluation = tmp_path / "test.txt"
    secret = "这是评估集里的一段足够长的病历文字不应被用来预训练"
    unlabelled.write_text("\n".join(TEXTS + [secret]), encoding="utf-8")
    evaluation.write_text(secret + "\n", encoding="utf-8")
    output = tmp_path / "vectors"
    argv = ["char-vectors", str(output), str(unlabelled), "--exclude", str(evaluation), "--width", "8"]
    assert main([*argv, "--epochs", "2"]) == 0
    report = json.loads((output / "char_vectors.json").read_text(encoding="utf-8"))
    assert report["texts"] == len(TEXTS) and report["refused_texts"] == 1
    assert "评" not in {spacy.load(output).vocab.strings[key] for key in spacy.load(output).vocab.vectors.keys()}

    features = {
        "@architectures": "spacy_cner.ConcatFeatures.v1",
        "*": {"chars": TINY_MODEL["features"], "vectors": {"@architectures": "spacy_cner.CharVectors.v1", "width": 8}},
    }
    model = {**TINY_MODEL, "features": features, "encoder": {**TINY_MODEL["encoder"], "width": 40}}
    config = Config({"initialize": {"vectors": str(output)}})
    nlp = blank_char_nlp()
    nlp.config = nlp.config.merge(config)
    nlp.add_pipe("cner", name="ner", config={"model": model})
    examples = make_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    assert nlp.vocab.vectors.shape == (report["vectors"], 8)
    for _ in range(5):
        nlp.update(examples, sgd=optimizer)
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert numpy.array_equal(loaded.vocab.vectors.data, nlp.vocab.vectors.data)
    for text, _ in EMR_SENTENCES:
        ours, theirs = nlp(text), loaded(text)
        assert [(e.start, e.end, e.label_) for e in ours.ents] == [(e.start, e.end, e.label_) for e in theirs.ents]
        numpy.testing.assert_array_equal(ours.spans["ner"].attrs["scores"], theirs.spans["ner"].attrs["scores"])
