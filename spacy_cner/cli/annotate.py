"""``python -m spacy_cner annotate MODEL INPUT OUTPUT``: annotate EMR files in bulk.

INPUT is plain text (one record per line) or JSON lines (``--text-field`` names
the text). OUTPUT is JSON lines: every input field, plus ``entities`` with
start, end (character offsets into the text), label, text and confidence.
Records stream through, so memory stays flat on any input size. A malformed
line (bad JSON, no text field, invalid UTF-8) is reported with its line number
and skipped, or stops the run with ``--on-error stop``; the summary counts every
line read, written and skipped. ``--resume`` continues after the last complete
output line.
"""

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

from spacy import displacy
from spacy.tokens import Doc
from tqdm import tqdm

from ..model_loading import load_pipeline

PALETTE = ["#f4a582", "#92c5de", "#b8e186", "#fdb863", "#c2a5cf", "#80cdc1", "#f1b6da", "#d9d9d9"]


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("annotate", help="annotate a text or JSONL file of records")
    parser.add_argument("model", help="pipeline directory or installed package, e.g. zh_cner_emr")
    parser.add_argument("input", type=Path, help="text (one record per line) or .jsonl")
    parser.add_argument("output", type=Path, help="JSONL to write")
    parser.add_argument("--format", choices=("auto", "text", "jsonl"), default="auto")
    parser.add_argument("--text-field", default="text", help="JSONL field holding the text")
    parser.add_argument("--entities-field", default="entities", help="output field for the entities")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--n-process", type=int, default=1)
    parser.add_argument("--on-error", choices=("skip", "stop"), default="skip")
    parser.add_argument("--resume", action="store_true", help="continue after the last complete output line")
    parser.add_argument("--html", type=Path, help="also write displaCy HTML of the first --html-limit records")
    parser.add_argument("--html-limit", type=int, default=200)
    parser.set_defaults(run=run)


class InputError(ValueError):
    pass


@dataclass
class Summary:
    read: int = 0
    written: int = 0
    resumed: int = 0
    skipped: List[Tuple[int, str]] = field(default_factory=list)
    chars: int = 0

    def report(self, seconds: float) -> str:
        lines = [
            f"lines read: {self.read}; written: {self.written}; already done (resume): {self.resumed}; "
            f"skipped: {len(self.skipped)}",
            f"{self.chars:,} characters in {seconds:.1f} s ({self.chars / max(seconds, 1e-9):,.0f} chars/s)",
        ]
        lines += [f"  skipped line {number}: {reason}" for number, reason in self.skipped[:20]]
        if len(self.skipped) > 20:
            lines.append(f"  ... and {len(self.skipped) - 20} more")
        return "\n".join(lines)


def read_records(path: Path, fmt: str, text_field: str, summary: Summary, stop_on_error: bool) -> Iterator:
    """Yield (record, text) per good line; bad lines go to ``summary.skipped``."""
    if fmt == "auto":
        fmt = "jsonl" if path.suffix in (".jsonl", ".json", ".ndjson") else "text"
    with open(path, "rb") as lines:
        for number, raw in enumerate(lines, start=1):
            summary.read += 1
            try:
                yield parse_line(raw, number, fmt, text_field)
            except InputError as error:
                if stop_on_error:
                    raise InputError(f"{path}:{number}: {error} (stopped: --on-error stop)") from None
                summary.skipped.append((number, str(error)))
                print(f"warning: {path}:{number}: {error} (skipped)", file=sys.stderr)


def parse_line(raw: bytes, number: int, fmt: str, text_field: str) -> Tuple[Dict[str, Any], str]:
    try:
        line = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise InputError(f"invalid UTF-8 at byte {error.start}") from None
    if fmt == "text":
        return {"text": line}, line
    if not line.strip():
        raise InputError("empty line")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON ({error.msg})") from None
    if not isinstance(record, dict):
        raise InputError("not a JSON object")
    if text_field not in record:
        raise InputError(f"no field {text_field!r}")
    if not isinstance(record[text_field], str):
        raise InputError(f"field {text_field!r} is not a string")
    return record, record[text_field]


def entities_of(doc: Doc) -> List[Dict[str, Any]]:
    return [
        {
            "start": ent.start_char,
            "end": ent.end_char,
            "label": ent.label_,
            "text": ent.text,
            "confidence": None if ent._.confidence is None else round(ent._.confidence, 4),
        }
        for ent in doc.ents
    ]


def complete_lines(path: Path) -> int:
    """Count complete lines and cut off a partly written last one."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    keep = data.rfind(b"\n") + 1
    if keep < len(data):
        with open(path, "r+b") as out:
            out.truncate(keep)
    return data[:keep].count(b"\n")


def run(args: argparse.Namespace) -> None:
    if not args.input.exists():
        raise FileNotFoundError(f"{args.input} does not exist")
    nlp = load_pipeline(args.model)
    summary = Summary()
    records = read_records(args.input, args.format, args.text_field, summary, args.on_error == "stop")
    if args.resume:
        summary.resumed = sum(1 for _ in islice(records, complete_lines(args.output)))
    html_docs: List[Doc] = []
    started = time.perf_counter()
    try:
        with (
            open(args.output, "a" if args.resume else "w", encoding="utf-8") as out,
            tqdm(desc="annotating", unit=" records", file=sys.stderr, disable=None) as progress,
        ):
            stream = ((text, record) for record, text in records)
            for doc, record in nlp.pipe(stream, as_tuples=True, batch_size=args.batch_size, n_process=args.n_process):
                record[args.entities_field] = entities_of(doc)
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                summary.written += 1
                summary.chars += len(doc.text)
                progress.update(1)
                progress.set_postfix(
                    chars_per_s=f"{summary.chars / (time.perf_counter() - started):,.0f}", refresh=False
                )
                if args.html and len(html_docs) < args.html_limit:
                    html_docs.append(doc)
    finally:
        print(summary.report(time.perf_counter() - started), file=sys.stderr)
    if args.html:
        write_html(html_docs, args.html)


def write_html(docs: List[Doc], path: Path) -> None:
    labels = sorted({ent.label_ for doc in docs for ent in doc.ents})
    colors = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}
    html = displacy.render(docs, style="ent", page=True, options={"colors": colors})
    path.write_text(html, encoding="utf-8")
    print(f"wrote {path} ({len(docs)} records)", file=sys.stderr)
