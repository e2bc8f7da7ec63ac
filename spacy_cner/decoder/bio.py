"""The BIO tag scheme: tag names, the moves a BIO sequence may make, and spans.

Tag ids are laid out as ``O, B-L1, I-L1, B-L2, I-L2, ...`` so that the tag set
and its constraints follow from the number of labels alone.
"""

from typing import Iterable, List, Sequence, Tuple

import numpy

OUTSIDE = 0


def tag_names(labels: Sequence[str]) -> List[str]:
    names = ["O"]
    for label in labels:
        names.extend((f"B-{label}", f"I-{label}"))
    return names


def n_tags(n_labels: int) -> int:
    return 1 + 2 * n_labels


def begin_tag(label_index: int) -> int:
    return 1 + 2 * label_index


def inside_tag(label_index: int) -> int:
    return 2 + 2 * label_index


def is_inside(tag: int) -> bool:
    return tag != OUTSIDE and tag % 2 == 0


def label_of(tag: int) -> int:
    return (tag - 1) // 2


def allowed_moves(n_tags: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Boolean masks of the allowed first tags and tag-to-tag moves.

    ``I-X`` may only follow ``B-X`` or ``I-X``; every other move is allowed.
    """
    start = numpy.ones(n_tags, dtype=bool)
    transitions = numpy.ones((n_tags, n_tags), dtype=bool)
    for tag in range(n_tags):
        if is_inside(tag):
            start[tag] = False
            transitions[:, tag] = False
            transitions[tag - 1, tag] = True  # from B-X
            transitions[tag, tag] = True  # from I-X
    return start, transitions


def is_valid(tags: Sequence[int]) -> bool:
    start, transitions = allowed_moves(max(tags, default=0) + 1)
    if len(tags) and not start[tags[0]]:
        return False
    return all(transitions[a, b] for a, b in zip(tags, tags[1:]))


def spans_to_tags(n_tokens: int, spans: Iterable[Tuple[int, int, int]]) -> numpy.ndarray:
    """Tag ids for non-overlapping ``(start, end, label_index)`` token spans."""
    tags = numpy.zeros(n_tokens, dtype="int64")
    for start, end, label in spans:
        tags[start] = begin_tag(label)
        tags[start + 1 : end] = inside_tag(label)
    return tags


def tags_to_spans(tags: Sequence[int]) -> List[Tuple[int, int, int]]:
    """``(start, end, label_index)`` token spans of a tag sequence.

    A stray ``I-X`` (which constrained decoding never produces) opens a span
    rather than being dropped, so no predicted entity is lost.
    """
    spans: List[Tuple[int, int, int]] = []
    start, label = -1, -1
    for i, tag in enumerate(tags):
        continues = is_inside(tag) and start >= 0 and label_of(tag) == label
        if continues:
            continue
        if start >= 0:
            spans.append((start, i, label))
            start, label = -1, -1
        if tag != OUTSIDE:
            start, label = i, label_of(tag)
    if start >= 0:
        spans.append((start, len(tags), label))
    return spans
