"""``python -m spacy_cner refit``: train on train + dev for a fixed number of steps, scored only at the first and
the last."""

import re
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_cner.__main__ import main

from .conftest import EMR_SENTENCES

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "configs" / "imconvnet_slim_crf.cfg")
SCHEDULE = ["--training.optimizer.learn_rate.warmup_steps", "1", "--training.optimizer.learn_rate.total_steps", "3"]


def corpus_with_medicine_only_in_dev(folder: Path) -> Path:
    nlp = spacy.blank("zh")
    medicine = [(text, ents) for text, ents in EMR_SENTENCES if "Medicine" in {label for *_, label in ents}]
    others = [record for record in EMR_SENTENCES if record not in medicine]
    folder.mkdir()
    for name, records in (("train", others), ("dev", medicine)):
        docs = []
        for text, ents in records:
            doc = nlp.make_doc(text)
            doc.ents = [doc.char_span(start, end, label=label) for start, end, label in ents]
            docs.append(doc)
        DocBin(docs=docs).to_disk(folder / f"{name}.spacy")
    return folder


def test_a_refit_learns_from_dev_too_and_is_scored_at_its_first_and_last_step(tmp_path, capsys):
    corpus = corpus_with_medicine_only_in_dev(tmp_path / "corpus")
    output = tmp_path / "refit"
    patience = ["--training.patience", "1"]
    assert main(["refit", CONFIG, "--steps", "3", "--output", str(output), "--corpus", str(corpus), *SCHEDULE]) == 0
    assert "Medicine" in spacy.load(output / "model-best").get_pipe("ner").labels  # the dev records were read
    evaluated_steps = re.findall(r"^\s*\d+\s+(\d+)\s", capsys.readouterr().out, flags=re.MULTILINE)
    assert evaluated_steps == ["0", "3"]
    assert len(DocBin().from_disk(output / "train+dev.spacy")) == len(EMR_SENTENCES)
    # what the refit sets is refused as an override rather than silently replaced
    refused = main(["refit", CONFIG, "--steps", "3", "--output", str(output), "--corpus", str(corpus), *patience])
    assert refused == 1 and "training.patience" in capsys.readouterr().err
    assert main(["refit", CONFIG, "--steps", "0", "--output", str(output), "--corpus", str(corpus)]) == 1
    with pytest.raises(SystemExit):  # other commands take no overrides
        main(["join", str(corpus / "train.spacy"), "--output", str(tmp_path / "x.spacy"), "--paths.x", "1"])
