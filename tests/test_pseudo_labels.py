"""Self-training data: only sentences whose every entity clears the threshold are kept."""

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_cner.__main__ import main
from spacy_cner.annotation import sentences
from spacy_cner.data.pseudo_labels import pseudo_label

from .conftest import EMR_SENTENCES, LABELS

UNLABELLED = ["".join(text for text, _ in EMR_SENTENCES[i : i + 3]) for i in range(0, len(EMR_SENTENCES), 3)]


def test_sentences_split_after_each_sentence_end():
    assert sentences("主诉：腹痛。\n诊断：直肠癌！ 查CT") == ["主诉：腹痛。", "诊断：直肠癌！", " 查CT"]


@pytest.mark.parametrize("threshold", [0.5, 0.9, 0.99])
def test_no_entity_below_the_threshold_is_kept(trained_nlp, threshold):
    records, stats = pseudo_label(trained_nlp, UNLABELLED, threshold)
    kept = {record.text: record for record in records}
    for sentence in (s for text in UNLABELLED for s in sentences(text)):
        doc = trained_nlp(sentence)
        confident = doc.ents and all(ent._.confidence >= threshold for ent in doc.ents)
        assert (sentence in kept) == bool(confident), sentence
        if confident:
            assert [(e.start, e.end, e.label) for e in kept[sentence].entities] == [
                (ent.start_char, ent.end_char, ent.label_) for ent in doc.ents
            ]
    assert stats.kept == len(records) and stats.entities == sum(len(r.entities) for r in records)


def test_the_command_writes_a_training_file_and_refuses_evaluation_text(model_dir, tmp_path, capsys):
    source = tmp_path / "notes.txt"
    source.write_text("\n".join(UNLABELLED) + "\n", encoding="utf-8")
    evaluation = tmp_path / "test.txt"
    evaluation.write_text(UNLABELLED[0] + "\n", encoding="utf-8")
    output = tmp_path / "pseudo.spacy"
    args = [str(model_dir), str(output), str(source), "--threshold", "0.5", "--exclude", str(evaluation)]
    assert main(["pseudo-label", *args]) == 0
    assert "1 texts refused" in capsys.readouterr().err
    docs = list(DocBin().from_disk(output).get_docs(spacy.blank("zh").vocab))
    assert docs and all(UNLABELLED[0].find(doc.text) < 0 for doc in docs)
    assert {ent.label_ for doc in docs for ent in doc.ents} <= set(LABELS)


def test_a_threshold_outside_zero_to_one_is_refused(trained_nlp):
    with pytest.raises(ValueError, match="must be in"):
        pseudo_label(trained_nlp, UNLABELLED, 1.5)
