"""Readers from annotated files to ``Record``s.

- Yidu-S4K: JSON lines ``{"originalText", "entities": [{"label_type", "start_pos", "end_pos"}]}``
- generic JSON lines: ``{"text", "spans": [{"start", "end", "label"}]}``
- character-per-line CoNLL: ``char<TAB or space>tag``, a blank line between records,
  tags in BIO, BIOES or BMES.
"""

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple, Union

from .records import AnnotationError, Entity, Record

PathLike = Union[str, Path]


def _json_lines(path: PathLike) -> Iterator[Tuple[str, Dict[str, Any]]]:
    # utf-8-sig: Yidu-S4K's training files start with a byte-order mark.
    with open(path, encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            source = f"{path}:{number}"
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
    if not isinstance(obj[key], kind):
        raise AnnotationError(f"{source}: field {key!r} should be {kind.__name__}")
    return obj[key]


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
    records = []
    for source, obj in _json_lines(path):
        entities = [
            Entity(_field(s, "start", int, source), _field(s, "end", int, source), _field(s, "label", str, source))
            for s in obj.get(spans_field, [])
        ]
        records.append(Record(_field(obj, text_field, str, source), entities, source))
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
