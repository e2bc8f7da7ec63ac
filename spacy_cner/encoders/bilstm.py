"""The registered BiLSTM context encoder (the module: ``spacy_cner.nn.bilstm``)."""

from typing import List

from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats2d

from ..nn.bilstm import BiLSTMEncoder
from ..torch_bridge import wrap_sequence_module


@registry.architectures("spacy_cner.BiLSTM.v1")
def build_bilstm(
    width: int, hidden_width: int = 768, depth: int = 1, dropout: float = 0.5
) -> Model[List[Floats2d], List[Floats2d]]:
    """BiLSTM over features of ``width``; ``hidden_width`` counts both directions
    (paper 000: 768, dropout 0.5)."""
    return wrap_sequence_module(BiLSTMEncoder(width, hidden_width, depth, dropout), width, "spacy_cner.BiLSTM.v1")
