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
from torch import nn

from .char_codes import CODE_TYPES, codes_of, pinyin_of, stroke_counts
from .per_character import per_unique_key

PAD, NO_CODE, UNKNOWN = 0, 1, 2
# Letters for Wubi / Zheng / pinyin, tone-marked vowels for pinyin, 1-5 for strokes.
ALPHABET = "abcdefghijklmnopqrstuvwxyz12345üāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
SYMBOLS = {symbol: i for i, symbol in enumerate(ALPHABET, start=3)}


class CodeCNN(nn.Module):
    """symbols -> embedding -> conv(k3) -> ReLU -> conv(k3) -> ReLU -> max over
    positions -> dense. The max runs over the whole code (codes are 1-4 symbols,
    strokes up to ``max_length``), which is what the paper's pooling amounts to for
    such short inputs. ``extra_width`` inputs (the stroke-count vector) join
    before the dense layer."""

    def __init__(self, width: int, embed_width: int, channels: int, extra_width: int = 0) -> None:
        super().__init__()
        self.width = width
        self.embed = nn.Embedding(len(ALPHABET) + 3, embed_width, padding_idx=PAD)
        self.convolutions = nn.Sequential(
            nn.Conv1d(embed_width, channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv1d(channels, channels, 3, padding=1),
            nn.ReLU(),
        )
        self.dense = nn.Linear(channels + extra_width, width)

    def forward(self, symbols: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        hidden = self.convolutions(self.embed(symbols).transpose(1, 2))
        hidden = hidden.masked_fill((symbols == PAD)[:, None, :], float("-inf")).amax(dim=2)
        return self.dense(torch.cat([hidden, extra], dim=1))


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
