"""``python -m spacy_cner pseudo-label MODEL OUTPUT.spacy TEXTS...``: a trained model's
confident sentences from unlabelled text, to train on beside the gold records."""

import argparse
from pathlib import Path

from ..data.pseudo_labels import pseudo_label
from ..data.records import records_to_docs
from ..data.unlabelled import drop_overlapping, read_texts
from ..model_loading import load_pipeline
from . import good


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pseudo-label", help="confidently annotated sentences of unlabelled text, as .spacy")
    parser.add_argument("model", help="the teacher: a trained cner pipeline")
    parser.add_argument("output", type=Path, help="the .spacy file to write")
    parser.add_argument("texts", type=Path, nargs="+", help=".txt / .jsonl / .json / .csv / .spacy files")
    parser.add_argument("--threshold", type=float, default=0.9, help="least confidence of every entity kept")
    parser.add_argument("--keep-empty", action="store_true", help="also keep sentences with no entity")
    parser.add_argument(
        "--exclude", type=Path, nargs="*", default=[], help="evaluation files: overlapping text is refused"
    )
    parser.add_argument("--text-field", default="text")
    parser.add_argument("--csv-columns", nargs="*")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    from spacy.tokens import DocBin

    texts = [text for path in args.texts for text in read_texts(path, args.text_field, args.csv_columns)]
    evaluation = [text for path in args.exclude for text in read_texts(path, args.text_field, args.csv_columns)]
    texts, refused = drop_overlapping(texts, evaluation)
    records, stats = pseudo_label(load_pipeline(args.model), texts, args.threshold, args.keep_empty, progress=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=records_to_docs(records), store_user_data=False).to_disk(args.output)
    good(
        f"{args.output}: {stats.kept:,} of {stats.sentences:,} sentences kept with {stats.entities:,} entities; "
        f"{stats.below_threshold:,} had an entity below {args.threshold}; "
        f"{refused:,} texts refused for sharing text with --exclude"
    )
