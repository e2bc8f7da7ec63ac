"""Annotated records (text + character-offset entities) and their conversion to Docs.

Every reader produces ``Record``s; ``records_to_docs`` is the one place where
spans become ``doc.ents``, and it fails loudly rather than dropping an entity.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from spacy.tokens import Doc
from spacy.vocab import Vocab

from ..tokenizer import CharTokenizer


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    label: str


@dataclass
class Record:
    text: str
    entities: List[Entity] = field(default_factory=list)
    source: str = ""  # file:line, for error messages

    def label_counts(self) -> Counter:
        return Counter(e.label for e in self.entities)


class AnnotationError(ValueError):
    pass


def relabel(records: Iterable[Record], mapping: Dict[str, str]) -> List[Record]:
    """Rename labels; a label the mapping does not know is an error, not a drop."""
    relabelled = []
    for record in records:
        for entity in record.entities:
            if entity.label not in mapping:
                raise AnnotationError(
                    f"{record.source}: label {entity.label!r} is not in the label map {sorted(mapping)}"
                )
        entities = [Entity(e.start, e.end, mapping[e.label]) for e in record.entities]
        relabelled.append(Record(record.text, entities, record.source))
    return relabelled


def check_record(record: Record, nested: bool = False) -> None:
    """Entities must lie inside the text, appear once, and (unless ``nested``) not overlap:
    a BIO tagger can only learn one flat layer, a span component any number."""
    previous: Optional[Entity] = None
    if len(set(record.entities)) != len(record.entities):
        raise AnnotationError(f"{record.source}: an entity is listed twice")
    for entity in sorted(record.entities, key=lambda e: (e.start, e.end)):
        if not 0 <= entity.start < entity.end <= len(record.text):
            raise AnnotationError(f"{record.source}: entity {entity} is outside the text (length {len(record.text)})")
        if not nested and previous is not None and entity.start < previous.end:
            raise AnnotationError(
                f"{record.source}: entities {previous} and {entity} overlap; the flat cner component cannot learn "
                "nested entities (convert with --spans-key for a span component)"
            )
        previous = entity


def outermost(entities: Sequence[Entity]) -> List[Entity]:
    """The entities inside no other, longest first where two overlap without nesting."""
    kept: List[Entity] = []
    for entity in sorted(entities, key=lambda e: (e.start - e.end, e.start)):
        if all(entity.end <= other.start or other.end <= entity.start for other in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: e.start)


def records_to_docs(
    records: Sequence[Record], vocab: Optional[Vocab] = None, spans_key: Optional[str] = None
) -> List[Doc]:
    """One Doc per record, tokenized by ``CharTokenizer`` so every offset aligns.

    With ``spans_key`` every entity, nested ones included, goes to
    ``doc.spans[spans_key]`` and the outermost ones to ``doc.ents``; without it
    the entities must be flat and go to ``doc.ents``. Counts entities per label
    before and after and raises if they differ.
    """
    tokenizer = CharTokenizer(vocab or Vocab())
    docs = []
    for record in records:
        check_record(record, nested=spans_key is not None)
        doc = tokenizer(record.text)
        spans = [doc.char_span(e.start, e.end, label=e.label) for e in record.entities]
        if any(span is None for span in spans):
            raise AnnotationError(f"{record.source}: an entity does not align to character tokens")
        if spans_key is None:
            doc.ents = spans
        else:
            doc.spans[spans_key] = spans
            doc.ents = [doc.char_span(e.start, e.end, label=e.label) for e in outermost(record.entities)]
        docs.append(doc)
    expected = sum((r.label_counts() for r in records), Counter())
    found = Counter(span.label_ for doc in docs for span in (doc.ents if spans_key is None else doc.spans[spans_key]))
    if expected != found:
        raise AnnotationError(f"Entities lost in conversion: expected {dict(expected)}, found {dict(found)}")
    return docs


def split_records(records: Sequence[Record], held_out: int, seed: int) -> Tuple[List[Record], List[Record]]:
    """Hold out ``held_out`` records chosen with ``seed``; records with the same
    text stay on the same side so a duplicate cannot leak into the held-out set."""
    groups: Dict[str, List[Record]] = {}
    for record in records:
        groups.setdefault(record.text, []).append(record)
    texts = sorted(groups)
    random.Random(seed).shuffle(texts)
    kept: List[Record] = []
    held: List[Record] = []
    for text in texts:
        (held if len(held) < held_out else kept).extend(groups[text])
    order = {id(r): i for i, r in enumerate(records)}
    return sorted(kept, key=lambda r: order[id(r)]), sorted(held, key=lambda r: order[id(r)])
