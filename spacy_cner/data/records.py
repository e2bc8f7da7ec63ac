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


def check_record(record: Record) -> None:
    """Entities must lie inside the text and must not overlap."""
    previous: Optional[Entity] = None
    for entity in sorted(record.entities, key=lambda e: (e.start, e.end)):
        if not 0 <= entity.start < entity.end <= len(record.text):
            raise AnnotationError(f"{record.source}: entity {entity} is outside the text (length {len(record.text)})")
        if previous is not None and entity.start < previous.end:
            raise AnnotationError(f"{record.source}: entities {previous} and {entity} overlap")
        previous = entity


def records_to_docs(records: Sequence[Record], vocab: Optional[Vocab] = None) -> List[Doc]:
    """One Doc per record, tokenized by ``CharTokenizer`` so every offset aligns.

    Counts entities per label before and after and raises if they differ.
    """
    tokenizer = CharTokenizer(vocab or Vocab())
    docs = []
    for record in records:
        check_record(record)
        doc = tokenizer(record.text)
        spans = [doc.char_span(e.start, e.end, label=e.label) for e in record.entities]
        if any(span is None for span in spans):
            raise AnnotationError(f"{record.source}: an entity does not align to character tokens")
        doc.ents = spans
        docs.append(doc)
    expected = sum((r.label_counts() for r in records), Counter())
    found = Counter(ent.label_ for doc in docs for ent in doc.ents)
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
