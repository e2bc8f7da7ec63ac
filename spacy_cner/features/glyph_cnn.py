"""Glyph features (paper 000, equations 14-15): each character's 14x14 image
through a small 2D CNN.

Paper 000: Wang, Li, Ren, Gao and Fang, "Chinese Clinical Named Entity Recognition From Electronic
Medical Records Based on Multisemantic Features by Using Robustly Optimized Bidirectional Encoder
Representation From Transformers Pretraining Approach Whole Word Masking and Convolutional Neural
Networks: Model Development and Validation", JMIR Medical Informatics 11:e44597, 2023, doi:10.2196/44597.
"""

from typing import List, Tuple

import torch
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats2d

from ..nn.glyph_cnn import GlyphCNN
from .char_codes import GLYPH_SIZE, glyphs
from .per_character import per_unique_key


def glyph_tensor(chars: List[str]) -> Tuple[torch.Tensor]:
    return (torch.from_numpy(glyphs(chars))[:, None],)


@registry.architectures("spacy_cner.GlyphCNN.v1")
def build_glyph_cnn(width: int = 128) -> Model[List[Doc], List[Floats2d]]:
    """One ``width``-dimension vector per token from its first character's glyph
    (all-zero image for characters without one)."""
    return per_unique_key(
        GlyphCNN(width, GLYPH_SIZE), keys_of=lambda doc: [t.text[:1] for t in doc], prepare=glyph_tensor
    )
