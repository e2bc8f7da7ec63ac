"""Code features (paper 000, equations 5-13): a character's Wubi, Zheng, pinyin or
stroke code, as a sequence of symbols, through a small 1D CNN.

Paper 000: Wang, Li, Ren, Gao and Fang, "Chinese Clinical Named Entity Recognition From Electronic
Medical Records Based on Multisemantic Features by Using Robustly Optimized Bidirectional Encoder
Representation From Transformers Pretraining Approach Whole Word Masking and Convolutional Neural
Networks: Model Development and Validation", JMIR Medical Informatics 11:e44597, 2023, doi:10.2196/44597.
"""

import torch
from torch import nn

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
