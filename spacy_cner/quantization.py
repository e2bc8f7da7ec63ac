"""int8 inference: dynamic quantization of a loaded pipeline's torch layers.

Every ``nn.Linear`` and ``nn.LSTM`` inside the pipeline's torch modules (the
BiLSTM, the code and glyph CNNs' dense layers, a BERT backbone's attention and
feed-forward layers) keeps int8 weights and quantizes its activations on the fly
(PyTorch dynamic quantization, CPU only). A quantized pipeline annotates; it is
not trained further. ``torch.ao.quantization`` is deprecated upstream in favour
of torchao but works on the torch this package pins; tests/test_quantization.py
fails when it stops replacing the layers.
"""

import torch
from spacy.language import Language
from torch import nn

QUANTIZED_TYPES = {nn.Linear, nn.LSTM}


def quantize_int8(nlp: Language) -> Language:
    """Quantize ``nlp`` in place and return it."""
    for _, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        if model is None:
            continue
        for node in model.walk():
            for shim in node.shims:
                shim._model = torch.ao.quantization.quantize_dynamic(shim._model, QUANTIZED_TYPES, dtype=torch.qint8)
    nlp.meta["quantized"] = "int8 (dynamic)"
    return nlp
