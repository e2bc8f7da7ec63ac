"""Texts in, entities out: the one function that bulk annotation builds on.

``annotate_texts`` never raises for a bad record: it isolates the record that
fails and reports why, so the others of its batch are kept. A record longer
than ``piece_length`` is annotated in pieces cut at sentence ends, and the
pieces' entities are shifted back onto the whole text, so nothing is skipped
for its length alone.
"""

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc

SENTENCE_ENDS = frozenset("。！？；!?;\n")
WEAK_BREAKS = frozenset("，,、：: \t\u3000")
PIECE_LENGTH = 100_000


@dataclass
class Outcome:
    """The entities of one record, or why it could not be annotated."""

    entities: Optional[List[Dict[str, Any]]] = None
    error: Optional[str] = None


def text_problem(text: object) -> Optional[str]:
    """Why a text cannot be annotated at all, or None."""
    if text is None:
        return "no text (null)"
    if not isinstance(text, str):
        return f"the text is a {type(text).__name__}, not a string"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"lone surrogate {text[error.start]!r} at character {error.start}: not valid Unicode text"
    return None


def parse_json_record(line: str, text_field: str) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """A JSON-lines record and what keeps it from being annotated: (record or None, reason or None).
    The record is returned whenever the line is a JSON object, even when its text is missing."""
    if not line.strip():
        return None, "empty line"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return None, f"not valid JSON ({error.msg})"
    if not isinstance(record, dict):
        return None, "not a JSON object"
    if text_field not in record:
        return record, f"no field {text_field!r}"
    if not isinstance(record[text_field], str):
        return record, f"field {text_field!r} is not a string"
    return record, None


def piece_starts(text: str, limit: int) -> List[int]:
    """Where each piece of at most ``limit`` characters begins: after the last
    sentence end that fits, else after the last comma or space, else at the limit."""
    if limit < 1:
        raise ValueError(f"piece length must be at least 1, got {limit}")
    starts = [0]
    while len(text) - starts[-1] > limit:
        begin = starts[-1]
        window = text[begin : begin + limit]
        cut = _last_break(window, SENTENCE_ENDS) or _last_break(window, WEAK_BREAKS) or limit
        starts.append(begin + cut)
    return starts


def sentences(text: str) -> List[str]:
    """The text cut after each sentence end, blank pieces left out."""
    pieces, start = [], 0
    for i, char in enumerate(text):
        if char in SENTENCE_ENDS:
            pieces.append(text[start : i + 1])
            start = i + 1
    pieces.append(text[start:])
    return [piece for piece in pieces if piece.strip()]


def _last_break(window: str, breaks: frozenset) -> int:
    for i in range(len(window) - 1, 0, -1):
        if window[i - 1] in breaks:
            return i
    return 0


def entities_of(doc: Doc, offset: int = 0) -> List[Dict[str, Any]]:
    return [
        {
            "start": offset + ent.start_char,
            "end": offset + ent.end_char,
            "label": ent.label_,
            "text": ent.text,
            "confidence": None if ent._.get("confidence") is None else round(ent._.confidence, 4),
        }
        for ent in doc.ents
    ]


def _annotate(nlp: Language, texts: Sequence[str], batch_size: int, piece_length: int) -> List[List[Dict[str, Any]]]:
    pieces = []  # (record index, offset, piece)
    for index, text in enumerate(texts):
        starts = piece_starts(text, piece_length)
        pieces += [(index, start, text[start:end]) for start, end in zip(starts, [*starts[1:], len(text)])]
    entities: List[List[Dict[str, Any]]] = [[] for _ in texts]
    docs = nlp.pipe((piece for _, _, piece in pieces), batch_size=batch_size)
    for (index, offset, _), doc in zip(pieces, docs):
        entities[index] += entities_of(doc, offset)
    return entities


def annotate_texts(
    nlp: Language, texts: Sequence[object], batch_size: int = 32, piece_length: int = PIECE_LENGTH
) -> List[Outcome]:
    """One outcome per text, in order."""
    piece_length = min(piece_length, nlp.max_length)
    outcomes = [Outcome(error=text_problem(text)) for text in texts]
    good = [i for i, outcome in enumerate(outcomes) if outcome.error is None]
    try:
        results = _annotate(nlp, [texts[i] for i in good], batch_size, piece_length)  # type: ignore[misc]
    except Exception:  # a record broke the batch: redo one at a time to keep the others
        results = None
    for position, i in enumerate(good):
        if results is not None:
            outcomes[i] = Outcome(entities=results[position])
            continue
        try:
            outcomes[i] = Outcome(entities=_annotate(nlp, [texts[i]], 1, piece_length)[0])  # type: ignore[list-item]
        except Exception as error:  # reported with the record's line by the caller, never fatal to the run
            outcomes[i] = Outcome(error=f"{type(error).__name__}: {error}")
    return outcomes
