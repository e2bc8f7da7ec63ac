"""``python -m spacy_cner annotate MODEL INPUT OUTPUT``: annotate EMR files in bulk.

INPUT is plain text (one record per line) or JSON lines (``--text-field`` names
the text). OUTPUT is JSON lines: every input field, plus ``entities`` with
start, end (character offsets into the text), label, text and confidence.

What it guarantees:
- Every argument, the input and the model are checked before anything is
  written; the input can never be the output. OUTPUT appears only when the run
  is complete (written as ``OUTPUT.part``, then renamed), so an interrupted run
  never leaves a half-replaced file.
- A bad line or record (bad JSON or UTF-8, no text, text that is not valid
  Unicode, a record the pipeline fails on) is reported with its line number and
  skipped (``--on-error stop`` stops instead); the others of its batch are kept.
  Records longer than ``--piece-length`` are annotated in pieces cut at sentence
  ends, so none is skipped for its length.
- ``--resume`` continues an interrupted run exactly once per record: progress is
  recorded with the input's fingerprint, the model and the options beside
  ``OUTPUT.part``, and a resume from another input, model or options is refused.
  With ``--id-field``, records whose id is already written are skipped instead.
- One writer per output: a second run on the same OUTPUT fails at once.
- The summary counts only what is durably on disk; worker processes
  (``--n-process``) end with their parent.
"""

import argparse
import concurrent.futures
import ctypes
import fcntl
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any, Dict, Iterable, Iterator, List, Optional, Set, Tuple

from spacy import displacy
from spacy.language import Language
from tqdm import tqdm

from ..annotation import PIECE_LENGTH, Outcome, annotate_texts, parse_json_record
from ..model_loading import PRECISIONS, load_pipeline
from . import good, info, warn

PALETTE = ["#f4a582", "#92c5de", "#b8e186", "#fdb863", "#c2a5cf", "#80cdc1", "#f1b6da", "#d9d9d9"]
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
FINGERPRINT_BYTES = 1 << 20


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("annotate", help="annotate a text or JSONL file of records")
    parser.add_argument("model", help="pipeline directory or installed package, e.g. zh_cner_emr")
    parser.add_argument("input", type=Path, help="text (one record per line) or .jsonl")
    parser.add_argument("output", type=Path, help="JSONL to write")
    parser.add_argument("--format", choices=("auto", "text", "jsonl"), default="auto")
    parser.add_argument("--text-field", default="text", help="JSONL field holding the text")
    parser.add_argument("--entities-field", default="entities", help="output field for the entities (must be new)")
    parser.add_argument("--id-field", help="JSONL field with a unique record id: --resume then skips ids done")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--n-process", type=positive_int, default=1)
    parser.add_argument("--piece-length", type=positive_int, default=PIECE_LENGTH, help="longer records go in pieces")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32", help="int8 or bfloat16: faster on CPU")
    parser.add_argument("--on-error", choices=("skip", "stop"), default="skip")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run on the same input")
    parser.add_argument("--html", type=Path, help="also write displaCy HTML of the first --html-limit records")
    parser.add_argument("--html-limit", type=int, default=200)
    parser.set_defaults(run=run)


class InputError(ValueError):
    pass


@dataclass
class Line:
    number: int
    record: Optional[Dict[str, Any]] = None
    text: str = ""
    error: Optional[str] = None


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


def input_format(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    if path.suffix.lower() not in JSONL_SUFFIXES:
        return "text"
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        raise InputError(f"{path} is a JSON array; annotate reads JSON lines, one object per line (e.g. jq -c '.[]')")
    return "jsonl"


def parse_line(raw: bytes, number: int, fmt: str, text_field: str, entities_field: str) -> Line:
    try:
        line = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
    except UnicodeDecodeError as error:
        return Line(number, error=f"invalid UTF-8 at byte {error.start}")
    if fmt == "text":
        return Line(number, {"text": line}, line)
    record, error = parse_json_record(line, text_field)
    if record is not None and entities_field in record:
        raise InputError(
            f"line {number} already has a field {entities_field!r}: choose another --entities-field "
            "(every input field is kept as it is)"
        )
    if record is None or error is not None:
        return Line(number, error=error)
    return Line(number, record, record[text_field])


def read_lines(path: Path, fmt: str, text_field: str, entities_field: str, after: int = 0) -> Iterator[Line]:
    with open(path, "rb") as raw_lines:
        for number, raw in enumerate(islice(raw_lines, after, None), start=after + 1):
            yield parse_line(raw, number, fmt, text_field, entities_field)


def fingerprint(path: Path) -> Dict[str, Any]:
    with open(path, "rb") as handle:
        head = handle.read(FINGERPRINT_BYTES)
    return {"path": str(path.resolve()), "size": path.stat().st_size, "head_sha256": hashlib.sha256(head).hexdigest()}


class Output:
    """``OUTPUT.part`` (locked while written) and its manifest ``OUTPUT.part.json``.

    ``commit`` appends rows, syncs them to disk, then records the new length and
    the last input line done; a resume first cuts the file back to that length.
    """

    def __init__(self, path: Path) -> None:
        """Take the lock: a second writer fails here, before it loads a model."""
        self.path, self.part, self.manifest_path = path, Path(f"{path}.part"), Path(f"{path}.part.json")
        try:
            self.handle: IO[bytes] = open(self.part, "a+b")
        except OSError as error:
            raise InputError(f"cannot write next to {path}: {error.strerror}") from None
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.close()
            raise InputError(
                f"{path} is being written by another annotate run; wait for it or choose another output"
            ) from None

    def begin(self, manifest: Dict[str, Any], resume: bool) -> None:
        """Start afresh, or continue where the manifest says after checking it is the same run."""
        self.manifest = manifest
        progress = {"lines_done": 0, "bytes_done": 0, "written": 0}
        if resume:
            progress = self._resumable_progress()
        self.progress = progress
        self.handle.truncate(progress["bytes_done"])
        self.handle.seek(0, os.SEEK_END)

    def _resumable_progress(self) -> Dict[str, int]:
        if not self.manifest_path.exists():
            raise InputError(f"nothing to resume: no interrupted run of {self.path} (no {self.manifest_path.name})")
        saved = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        id_resume = self.manifest["options"]["id_field"] is not None
        for key in ("model", "options") if id_resume else ("input", "model", "options"):
            if saved[key] != self.manifest[key]:
                raise InputError(
                    f"cannot resume {self.path}: its {key} was {saved[key]}, now {self.manifest[key]}; "
                    "run without --resume to start over"
                )
        return saved["progress"]

    def ids_done(self, id_field: str) -> Set[Any]:
        self.handle.seek(0)
        ids = {json.loads(line)[id_field] for line in self.handle.read().splitlines() if line.strip()}
        self.handle.seek(0, os.SEEK_END)
        return ids

    def commit(self, rows: List[str], lines_done: int) -> None:
        self.handle.write("".join(rows).encode("utf-8"))
        self.handle.flush()
        os.fsync(self.handle.fileno())
        progress = {"lines_done": lines_done, "bytes_done": self.handle.tell(), "written": self.written + len(rows)}
        _write_atomically(self.manifest_path, {**self.manifest, "progress": progress})
        self.progress = progress

    @property
    def written(self) -> int:
        return self.progress["written"]

    def finish(self) -> None:
        """Make OUTPUT the complete file; its manifest stays beside it."""
        os.replace(self.part, self.path)
        os.replace(self.manifest_path, Path(f"{self.path}.manifest.json"))
        self.close()

    def close(self) -> None:
        self.handle.close()


def _write_atomically(path: Path, content: Dict[str, Any]) -> None:
    temporary = Path(f"{path}.tmp")
    temporary.write_text(json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)


def check_paths(args: argparse.Namespace) -> None:
    """Everything about the paths that can be known before writing."""
    if not args.input.exists():
        raise FileNotFoundError(f"{args.input} does not exist")
    if not args.input.is_file():
        raise InputError(f"{args.input} is not a file")
    if args.output.is_dir():
        raise InputError(f"{args.output} is a directory; give the path of the JSONL file to write")
    if not args.output.parent.is_dir():
        raise InputError(f"cannot write {args.output}: {args.output.parent} is not a directory")
    for target in (args.output, Path(f"{args.output}.part")):
        if target.exists() and os.path.samefile(args.input, target):
            raise InputError(f"{args.input} is both the input and the output; choose another output")
    if args.input.resolve() == args.output.resolve():
        raise InputError(f"{args.input} is both the input and the output; choose another output")


def run(args: argparse.Namespace) -> None:
    check_paths(args)
    fmt = input_format(args.input, args.format)
    if args.id_field and fmt != "jsonl":
        raise InputError("--id-field needs JSON lines input")
    output = Output(args.output)
    try:
        annotate_into(output, args, fmt)
    finally:
        output.close()


def annotate_into(output: Output, args: argparse.Namespace, fmt: str) -> None:
    nlp = load_pipeline(args.model, args.precision)
    options = {
        "format": fmt,
        "text_field": args.text_field,
        "entities_field": args.entities_field,
        "id_field": args.id_field,
        "piece_length": args.piece_length,
    }
    model = {"name": args.model, "pipeline": nlp.pipe_names, "meta": {k: nlp.meta.get(k) for k in ("name", "version")}}
    model["precision"] = args.precision
    output.begin({"input": fingerprint(args.input), "model": model, "options": options}, args.resume)
    summary = Summary(resumed=output.written)
    html: List[Dict[str, Any]] = []
    started = time.perf_counter()
    try:
        with (
            Annotator(args.model, nlp, args) as annotator,
            tqdm(desc="annotating", unit=" records", file=sys.stderr, disable=None) as progress,
        ):
            after = 0 if args.id_field else output.progress["lines_done"]
            lines = read_lines(args.input, fmt, args.text_field, args.entities_field, after)
            done = output.ids_done(args.id_field) if args.id_field and args.resume else set()
            for batch, outcomes in annotator.run(_batches(lines, args.batch_size, summary)):
                rows, stop = [], None
                for line, outcome in zip(batch, outcomes):
                    error = line.error or outcome.error
                    if error is None and args.id_field:
                        error = _id_problem(line.record, args.id_field, done)
                    if error == "already written":
                        summary.resumed += 1
                        continue
                    if error is not None:
                        if args.on_error == "stop":
                            stop = InputError(f"{args.input}:{line.number}: {error} (stopped: --on-error stop)")
                            break
                        summary.skipped.append((line.number, error))
                        warn(f"{args.input}:{line.number}: {error} (skipped)")
                        continue
                    line.record[args.entities_field] = outcome.entities
                    rows.append(json.dumps(line.record, ensure_ascii=False) + "\n")
                    summary.chars += len(line.text)
                    if args.html and len(html) < args.html_limit:
                        html.append({"text": line.text, "ents": outcome.entities, "title": f"line {line.number}"})
                _commit(output, rows, batch[-1].number if stop is None else line.number - 1, args.output)
                summary.written += len(rows)
                progress.update(len(batch))
                progress.set_postfix(
                    chars_per_s=f"{summary.chars / (time.perf_counter() - started):,.0f}", refresh=False
                )
                if stop is not None:
                    raise stop
        output.finish()
    finally:
        info(summary.report(time.perf_counter() - started))
    if args.html:
        write_html(html, args.html)


def _commit(output: Output, rows: List[str], lines_done: int, path: Path) -> None:
    try:
        output.commit(rows, lines_done)
    except OSError as error:
        raise InputError(
            f"could not write {path}: {error.strerror}. {output.written} records are safely written "
            f"(input lines 1-{output.progress['lines_done']}); fix the cause and rerun with --resume"
        ) from None


def _id_problem(record: Dict[str, Any], id_field: str, done: Set[Any]) -> Optional[str]:
    if id_field not in record:
        return f"no id field {id_field!r}"
    if record[id_field] in done:
        return "already written"
    done.add(record[id_field])
    return None


def _batches(lines: Iterable[Line], size: int, summary: Summary) -> Iterator[List[Line]]:
    batch: List[Line] = []
    for line in lines:
        summary.read += 1
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Annotator:
    """Annotates batches in this process, or in ``n_process`` workers that each
    load the pipeline once and die with their parent; results come in input order."""

    def __init__(self, model: str, nlp: Language, args: argparse.Namespace) -> None:
        self.nlp, self.batch_size, self.piece_length = nlp, args.batch_size, args.piece_length
        self.pool: Optional[concurrent.futures.ProcessPoolExecutor] = None
        if args.n_process > 1:
            self.pool = concurrent.futures.ProcessPoolExecutor(
                args.n_process,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(model, args.precision, args.batch_size, args.piece_length, os.getpid()),
            )
            self.in_flight = 2 * args.n_process

    def __enter__(self) -> "Annotator":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def run(self, batches: Iterable[List[Line]]) -> Iterator[Tuple[List[Line], List[Outcome]]]:
        if self.pool is None:
            for batch in batches:
                yield (
                    batch,
                    annotate_texts(self.nlp, [_text(line) for line in batch], self.batch_size, self.piece_length),
                )
            return
        pending: List[Tuple[List[Line], concurrent.futures.Future]] = []
        for batch in batches:
            pending.append((batch, self.pool.submit(_annotate_in_worker, [_text(line) for line in batch])))
            if len(pending) >= self.in_flight:
                done, future = pending.pop(0)
                yield done, future.result()
        for done, future in pending:
            yield done, future.result()


def _text(line: Line) -> str:
    return line.text if line.error is None else ""


_WORKER: Dict[str, Any] = {}


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this worker when its parent dies, even by SIGKILL (Linux)."""
    if not sys.platform.startswith("linux"):
        return
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    if prctl(1, int(signal.SIGKILL), 0, 0, 0) != 0:  # 1 = PR_SET_PDEATHSIG
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the call
        os._exit(1)


def _start_worker(model: str, precision: str, batch_size: int, piece_length: int, parent: int) -> None:
    _die_with_parent(parent)
    import torch

    torch.set_num_threads(1)
    _WORKER.update(nlp=load_pipeline(model, precision), batch_size=batch_size, piece_length=piece_length)


def _annotate_in_worker(texts: List[str]) -> List[Outcome]:
    return annotate_texts(_WORKER["nlp"], texts, _WORKER["batch_size"], _WORKER["piece_length"])


def write_html(records: List[Dict[str, Any]], path: Path) -> None:
    labels = sorted({ent["label"] for record in records for ent in record["ents"]})
    colors = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}
    html = displacy.render(records, style="ent", page=True, manual=True, options={"colors": colors})
    path.write_text(html, encoding="utf-8")
    good(f"wrote {path} ({len(records)} records)")
