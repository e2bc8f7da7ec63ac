"""Glyph features (paper 000, equations 14-15): each character's 14x14 image
through a small 2D CNN.

Paper 000: Wang, Li, Ren, Gao and Fang, "Chinese Clinical Named Entity Recognition From Electronic
Medical Records Based on Multisemantic Features by Using Robustly Optimized Bidirectional Encoder
Representation From Transformers Pretraining Approach Whole Word Masking and Convolutional Neural
Networks: Model Development and Validation", JMIR Medical Informatics 11:e44597, 2023, doi:10.2196/44597.
"""

import torch
from torch import nn


class GlyphCNN(nn.Module):
    """conv 8 (k3) -> ReLU -> 2x2 max pool -> conv 32 (k3) -> ReLU -> 2x2 max pool -> dense."""

    def __init__(self, width: int, glyph_size: int) -> None:
        super().__init__()
        self.width = width
        self.layers = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * (glyph_size // 4) ** 2, width),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images)
