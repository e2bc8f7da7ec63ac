"""Bad input, interruption and misuse never lose or corrupt a record, nor relabel an entity."""

import json
import shutil

import pytest
import spacy
import srsly

from spacy_cner.model_loading import ModelLoadError, load_pipeline

from .conftest import EMR_SENTENCES, LABELS, make_examples


def test_a_cfg_with_renamed_labels_is_refused(model_dir, tmp_path):
    renamed = tmp_path / "renamed"
    shutil.copytree(model_dir, renamed)
    cfg_path = renamed / "ner" / "cfg"
    cfg = json.loads(cfg_path.read_text())
    assert cfg["labels"] == LABELS
    cfg["labels"] = ["Disease", "Anatomy", *LABELS[2:]]  # same count, two swapped: every entity would be relabelled
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match=r"lists the labels \['Disease', 'Anatomy'.*trained for \['Anatomy'"):
        load_pipeline(str(renamed))


def test_weights_that_do_not_match_their_checksum_are_refused(model_dir, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(model_dir, other)
    weights = bytearray((other / "ner" / "model").read_bytes())
    weights[-1] ^= 1  # still a readable msgpack file, one weight changed
    (other / "ner" / "model").write_bytes(bytes(weights))
    with pytest.raises(ModelLoadError, match="does not match the checksum saved with it"):
        load_pipeline(str(other))


def test_a_pipeline_with_a_spacy_tagger_beside_cner_loads(model_dir, tmp_path):
    nlp = spacy.load(model_dir)
    tagger = nlp.add_pipe("tagger", first=True)
    examples = make_examples(nlp)
    for example in examples:
        for token in example.reference:
            token.tag_ = "LATIN" if token.text.isascii() else "HAN"
    tagger.initialize(lambda: examples, nlp=nlp)
    nlp.to_disk(tmp_path / "two")
    loaded = load_pipeline(str(tmp_path / "two"))
    assert loaded.pipe_names == ["tagger", "ner"]
    original = spacy.load(model_dir)
    for text, _ in EMR_SENTENCES:
        assert [(e.start_char, e.end_char, e.label_) for e in loaded(text).ents] == [
            (e.start_char, e.end_char, e.label_) for e in original(text).ents
        ]


def test_bytes_round_trip_keeps_the_checks(trained_nlp):
    data = trained_nlp.get_pipe("ner").to_bytes()
    copy = spacy.blank("zh").add_pipe(
        "cner", name="ner", config={"model": trained_nlp.config["components"]["ner"]["model"]}
    )
    copy.from_bytes(data)
    assert copy.labels == tuple(LABELS)
    fields = srsly.msgpack_loads(data)
    fields["model"] = fields["model"][:-1] + bytes([fields["model"][-1] ^ 1])
    with pytest.raises(ValueError, match="checksum"):
        copy.from_bytes(srsly.msgpack_dumps(fields))
