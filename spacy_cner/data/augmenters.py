"""Training-data augmenters."""

from typing import Callable, Iterator, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import registry


@registry.augmenters("spacy_cner.trim_space_edges.v1")
def create_trim_space_edges() -> Callable[[Language, Example], Iterator[Example]]:
    """Trim whitespace tokens off the edges of gold entities (dropping entities
    that are all whitespace), for spaCy's built-in transition-based ``ner``,
    which cannot begin or end an entity on whitespace and stops training
    (error E024) on such spans: 63 entities in 51 of the 900 Yidu-S4K training
    records of our split, 21 of which records stop it. The ``cner`` component
    learns them as they are and needs no augmenter."""

    def trim_space_edges(nlp: Language, example: Example) -> Iterator[Example]:
        reference = example.reference
        original = [(span.start, span.end, span.label) for span in reference.ents]
        trimmed = [bounds for bounds in (_trim(reference, *span) for span in original) if bounds is not None]
        if trimmed == original:
            yield example
            return
        gold = reference.copy()
        gold.ents = [Span(gold, start, end, label) for start, end, label in trimmed]
        yield Example(example.predicted, gold)

    return trim_space_edges


def _trim(doc: Doc, start: int, end: int, label: int) -> Optional[Tuple[int, int, int]]:
    while start < end and doc[start].is_space:
        start += 1
    while end > start and doc[end - 1].is_space:
        end -= 1
    return (start, end, label) if start < end else None
