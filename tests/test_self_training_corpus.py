"""A self-trained config reads the gold records and the pseudo-labels as one corpus."""

from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin
from spacy.util import registry
from thinc.api import Config

SELF_TRAINED = Path(__file__).resolve().parents[1] / "configs" / "bilstm_crf_lexicon_distilled.cfg"


def write(path: Path, texts):
    nlp = spacy.blank("zh")
    docs = []
    for text in texts:
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(0, 2, label="Disease")]
        docs.append(doc)
    DocBin(docs=docs).to_disk(path)


def train_corpus(**paths: str):
    config = Config().from_disk(SELF_TRAINED, overrides={f"paths.{key}": value for key, value in paths.items()})
    return registry.resolve({"train": config["corpora"]["train"]})["train"]


def test_pointing_paths_train_at_other_gold_records_keeps_the_pseudo_labels(tmp_path):
    write(tmp_path / "gold.spacy", ["肺癌术后", "胃炎复查"])
    write(tmp_path / "pseudo.spacy", ["肝炎三年", "肾炎一周", "胆囊结石"])
    corpus = train_corpus(train=str(tmp_path / "gold.spacy"), pseudo=str(tmp_path / "pseudo.spacy"))
    examples = list(corpus(spacy.blank("zh")))
    assert [eg.reference.text for eg in examples] == ["肺癌术后", "胃炎复查", "肝炎三年", "肾炎一周", "胆囊结石"]
    assert all([ent.text for ent in eg.reference.ents] == [eg.reference.text[:2]] for eg in examples)


def test_missing_pseudo_labels_say_how_to_write_them(tmp_path):
    write(tmp_path / "gold.spacy", ["肺癌术后"])
    corpus = train_corpus(train=str(tmp_path / "gold.spacy"), pseudo=str(tmp_path / "absent.spacy"))
    with pytest.raises(FileNotFoundError, match="absent.spacy.*pseudo-label"):
        list(corpus(spacy.blank("zh")))
