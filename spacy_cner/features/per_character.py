"""Run a torch module once per distinct key (a character or a code) of a batch.

Code and glyph features depend on the character alone (pinyin on its reading),
so a batch of 10,000 tokens with 900 distinct characters is encoded 900 times,
and each token's row is gathered from the result (the gather's backward sums
the tokens' gradients into their shared row).
"""

from typing import Callable, Dict, List, Sequence, Tuple

import numpy
import torch
from spacy.tokens import Doc
from thinc.api import ArgsKwargs, Model, torch2xp, xp2torch
from thinc.types import Floats2d
from torch import nn

from ..torch_bridge import torch_layer

KeysOf = Callable[[Doc], List[str]]
Prepare = Callable[[List[str]], Tuple[torch.Tensor, ...]]


class _GatherRows(nn.Module):
    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, index: torch.Tensor, *inputs: torch.Tensor) -> torch.Tensor:
        if not len(index):
            return torch.zeros((0, self.encoder.width))
        return self.encoder(*inputs)[index]


def per_unique_key(encoder: nn.Module, keys_of: KeysOf, prepare: Prepare) -> Model[List[Doc], List[Floats2d]]:
    """``encoder(*prepare(unique_keys))`` gives one row per key; ``encoder.width``
    is its output width."""

    def convert_inputs(model: Model, docs: List[Doc], is_train: bool):
        rows: Dict[str, int] = {}
        index = [rows.setdefault(key, len(rows)) for doc in docs for key in keys_of(doc)]
        inputs = prepare(list(rows)) if rows else ()
        args = (torch.as_tensor(index, dtype=torch.long), *inputs)
        return ArgsKwargs(args=args, kwargs={}), lambda d_inputs: []

    def convert_outputs(model: Model, docs_and_rows: Tuple[List[Doc], torch.Tensor], is_train: bool):
        docs, rows = docs_and_rows
        lengths = [len(doc) for doc in docs]
        Ys = numpy.split(torch2xp(rows), numpy.cumsum(lengths)[:-1]) if docs else []

        def backprop(dYs: Sequence[Floats2d]) -> ArgsKwargs:
            if not rows.requires_grad:  # no tokens in the batch
                return ArgsKwargs(args=([],), kwargs={"grad_tensors": []})
            return ArgsKwargs(args=(rows,), kwargs={"grad_tensors": xp2torch(numpy.concatenate(dYs))})

        return list(Ys), backprop

    return torch_layer(_GatherRows(encoder), convert_inputs, convert_outputs)
