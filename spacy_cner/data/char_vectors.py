"""Character (and character-bigram) vectors from unlabelled text, as a spaCy vector table keyed by NORM.

Skip-gram word2vec (Mikolov, Sutskever, Chen, Corrado and Dean, "Distributed
Representations of Words and Phrases and their Compositionality", NeurIPS 2013,
arXiv:1310.4546) over the characters of each text, trained by gensim. Keys are the
characters' NORM (lower case), the attribute the table names, so ``CT`` and ``ct``
share a vector as they share a ``CharEmbedding`` row. With ``bigrams``, a second
model over each text's character bigrams adds their rows to the same table (Zhang
and Yang's char + bichar input, ACL 2018, doi:10.18653/v1/P18-1144); a bigram's key
is its two NORMs joined, and the character rows do not change. One worker thread,
so a seed gives the same table every time.
"""

import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Sequence

import numpy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vectors import Vectors


@dataclass
class CharVectorSettings:
    width: int = 100
    window: int = 5
    epochs: int = 5
    min_count: int = 2
    negative: int = 5
    seed: int = 0
    bigrams: bool = False


def ngrams_of(doc: Doc, n: int) -> List[Optional[str]]:
    """The key of the n characters starting at each token (their NORMs joined); None where they would run past the
    end or hold whitespace, which says nothing about the characters around it."""
    norms = [None if token.is_space else token.norm_ for token in doc]
    grams = (norms[i : i + n] for i in range(len(norms)))
    return [None if len(gram) < n or None in gram else "".join(gram) for gram in grams]


def ngram_sequences(docs: Sequence[Doc], n: int) -> List[List[str]]:
    """Each doc as the keys of its n-grams, those with whitespace left out."""
    return [[gram for gram in ngrams_of(doc, n) if gram is not None] for doc in docs]


def train_char_vectors(nlp: Language, texts: Sequence[str], settings: CharVectorSettings) -> Dict[str, Any]:
    """Train on ``texts`` and set the table as ``nlp.vocab.vectors``; returns a report of what was done."""
    try:
        from gensim.models import Word2Vec
    except ImportError:
        raise ValueError("char-vectors needs gensim: pip install 'spacy-cner[vectors]'") from None
    started = time.perf_counter()
    keys: List[str] = []
    tables: List[numpy.ndarray] = []
    report: Dict[str, Any] = {"settings": asdict(settings), "texts": len(texts)}
    docs = [nlp.make_doc(text) for text in texts]  # tokenized once for every n-gram order
    for n, name in ((1, "characters"), (2, "bigrams"))[: 2 if settings.bigrams else 1]:
        sequences = ngram_sequences(docs, n)
        counts = Counter(gram for sequence in sequences for gram in sequence)
        if not counts or max(counts.values()) < settings.min_count:  # gensim would fail with "build vocabulary first"
            raise ValueError(f"No {name[:-1]} occurs {settings.min_count} times: lower --min-count or add text")
        word2vec = Word2Vec(
            sequences,
            vector_size=settings.width,
            window=settings.window,
            epochs=settings.epochs,
            min_count=settings.min_count,
            negative=settings.negative,
            seed=settings.seed,
            sg=1,
            workers=1,
        )
        keys += word2vec.wv.index_to_key
        tables.append(numpy.asarray(word2vec.wv.vectors, dtype="float32"))
        report.update({name: sum(counts.values()), f"{name}_vectors": len(word2vec.wv.index_to_key)})
    nlp.vocab.vectors = Vectors(
        strings=nlp.vocab.strings,
        data=numpy.concatenate(tables),
        keys=[nlp.vocab.strings.add(key) for key in keys],
        attr="NORM",
    )
    report.update({"vectors": len(keys), "train_seconds": round(time.perf_counter() - started, 1)})
    return report
