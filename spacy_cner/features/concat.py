"""Concatenate any set of per-token features (paper 000, equation 16)."""

from typing import Callable, List, Optional, Tuple

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats2d


@registry.architectures("spacy_cner.ConcatFeatures.v1")
def build_concat_features(*features: Model[List[Doc], List[Floats2d]]) -> Model[List[Doc], List[Floats2d]]:
    """Per token, the features' vectors side by side. In a config, list them as
    sub-sections ``[...features.*.name]``. (Thinc's ``concatenate`` would try to
    read an input width off the Docs.)"""
    if not features:
        raise ValueError("ConcatFeatures needs at least one feature")
    return Model("concat_features", forward, init=init, layers=list(features))


def init(model: Model, X: Optional[List[Doc]] = None, Y=None) -> None:
    for layer in model.layers:
        layer.initialize(X=X)


def forward(
    model: Model[List[Doc], List[Floats2d]], docs: List[Doc], is_train: bool
) -> Tuple[List[Floats2d], Callable[[List[Floats2d]], List[Doc]]]:
    outputs, backprops = zip(*(layer(docs, is_train) for layer in model.layers))
    widths = [parts[0].shape[1] if parts else 0 for parts in outputs]
    Ys = [model.ops.xp.hstack([parts[i] for parts in outputs]) for i in range(len(docs))]

    def backprop(dYs: List[Floats2d]) -> List[Doc]:
        start = 0
        for width, layer_backprop in zip(widths, backprops):
            layer_backprop([dY[:, start : start + width] for dY in dYs])
            start += width
        return docs

    return Ys, backprop
