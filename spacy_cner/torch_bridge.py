"""Wrap a ``torch.nn.Module`` that maps a list of (length, width) tensors to a
list of tensors as a Thinc ``Model[List[Floats2d], List[Floats2d]]``.

Thinc's default converters unpack a list into positional arguments; ours keep
it one argument, so modules can pack variable-length sequences themselves.
"""

from typing import Callable, List, Tuple

import torch
from thinc.api import ArgsKwargs, Model, PyTorchWrapper_v2, torch2xp, xp2torch
from thinc.types import Floats2d


def wrap_sequence_module(module: torch.nn.Module, width: int, layer: str) -> Model[List[Floats2d], List[Floats2d]]:
    """``width`` is what the module expects per token; ``layer`` names its
    registered builder in the error raised when the data has another width."""
    model = PyTorchWrapper_v2(module, convert_inputs=_inputs_to_torch, convert_outputs=_outputs_to_xp)
    model.attrs.update(input_width=width, layer=layer)
    return model


def _inputs_to_torch(
    model: Model, Xs: List[Floats2d], is_train: bool
) -> Tuple[ArgsKwargs, Callable[[ArgsKwargs], List[Floats2d]]]:
    widths = {X.shape[1] for X in Xs if X.ndim == 2}
    if widths and widths != {model.attrs["input_width"]}:
        raise ValueError(
            f"{model.attrs['layer']} is set to width = {model.attrs['input_width']}, but the layer before it gives "
            f"{sorted(widths)[0]} values per token: set its width to {sorted(widths)[0]} in the config"
        )
    tensors = [xp2torch(X, requires_grad=is_train) for X in Xs]

    def backprop(d_tensors: ArgsKwargs) -> List[Floats2d]:
        return [torch2xp(d) if d is not None else model.ops.alloc2f(*X.shape) for X, d in zip(Xs, d_tensors.args[0])]

    return ArgsKwargs(args=(tensors,), kwargs={}), backprop


def _outputs_to_xp(
    model: Model, X_Ytorch: Tuple[List[Floats2d], List[torch.Tensor]], is_train: bool
) -> Tuple[List[Floats2d], Callable[[List[Floats2d]], ArgsKwargs]]:
    _, Ytorch = X_Ytorch
    Ys = [torch2xp(Y) for Y in Ytorch]

    def backprop(dYs: List[Floats2d]) -> ArgsKwargs:
        # Outputs with no graph (empty sequences) have nothing to send back.
        pairs = [(Y, xp2torch(dY)) for Y, dY in zip(Ytorch, dYs) if Y.requires_grad]
        return ArgsKwargs(args=([Y for Y, _ in pairs],), kwargs={"grad_tensors": [d for _, d in pairs]})

    return Ys, backprop
