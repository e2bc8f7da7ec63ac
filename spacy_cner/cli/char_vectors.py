"""``python -m spacy_cner char-vectors OUTPUT TEXTS...``: character vectors trained on
your own unlabelled text, for the ``CharVectors`` feature (``--paths.vectors OUTPUT``)."""

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from ..data.char_vectors import CharVectorSettings, train_char_vectors
from ..data.unlabelled import drop_overlapping, read_texts
from . import good, info

REPORT = "char_vectors.json"


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "char-vectors", help="train character vectors (word2vec) on unlabelled text, for the CharVectors feature"
    )
    parser.add_argument("output", type=Path, help="the vectors folder to write (a spaCy pipeline holding the table)")
    parser.add_argument("texts", type=Path, nargs="+", help=".txt / .jsonl / .json / .csv / .spacy files")
    parser.add_argument(
        "--exclude",
        type=Path,
        nargs="*",
        default=[],
        help="evaluation files: texts sharing a run with them are refused",
    )
    parser.add_argument("--text-field", default="text")
    parser.add_argument("--csv-columns", nargs="*", help="CSV columns holding text (default: all)")
    for name, value in asdict(CharVectorSettings()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    import spacy

    settings = CharVectorSettings(**{name: getattr(args, name) for name in asdict(CharVectorSettings())})
    texts = [text for path in args.texts for text in read_texts(path, args.text_field, args.csv_columns)]
    evaluation = [text for path in args.exclude for text in read_texts(path, args.text_field, args.csv_columns)]
    texts, refused = drop_overlapping(texts, evaluation)
    info(f"{len(texts):,} texts ({sum(map(len, texts)):,} chars); {refused:,} refused for sharing text with --exclude")
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "spacy_cner.CharTokenizer.v1"}}})
    report = train_char_vectors(nlp, texts, settings)
    report.update({"sources": [str(p) for p in args.texts], "excluded": [str(p) for p in args.exclude]})
    report["refused_texts"] = refused
    nlp.to_disk(args.output)
    (args.output / REPORT).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    good(
        f"{args.output}: {report['vectors']:,} character vectors of width {settings.width} from "
        f"{report['characters']:,} characters; train with --paths.vectors {args.output}"
    )
