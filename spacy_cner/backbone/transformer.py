"""A spacy-transformers ``TransformerModel`` whose HF model fuses all layers."""

from functools import partial
from typing import Callable, List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from spacy_transformers.data_classes import FullTransformerBatch
from spacy_transformers.layers.hf_shim import HFShim
from spacy_transformers.layers.transformer_model import TransformerModel, huggingface_from_pretrained
from thinc.api import Model

from ..torch_bridge import AveragesByShimKey
from .fused_bert import FusedBertConfig, FusedBertModel
from .hub import resolve_backbone


class AveragedHFShim(AveragesByShimKey, HFShim):
    """spacy-transformers' shim, with parameter averages (``use_averages``) that reach the backbone."""


@registry.architectures("spacy_cner.FusedTransformer.v1")
def build_fused_transformer(
    name: str,
    get_spans: Callable,
    tokenizer_config: Optional[dict] = None,
    transformer_config: Optional[dict] = None,
    fusion: bool = True,
    fusion_include_embeddings: bool = False,
    freeze_encoder: bool = False,
    cache_size: int = 0,
) -> Model[List[Doc], FullTransformerBatch]:
    """Any BERT-family checkpoint (hub name or local path) as a spaCy
    transformer; with ``fusion`` its output is a learned softmax-weighted sum of
    every layer (embeddings too if ``fusion_include_embeddings``), times a
    learned scale, else the last layer. ``freeze_encoder`` fine-tunes only the
    fusion weights and scale and caches the layers of ``cache_size`` windows
    (cheap CPU training: the encoder then runs once per window of the corpus).
    Saved pipelines rebuild the fused class through the registered
    ``cner_fused_bert`` config type."""
    model = TransformerModel(name, get_spans, dict(tokenizer_config or {}), dict(transformer_config or {}))
    stock = model.layers[0].shims[0]
    model.layers[0].shims[0] = AveragedHFShim(
        stock._hfmodel, config_cls=stock.config_cls, model_cls=stock.model_cls, tokenizer_cls=stock.tokenizer_cls
    )
    load_pretrained = partial(huggingface_from_pretrained, config_cls=FusedBertConfig, model_cls=FusedBertModel)
    fusion_config = {
        "fusion": fusion,
        "fusion_include_embeddings": fusion_include_embeddings,
        "freeze_encoder": freeze_encoder,
        "cache_size": cache_size,
    }
    model.init = partial(_init, load_pretrained=load_pretrained, fusion_config=fusion_config, stock_init=model.init)
    return model


def _init(model: Model, X: Optional[List[Doc]] = None, Y=None, *, load_pretrained, fusion_config, stock_init) -> None:
    """Load the checkpoint into the fused class, then let spacy-transformers'
    own init finish (it skips loading once a transformer is set)."""
    if not model.attrs["has_transformer"]:
        transformer_config = {**model._init_transformer_config, **fusion_config}
        name = resolve_backbone(model.attrs["name"])  # offline, an unknown hub name fails here at once
        hf_objects = load_pretrained(name, model._init_tokenizer_config, transformer_config)
        model.attrs["set_transformer"](model, hf_objects)
    stock_init(model, X=X, Y=Y)
