"""Pseudo-labelled records for self-training: a trained model's confident sentences.

A sentence is kept only if every entity the model finds in it has a CRF
confidence (the exact span marginal) of at least the threshold; keeping part of
a sentence would teach the student that the dropped entities are not entities.
Sentences without entities are left out unless asked for, for the same reason:
an entity the teacher missed would be taught as none.
"""

from dataclasses import dataclass
from typing import Iterable, List, Tuple

from spacy.language import Language
from tqdm import tqdm

from ..annotation import sentences, text_problem
from .records import Entity, Record


@dataclass
class PseudoLabelStats:
    sentences: int = 0
    kept: int = 0
    entities: int = 0
    below_threshold: int = 0


def pseudo_label(
    nlp: Language,
    texts: Iterable[str],
    threshold: float,
    keep_empty: bool = False,
    batch_size: int = 64,
    progress: bool = False,
) -> Tuple[List[Record], PseudoLabelStats]:
    """The confident sentences of ``texts``; ``progress`` shows a bar on stderr (when it is a terminal)."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"the confidence threshold must be in (0, 1], got {threshold}")
    stats = PseudoLabelStats()
    candidates = [s for text in texts if text_problem(text) is None for s in sentences(text)]
    records = []
    docs = nlp.pipe(candidates, batch_size=batch_size)
    shown = dict(desc="pseudo-labelling", total=len(candidates), unit=" sentences", disable=None if progress else True)
    for doc in tqdm(docs, **shown):
        stats.sentences += 1
        confidences = [ent._.confidence for ent in doc.ents]
        if any(confidence is None for confidence in confidences):
            raise ValueError("the model gives no entity confidences: pseudo-labelling needs a cner component")
        if any(confidence < threshold for confidence in confidences):
            stats.below_threshold += 1
            continue
        if not doc.ents and not keep_empty:
            continue
        entities = [Entity(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]
        records.append(Record(doc.text, entities, source=f"pseudo:{stats.sentences}"))
        stats.kept += 1
        stats.entities += len(entities)
    return records, stats
