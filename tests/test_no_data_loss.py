"""Bad input, interruption and misuse never lose or corrupt a record, nor relabel an entity."""

import configparser
import hashlib
import json
import pickle
import shutil
from pathlib import Path

import pytest
import spacy
import srsly
import torch

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


class RunsCode:
    """A pickle that, when loaded by an unsafe loader, creates a file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_weights_that_carry_a_pickled_callable_are_refused_and_never_run(model_dir, tmp_path):
    crafted = tmp_path / "crafted"
    shutil.copytree(model_dir, crafted)
    marker = tmp_path / "code-ran"
    weights = srsly.msgpack_loads((crafted / "ner" / "model").read_bytes())
    shims = [(i, j) for i, node in enumerate(weights["shims"]) for j, _ in enumerate(node)]
    assert shims, "the tiny model's BiLSTM is a torch shim"
    i, j = shims[0]
    shim = srsly.msgpack_loads(weights["shims"][i][j])
    shim["state"] = pickle.dumps({"weight": RunsCode(marker)})
    weights["shims"][i][j] = srsly.msgpack_dumps(shim)
    data = srsly.msgpack_dumps(weights)
    (crafted / "ner" / "model").write_bytes(data)
    cfg = json.loads((crafted / "ner" / "cfg").read_text())
    cfg["weights_sha256"] = hashlib.sha256(data).hexdigest()  # an attacker can rewrite the checksum too
    (crafted / "ner" / "cfg").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="incomplete or corrupted"):
        load_pipeline(str(crafted))
    assert not marker.exists()


def test_the_package_requires_a_torch_that_refuses_pickled_code():
    setup = configparser.ConfigParser()
    setup.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    requirements = setup["options"]["install_requires"].split()
    assert "torch>=2.6" in requirements
    assert tuple(int(part) for part in torch.__version__.split(".")[:2]) >= (2, 6)
