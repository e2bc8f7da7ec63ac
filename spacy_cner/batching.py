"""Grouping variable-length sequences so that padding stays bounded."""

from typing import List


def length_buckets(lengths: List[int], max_padded: int = 65536) -> List[List[int]]:
    """Indices of the non-empty sequences, grouped by similar length so that a
    padded bucket holds at most ``max_padded`` positions (or one sequence):
    one 100,000-character record does not pad a whole batch to its length."""
    order = sorted((i for i, n in enumerate(lengths) if n), key=lambda i: lengths[i])
    buckets: List[List[int]] = []
    for i in order:
        if buckets and lengths[i] * (len(buckets[-1]) + 1) <= max_padded:
            buckets[-1].append(i)
        else:
            buckets.append([i])
    return buckets
