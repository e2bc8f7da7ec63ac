"""Run context encoders one after another (e.g. imConvNet then BiLSTM)."""

from typing import List

from spacy.util import registry
from thinc.api import Model, chain
from thinc.types import Floats2d


@registry.architectures("spacy_cner.EncoderStack.v1")
def build_encoder_stack(*encoders: Model[List[Floats2d], List[Floats2d]]) -> Model[List[Floats2d], List[Floats2d]]:
    """In a config, list the encoders in order as ``[...encoder.*.name]`` sub-sections."""
    if not encoders:
        raise ValueError("EncoderStack needs at least one encoder")
    return encoders[0] if len(encoders) == 1 else chain(*encoders)  # thinc's chain wants two or more
