"""``python -m spacy_cner convert {yidu,jsonl,conll}``: annotated files to ``.spacy``."""

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import List, Optional

from spacy.tokens import DocBin

from ..data import yidu_s4k
from ..data.labels import YIDU_S4K_LABELS, invert, load_label_map
from ..data.readers import read_char_conll, read_cmeee, read_span_jsonl
from ..data.records import Record, records_to_docs, relabel, split_records
from . import good


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("convert", help="convert annotated records to .spacy files")
    formats = parser.add_subparsers(dest="format", required=True)

    yidu = formats.add_parser("yidu", help="Yidu-S4K: train/dev/test .spacy from the official files")
    yidu.add_argument("data_dir", type=Path, help="folder with the Yidu-S4K subtask1 files")
    yidu.add_argument("output_dir", type=Path)
    yidu.add_argument("--dev-size", type=int, default=100, help="training records held out as dev set")
    yidu.add_argument("--seed", type=int, default=0)
    yidu.add_argument("--label-map", type=Path, help="JSON {source label: name}; default: English names")
    yidu.set_defaults(run=convert_yidu)

    cmeee = formats.add_parser("cmeee", help="CMeEE (CBLUE) JSON: train/dev/test .spacy keeping nested entities")
    cmeee.add_argument("input", type=Path, help="a CMeEE JSON file (a labelled set)")
    cmeee.add_argument("output_dir", type=Path)
    cmeee.add_argument("--dev-size", type=int, default=500)
    cmeee.add_argument("--test-size", type=int, default=1000)
    cmeee.add_argument("--seed", type=int, default=0)
    cmeee.add_argument("--spans-key", default="sc", help="doc.spans key of every entity; doc.ents keeps the outermost")
    cmeee.set_defaults(run=convert_cmeee)

    for name, help_text in (
        ("jsonl", 'JSON lines {"text": ..., "spans": [{"start", "end", "label"}]}'),
        ("conll", "one character and its BIO/BIOES/BMES tag per line, blank line between records"),
    ):
        sub = formats.add_parser(name, help=help_text)
        sub.add_argument("input", type=Path)
        sub.add_argument("output", type=Path, help="the .spacy file to write")
        sub.add_argument("--label-map", type=Path, help="JSON {source label: name}; default: keep labels")
        sub.add_argument("--spans-key", help="every entity also in doc.spans[KEY]; jsonl may then nest (cner_spans)")
        sub.add_argument("--dev-output", type=Path, help="hold --dev-size records out into this .spacy file")
        sub.add_argument("--dev-size", type=int, default=0)
        sub.add_argument("--seed", type=int, default=0, help="of the dev records drawn")
        if name == "jsonl":
            sub.add_argument("--text-field", default="text")
            sub.add_argument("--spans-field", default="spans")
        sub.set_defaults(run=convert_generic)


def convert_yidu(args: argparse.Namespace) -> None:
    mapping = load_label_map(args.label_map, YIDU_S4K_LABELS)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        records = yidu_s4k.read_split(args.data_dir, split)
        counts_in = yidu_s4k.check_counts(records, split)
        records = relabel(records, mapping)
        if split == "train":
            kept, held_out = split_records(records, args.dev_size, args.seed)
            counts_out = write_docbin(kept, args.output_dir / "train.spacy")
            counts_out += write_docbin(held_out, args.output_dir / "dev.spacy")
        else:
            counts_out = write_docbin(records, args.output_dir / "test.spacy")
        print(f"Yidu-S4K {split}: {len(records)} records; entities per label, read -> written:")
        for source in yidu_s4k.EXPECTED_COUNTS[split]:
            print(f"  {source}\t{mapping[source]}\t{counts_in[source]} -> {counts_out[mapping[source]]}")
        print(f"  total\t\t{sum(counts_in.values())} -> {sum(counts_out.values())}")
    (args.output_dir / "labels.json").write_text(
        json.dumps(invert(mapping), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def convert_generic(args: argparse.Namespace) -> None:
    if args.format == "jsonl":
        records = read_span_jsonl(args.input, args.text_field, args.spans_field)
    else:
        records = read_char_conll(args.input)
    if args.label_map:
        records = relabel(records, load_label_map(args.label_map, {}))
    if (args.dev_output is None) != (args.dev_size == 0):
        raise ValueError("give --dev-output and a --dev-size above 0 together, to hold out a dev set")
    kept, held_out = split_records(records, args.dev_size, args.seed) if args.dev_output else (records, [])
    for path, part in ((args.output, kept), (args.dev_output, held_out)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_docbin(part, path, args.spans_key)


def convert_cmeee(args: argparse.Namespace) -> None:
    records = read_cmeee(args.input)
    rest, test = split_records(records, args.test_size, args.seed)
    train, dev = split_records(rest, args.dev_size, args.seed)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    index = {id(record): i for i, record in enumerate(records)}
    for name, part in (("train", train), ("dev", dev), ("test", test)):
        write_docbin(part, args.output_dir / f"{name}.spacy", args.spans_key)
    split = {name: [index[id(r)] for r in part] for name, part in (("train", train), ("dev", dev), ("test", test))}
    dataset = f"{args.input.name} split into train / dev / test with seed {args.seed}"
    split_file = {"dataset": dataset, "source": str(args.input), "seed": args.seed, "records": split}
    (args.output_dir / "split.json").write_text(json.dumps(split_file) + "\n", encoding="utf-8")
    good(f"{args.output_dir}/split.json: record indices of each part (seed {args.seed})")


def write_docbin(records: List[Record], path: Path, spans_key: Optional[str] = None) -> Counter:
    """Convert (every entity checked to survive) and save; print and return counts per label."""
    docs = records_to_docs(records, spans_key=spans_key)
    DocBin(docs=docs, store_user_data=False).to_disk(path)
    counts = Counter(span.label_ for doc in docs for span in (doc.spans[spans_key] if spans_key else doc.ents))
    summary = ", ".join(f"{label} {counts[label]}" for label in sorted(counts))
    good(f"{path}: {len(docs)} records, {sum(counts.values())} entities ({summary})")
    return counts
