"""The span tagger: features -> optional context encoder -> a score per span and label (nested entities)."""

from typing import List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model, chain
from thinc.types import Floats2d, Floats3d


@registry.architectures("spacy_cner.SpanTagger.v1")
def build_span_tagger(
    features: Model[List[Doc], List[Floats2d]],
    scorer: Model[List[Floats2d], List[Floats3d]],
    encoder: Optional[Model[List[Floats2d], List[Floats2d]]] = None,
) -> Model[List[Doc], List[Floats3d]]:
    """Per doc, (tokens, max_length, labels) span scores. The parts are reachable by the refs
    ``"features"``, ``"encoder"`` (unset without one) and ``"scorer"``; the component sets the
    scorer's ``nO`` from its labels."""
    model = chain(features, encoder, scorer) if encoder else chain(features, scorer)
    model.name = "span_tagger"
    for name, layer in (("features", features), ("encoder", encoder), ("scorer", scorer)):
        model.set_ref(name, layer)
    return model
