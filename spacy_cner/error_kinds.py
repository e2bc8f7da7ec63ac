"""Why entities are wrong: each gold entity a model misses gets one kind of error.

Strict F1 counts a span one character too long as both a false positive and a false negative,
the same as a missed entity. Telling these apart says what to work on: boundaries (the encoder's
context), types (the features), or recall.
"""

from collections import Counter, defaultdict
from typing import Dict, Iterable, List, Tuple

from spacy.tokens import Doc

Entity = Tuple[int, int, str]  # start_char, end_char, label

# In order of precedence when a gold entity meets several predictions.
GOLD_KINDS = ("correct", "wrong_type", "wrong_boundary", "wrong_boundary_and_type", "missed")


def overlaps(a: Entity, b: Entity) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def gold_kind(gold: Entity, predicted: List[Entity]) -> str:
    start, end, label = gold
    overlapping = [p for p in predicted if overlaps(p, gold)]
    if gold in overlapping:
        return "correct"
    if any(p[:2] == (start, end) for p in overlapping):
        return "wrong_type"
    if any(p[2] == label for p in overlapping):
        return "wrong_boundary"
    return "wrong_boundary_and_type" if overlapping else "missed"


def count_error_kinds(pairs: Iterable[Tuple[Doc, Doc]]) -> Dict[str, int]:
    """Counts over (gold doc, predicted doc) pairs: every gold entity by its kind, and the
    predictions that overlap no gold entity at all ("spurious")."""
    return total_error_kinds(count_error_kinds_per_label(pairs))


def total_error_kinds(per_label: Dict[str, Dict[str, int]]) -> Dict[str, int]:
    """The counts of ``count_error_kinds_per_label`` summed over the labels."""
    total = _no_errors()
    for counts in per_label.values():
        total.update(counts)
    return dict(total)


def _no_errors() -> Counter:
    return Counter({kind: 0 for kind in (*GOLD_KINDS, "spurious")})


def count_error_kinds_per_label(pairs: Iterable[Tuple[Doc, Doc]]) -> Dict[str, Dict[str, int]]:
    """The same counts per label: a gold entity under its own label, a spurious prediction under the one predicted."""
    counts: Dict[str, Counter] = defaultdict(_no_errors)
    for gold_doc, predicted_doc in pairs:
        gold = [(e.start_char, e.end_char, e.label_) for e in gold_doc.ents]
        predicted = [(e.start_char, e.end_char, e.label_) for e in predicted_doc.ents]
        for entity in gold:
            counts[entity[2]][gold_kind(entity, predicted)] += 1
        for entity in predicted:
            counts[entity[2]]["spurious"] += not any(overlaps(entity, g) for g in gold)
    return {label: dict(counts[label]) for label in sorted(counts)}
