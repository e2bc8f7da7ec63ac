"""The registered imConvNet encoder of paper 004 (the module and its design: ``spacy_cner.nn.imconvnet``)."""

from typing import List, Optional, Sequence

from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats2d

from ..nn.imconvnet import ImConvNet
from ..torch_bridge import wrap_sequence_module


@registry.architectures("spacy_cner.ImConvNet.v1")
def build_imconvnet(
    width: int,
    channels: Sequence[int] = (128, 256, 512, 1024),
    depths: Sequence[int] = (3, 3, 9, 3),
    kernel_size: int = 7,
    expansion: int = 4,
    width_out: Optional[int] = None,
    dropout: float = 0.1,
    layer_scale: Optional[float] = 1e-6,
) -> Model[List[Floats2d], List[Floats2d]]:
    """imConvNet over features of ``width``; output width is ``width_out`` or
    sum(channels) (1,920 for the paper's channels)."""
    return wrap_sequence_module(
        ImConvNet(width, channels, depths, kernel_size, expansion, width_out, dropout, layer_scale),
        width,
        "spacy_cner.ImConvNet.v1",
    )
