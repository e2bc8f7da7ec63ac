"""The tagger: features -> optional context encoder -> emission scores -> CRF."""

from typing import Callable, List, Optional, Tuple

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Linear, Model, chain, with_array
from thinc.types import Floats2d

from ..decoder.crf import build_linear_chain_crf


@registry.architectures("spacy_cner.CRFTagger.v1")
def build_crf_tagger(
    features: Model[List[Doc], List[Floats2d]],
    encoder: Optional[Model[List[Floats2d], List[Floats2d]]] = None,
    nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """Per-token emission scores for ``nO`` tags; the CRF that decodes them is
    the layer under the ref ``"crf"``, and tools reach the other parts by the refs
    ``"features"`` and ``"encoder"`` (``maybe_get_ref``: unset without one). ``nO`` is set from the
    label set when the component is initialised."""
    output_layer = with_array(Linear(nO=nO))
    emitter = chain(features, encoder, output_layer) if encoder else chain(features, output_layer)
    crf = build_linear_chain_crf(nO)
    return Model(
        "crf_tagger",
        forward,
        init=init,
        layers=[emitter, crf],
        refs={"features": features, "encoder": encoder, "emitter": emitter, "output_layer": output_layer, "crf": crf},
        dims={"nO": nO},
    )


def forward(
    model: Model[List[Doc], List[Floats2d]], docs: List[Doc], is_train: bool
) -> Tuple[List[Floats2d], Callable[[List[Floats2d]], List[Doc]]]:
    return model.get_ref("emitter")(docs, is_train)


def init(model: Model, X: Optional[List[Doc]] = None, Y=None) -> None:
    n_tags = model.get_dim("nO")
    model.get_ref("output_layer").layers[0].set_dim("nO", n_tags)
    model.get_ref("crf").set_dim("nO", n_tags)
    model.get_ref("emitter").initialize(X=X)
    model.get_ref("crf").initialize()
