"""Readers from annotated files to ``Record``s.

- Yidu-S4K: JSON lines ``{"originalText", "entities": [{"label_type", "start_pos", "end_pos"}]}``
- generic JSON lines: ``{"text", "spans": [{"start", "end", "label"}]}``
- character-per-line CoNLL: ``char<TAB or space>tag``, a blank line between records,
  tags in BIO, BIOES or BMES.
- CMeEE (CBLUE): a JSON array of ``{"text", "entities": [{"start_idx", "end_idx", "type", "entity"}]}``,
  ``end_idx`` inclusive; entities may nest.
"""

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple, Union

from .records import AnnotationError, Entity, Record

PathLike = Union[str, Path]


def _json_lines(path: PathLike) -> Iterator[Tuple[str, Dict[str, Any]]]:
    with open(path, "rb") as lines:
        for number, raw in enumerate(lines, start=1):
            source = f"{path}:{number}"
            try:
                # utf-8-sig: Yidu-S4K's training files start with a byte-order mark.
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise AnnotationError(f"{source}: invalid UTF-8 at byte {error.start}") from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as error:
                raise AnnotationError(f"{source}: not valid JSON ({error.msg})") from None
            if not isinstance(obj, dict):
                raise AnnotationError(f"{source}: expected a JSON object")
            yield source, obj


def _field(obj: Dict[str, Any], key: str, kind: type, source: str) -> Any:
    if key not in obj:
        raise AnnotationError(f"{source}: missing field {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):  # true is not an offset
        raise AnnotationError(f"{source}: field {key!r} should be {kind.__name__}, got {json.dumps(value)}")
    return value


def read_yidu_s4k(path: PathLike) -> List[Record]:
    records = []
    for source, obj in _json_lines(path):
        entities = [
            Entity(
                _field(e, "start_pos", int, source),
                _field(e, "end_pos", int, source),
                _field(e, "label_type", str, source),
            )
            for e in _field(obj, "entities", list, source)
        ]
        records.append(Record(_field(obj, "originalText", str, source), entities, source))
    return records


def read_span_jsonl(path: PathLike, text_field: str = "text", spans_field: str = "spans") -> List[Record]:
    """A record without the spans field has no entities; a file in which no
    record has it names the wrong field, and is refused."""
    records, seen_field = [], False
    for source, obj in _json_lines(path):
        spans = obj.get(spans_field, [])
        seen_field = seen_field or spans_field in obj
        if not isinstance(spans, list) or not all(isinstance(span, dict) for span in spans):
            raise AnnotationError(
                f"{source}: field {spans_field!r} should be a list of {{start, end, label}} objects, "
                f"got {json.dumps(spans, ensure_ascii=False)}"
            )
        entities = [
            Entity(_field(s, "start", int, source), _field(s, "end", int, source), _field(s, "label", str, source))
            for s in spans
        ]
        records.append(Record(_field(obj, text_field, str, source), entities, source))
    if records and not seen_field:
        raise AnnotationError(
            f"{path}: no record has a field {spans_field!r}; name the entities field with --spans-field"
        )
    return records


def read_char_conll(path: PathLike) -> List[Record]:
    records: List[Record] = []
    chars: List[str] = []
    tags: List[str] = []
    first_line = 1

    def flush() -> None:
        if chars:
            source = f"{path}:{first_line}"
            records.append(Record("".join(chars), _tags_to_entities(tags, source), source))
        chars.clear()
        tags.clear()

    with open(path, encoding="utf-8-sig") as lines:
        for number, raw in enumerate(lines, start=1):
            line = raw.rstrip("\r\n")
            # The first character is the token (it may itself be a space), then one
            # separator, then the tag.
            if len(line) >= 3 and line[1] in " \t" and line[2:].strip():
                if not chars:
                    first_line = number
                chars.append(line[0])
                tags.append(line[2:].strip())
            elif not line.strip():
                flush()
            else:
                raise AnnotationError(f"{path}:{number}: expected 'character<TAB>tag', got {line!r}")
    flush()
    return records


def _tags_to_entities(tags: List[str], source: str) -> List[Entity]:
    """BIO / BIOES / BMES tags to spans. A stray I-/M-/E- opens a new entity
    (the conlleval convention) instead of being dropped."""
    entities: List[Entity] = []
    start, label = -1, ""

    def close(end: int) -> None:
        nonlocal start, label
        if start >= 0:
            entities.append(Entity(start, end, label))
        start, label = -1, ""

    for i, tag in enumerate(tags):
        if tag == "O":
            close(i)
            continue
        if "-" not in tag:
            raise AnnotationError(f"{source}: token {i} has tag {tag!r}; expected O or X-label")
        move, tag_label = tag.split("-", 1)
        if move not in {"B", "I", "M", "E", "S"}:
            raise AnnotationError(f"{source}: token {i} has tag {tag!r}; moves are B, I, M, E, S")
        if move in {"B", "S"} or tag_label != label:
            close(i)
            start, label = i, tag_label
        if move in {"E", "S"}:
            close(i + 1)
    close(len(tags))
    return entities


def read_cmeee(path: PathLike) -> List[Record]:
    """CMeEE records with every entity, nested ones included; each entity's
    ``entity`` text, where given, must be what its offsets cut from the text."""
    try:
        items = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AnnotationError(f"{path}: not a UTF-8 JSON file ({error})") from None
    if not isinstance(items, list):
        raise AnnotationError(f"{path}: expected a JSON array of records")
    records = []
    for index, item in enumerate(items):
        source = f"{path}[{index}]"
        if not isinstance(item, dict):
            raise AnnotationError(f"{source}: expected a JSON object")
        text = _field(item, "text", str, source)
        entities = []
        for entity in _field(item, "entities", list, source):
            start, last = _field(entity, "start_idx", int, source), _field(entity, "end_idx", int, source)
            if "entity" in entity and text[start : last + 1] != entity["entity"]:
                raise AnnotationError(f"{source}: {entity['entity']!r} is not text[{start}:{last + 1}]")
            entities.append(Entity(start, last + 1, _field(entity, "type", str, source)))
        records.append(Record(text, entities, source))
    return records
