from typing import List

import numpy
import pytest
import spacy
from spacy.language import Language
from spacy.training import Example

from spacy_cner.decoder import bio
from spacy_cner.training import create_warm_start

from .conftest import EMR_SENTENCES, LABELS, TINY_MODEL, blank_char_nlp, make_examples, train_tiny


def entities(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def test_add_pipe_on_blank_chinese_pipeline():
    nlp = spacy.blank("zh")
    ner = nlp.add_pipe("cner", name="ner")
    assert nlp.pipe_names == ["ner"]
    assert type(ner).__name__ == "CRFEntityRecognizer"


def test_learns_the_training_sentences(trained_nlp):
    scores = trained_nlp.evaluate(make_examples(trained_nlp))
    assert scores["ents_f"] > 0.9
    assert set(scores["ents_per_type"]) == set(LABELS)
    assert trained_nlp.get_pipe("ner").labels == tuple(LABELS)


def test_crf_transitions_change_with_training():
    nlp = train_tiny(steps=0)
    crf = nlp.get_pipe("ner").model.get_ref("crf")
    before = crf.get_param("transitions").copy()
    optimizer = nlp.resume_training()
    nlp.update(make_examples(nlp), sgd=optimizer)
    assert numpy.abs(crf.get_param("transitions") - before).max() > 1e-4


def test_pipe_equals_call_for_any_batch_size(trained_nlp):
    texts = [text for text, _ in EMR_SENTENCES] + ["", "  ", "复查CT。" * 50]
    one_by_one = [entities(trained_nlp(text)) for text in texts]
    for batch_size in (1, 3, 64):
        assert [entities(doc) for doc in trained_nlp.pipe(texts, batch_size=batch_size)] == one_by_one


def test_predictions_are_valid_bio(trained_nlp):
    ner = trained_nlp.get_pipe("ner")
    docs = [trained_nlp.make_doc(text) for text, _ in EMR_SENTENCES]
    tag_sequences, _ = ner.predict(docs)
    for tags in tag_sequences:
        assert bio.is_valid(tags.tolist())


def test_to_disk_and_load_keep_predictions(trained_nlp, tmp_path):
    texts = [text for text, _ in EMR_SENTENCES]
    trained_nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert loaded.get_pipe("ner").labels == trained_nlp.get_pipe("ner").labels
    assert [entities(d) for d in loaded.pipe(texts)] == [entities(d) for d in trained_nlp.pipe(texts)]
    restored = blank_char_nlp()
    restored.add_pipe("cner", name="ner", config={"model": TINY_MODEL})
    restored.from_bytes(trained_nlp.to_bytes())
    assert [entities(d) for d in restored.pipe(texts)] == [entities(d) for d in trained_nlp.pipe(texts)]


def test_scores_use_spacys_entity_keys(trained_nlp):
    scores = trained_nlp.evaluate(make_examples(trained_nlp))
    for key in ("ents_p", "ents_r", "ents_f", "ents_per_type"):
        assert key in scores


def test_clear_errors_before_initialisation_and_for_late_labels(trained_nlp):
    nlp = blank_char_nlp()
    nlp.add_pipe("cner", name="ner")
    with pytest.raises(ValueError, match="not initialised"):
        nlp("患者")
    with pytest.raises(ValueError, match="after it was initialised"):
        trained_nlp.get_pipe("ner").add_label("Symptom")
    with pytest.raises(ValueError, match="no entity labels"):
        nlp.initialize(lambda: [Example(nlp.make_doc("无"), nlp.make_doc("无"))])


def test_explicit_labels_at_initialisation():
    nlp = blank_char_nlp()
    ner = nlp.add_pipe("cner", name="ner", config={"model": TINY_MODEL})
    ner.initialize(lambda: make_examples(nlp), nlp=nlp, labels=["Symptom", *LABELS])
    assert ner.labels == ("Symptom", *LABELS)
    assert ner.model.get_dim("nO") == 1 + 2 * 7


def test_entities_carry_crf_confidences(trained_nlp):
    doc = trained_nlp("患者因直肠癌行直肠癌根治术。复查CT示肝脏多发占位。")
    assert doc.ents
    confidences = [ent._.confidence for ent in doc.ents]
    assert all(0.0 < c <= 1.0 for c in confidences)
    assert doc.spans["ner"].attrs["scores"] == confidences
    assert [(s.start, s.end, s.label_) for s in doc.spans["ner"]] == [(e.start, e.end, e.label_) for e in doc.ents]


def test_confidence_can_be_switched_off():
    nlp = blank_char_nlp()
    nlp.add_pipe("cner", name="ner", config={"model": TINY_MODEL, "confidence": False})
    nlp.initialize(lambda: make_examples(nlp))
    doc = nlp("患者因直肠癌行直肠癌根治术。")
    assert "ner" not in doc.spans
    assert all(ent._.confidence is None for ent in doc.ents)


def test_warm_start_refuses_a_pipeline_it_does_not_fit(trained_nlp, tmp_path):
    trained_nlp.to_disk(tmp_path / "trained")
    warm_start = create_warm_start(str(tmp_path / "trained"))
    examples = make_examples(blank_char_nlp())

    def initialized(model: dict, labels: List[str] = LABELS) -> Language:
        nlp = blank_char_nlp()
        ner = nlp.add_pipe("cner", name="ner", config={"model": model})
        ner.initialize(lambda: examples, nlp=nlp, labels=labels)
        return nlp

    wider = {**TINY_MODEL, "encoder": {**TINY_MODEL["encoder"], "hidden_width": 48}}
    with pytest.raises(ValueError, match="component 'ner'.*(shape|fit)"):
        warm_start(initialized(wider))
    with pytest.raises(ValueError, match="labels"):
        warm_start(initialized(TINY_MODEL, labels=LABELS[:3]))
    same = warm_start(initialized(TINY_MODEL))
    text = EMR_SENTENCES[0][0]
    assert entities(same(text)) == entities(trained_nlp(text))
