"""Pretrained character vectors: the pipeline's vector table, projected to ``width``.

Character-based Chinese NER has long started from character embeddings pretrained
with word2vec on raw text (Zhang and Yang, "Chinese NER Using Lattice LSTM", ACL
2018, doi:10.18653/v1/P18-1144). ``python -m spacy_cner char-vectors`` trains such
a table on a hospital's own unlabelled records; training loads it through
``[initialize] vectors`` (``--paths.vectors``) and it is saved with the pipeline's
vocab. The table stays fixed and a learned matrix projects it (spaCy's
``StaticVectors``); concatenate it with ``CharEmbedding`` so that characters the
table lacks still get a learned vector.
"""

from typing import Callable, List, Optional, Tuple

from spacy.ml.staticvectors import StaticVectors
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model, chain, ragged2list
from thinc.types import Floats2d


@registry.architectures("spacy_cner.CharVectors.v1")
def build_char_vectors(width: int = 64, dropout: Optional[float] = None) -> Model[List[Doc], List[Floats2d]]:
    """``width`` features per token: its vector (looked up by the key the table
    names, NORM for tables from ``char-vectors``; zeros if absent) times a learned
    projection. ``dropout`` drops whole projected dimensions while training."""
    projected = chain(StaticVectors(nO=width, dropout=dropout), ragged2list())
    return Model("char_vectors", forward, init=init, layers=[projected], dims={"nO": width})


def require_vectors(X: Optional[List[Doc]], layer: str, options: str = "") -> None:
    """Without a table the projection would see zeros only: a silent loss of the feature, so an error."""
    if X and not X[0].vocab.vectors.shape[1]:
        raise ValueError(
            f"{layer} needs a vector table and the pipeline has none: build one with "
            f"`python -m spacy_cner char-vectors {options}OUTPUT TEXTS...` and train with --paths.vectors OUTPUT"
        )


def init(model: Model, X: Optional[List[Doc]] = None, Y=None) -> None:
    require_vectors(X, "CharVectors")
    model.layers[0].initialize(X=X)


def forward(
    model: Model[List[Doc], List[Floats2d]], docs: List[Doc], is_train: bool
) -> Tuple[List[Floats2d], Callable[[List[Floats2d]], List[Doc]]]:
    if not any(len(doc) for doc in docs):  # StaticVectors would give no rows at all, not one empty array a doc
        empty = [model.ops.alloc2f(0, model.get_dim("nO")) for _ in docs]
        return empty, lambda dYs: docs
    return model.layers[0](docs, is_train)
