"""The gazetteer of the training entities: its terms by hand, and that no record sees its own entities in training."""

import zlib

import numpy
import pytest
from spacy.tokens import DocBin

from spacy_cner.features.gazetteer import build_gazetteer, gazetteer_terms

from .conftest import blank_char_nlp

FOLDS = 5


def record(text, entities):
    doc = blank_char_nlp().make_doc(text)
    doc.ents = [doc.char_span(start, end, label=label) for start, end, label in entities]
    return doc


def fold(text):
    return zlib.crc32(text.encode("utf-8")) % FOLDS


# Two records in different folds (checked below), each annotating one disease.
LIVER = ("肝癌术后", [(0, 2, "Disease")])
STOMACH = ("胃癌复查", [(0, 2, "Disease")])


def gazetteer(tmp_path, records):
    DocBin(docs=[record(*r) for r in records]).to_disk(tmp_path / "train.spacy")
    model = build_gazetteer(str(tmp_path / "train.spacy"), folds=FOLDS, width=4, rows=50)
    model.initialize()
    return model


def test_terms_keep_the_most_frequent_label_and_the_count_per_fold():
    texts = ["查CT示肝大", "CT示肝大", "复查CT"]
    docs = [
        record(texts[0], [(1, 3, "Image"), (4, 5, "Anatomy")]),
        record(texts[1], [(0, 2, "Image"), (3, 4, "Anatomy")]),
        record(texts[2], [(2, 4, "Laboratory")]),
    ]
    ct = [0] * FOLDS
    for text in texts:
        ct[fold(text)] += 1
    liver = [0] * FOLDS
    for text in texts[:2]:
        liver[fold(text)] += 1
    assert gazetteer_terms(docs, FOLDS) == [["CT", "Image", ct], ["肝", "Anatomy", liver]]


def test_a_record_never_sees_its_own_entities_while_training(tmp_path):
    assert fold(LIVER[0]) != fold(STOMACH[0])
    model = gazetteer(tmp_path, [LIVER, STOMACH])
    liver = record(*LIVER)
    (training,), _ = model.begin_update([liver])
    (predicted,) = model.predict([liver])
    assert not training[:2].any()  # 肝癌 is annotated only in this record's fold
    assert predicted[:2].any() and not predicted[2:].any()
    # a record of neither fold sees both while training
    other = next(t for t in ("胃癌肝癌", "肝癌胃癌", "胃癌，肝癌") if fold(t) not in (fold(LIVER[0]), fold(STOMACH[0])))
    (seen,), _ = model.begin_update([record(other, [])])
    assert seen.any(axis=1).tolist() == [char != "，" for char in other]


def test_the_gazetteer_holds_only_the_training_records_entities(tmp_path):
    model = gazetteer(tmp_path, [LIVER, STOMACH])
    assert sorted(term[0] for term in model.attrs["terms"]) == ["肝癌", "胃癌"]
    dev_only = record("肺癌", [])
    (features,) = model.predict([dev_only])
    assert not features.any()


def test_terms_are_saved_with_the_weights(tmp_path):
    model = gazetteer(tmp_path, [LIVER, STOMACH])
    loaded = build_gazetteer(None, folds=FOLDS, width=4, rows=50).from_bytes(model.to_bytes())
    docs = [record("胃癌肝癌术后", [])]
    numpy.testing.assert_array_equal(model.predict(docs)[0], loaded.predict(docs)[0])


def test_a_missing_source_says_to_set_the_training_records(tmp_path):
    with pytest.raises(ValueError, match="paths.train"):
        build_gazetteer(str(tmp_path / "absent.spacy")).initialize()
    with pytest.raises(ValueError, match="2 folds"):
        build_gazetteer(None, folds=1)
