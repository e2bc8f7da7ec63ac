"""The unlabelled-text arguments of adapt-backbone, char-vectors and pseudo-label, and
the guard they all apply: text that shares a run with an evaluation file is refused."""

import argparse
from pathlib import Path
from typing import List, Tuple

from ..data.unlabelled import drop_overlapping, read_texts


def add_text_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("texts", type=Path, nargs="+", help=".txt / .jsonl / .json / .csv / .spacy files")
    parser.add_argument(
        "--exclude",
        type=Path,
        nargs="*",
        default=[],
        help="evaluation files: texts sharing a run with them are refused",
    )
    parser.add_argument("--text-field", default="text", help="the field of .json / .jsonl objects holding the text")
    parser.add_argument("--csv-columns", nargs="*", help="CSV columns holding text (default: all)")


def read_unlabelled(args: argparse.Namespace) -> Tuple[List[str], int]:
    """The texts of ``args.texts`` that share no run with the ``--exclude`` files, and how many were refused."""
    texts = [text for path in args.texts for text in read_texts(path, args.text_field, args.csv_columns)]
    evaluation = [text for path in args.exclude for text in read_texts(path, args.text_field, args.csv_columns)]
    return drop_overlapping(texts, evaluation)
