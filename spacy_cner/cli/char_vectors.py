"""``python -m spacy_cner char-vectors OUTPUT TEXTS...``: character vectors trained on
your own unlabelled text, for the ``CharVectors`` feature (``--paths.vectors OUTPUT``)."""

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from ..data.char_vectors import CharVectorSettings, train_char_vectors
from . import good, info
from .unlabelled_text import add_text_arguments, read_unlabelled

REPORT = "char_vectors.json"


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "char-vectors", help="train character vectors (word2vec) on unlabelled text, for the CharVectors feature"
    )
    parser.add_argument("output", type=Path, help="the vectors folder to write (a spaCy pipeline holding the table)")
    add_text_arguments(parser)
    for name, value in asdict(CharVectorSettings()).items():
        if isinstance(value, bool):
            parser.add_argument(f"--{name}", action="store_true", help=f"also train {name} (BigramVectors)")
        else:
            parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    import spacy

    settings = CharVectorSettings(**{name: getattr(args, name) for name in asdict(CharVectorSettings())})
    texts, refused = read_unlabelled(args)
    info(f"{len(texts):,} texts ({sum(map(len, texts)):,} chars); {refused:,} refused for sharing text with --exclude")
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "spacy_cner.CharTokenizer.v1"}}})
    report = train_char_vectors(nlp, texts, settings)
    report.update({"sources": [str(p) for p in args.texts], "excluded": [str(p) for p in args.exclude]})
    report["refused_texts"] = refused
    nlp.to_disk(args.output)
    (args.output / REPORT).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    bigrams = f" and {report['bigrams_vectors']:,} bigram" if settings.bigrams else ""
    good(
        f"{args.output}: {report['characters_vectors']:,} character{bigrams} vectors of width {settings.width} from "
        f"{report['characters']:,} characters; train with --paths.vectors {args.output}"
    )
