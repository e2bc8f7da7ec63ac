"""BERT with dynamic layer fusion (paper 000, equation 4) inside the HF model.

spacy-transformers back-propagates only from ``last_hidden_state``, so a
weighted sum of layers computed outside the model would send no gradient into
the lower layers. Here the model itself returns ``scale * sum_c softmax(w)_c
h_c`` as its ``last_hidden_state``; the per-layer outputs stay available in
``hidden_states``. The config type is registered with ``AutoConfig`` /
``AutoModel`` so spacy-transformers' own (de)serialization rebuilds this class.
"""

from typing import Any

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, BertConfig, BertModel


class FusedBertConfig(BertConfig):
    model_type = "cner_fused_bert"

    def __init__(self, fusion: bool = True, fusion_include_embeddings: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fusion = fusion
        self.fusion_include_embeddings = fusion_include_embeddings


class FusedBertModel(BertModel):
    """With ``config.fusion`` false it is a plain BertModel (last layer only)."""

    config_class = FusedBertConfig

    def __init__(self, config: FusedBertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config, add_pooling_layer=add_pooling_layer)
        n_layers = config.num_hidden_layers + int(config.fusion_include_embeddings)
        # Equal weights and scale 1 at the start: training begins from the layer average.
        self.fusion_weights = nn.Parameter(torch.zeros(n_layers))
        self.fusion_scale = nn.Parameter(torch.ones(1))  # 1-d: Thinc optimizers need sized params

    def _init_weights(self, module: nn.Module) -> None:
        # Also runs for weights missing from a plain BERT checkpoint: the fusion ones.
        if module is self and hasattr(self, "fusion_weights"):  # post_init runs before they exist
            with torch.no_grad():
                self.fusion_weights.zero_()
                self.fusion_scale.fill_(1.0)
        else:
            super()._init_weights(module)

    def fuse(self, hidden_states: tuple) -> torch.Tensor:
        layers = hidden_states if self.config.fusion_include_embeddings else hidden_states[1:]
        weights = torch.softmax(self.fusion_weights, dim=0)
        return self.fusion_scale * torch.einsum("l,lbth->bth", weights, torch.stack(layers))

    def forward(self, *args: Any, **kwargs: Any):
        if not self.config.fusion:
            return super().forward(*args, **kwargs)
        wanted_hidden_states = kwargs.get("output_hidden_states") or self.config.output_hidden_states
        kwargs.update(output_hidden_states=True, return_dict=True)
        output = super().forward(*args, **kwargs)
        output.last_hidden_state = self.fuse(output.hidden_states)
        if not wanted_hidden_states:
            output.hidden_states = None
        return output


AutoConfig.register(FusedBertConfig.model_type, FusedBertConfig)
AutoModel.register(FusedBertConfig, FusedBertModel)
