"""``python -m spacy_cner codes TEXT``: each character's Wubi, Zheng, pinyin and stroke codes."""

import argparse

from ..features.char_codes import CODE_TYPES, codes_of


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("codes", help="print the character codes the features use")
    parser.add_argument("text", help="pinyin is read in context, so pass whole words or sentences")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    columns = [codes_of(args.text, code_type) for code_type in CODE_TYPES]
    for char, *codes in zip(args.text, *columns):
        print("\t".join([char, *codes]))
