"""``spacy_cner.SpanPointer.v1``: a score for every span of at most ``max_length`` tokens and every label.

GlobalPointer-style (Su et al. 2022): each token gets a query and a key per label, and
the span from token i to token i + m scores q_l(i) . k_l(i + m) / sqrt(d) plus a learned
bias per label and length m (in place of GlobalPointer's rotary position encoding). Only
spans up to ``max_length`` are scored, so the cost is linear in the record's length.
Output per doc: (tokens, max_length, labels), -1e4 where the span would run past the end.

Jianlin Su, Ahmed Murtadha, Shengfeng Pan, Jing Hou, Jun Sun, Wanwei Huang, Bo Wen,
Yunfeng Liu. Global Pointer: Novel Efficient Span-based Approach for Named Entity
Recognition. arXiv:2208.03054 (2022). https://doi.org/10.48550/arXiv.2208.03054
"""

from typing import Callable, List, Optional, Tuple

from spacy.util import registry
from thinc.api import Model, glorot_uniform_init
from thinc.types import Floats2d, Floats3d

OUTSIDE = -1e4  # the score of a span past the end: never predicted, no gradient in the loss


@registry.architectures("spacy_cner.SpanPointer.v1")
def build_span_pointer(
    max_length: int = 16, head_width: int = 64, nO: Optional[int] = None, nI: Optional[int] = None
) -> Model[List[Floats2d], List[Floats3d]]:
    """``nO`` labels (set by the component from its labels), ``nI`` inferred from the data."""
    if max_length < 1 or head_width < 1:
        raise ValueError(f"SpanPointer needs max_length and head_width of at least 1, got {max_length}, {head_width}")
    return Model(
        "span_pointer",
        forward,
        init=init,
        dims={"nO": nO, "nI": nI},
        params={"W": None, "b": None, "length_bias": None},
        attrs={"max_length": max_length, "head_width": head_width},
    )


def init(model: Model, X: Optional[List[Floats2d]] = None, Y=None) -> None:
    if X is not None and any(len(x) for x in X):
        model.set_dim("nI", next(x for x in X if len(x)).shape[1], force=True)
    n_in, n_labels = model.get_dim("nI"), model.get_dim("nO")
    width = model.attrs["head_width"]
    model.set_param("W", glorot_uniform_init(model.ops, (2 * n_labels * width, n_in)))
    model.set_param("b", model.ops.alloc1f(2 * n_labels * width))
    model.set_param("length_bias", model.ops.alloc2f(n_labels, model.attrs["max_length"]))


def forward(model: Model, Xs: List[Floats2d], is_train: bool) -> Tuple[List[Floats3d], Callable]:
    n_in = model.get_dim("nI")
    widths = {x.shape[1] for x in Xs if len(x)}
    if widths and widths != {n_in}:
        raise ValueError(f"SpanPointer was initialised for {n_in} values per token, but got {sorted(widths)[0]}")
    W, b, length_bias = model.get_param("W"), model.get_param("b"), model.get_param("length_bias")
    n_labels, width, max_length = model.get_dim("nO"), model.attrs["head_width"], model.attrs["max_length"]
    scale = width**-0.5
    outputs, caches = [], []
    for x in Xs:
        projected = model.ops.gemm(x, W, trans2=True) + b
        queries = projected[:, : n_labels * width].reshape(len(x), n_labels, width)
        keys = projected[:, n_labels * width :].reshape(len(x), n_labels, width)
        scores = model.ops.xp.full((len(x), max_length, n_labels), OUTSIDE, dtype="f")
        for m in range(min(max_length, len(x))):
            scores[: len(x) - m, m] = scale * (queries[: len(x) - m] * keys[m:]).sum(axis=2) + length_bias[:, m]
        outputs.append(scores)
        caches.append((x, queries, keys))

    def backprop(d_outputs: List[Floats3d]) -> List[Floats2d]:
        d_inputs = []
        for (x, queries, keys), d_scores in zip(caches, d_outputs):
            d_queries, d_keys = model.ops.xp.zeros_like(queries), model.ops.xp.zeros_like(keys)
            d_length_bias = model.ops.alloc2f(n_labels, max_length)
            for m in range(min(max_length, len(x))):
                d_span = d_scores[: len(x) - m, m]  # (starts, labels)
                d_queries[: len(x) - m] += scale * d_span[:, :, None] * keys[m:]
                d_keys[m:] += scale * d_span[:, :, None] * queries[: len(x) - m]
                d_length_bias[:, m] += d_span.sum(axis=0)
            model.inc_grad("length_bias", d_length_bias)
            flat = (len(x), n_labels * width)
            d_projected = model.ops.xp.concatenate([d_queries.reshape(flat), d_keys.reshape(flat)], axis=1)
            model.inc_grad("W", model.ops.gemm(d_projected, x, trans1=True))
            model.inc_grad("b", d_projected.sum(axis=0))
            d_inputs.append(model.ops.gemm(d_projected, W))
        return d_inputs

    return outputs, backprop
