"""Per-token vectors from an upstream transformer component (paper 000, equation 4)."""

from typing import List

from spacy.tokens import Doc
from spacy.util import registry
from spacy_transformers.architectures import transformer_listener_tok2vec_v1
from thinc.api import Linear, Model, chain, with_array
from thinc.types import Floats2d, Ragged


@registry.architectures("spacy_cner.BackboneFeatures.v1")
def build_backbone_features(
    pooling: Model[Ragged, Floats2d], width: int = 512, grad_factor: float = 1.0, upstream: str = "*"
) -> Model[List[Doc], List[Floats2d]]:
    """Listen to the transformer (fused output), pool each token's wordpieces
    (characters sharing a wordpiece such as "cea" and characters in window
    overlaps are averaged; whitespace has no wordpiece and gets zeros), then a
    dense layer of ``width``. ``grad_factor`` 0 freezes the backbone."""
    listener = transformer_listener_tok2vec_v1(pooling, grad_factor=grad_factor, upstream=upstream)
    return chain(listener, with_array(Linear(nO=width)))
