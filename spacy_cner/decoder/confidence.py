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
    log Z per sequence. Positions past a sequence's end hold copies."""
    start, transitions, end = scores
    batch, time, _ = emissions.shape
    alpha = numpy.empty_like(emissions)
    beta = numpy.empty_like(emissions)
    alpha[:, 0] = start + emissions[:, 0]
    for t in range(1, time):
        step = logsumexp(alpha[:, t - 1, :, None] + transitions, axis=1) + emissions[:, t]
        alpha[:, t] = numpy.where((t < lengths)[:, None], step, alpha[:, t - 1])
    beta[:, -1] = end
    for t in range(time - 2, -1, -1):
        step = logsumexp(transitions + (emissions[:, t + 1] + beta[:, t + 1])[:, None, :], axis=2)
        beta[:, t] = numpy.where((t < lengths - 1)[:, None], step, end)
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
