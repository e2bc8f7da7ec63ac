"""``python -m spacy_cner fetch-yidu DEST``: put a checked copy of Yidu-S4K in DEST."""

import argparse
from pathlib import Path

from ..data import yidu_s4k
from . import good, warn


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("fetch-yidu", help="copy (or download) Yidu-S4K and check its sha256")
    parser.add_argument("dest", type=Path)
    parser.add_argument("--local", type=Path, help="a folder that already holds the files")
    parser.add_argument("--download", action="store_true", help="download missing files from upstream")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    for warning in yidu_s4k.fetch(args.dest, args.local, args.download):
        warn(warning)
    good(f"Yidu-S4K is in {args.dest}")
