"""Entity confidence: the CRF probability of a predicted span.

p(span) = p(y_s = B-X, y_s+1..e-1 = I-X, y_e != I-X | x), computed exactly from
the forward and backward log-potentials of the constrained CRF. The recursions
run over a whole batch at once (padded), since their cost is per-step overhead.
"""

from typing import List, Sequence, Tuple

import numpy

from ..batching import length_buckets
from . import bio

Scores = Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]
logsumexp = numpy.logaddexp.reduce


def forward_backward(emissions: numpy.ndarray, lengths: numpy.ndarray, scores: Scores) -> Tuple[numpy.ndarray, ...]:
    """For padded emissions (batch, time, tags): ``alpha[b, t, y]``, the log-sum of
    the scores of every prefix ending in ``y`` at ``t`` (emission included);
    ``beta[b, t, y]``, of every suffix after ``t`` given ``y`` at ``t``; and
    log Z per sequence. Positions past a sequence's end hold copies.

    The recursions run in probability space, rescaled at every step (Rabiner's
    scaled forward-backward): a step is a small matrix product instead of a
    log-sum-exp over every tag pair, which made confidence a quarter of the
    BiLSTM-CRF's inference time."""
    start, transitions, end = scores
    batch, time, _ = emissions.shape
    peak = emissions.max(axis=2, keepdims=True)
    potentials = numpy.exp(emissions - peak)
    moves = numpy.exp(transitions - transitions.max())
    inside = (numpy.arange(time)[None, :] < lengths[:, None])[:, :, None]
    alpha = numpy.empty_like(emissions)
    beta = numpy.empty_like(emissions)
    with numpy.errstate(divide="ignore"):  # log(0) = -inf marks what the constraints forbid
        step = numpy.exp(start - start.max()) * potentials[:, 0]
        log_scale = numpy.log(step.sum(axis=1)) + peak[:, 0, 0] + start.max()
        scaled = step / step.sum(axis=1, keepdims=True)
        alpha[:, 0] = numpy.log(scaled) + log_scale[:, None]
        for t in range(1, time):
            step = (scaled @ moves) * potentials[:, t]
            total = step.sum(axis=1)
            grown = log_scale + numpy.log(total) + peak[:, t, 0] + transitions.max()
            scaled = numpy.where(inside[:, t], step / total[:, None], scaled)
            log_scale = numpy.where(inside[:, t, 0], grown, log_scale)
            alpha[:, t] = numpy.log(scaled) + log_scale[:, None]
        final = numpy.exp(end - end.max())
        scaled = numpy.broadcast_to(final, (batch, len(end))).copy()
        log_scale = numpy.full(batch, end.max())
        beta[:, -1] = end
        for t in range(time - 2, -1, -1):
            step = (potentials[:, t + 1] * scaled) @ moves.T
            total = step.sum(axis=1)
            grown = log_scale + numpy.log(total) + peak[:, t + 1, 0] + transitions.max()
            within = t < lengths - 1
            scaled = numpy.where(within[:, None], step / total[:, None], final)
            log_scale = numpy.where(within, grown, end.max())
            beta[:, t] = numpy.log(scaled) + log_scale[:, None]
    log_z = logsumexp(alpha[numpy.arange(batch), lengths - 1] + end, axis=1)
    return alpha, beta, log_z


def span_probabilities(
    emissions: Sequence[numpy.ndarray], scores: Scores, spans: Sequence[Sequence[Tuple[int, int, int]]]
) -> List[List[float]]:
    """Probability of each ``(start, end, label_index)`` token span, per sequence."""
    scores = tuple(numpy.asarray(s, dtype="float64") for s in scores)
    result: List[List[float]] = [[] for _ in emissions]
    # Sequences without spans need no recursion; the rest go in length buckets.
    lengths = [len(e) if doc_spans else 0 for e, doc_spans in zip(emissions, spans)]
    for bucket in length_buckets(lengths):
        probabilities = _bucket_probabilities([emissions[i] for i in bucket], scores, [spans[i] for i in bucket])
        for i, doc_probabilities in zip(bucket, probabilities):
            result[i] = doc_probabilities
    return result


def _bucket_probabilities(
    emissions: List[numpy.ndarray], scores: Scores, spans: List[Sequence[Tuple[int, int, int]]]
) -> List[List[float]]:
    start, transitions, end = scores
    lengths = numpy.array([len(e) for e in emissions])
    padded = numpy.zeros((len(emissions), lengths.max(), transitions.shape[0]))
    for row, doc_emissions in enumerate(emissions):
        padded[row, : lengths[row]] = doc_emissions
    alpha, beta, log_z = forward_backward(padded, lengths, scores)
    result: List[List[float]] = []
    for row, doc_spans in enumerate(spans):
        result.append([])
        for first, stop, label in doc_spans:
            begin, inside = bio.begin_tag(label), bio.inside_tag(label)
            path = padded[row, first + 1 : stop, inside].sum() + (stop - first - 1) * transitions[inside, inside]
            if stop > first + 1:  # the first inside move comes from B, not from I
                path += transitions[begin, inside] - transitions[inside, inside]
            last = begin if stop == first + 1 else inside
            if stop < lengths[row]:
                following = numpy.arange(transitions.shape[0]) != inside
                tail = logsumexp(
                    transitions[last, following] + padded[row, stop, following] + beta[row, stop, following]
                )
            else:
                tail = end[last]
            log_p = alpha[row, first, begin] + path + tail - log_z[row]
            result[-1].append(float(numpy.exp(min(0.0, log_p))))
    return result
