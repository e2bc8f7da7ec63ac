"""Code features (paper 000, equations 5-13): a character's Wubi, Zheng, pinyin or
stroke code, as a sequence of symbols, through a small 1D CNN.

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

from ..nn.code_cnn import NO_CODE, SYMBOLS, UNKNOWN, CodeCNN
from .char_codes import CODE_TYPES, codes_of, pinyin_of, stroke_counts
from .per_character import per_unique_key


def encode_codes(codes: List[str], max_length: int, with_stroke_counts: bool) -> Tuple[torch.Tensor, torch.Tensor]:
    symbols = torch.zeros((len(codes), max_length), dtype=torch.long)
    for row, code in enumerate(codes):
        ids = [SYMBOLS.get(symbol, UNKNOWN) for symbol in code[:max_length]] or [NO_CODE]
        symbols[row, : len(ids)] = torch.tensor(ids)
    # Counts are scaled to roughly unit range: characters have up to ~30 strokes.
    extra = [[n / 10 for n in stroke_counts(code)] for code in codes] if with_stroke_counts else [[]] * len(codes)
    return symbols, torch.tensor(extra, dtype=torch.float32).reshape(len(codes), -1)


def token_codes(doc: Doc, code_type: str) -> List[str]:
    """The code of each token's first character; pinyin is read over the whole text."""
    if code_type == "pinyin":
        readings = pinyin_of(doc.text)
        return [readings[token.idx] if len(token.text) else "" for token in doc]
    return [codes[0] if codes else "" for codes in (codes_of(token.text[:1], code_type) for token in doc)]


@registry.architectures("spacy_cner.CodeCNN.v1")
def build_code_cnn(
    code: str, width: int = 32, embed_width: int = 16, channels: int = 32, max_length: int = 32
) -> Model[List[Doc], List[Floats2d]]:
    """One ``width``-dimension vector per token from its ``code``: "wubi", "zheng",
    "pinyin" or "stroke" (which also feeds its 5-dimension stroke-count vector)."""
    if code not in CODE_TYPES:
        raise ValueError(f"Unknown code {code!r}: choose from {list(CODE_TYPES)}")
    is_stroke = code == "stroke"
    encoder = CodeCNN(width, embed_width, channels, extra_width=5 if is_stroke else 0)
    return per_unique_key(
        encoder,
        keys_of=lambda doc: token_codes(doc, code),
        prepare=lambda codes: encode_codes(codes, max_length, is_stroke),
    )
