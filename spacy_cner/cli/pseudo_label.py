"""``python -m spacy_cner pseudo-label MODEL OUTPUT.spacy TEXTS...``: a trained model's
confident sentences from unlabelled text, to train on beside the gold records."""

import argparse
from pathlib import Path

from ..data.pseudo_labels import pseudo_label
from ..data.records import records_to_docs
from ..model_loading import load_pipeline
from . import good
from .unlabelled_text import add_text_arguments, read_unlabelled


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pseudo-label", help="confidently annotated sentences of unlabelled text, as .spacy")
    parser.add_argument("model", help="the teacher: a trained cner pipeline")
    parser.add_argument("output", type=Path, help="the .spacy file to write")
    add_text_arguments(parser)
    parser.add_argument("--threshold", type=float, default=0.9, help="least confidence of every entity kept")
    parser.add_argument("--keep-empty", action="store_true", help="also keep sentences with no entity")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    from spacy.tokens import DocBin

    texts, refused = read_unlabelled(args)
    records, stats = pseudo_label(load_pipeline(args.model), texts, args.threshold, args.keep_empty, progress=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=records_to_docs(records), store_user_data=False).to_disk(args.output)
    good(
        f"{args.output}: {stats.kept:,} of {stats.sentences:,} sentences kept with {stats.entities:,} entities; "
        f"{stats.below_threshold:,} had an entity below {args.threshold}; "
        f"{refused:,} texts refused for sharing text with --exclude"
    )
