"""Faster CPU inference at reduced precision, chosen when a pipeline loads.

- ``int8``: every ``nn.Linear`` and ``nn.LSTM`` inside the pipeline's torch
  modules (the BiLSTM, the code and glyph CNNs' dense layers, a BERT backbone's
  attention and feed-forward layers) keeps int8 weights and quantizes its
  activations on the fly (PyTorch dynamic quantization). ``torch.ao.quantization``
  is deprecated upstream in favour of torchao but works on the torch this package
  pins; tests/test_quantization.py fails when it stops replacing the layers.
- ``bfloat16``: every torch module runs under CPU autocast to bfloat16 (matrix
  products in bfloat16, weights unchanged) and hands float32 back, so the rest of
  the pipeline is untouched. It pays on CPUs with native bfloat16 (AVX512-BF16, AMX).

A pipeline at reduced precision annotates; it is not trained further or saved.
"""

from typing import Any, Callable

import torch
from spacy.language import Language
from torch import nn

from .model_loading import PRECISIONS

QUANTIZED_TYPES = {nn.Linear, nn.LSTM}


def set_precision(nlp: Language, precision: str) -> Language:
    """``nlp`` at ``precision`` (in place)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision == "int8":
        return quantize_int8(nlp)
    if precision == "bfloat16":
        return use_bfloat16(nlp)
    return nlp


def _torch_shims(nlp: Language):
    for _, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        for node in model.walk() if model is not None else ():
            yield from node.shims


def quantize_int8(nlp: Language) -> Language:
    for shim in _torch_shims(nlp):
        shim._model = torch.ao.quantization.quantize_dynamic(shim._model, QUANTIZED_TYPES, dtype=torch.qint8)
    nlp.meta["quantized"] = "int8 (dynamic)"
    return nlp


def use_bfloat16(nlp: Language) -> Language:
    for shim in _torch_shims(nlp):
        shim._model.forward = _in_bfloat16(shim._model.forward)
    nlp.meta["quantized"] = "bfloat16 (autocast)"
    return nlp


def _in_bfloat16(forward: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return _as_float32(forward(*args, **kwargs))

    return run


def _as_float32(value: Any) -> Any:
    """Tensors (also inside lists, tuples and model outputs) back to float32."""
    if torch.is_tensor(value):
        return value.float() if value.is_floating_point() else value
    if isinstance(value, (list, tuple)):
        return type(value)(_as_float32(item) for item in value)
    if isinstance(value, dict):  # includes transformers' ModelOutput, updated in place to keep its type
        for key in list(value.keys()):
            value[key] = _as_float32(value[key])
    return value
