"""Character vectors from unlabelled text, as a spaCy vector table keyed by NORM.

Skip-gram word2vec (Mikolov, Sutskever, Chen, Corrado and Dean, "Distributed
Representations of Words and Phrases and their Compositionality", NeurIPS 2013,
arXiv:1310.4546) over the characters of each text, trained by gensim. Keys are the
characters' NORM (lower case), the attribute the table names, so ``CT`` and ``ct``
share a vector as they share a ``CharEmbedding`` row. One worker thread, so a seed
gives the same table every time.
"""

import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Sequence

import numpy
from spacy.language import Language
from spacy.vectors import Vectors


@dataclass
class CharVectorSettings:
    width: int = 100
    window: int = 5
    epochs: int = 5
    min_count: int = 2
    negative: int = 5
    seed: int = 0


def character_sequences(nlp: Language, texts: Sequence[str]) -> List[List[str]]:
    """Each text as the NORMs of its characters (tokens of the character tokenizer); whitespace is dropped, as it
    says nothing about the characters around it."""
    return [[token.norm_ for token in nlp.make_doc(text) if not token.is_space] for text in texts]


def train_char_vectors(nlp: Language, texts: Sequence[str], settings: CharVectorSettings) -> Dict[str, Any]:
    """Train on ``texts`` and set the table as ``nlp.vocab.vectors``; returns a report of what was done."""
    try:
        from gensim.models import Word2Vec
    except ImportError:
        raise ValueError("char-vectors needs gensim: pip install 'spacy-cner[vectors]'") from None
    sequences = character_sequences(nlp, texts)
    counts = Counter(char for sequence in sequences for char in sequence)
    if not counts or max(counts.values()) < settings.min_count:  # gensim would fail with "build vocabulary first"
        raise ValueError(f"No character occurs {settings.min_count} times: lower --min-count or add text")
    started = time.perf_counter()
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
    keys = list(word2vec.wv.index_to_key)
    nlp.vocab.vectors = Vectors(
        strings=nlp.vocab.strings,
        data=numpy.asarray(word2vec.wv.vectors, dtype="float32"),
        keys=[nlp.vocab.strings.add(key) for key in keys],
        attr="NORM",
    )
    return {
        "settings": asdict(settings),
        "texts": len(texts),
        "characters": sum(map(len, sequences)),
        "vectors": len(keys),
        "train_seconds": round(time.perf_counter() - started, 1),
    }
