"""Why entities are wrong: each gold entity a model misses gets one kind of error.

Strict F1 counts a span one character too long as both a false positive and a false negative,
the same as a missed entity. Telling these apart says what to work on: boundaries (the encoder's
context), types (the features), or recall.
"""

from collections import Counter
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
    counts: Counter = Counter({kind: 0 for kind in (*GOLD_KINDS, "spurious")})
    for gold_doc, predicted_doc in pairs:
        gold = [(e.start_char, e.end_char, e.label_) for e in gold_doc.ents]
        predicted = [(e.start_char, e.end_char, e.label_) for e in predicted_doc.ents]
        counts.update(gold_kind(entity, predicted) for entity in gold)
        counts["spurious"] += sum(not any(overlaps(p, g) for g in gold) for p in predicted)
    return dict(counts)
