"""Grouping variable-length sequences so that padding stays bounded."""

from typing import List


def length_buckets(lengths: List[int], max_padded: int = 65536, max_waste: float = 0.25) -> List[List[int]]:
    """Indices of the non-empty sequences, grouped by similar length. A bucket is padded to its longest sequence, so
    it holds at most ``max_padded`` positions (or one sequence): one 100,000-character record does not pad a whole
    batch to its length. Its padding adds at most ``max_waste`` to its real positions: a recurrent layer steps
    through every padded position, and a batch that mixes 400-character records with 30-character sentences would
    otherwise cost ten times its size."""
    order = sorted((i for i, n in enumerate(lengths) if n), key=lambda i: lengths[i])
    buckets: List[List[int]] = []
    real = 0
    for i in order:
        padded = lengths[i] * (len(buckets[-1]) + 1) if buckets else 0
        if buckets and padded <= max_padded and padded <= (1 + max_waste) * (real + lengths[i]):
            buckets[-1].append(i)
            real += lengths[i]
        else:
            buckets.append([i])
            real = lengths[i]
    return buckets
