"""BERT with dynamic layer fusion (paper 000, equation 4) inside the HF model.

spacy-transformers back-propagates only from ``last_hidden_state``, so a
weighted sum of layers computed outside the model would send no gradient into
the lower layers. Here the model itself returns ``scale * sum_c softmax(w)_c
h_c`` as its ``last_hidden_state``; the per-layer outputs stay available in
``hidden_states``. The config type is registered with ``AutoConfig`` /
``AutoModel`` so spacy-transformers' own (de)serialization rebuilds this class.

With ``freeze_encoder`` the checkpoint's weights stay fixed and only the
fusion weights and scale train: the layers it fuses are computed once per
window of wordpieces, without dropout, and cached while training
(``cache_size`` windows, least recently used first out, float16), so CPU
training costs little more than the layers above it. Inference never uses the
cache: annotating a large corpus keeps memory flat.

Paper 000: Wang, Li, Ren, Gao and Fang, "Chinese Clinical Named Entity Recognition From Electronic
Medical Records Based on Multisemantic Features by Using Robustly Optimized Bidirectional Encoder
Representation From Transformers Pretraining Approach Whole Word Masking and Convolutional Neural
Networks: Model Development and Validation", JMIR Medical Informatics 11:e44597, 2023, doi:10.2196/44597.
"""

from collections import OrderedDict
from typing import Any, Mapping, Optional

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, BertConfig, BertModel
from transformers.modeling_outputs import BaseModelOutputWithPoolingAndCrossAttentions

FUSION_PARAMETERS = {"fusion_weights", "fusion_scale"}


class FusedBertConfig(BertConfig):
    model_type = "cner_fused_bert"

    def __init__(
        self,
        fusion: bool = True,
        fusion_include_embeddings: bool = False,
        freeze_encoder: bool = False,
        cache_size: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.fusion = fusion
        self.fusion_include_embeddings = fusion_include_embeddings
        self.freeze_encoder = freeze_encoder
        self.cache_size = cache_size


class FusedBertModel(BertModel):
    """With ``config.fusion`` false it is a plain BertModel (last layer only)."""

    config_class = FusedBertConfig

    def __init__(self, config: FusedBertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config, add_pooling_layer=add_pooling_layer)
        n_layers = config.num_hidden_layers + int(config.fusion_include_embeddings)
        # Equal weights and scale 1 at the start: training begins from the layer average.
        self.fusion_weights = nn.Parameter(torch.zeros(n_layers))
        self.fusion_scale = nn.Parameter(torch.ones(1))  # 1-d: Thinc optimizers need sized params
        self.cache: "OrderedDict[bytes, torch.Tensor]" = OrderedDict()
        if config.freeze_encoder:
            for name, parameter in self.named_parameters():
                parameter.requires_grad_(config.fusion and name in FUSION_PARAMETERS)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False):
        # Cached layers were computed with the old encoder weights: loading new ones (a warm start, from_bytes)
        # drops them; the fusion weights alone (parameter averages in and out at each evaluation) apply after it.
        if set(state_dict) - FUSION_PARAMETERS:
            self.cache.clear()
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def _init_weights(self, module: nn.Module) -> None:
        # Also runs for weights missing from a plain BERT checkpoint: the fusion ones.
        if module is self and hasattr(self, "fusion_weights"):  # post_init runs before they exist
            with torch.no_grad():
                self.fusion_weights.zero_()
                self.fusion_scale.fill_(1.0)
        else:
            super()._init_weights(module)

    def fused_layers(self, hidden_states: tuple) -> tuple:
        """The layers the output is made of: all (optionally with the
        embeddings) with fusion, else the last."""
        if not self.config.fusion:
            return hidden_states[-1:]
        return hidden_states if self.config.fusion_include_embeddings else hidden_states[1:]

    def fuse(self, layers: torch.Tensor) -> torch.Tensor:
        """(layers, batch, length, width) -> (batch, length, width)."""
        if not self.config.fusion:
            return layers[-1]
        weights = torch.softmax(self.fusion_weights, dim=0)
        return self.fusion_scale * torch.einsum("l,lbth->bth", weights, layers)

    def forward(self, input_ids: Optional[torch.Tensor] = None, **kwargs: Any):
        if self.config.freeze_encoder and input_ids is not None and not kwargs.get("output_hidden_states"):
            return self._frozen_forward(input_ids, kwargs.get("attention_mask"))
        if not self.config.fusion:
            return super().forward(input_ids=input_ids, **kwargs)
        wanted_hidden_states = kwargs.get("output_hidden_states") or self.config.output_hidden_states
        kwargs.update(output_hidden_states=True, return_dict=True)
        output = super().forward(input_ids=input_ids, **kwargs)
        output.last_hidden_state = self.fuse(torch.stack(self.fused_layers(output.hidden_states)))
        if not wanted_hidden_states:
            output.hidden_states = None
        return output

    def _frozen_forward(
        self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor]
    ) -> BaseModelOutputWithPoolingAndCrossAttentions:
        """Fuse the cached layers of each row, looked up by the row's unpadded
        wordpiece ids (single segment: token types are all zero)."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        lengths = attention_mask.sum(dim=1).long().tolist()
        keys = [input_ids[i, :n].cpu().numpy().tobytes() for i, n in enumerate(lengths)]
        cache = self.cache if self.training and self.config.cache_size > 0 else {}
        rows = {key: cache[key] for key in keys if key in cache}
        missing = [i for i, key in enumerate(keys) if key not in rows]
        if missing:
            width = max(lengths[i] for i in missing)
            layers = self._encode_without_training(input_ids[missing, :width], attention_mask[missing, :width])
            for row, i in enumerate(missing):
                rows[keys[i]] = layers[:, row, : lengths[i]]
        n_layers = next(iter(rows.values())).shape[0]
        layers = torch.zeros((n_layers, *input_ids.shape, self.config.hidden_size), device=input_ids.device)
        for i, key in enumerate(keys):
            layers[:, i, : lengths[i]] = rows[key]
            if cache is self.cache:
                self._remember(key, rows[key])
        hidden = self.fuse(layers)
        if torch.is_grad_enabled() and not hidden.requires_grad:
            # Without fusion nothing here trains, but spacy-transformers always back-propagates into the output.
            hidden.requires_grad_()
        return BaseModelOutputWithPoolingAndCrossAttentions(last_hidden_state=hidden)

    def _encode_without_training(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The fused layers, stacked, in inference mode: a frozen encoder gets no dropout."""
        was_training = self.training
        self.eval()
        with torch.no_grad():
            output = super().forward(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        self.train(was_training)
        return torch.stack(self.fused_layers(output.hidden_states))

    def _remember(self, key: bytes, layers: torch.Tensor) -> None:
        # float16 halves the cache, and converting copies, so no cached row keeps its whole batch alive.
        self.cache[key] = layers.to(torch.float16)
        self.cache.move_to_end(key)
        while len(self.cache) > self.config.cache_size:
            self.cache.popitem(last=False)


AutoConfig.register(FusedBertConfig.model_type, FusedBertConfig)
AutoModel.register(FusedBertConfig, FusedBertModel)
