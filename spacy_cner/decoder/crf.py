"""A linear-chain CRF over per-token emission scores, constrained to valid BIO.

Thinc owns the transition scores (so the optimizer, weight decay and
serialization treat them like any other weights); pytorch-crf computes the
likelihood for training: for each call its ``CRF`` module is loaded with the
scores plus a large penalty on the moves BIO forbids, so the normaliser ranges
over valid tag sequences only. Decoding is Viterbi over the same constrained
scores in numpy: its cost is a per-character loop, where torch's per-operation
overhead would dominate.
"""

from typing import Callable, List, Optional, Tuple

import numpy
import torch
from spacy.util import registry
from thinc.api import Model, torch2xp, xp2torch
from thinc.types import Floats1d, Floats2d, Ints1d
from torch.nn.utils.rnn import pad_sequence
from torchcrf import CRF

from ..batching import length_buckets
from .bio import allowed_moves

FORBIDDEN_SCORE = -1e4  # exp() of this underflows to 0: the move never counts
SCORE_NAMES = ("start", "transitions", "end")
TORCH_NAMES = {"start": "start_transitions", "transitions": "transitions", "end": "end_transitions"}


@registry.architectures("spacy_cner.LinearChainCRF.v1")
def build_linear_chain_crf(nO: Optional[int] = None) -> Model[List[Floats2d], List[Ints1d]]:
    """Viterbi-decode emission scores (n_tokens, nO) into tag ids.

    Train it with ``crf_loss``: ``argmax`` has no gradient, so the forward pass
    is for prediction only.
    """
    return Model(
        "linear_chain_crf",
        forward,
        init=init,
        dims={"nO": nO},
        params={name: None for name in SCORE_NAMES},
    )


def init(model: Model, X: Optional[List[Floats2d]] = None, Y=None) -> None:
    if X is not None and X and model.maybe_get_dim("nO") is None:
        model.set_dim("nO", X[0].shape[1])
    n = model.get_dim("nO")
    # pytorch-crf's own initialisation range
    model.set_param("start", model.ops.asarray1f(numpy.random.uniform(-0.1, 0.1, n)))
    model.set_param("end", model.ops.asarray1f(numpy.random.uniform(-0.1, 0.1, n)))
    model.set_param("transitions", model.ops.asarray2f(numpy.random.uniform(-0.1, 0.1, (n, n))))


def forward(
    model: Model[List[Floats2d], List[Ints1d]], emissions: List[Floats2d], is_train: bool
) -> Tuple[List[Ints1d], Callable]:
    tags = viterbi([numpy.asarray(e, dtype="f") for e in emissions], constrained_scores(model))

    def backprop(d_tags: List[Ints1d]) -> List[Floats2d]:
        raise NotImplementedError("Viterbi decoding has no gradient: train the CRF with crf_loss")

    return [model.ops.asarray(t, dtype="int64") for t in tags], backprop


def viterbi(emissions: List[numpy.ndarray], scores: Tuple[Floats1d, Floats2d, Floats1d]) -> List[numpy.ndarray]:
    """The best tag sequence of each (n_tokens, n_tags) array; sequences of
    similar length are decoded together."""
    start, transitions, end = (numpy.asarray(score, dtype="f") for score in scores)
    n_tags = len(start)
    paths = [numpy.zeros(0, dtype="int64") for _ in emissions]
    for bucket in length_buckets([len(e) for e in emissions]):
        lengths = numpy.asarray([len(emissions[i]) for i in bucket])
        padded = numpy.zeros((len(bucket), lengths.max(), n_tags), dtype="f")
        for row, i in enumerate(bucket):
            padded[row, : lengths[row]] = emissions[i]
        score = start + padded[:, 0]
        history = numpy.empty((padded.shape[1], len(bucket), n_tags), dtype="int64")
        keep = numpy.arange(n_tags)  # past a sequence's end each tag points to itself
        for t in range(1, padded.shape[1]):
            candidates = score[:, :, None] + transitions
            best = candidates.argmax(axis=1)
            active = (t < lengths)[:, None]
            score = numpy.where(active, candidates.max(axis=1) + padded[:, t], score)
            history[t] = numpy.where(active, best, keep)
        tag = (score + end).argmax(axis=1)
        path = numpy.empty((len(bucket), padded.shape[1]), dtype="int64")
        path[:, -1] = tag
        for t in range(padded.shape[1] - 1, 0, -1):
            tag = history[t, numpy.arange(len(bucket)), tag]
            path[:, t - 1] = tag
        for row, i in enumerate(bucket):
            paths[i] = path[row, : lengths[row]]
    return paths


def crf_loss(
    model: Model[List[Floats2d], List[Ints1d]], emissions: List[Floats2d], gold: List[Ints1d]
) -> Tuple[float, List[Floats2d]]:
    """The negative log-likelihood of the ``gold`` tag sequences, averaged over the
    batch, and its gradient with respect to the emissions. The gradient of the
    transition scores is added to ``model``'s params."""
    crf = _loaded_crf(model, requires_grad=True)
    d_emissions = [model.ops.alloc2f(*e.shape) for e in emissions]
    batch = _Batch(emissions, requires_grad=True)
    if not batch.indices:
        return 0.0, d_emissions
    gold_padded = pad_sequence(
        [torch.as_tensor(numpy.asarray(gold[i]), dtype=torch.long) for i in batch.indices],
        batch_first=True,
    )
    loss = -crf(batch.scores, gold_padded, batch.mask, reduction="sum") / len(emissions)
    loss.backward()
    for name in SCORE_NAMES:
        model.inc_grad(name, torch2xp(getattr(crf, TORCH_NAMES[name]).grad))
    for row, i in enumerate(batch.indices):
        d_emissions[i] = torch2xp(batch.scores.grad[row, : len(emissions[i])])
    return float(loss.item()), d_emissions


def sequence_log_likelihood(model: Model[List[Floats2d], List[Ints1d]], emissions: Floats2d, tags: Ints1d) -> float:
    """log p(tags | emissions) of one sequence, for inspection and tests."""
    crf = _loaded_crf(model, requires_grad=False)
    batch = _Batch([emissions])
    with torch.no_grad():
        gold = torch.as_tensor(numpy.asarray(tags), dtype=torch.long)[None]
        return float(crf(batch.scores, gold, batch.mask, reduction="sum").item())


def constrained_scores(model: Model) -> Tuple[Floats1d, Floats2d, Floats1d]:
    """The start, transition and end scores with forbidden moves penalised."""
    n = model.get_dim("nO")
    allowed_start, allowed_transitions = allowed_moves(n)
    start = model.get_param("start") + numpy.where(allowed_start, 0.0, FORBIDDEN_SCORE)
    transitions = model.get_param("transitions") + numpy.where(allowed_transitions, 0.0, FORBIDDEN_SCORE)
    return start.astype("f"), transitions.astype("f"), model.get_param("end")


def _loaded_crf(model: Model, *, requires_grad: bool) -> CRF:
    crf = CRF(model.get_dim("nO"), batch_first=True)
    with torch.no_grad():
        for name, value in zip(SCORE_NAMES, constrained_scores(model)):
            getattr(crf, TORCH_NAMES[name]).copy_(xp2torch(model.ops.asarray(value)))
    crf.requires_grad_(requires_grad)
    return crf


class _Batch:
    """The non-empty sequences of a batch, padded; pytorch-crf needs every
    sequence to have a first token."""

    def __init__(self, emissions: List[Floats2d], requires_grad: bool = False) -> None:
        self.indices = [i for i, e in enumerate(emissions) if len(e)]
        if not self.indices:
            return
        rows = [xp2torch(numpy.asarray(emissions[i], dtype="f")) for i in self.indices]
        self.scores = pad_sequence(rows, batch_first=True).requires_grad_(requires_grad)
        lengths = torch.tensor([len(r) for r in rows])
        self.mask = torch.arange(self.scores.shape[1])[None, :] < lengths[:, None]
