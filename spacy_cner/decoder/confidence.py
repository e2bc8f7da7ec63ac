"""Entity confidence: the CRF probability of a predicted span.

p(span) = p(y_s = B-X, y_s+1..e-1 = I-X, y_e != I-X | x), computed exactly from
the forward and backward log-potentials of the constrained CRF.
"""

from typing import List, Sequence, Tuple

import numpy

from . import bio

logsumexp = numpy.logaddexp.reduce


def forward_backward(
    emissions: numpy.ndarray, start: numpy.ndarray, transitions: numpy.ndarray, end: numpy.ndarray
) -> Tuple[numpy.ndarray, numpy.ndarray, float]:
    """``alpha[t, y]``: log-sum of the scores of every prefix ending in ``y`` at
    ``t`` (emission at ``t`` included); ``beta[t, y]``: of every suffix after
    ``t`` given ``y`` at ``t``. Returns alpha, beta and log Z."""
    n, n_tags = emissions.shape
    alpha = numpy.empty((n, n_tags))
    beta = numpy.empty((n, n_tags))
    alpha[0] = start + emissions[0]
    for t in range(1, n):
        alpha[t] = logsumexp(alpha[t - 1][:, None] + transitions, axis=0) + emissions[t]
    beta[-1] = end
    for t in range(n - 2, -1, -1):
        beta[t] = logsumexp(transitions + (emissions[t + 1] + beta[t + 1])[None, :], axis=1)
    return alpha, beta, float(logsumexp(alpha[-1] + end))


def span_probabilities(
    emissions: numpy.ndarray,
    scores: Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray],
    spans: Sequence[Tuple[int, int, int]],
) -> List[float]:
    """Probability of each ``(start, end, label_index)`` token span."""
    if not spans:
        return []
    start, transitions, end = (numpy.asarray(s, dtype="float64") for s in scores)
    emissions = numpy.asarray(emissions, dtype="float64")
    alpha, beta, log_z = forward_backward(emissions, start, transitions, end)
    probabilities = []
    for first, stop, label in spans:
        begin, inside = bio.begin_tag(label), bio.inside_tag(label)
        log_p = alpha[first, begin]
        tag = begin
        for t in range(first + 1, stop):
            log_p += transitions[tag, inside] + emissions[t, inside]
            tag = inside
        if stop < len(emissions):
            following = numpy.arange(transitions.shape[0]) != inside
            log_p += logsumexp(transitions[tag, following] + emissions[stop, following] + beta[stop, following])
        else:
            log_p += end[tag]
        probabilities.append(float(numpy.exp(min(0.0, log_p - log_z))))
    return probabilities
