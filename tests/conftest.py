import os
import string
from pathlib import Path
from typing import List, Optional, Tuple

import pytest
import spacy
import torch
from spacy.language import Language
from spacy.tokens import DocBin
from spacy.training import Example
from transformers import BertConfig, BertModel, BertTokenizerFast

# A dozen synthetic EMR sentences: (text, [(start, end, label)]).
EMR_SENTENCES: List[Tuple[str, List[Tuple[int, int, str]]]] = [
    ("患者因直肠癌行直肠癌根治术。", [(3, 6, "Disease"), (7, 13, "Operation")]),
    ("复查CT示肝脏多发占位。", [(2, 4, "Image"), (5, 7, "Anatomy")]),
    ("予奥沙利铂150MG静滴化疗。", [(1, 5, "Medicine")]),
    ("查CEA 5.2ng/ml，AFP正常。", [(1, 4, "Laboratory"), (14, 17, "Laboratory")]),
    ("胃镜示胃窦溃疡。", [(0, 2, "Image"), (3, 5, "Anatomy")]),
    ("诊断为高血压病2级。", [(3, 9, "Disease")]),
    ("行腹腔镜下胆囊切除术，术后恢复好。", [(1, 10, "Operation")]),
    ("右肺上叶见结节影，考虑肺癌。", [(0, 4, "Anatomy"), (11, 13, "Disease")]),
    ("口服阿司匹林肠溶片抗血小板。", [(2, 9, "Medicine")]),
    ("血常规示白细胞计数升高。", [(4, 9, "Laboratory")]),
    ("MRI示腰椎间盘突出。", [(0, 3, "Image"), (4, 10, "Disease")]),
    ("左侧乳腺癌改良根治术后3年。", [(0, 5, "Disease")]),
]
LABELS = ["Anatomy", "Disease", "Image", "Laboratory", "Medicine", "Operation"]
YIDU_DIR = Path(os.environ.get("CNER_YIDU_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "yidu-s4k"))

TINY_MODEL = {
    "@architectures": "spacy_cner.CRFTagger.v1",
    "features": {"@architectures": "spacy_cner.CharEmbedding.v1", "width": 24, "rows": 500, "shape_width": 8},
    "encoder": {"@architectures": "spacy_cner.BiLSTM.v1", "width": 32, "hidden_width": 32, "dropout": 0.0},
}


def write_docbin(path: Path, records: List[Tuple[str, List[Tuple[int, int, str]]]]) -> None:
    """A DocBin of (text, [(start, end, label)]) records, as ``convert`` writes them."""
    nlp = spacy.blank("zh")
    docs = []
    for text, ents in records:
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(start, end, label=label) for start, end, label in ents]
        docs.append(doc)
    DocBin(docs=docs).to_disk(path)


def blank_char_nlp() -> Language:
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "spacy_cner.CharTokenizer.v1"}}})


def make_examples(nlp: Language, spans_key: Optional[str] = None) -> List[Example]:
    """The synthetic sentences with their entities as ents (and in ``doc.spans[spans_key]`` if given).
    Entities expand to whole tokens, for tokenizers that are not one token per character."""
    examples = []
    for text, ents in EMR_SENTENCES:
        reference = nlp.make_doc(text)
        reference.ents = [reference.char_span(s, e, label=label, alignment_mode="expand") for s, e, label in ents]
        if spans_key:
            reference.spans[spans_key] = list(reference.ents)
        examples.append(Example(nlp.make_doc(text), reference))
    return examples


def train_tiny(steps: int = 60, seed: int = 0, model: Optional[dict] = None) -> Language:
    spacy.util.fix_random_seed(seed)
    nlp = blank_char_nlp()
    nlp.add_pipe("cner", name="ner", config={"model": model or TINY_MODEL})
    examples = make_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer)
    return nlp


@pytest.fixture(scope="session")
def tiny_vectors(tmp_path_factory) -> Path:
    """A character vector table from the synthetic sentences, saved as ``char-vectors`` saves it."""
    from spacy_cner.data.char_vectors import CharVectorSettings, train_char_vectors

    nlp = blank_char_nlp()
    train_char_vectors(
        nlp, [text for text, _ in EMR_SENTENCES] * 3, CharVectorSettings(width=8, epochs=1, bigrams=True)
    )
    path = tmp_path_factory.mktemp("vectors") / "vectors"
    nlp.to_disk(path)
    return path


@pytest.fixture(scope="session")
def trained_nlp() -> Language:
    return train_tiny()


@pytest.fixture
def examples():
    return make_examples(blank_char_nlp())


@pytest.fixture(scope="session")
def model_dir(trained_nlp, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("trained") / "model"
    trained_nlp.to_disk(path)
    return path


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny-bert")
    chars = sorted({c for text, _ in EMR_SENTENCES for c in text} | set(string.ascii_lowercase + string.digits))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "cea", "##a", *chars]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(path / "vocab.txt"), do_lower_case=True).save_pretrained(path)
    torch.manual_seed(0)
    config = BertConfig(len(vocab), hidden_size=16, num_hidden_layers=3, num_attention_heads=2, intermediate_size=32)
    BertModel(config).save_pretrained(path)
    return path
