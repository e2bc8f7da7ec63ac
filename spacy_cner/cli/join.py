"""``python -m spacy_cner join INPUT... --output OUTPUT``: several ``.spacy`` files as one, e.g. train and dev."""

import argparse
from pathlib import Path

from ..data.docbins import join_docbins
from . import good


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("join", help="join .spacy files into one, records in order (e.g. train + dev)")
    parser.add_argument("inputs", type=Path, nargs="+", help="the .spacy files, in the order their records go")
    parser.add_argument("--output", "-o", type=Path, required=True, help="the .spacy file to write")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    records = join_docbins(args.inputs, args.output)
    good(f"{args.output}: {records:,} records from {len(args.inputs)} files")
