"""A gazetteer of the training records' own entities, as SoftLexicon features, that does not leak.

Built from the gold entities of the training file, a gazetteer would contain every entity of every training
record, so during training it would always be right and the model would learn to trust it blindly; on new
text it covers only the entities seen before. So the training records are split into ``folds`` (by a hash of
their text): while training, a record sees only the entities that the other folds annotate, which is what a
new record sees of the whole gazetteer. Predicting (and scoring the dev set) uses every term. The terms and
their counts per fold are saved with the weights; the records are read only when the model is initialised.
"""

import math
import zlib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple, Union

from spacy.tokens import Doc, DocBin
from spacy.training.corpus import walk_corpus
from spacy.util import registry
from spacy.vocab import Vocab
from thinc.api import HashEmbed, Model
from thinc.types import Floats2d

from .soft_lexicon import matched_terms, pool


@registry.architectures("spacy_cner.Gazetteer.v1")
def build_gazetteer(
    source: Optional[Union[str, Path]], folds: int = 5, width: int = 32, rows: int = 20000
) -> Model[List[Doc], List[Floats2d]]:
    """``4 * width`` features per token (B/M/E/S, as SoftLexicon.v1) from the gold entities of ``source``, the
    training records (a ``.spacy`` file or folder; in a config, ``${paths.train}``), each term labelled with
    the type it is most often annotated with and weighted by log(1 + the times it is annotated)."""
    if folds < 2:
        raise ValueError(f"Gazetteer needs at least 2 folds to keep a record's own entities from it, got {folds}")
    return Model(
        "gazetteer",
        forward,
        init=init,
        layers=[HashEmbed(width, rows, seed=19), HashEmbed(width, 100, seed=20)],
        dims={"nO": 4 * width},
        attrs={"source": None if source is None else str(source), "folds": folds, "terms": []},
    )


def fold_of(text: str, folds: int) -> int:
    return zlib.crc32(text.encode("utf-8")) % folds


def gazetteer_terms(docs: List[Doc], folds: int) -> List[list]:
    """[text, most frequent label, times annotated in each fold] for each entity text, in first-seen order."""
    labels: Dict[str, Counter] = defaultdict(Counter)
    counts: Dict[str, List[int]] = {}
    for doc in docs:
        fold = fold_of(doc.text, folds)
        for ent in doc.ents:
            labels[ent.text][ent.label_] += 1
            counts.setdefault(ent.text, [0] * folds)[fold] += 1
    return [[text, labels[text].most_common(1)[0][0], per_fold] for text, per_fold in counts.items()]


def init(model: Model, X: Optional[List[Doc]] = None, Y=None) -> None:
    source = model.attrs["source"]
    if source is None or not Path(source).exists():
        raise ValueError(f"Gazetteer: its source, the training records, is {source!r}: set paths.train")
    vocab = Vocab()
    docs = [doc for path in walk_corpus(source, ".spacy") for doc in DocBin().from_disk(path).get_docs(vocab)]
    model.attrs["terms"] = gazetteer_terms(docs, model.attrs["folds"])
    if not model.attrs["terms"]:
        raise ValueError(f"Gazetteer: the records of {source} annotate no entities")
    for layer in model.layers:
        layer.initialize()


def forward(
    model: Model[List[Doc], List[Floats2d]], docs: List[Doc], is_train: bool
) -> Tuple[List[Floats2d], Callable[[List[Floats2d]], List[Doc]]]:
    matches = matched_terms(model, docs, "Gazetteer")
    terms: list = model.attrs["terms"]
    folds = model.attrs["folds"]
    entries = []
    for doc, doc_matches in zip(docs, matches):
        own = fold_of(doc.text, folds) if is_train else None
        doc_entries = []
        for token, kind, term in doc_matches:
            seen = sum(count for fold, count in enumerate(terms[term][2]) if fold != own)
            if seen:
                doc_entries.append((token, kind, term, math.log1p(seen)))
        entries.append(doc_entries)
    return pool(model, docs, entries, is_train)
