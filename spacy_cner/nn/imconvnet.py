"""imConvNet (paper 004): a ConvNeXt-style 1D convolution stack for text.

Stem: convolution of width 4, stride 1, then LayerNorm. Four stages of blocks
(depths 3:3:9:3, channels 128/256/512/1024); each block is a depthwise
convolution, LayerNorm, 1x1 convolution to ``expansion`` x channels, GELU, 1x1
convolution back, plus the residual. Between stages, LayerNorm then a
convolution of width 2, stride 1, changes the channel count. The outputs of the
four stages are concatenated.

Where the paper is silent we chose, and the config exposes: ``kernel_size`` of
the depthwise convolution (7, as ConvNeXt), ``expansion`` (4, as ConvNeXt), and
a linear projection of the concatenation to ``width`` (null keeps all
sum(channels) dimensions), and ``layer_scale``: each block's residual branch is
multiplied by a learned per-channel scale starting at this value (1e-6, as
ConvNeXt; null turns it off). Without it the 18-block stack diverged on
Yidu-S4K at the baseline's learning rate.

Every convolution keeps the length exactly (even widths are padded one more on
the right), and padded positions are zeroed before each convolution, so a
record's output is the same alone or batched with longer records.

Paper 004: Zheng, Han, Cai, Duan, Sun, Yang and Huang, "An imConvNet-based deep learning model for
Chinese medical named entity recognition", BMC Medical Informatics and Decision Making 22:303, 2022,
doi:10.1186/s12911-022-02049-4.
"""

from typing import List, Optional, Sequence

import torch
from torch import nn
from torch.nn import functional

from ..batching import length_buckets


class SameLengthConv(nn.Conv1d):
    """Conv1d, stride 1, padded so the output has the input's length."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, groups: int = 1) -> None:
        super().__init__(in_channels, out_channels, kernel_size, groups=groups)
        self.pad = ((kernel_size - 1) // 2, kernel_size // 2 if kernel_size % 2 == 0 else (kernel_size - 1) // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(functional.pad(x, self.pad))


class ChannelNorm(nn.LayerNorm):
    """LayerNorm over the channels of a (batch, channels, length) tensor."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


class Block(nn.Module):
    """Depthwise convolution, then LayerNorm and the two 1x1 convolutions as
    linear layers over channels-last input (as ConvNeXt's code does: the same
    maths, but a plain matrix product instead of CPU's slow 1x1 convolution)."""

    def __init__(self, channels: int, kernel_size: int, expansion: int, layer_scale: Optional[float]) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((channels,), layer_scale)) if layer_scale else None
        self.depthwise = SameLengthConv(channels, channels, kernel_size, groups=channels)
        self.norm = nn.LayerNorm(channels)
        self.expand = nn.Linear(channels, expansion * channels)
        self.contract = nn.Linear(expansion * channels, channels)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.norm(self.depthwise(x * mask).transpose(1, 2))
        residual = self.contract(functional.gelu(self.expand(hidden)))
        if self.scale is not None:
            residual = self.scale * residual
        return x + residual.transpose(1, 2)


class ImConvNet(nn.Module):
    def __init__(
        self,
        width_in: int,
        channels: Sequence[int],
        depths: Sequence[int],
        kernel_size: int,
        expansion: int,
        width_out: Optional[int],
        dropout: float,
        layer_scale: Optional[float],
    ) -> None:
        super().__init__()
        if len(channels) != len(depths):
            raise ValueError(f"imConvNet needs one depth per stage: channels {channels}, depths {depths}")
        self.stem = SameLengthConv(width_in, channels[0], 4)
        self.stem_norm = ChannelNorm(channels[0])
        self.transitions = nn.ModuleList(
            nn.ModuleList([ChannelNorm(before), SameLengthConv(before, after, 2)])
            for before, after in zip(channels, channels[1:])
        )
        self.stages = nn.ModuleList(
            nn.ModuleList(Block(c, kernel_size, expansion, layer_scale) for _ in range(depth))
            for c, depth in zip(channels, depths)
        )
        self.projection = nn.Linear(sum(channels), width_out) if width_out else None
        self.width = width_out or sum(channels)
        self.dropout = nn.Dropout(dropout)

    def encode(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(batch, width_in, length) -> (batch, length, width), masked positions zeroed."""
        x = self.stem_norm(self.stem(x * mask))
        outputs = []
        for i, blocks in enumerate(self.stages):
            if i:
                norm, conv = self.transitions[i - 1]
                x = conv(norm(x) * mask)
            for block in blocks:
                x = block(x, mask)
            outputs.append(x)
        hidden = torch.cat(outputs, dim=1).transpose(1, 2)
        if self.projection is not None:
            hidden = self.projection(hidden)
        return self.dropout(hidden)

    def forward(self, sequences: List[torch.Tensor]) -> List[torch.Tensor]:
        outputs = [s.new_zeros((0, self.width)) for s in sequences]
        for bucket in length_buckets([len(s) for s in sequences]):
            batch = nn.utils.rnn.pad_sequence([sequences[i] for i in bucket], batch_first=True)
            lengths = torch.tensor([len(sequences[i]) for i in bucket])
            mask = (torch.arange(batch.shape[1])[None, :] < lengths[:, None])[:, None, :].to(batch.dtype)
            encoded = self.encode(batch.transpose(1, 2), mask)
            for row, i in enumerate(bucket):
                outputs[i] = encoded[row, : lengths[row]]
        return outputs
