"""Training loss and decoding for span scores of shape (tokens, max_length, labels).

The loss is the multi-label categorical cross-entropy of GlobalPointer (Su et al. 2022,
arXiv:2208.03054), per label over every span of the record:
log(1 + sum over wrong spans of e^s) + log(1 + sum over gold spans of e^-s). It pushes
gold spans above 0 and the rest below 0, however many of each there are, so decoding
keeps every span that scores above 0, nested or not.
"""

from typing import List, Sequence, Tuple

import numpy

Span = Tuple[int, int, int]  # (start token, end token exclusive, label index)


def span_index(span: Span, max_length: int) -> Tuple[int, int, int]:
    """Where a span's score sits in (tokens, max_length, labels)."""
    start, end, label = span
    if not 0 < end - start <= max_length:
        raise ValueError(f"span {span} is not 1 to {max_length} tokens long")
    return start, end - start - 1, label


def valid_mask(n_tokens: int, max_length: int) -> numpy.ndarray:
    """(tokens, max_length): the spans that end inside the record."""
    return numpy.arange(n_tokens)[:, None] + numpy.arange(max_length)[None, :] < n_tokens


def span_loss(scores: numpy.ndarray, gold: Sequence[Span]) -> Tuple[float, numpy.ndarray]:
    """The loss of one record's scores and its gradient; ``gold`` spans must fit ``max_length``."""
    n_tokens, max_length, n_labels = scores.shape
    is_gold = numpy.zeros(scores.shape, dtype=bool)
    for span in gold:
        is_gold[span_index(span, max_length)] = True
    valid = valid_mask(n_tokens, max_length)[:, :, None]
    flat = scores.reshape(-1, n_labels).astype("float64")
    negatives = numpy.where((valid & ~is_gold).reshape(-1, n_labels), flat, -numpy.inf)
    positives = numpy.where(is_gold.reshape(-1, n_labels), -flat, -numpy.inf)
    loss, gradient = 0.0, numpy.zeros_like(flat)
    for sign, terms in ((1.0, negatives), (-1.0, positives)):
        total = numpy.logaddexp(0.0, numpy.logaddexp.reduce(terms, axis=0))  # per label: log(1 + sum e^terms)
        loss += float(total.sum())
        gradient += sign * numpy.exp(terms - total)
    return loss, gradient.reshape(scores.shape).astype(scores.dtype)


def decode_spans(scores: numpy.ndarray, threshold: float = 0.0) -> List[Tuple[int, int, int, float]]:
    """Every (start, end, label, score) that scores above ``threshold``, by start, then end, then label."""
    n_tokens, max_length, _ = scores.shape
    above = (scores > threshold) & valid_mask(n_tokens, max_length)[:, :, None]
    found = [(int(i), int(i + m + 1), int(label), float(scores[i, m, label])) for i, m, label in zip(*above.nonzero())]
    return sorted(found)


def outermost(spans: Sequence[Tuple[int, int, int, float]]) -> List[Tuple[int, int, int, float]]:
    """Non-overlapping spans, longest first (then highest score): what a flat ``doc.ents`` can hold."""
    kept: List[Tuple[int, int, int, float]] = []
    taken = set()
    for span in sorted(spans, key=lambda s: (s[0] - s[1], -s[3], s[0])):
        tokens = set(range(span[0], span[1]))
        if not tokens & taken:
            kept.append(span)
            taken |= tokens
    return sorted(kept)
