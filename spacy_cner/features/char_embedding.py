"""Learned character embeddings (the paper's baseline input)."""

from typing import List

from spacy.attrs import NORM, SHAPE
from spacy.ml.featureextractor import FeatureExtractor
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import HashEmbed, Model, chain, concatenate, with_array
from thinc.types import Floats2d


@registry.architectures("spacy_cner.CharEmbedding.v1")
def build_char_embedding(
    width: int = 128, rows: int = 20000, shape_width: int = 16
) -> Model[List[Doc], List[Floats2d]]:
    """One vector per token (character) of ``width + shape_width`` dimensions.

    The character (lower-cased, so "CT" and "ct" share rows) is hashed into
    ``rows`` buckets with four seeds, so unseen characters still get a vector;
    a small shape embedding tells digits, Latin letters and punctuation apart.
    """
    return chain(
        FeatureExtractor([NORM, SHAPE]),
        with_array(
            concatenate(
                HashEmbed(width, rows, column=0, seed=7),
                HashEmbed(shape_width, 100, column=1, seed=8),
            )
        ),
    )
