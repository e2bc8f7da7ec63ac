"""Pretrained character-bigram vectors: the vector of the bigram starting at each
character, projected to ``width``.

Zhang and Yang ("Chinese NER Using Lattice LSTM", ACL 2018, doi:10.18653/v1/P18-1144)
feed each character's embedding together with that of the bigram it begins; SoftLexicon
(Ma et al., ACL 2020) keeps the same input. ``python -m spacy_cner char-vectors
--bigrams`` adds bigram rows to the character table; this layer looks them up (the last
character, and bigrams with whitespace or missing from the table, get zeros) and learns
the projection, as ``CharVectors`` does for characters.
"""

from typing import Callable, List, Optional, Tuple

import numpy
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model, glorot_uniform_init
from thinc.types import Floats2d

from ..data.char_vectors import ngrams_of
from .char_vectors import require_vectors


@registry.architectures("spacy_cner.BigramVectors.v1")
def build_bigram_vectors(width: int = 64, dropout: Optional[float] = None) -> Model[List[Doc], List[Floats2d]]:
    """``width`` features per token: the vector of the bigram it begins times a learned projection. ``dropout``
    drops whole projected dimensions while training."""
    return Model(
        "bigram_vectors",
        forward,
        init=init,
        params={"W": None},
        dims={"nO": width, "nM": None},
        attrs={"dropout": dropout},
    )


def init(model: Model, X: Optional[List[Doc]] = None, Y=None) -> None:
    require_vectors(X, "BigramVectors", "--bigrams ")
    if X:
        vocab = X[0].vocab
        if not any(len(vocab.strings[key]) == 2 for key in vocab.vectors.keys() if key in vocab.strings):
            raise ValueError(
                "BigramVectors: the vector table has no bigrams; build it with `python -m spacy_cner char-vectors "
                "--bigrams OUTPUT TEXTS...`"
            )
        model.set_dim("nM", vocab.vectors.shape[1])
    model.set_param("W", glorot_uniform_init(model.ops, (model.get_dim("nO"), model.get_dim("nM"))))


def bigram_rows(docs: List[Doc]) -> numpy.ndarray:
    """The table row of the bigram at each token of ``docs``, -1 where there is none."""
    if not docs:
        return numpy.zeros((0,), dtype="i")
    vectors = docs[0].vocab.vectors
    keys = [get_string_id(gram) if gram else 0 for doc in docs for gram in ngrams_of(doc, 2)]
    return vectors.find(keys=numpy.asarray(keys, dtype="uint64")) if keys else numpy.zeros((0,), dtype="i")


def forward(
    model: Model[List[Doc], List[Floats2d]], docs: List[Doc], is_train: bool
) -> Tuple[List[Floats2d], Callable[[List[Floats2d]], List[Doc]]]:
    W = model.get_param("W")
    rows = bigram_rows(docs)
    V = numpy.zeros((len(rows), model.get_dim("nM")), dtype="f")
    if len(rows):
        found = rows >= 0
        V[found] = docs[0].vocab.vectors.data[rows[found]]
    Y = model.ops.gemm(model.ops.asarray2f(V), W, trans2=True)
    rate = model.attrs["dropout"]
    mask = model.ops.get_dropout_mask((W.shape[0],), rate) if is_train and rate else None
    if mask is not None:
        Y *= mask
    lengths = [len(doc) for doc in docs]
    Ys = model.ops.unflatten(Y, model.ops.asarray1i(lengths)) if docs else []

    def backprop(dYs: List[Floats2d]) -> List[Doc]:
        if not len(rows):
            return docs
        dY = model.ops.flatten(dYs)
        if mask is not None:
            dY = dY * mask
        model.inc_grad("W", model.ops.gemm(dY, model.ops.asarray2f(V), trans1=True))
        return docs

    return Ys, backprop
