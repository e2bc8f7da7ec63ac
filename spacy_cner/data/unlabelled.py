"""Unlabelled text for pretraining and self-training, and the guard that keeps
evaluation text out of it."""

import csv
import json
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Set, Tuple

from spacy.tokens import DocBin
from spacy.vocab import Vocab

OVERLAP_CHARS = 20  # a shared run this long counts as the same text


def read_texts(path: Path, text_field: str = "text", csv_columns: Optional[Sequence[str]] = None) -> List[str]:
    """The texts of a file, by its suffix: ``.txt`` (one record per line),
    ``.jsonl`` (one object per line), ``.json`` (an array of objects or strings),
    ``.csv`` (the named columns of each row, joined by a line break; default all)
    or ``.spacy``. Empty texts are skipped."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".spacy":
        texts = [doc.text for doc in DocBin().from_disk(path).get_docs(Vocab())]
    elif suffix == ".json":
        texts = [_text_of(item, text_field, f"{path}[{i}]") for i, item in enumerate(json.loads(_read(path)))]
    elif suffix == ".jsonl":
        texts = [
            _text_of(json.loads(line), text_field, f"{path}:{number}")
            for number, line in enumerate(_read(path).splitlines(), 1)
            if line.strip()
        ]
    elif suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        columns = list(csv_columns or (rows[0].keys() if rows else []))
        missing = [c for c in columns if rows and c not in rows[0]]
        if missing:
            raise ValueError(f"{path}: no column {missing}; its columns are {list(rows[0])}")
        texts = ["\n".join(row[c] for c in columns if row[c]) for row in rows]
    else:
        texts = _read(path).splitlines()
    return [text for text in texts if text.strip()]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text (byte {error.start})") from None


def _text_of(item: object, field: str, source: str) -> str:
    text = item if isinstance(item, str) else item.get(field) if isinstance(item, dict) else None
    if not isinstance(text, str):
        raise ValueError(f"{source}: expected a string or an object with a string {field!r}")
    return text


def _runs(text: str, n: int) -> Set[str]:
    return {text[i : i + n] for i in range(len(text) - n + 1)} if len(text) >= n else {text}


def drop_overlapping(texts: Iterable[str], evaluation: Iterable[str], n: int = OVERLAP_CHARS) -> Tuple[List[str], int]:
    """The texts that share no run of ``n`` characters with any evaluation text
    (an evaluation text of ``n // 2`` to ``n`` characters counts if it occurs
    whole; shorter ones are too common to mean anything), and how many were dropped."""
    runs: Set[str] = set()
    short: List[str] = []
    for text in evaluation:
        if len(text) >= n:
            runs |= _runs(text, n)
        elif len(text.strip()) >= n // 2:
            short.append(text)
    kept, dropped = [], 0
    for text in texts:
        if any(text[i : i + n] in runs for i in range(len(text) - n + 1)) or any(s in text for s in short):
            dropped += 1
        else:
            kept.append(text)
    return kept, dropped
