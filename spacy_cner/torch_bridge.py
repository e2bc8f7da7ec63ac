"""Wrap ``torch.nn.Module``s as Thinc models whose weights the optimizer's averages reach.

``torch_layer`` is thinc's ``PyTorchWrapper_v2`` with one fix: thinc's ``PyTorchShim``
stores parameter averages (``[training.optimizer] use_averages = true``) under the keys
``(shim id, name)`` but looks them up under ``"pytorch_{id}_{name}"``, so evaluating and
saving "with the averages" silently kept the raw torch weights. ``AveragesByShimKey``
holds the fix, so the backbone's shim (spacy_cner/backbone/transformer.py) shares it.

``wrap_sequence_module`` wraps a module that maps a list of (length, width) tensors to a
list of tensors: thinc's default converters unpack a list into positional arguments; ours
keep it one argument, so modules can pack variable-length sequences themselves.
"""

import contextlib
from typing import Any, Callable, Dict, Iterator, List, Tuple

import torch
from thinc.api import ArgsKwargs, Model, PyTorchShim, torch2xp, xp2torch
from thinc.layers.pytorchwrapper import forward as pytorch_forward
from thinc.types import Floats2d


class AveragesByShimKey:
    """Mixin for a ``PyTorchShim`` (or subclass): ``use_params`` finds the averages under the keys
    ``finish_update`` gives them."""

    _model: torch.nn.Module
    id: int
    device: Any

    @contextlib.contextmanager
    def use_params(self, params: Dict[Any, Any]) -> Iterator[None]:
        keys = {name: (self.id, name) for name, _ in self._model.named_parameters()}
        averaged = {name: xp2torch(params[key], device=self.device) for name, key in keys.items() if key in params}
        if not averaged:
            yield
            return
        current = dict(self._model.named_parameters())
        backup = {name: current[name].detach().clone() for name in averaged}
        self._model.load_state_dict(averaged, strict=False)
        try:
            yield
        finally:
            self._model.load_state_dict(backup, strict=False)


class AveragedPyTorchShim(AveragesByShimKey, PyTorchShim):
    """A ``PyTorchShim`` whose parameter averages reach its module."""


def torch_layer(module: torch.nn.Module, convert_inputs: Callable, convert_outputs: Callable) -> Model:
    """``PyTorchWrapper_v2(module, convert_inputs, convert_outputs)`` over an ``AveragedPyTorchShim``."""
    return Model(
        "pytorch",
        pytorch_forward,
        attrs={"convert_inputs": convert_inputs, "convert_outputs": convert_outputs},
        shims=[AveragedPyTorchShim(module)],
        dims={"nI": None, "nO": None},
    )


def wrap_sequence_module(module: torch.nn.Module, width: int, layer: str) -> Model[List[Floats2d], List[Floats2d]]:
    """``width`` is what the module expects per token; ``layer`` names its
    registered builder in the error raised when the data has another width."""
    model = torch_layer(module, _inputs_to_torch, _outputs_to_xp)
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
