import json
from collections import Counter
from pathlib import Path

import numpy
import pytest
import spacy
from spacy.cli.evaluate import evaluate as spacy_evaluate
from spacy.tokens import DocBin
from thinc.api import Config

from spacy_cner.__main__ import main

from .conftest import blank_char_nlp, make_examples

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.cfg"))


def test_evaluate_equals_spacy_evaluate_and_writes_reports(trained_nlp, tmp_path):
    trained_nlp.to_disk(tmp_path / "model")
    gold = DocBin(docs=[eg.reference for eg in make_examples(trained_nlp)])
    # Make a couple of sentences wrong on purpose so that the scores are not all 1.0.
    docs = list(gold.get_docs(trained_nlp.vocab))
    docs[0].ents = []
    DocBin(docs=docs).to_disk(tmp_path / "gold.spacy")
    assert (
        main(["evaluate", str(tmp_path / "model"), str(tmp_path / "gold.spacy"), "--output-dir", str(tmp_path / "out")])
        == 0
    )
    ours = json.loads((tmp_path / "out" / "metrics.json").read_text())
    theirs = spacy_evaluate(str(tmp_path / "model"), tmp_path / "gold.spacy")
    assert ours["ents_f"] == pytest.approx(100 * theirs["ents_f"])
    assert ours["ents_p"] == pytest.approx(100 * theirs["ents_p"])
    assert ours["ents_p"] < 100
    for label, prf in ours["per_type"].items():
        assert prf["f"] == pytest.approx(100 * theirs["ents_per_type"][label]["f"])
    kinds = ours["error_kinds"]
    assert sum(count for kind, count in kinds.items() if kind != "spurious") == ours["n_entities"]
    assert kinds["spurious"] > 0  # the first record's predictions now overlap no gold entity
    gold_per_label = Counter(ent.label_ for doc in docs for ent in doc.ents)
    per_type = {
        label: sum(count for kind, count in counts.items() if kind != "spurious")
        for label, counts in ours["error_kinds_per_type"].items()
    }
    assert {label: n for label, n in per_type.items() if n} == gold_per_label
    assert sum(counts["spurious"] for counts in ours["error_kinds_per_type"].values()) == kinds["spurious"]
    assert "| gold entities by outcome | all |" in (tmp_path / "out" / "metrics.md").read_text()
    assert "| **all** |" in (tmp_path / "out" / "metrics.md").read_text()
    assert (tmp_path / "out" / "per_type_f1.png").read_bytes()[:4] == b"\x89PNG"


PEER = "spacy_default_ner"


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_config_builds_a_cner_pipeline(path):
    config = Config().from_disk(path)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    assert nlp.pipe_names[-1] == "ner"
    assert {"backbone", "warm_start"} <= set(config["paths"])  # project.yml's one train command sets these
    if path.stem == PEER:  # spaCy's own default pipeline, kept as spaCy writes it: its tokenizer, its ner
        assert nlp.get_pipe_meta("ner").factory == "ner" and nlp.pipe_names == ["tok2vec", "ner"]
        assert config["nlp"]["tokenizer"]["@tokenizers"] == "spacy.zh.ChineseTokenizer"
        return
    # the built-in ner over our backbone; nested entities: ours, and spaCy's spancat over our layers
    prefixes = {"bert_spacy_ner": "ner", "spans_": "cner_spans", "spancat_": "spancat"}
    expected_factory = next((f for prefix, f in prefixes.items() if path.stem.startswith(prefix)), "cner")
    assert nlp.get_pipe_meta("ner").factory == expected_factory
    assert nlp.make_doc("复查 CT").text == "复查 CT"
    assert len(nlp.make_doc("复查 CT")) == 5
    assert config["initialize"]["after_init"]["@callbacks"] == "spacy_cner.warm_start.v1"


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_config_initializes_and_trains_a_step_on_tiny_data(path, tiny_bert, tiny_vectors, tmp_path):
    # the training records, for what reads them when initialised (the gazetteer)
    train = tmp_path / "train.spacy"
    DocBin(docs=[eg.reference for eg in make_examples(blank_char_nlp())]).to_disk(train)
    overrides = {"paths.backbone": str(tiny_bert), "paths.train": str(train)}
    if Config().from_disk(path, interpolate=False)["paths"]["vectors"] is not None:
        overrides["paths.vectors"] = str(tiny_vectors)
    config = Config().from_disk(path, overrides=overrides)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    examples = make_examples(nlp, spans_key="sc")
    optimizer = nlp.initialize(lambda: examples)
    losses = nlp.update(examples, sgd=optimizer)
    assert losses["ner"] > 0 and numpy.isfinite(losses["ner"])
    doc = nlp("复查CT示肝脏多发占位。")
    assert doc.text == "复查CT示肝脏多发占位。"
