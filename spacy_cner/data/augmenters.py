"""Training-data augmenters."""

from typing import Callable, Iterator, Optional

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import registry


@registry.augmenters("spacy_cner.trim_space_edges.v1")
def create_trim_space_edges() -> Callable[[Language, Example], Iterator[Example]]:
    """Trim whitespace tokens off the edges of gold entities (dropping entities
    that are all whitespace), for spaCy's built-in transition-based ``ner``,
    which cannot begin or end an entity on whitespace and stops training
    (error E024) on such spans. Yidu-S4K has a few dozen of them; the ``cner``
    component learns them as they are and needs no augmenter."""

    def trim_space_edges(nlp: Language, example: Example) -> Iterator[Example]:
        reference = example.reference
        trimmed = [span for span in map(_trim, reference.ents) if span is not None]
        if len(trimmed) == len(reference.ents) and all(
            (a.start, a.end) == (b.start, b.end) for a, b in zip(trimmed, reference.ents)
        ):
            yield example
            return
        gold = reference.copy()
        gold.ents = [Span(gold, span.start, span.end, span.label) for span in trimmed]
        yield Example(example.predicted, gold)

    return trim_space_edges


def _trim(span: Span) -> Optional[Span]:
    start, end = span.start, span.end
    doc: Doc = span.doc
    while start < end and doc[start].is_space:
        start += 1
    while end > start and doc[end - 1].is_space:
        end -= 1
    return Span(doc, start, end, span.label) if start < end else None
