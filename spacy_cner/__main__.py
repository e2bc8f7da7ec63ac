"""``python -m spacy_cner COMMAND`` (also ``python -m spacy cner COMMAND``): data conversion and
joining, resumable training and refits, evaluation, bulk annotation, backbone adaptation, character vectors,
self-training data and character codes."""

import argparse
import sys
from typing import List, Optional

from .cli import (
    adapt,
    annotate,
    annotate_spark,
    backbone,
    char_vectors,
    codes,
    convert,
    evaluate,
    fetch,
    join,
    pseudo_label,
    refit,
    run_reporting_errors,
    train,
)

COMMAND_MODULES = (
    fetch,
    convert,
    join,
    train,
    refit,
    evaluate,
    annotate,
    annotate_spark,
    codes,
    backbone,
    adapt,
    char_vectors,
    pseudo_label,
)


class Parser(argparse.ArgumentParser):
    def command_choices(self) -> List[argparse.Action]:
        """One action per command, with its name (``dest``) and ``help``."""
        (commands,) = (a for a in self._actions if isinstance(a, argparse._SubParsersAction))
        return list(commands._choices_actions)


def build_parser() -> Parser:
    parser = Parser(prog="python -m spacy_cner", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.add_arguments(commands)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "takes_overrides", False):  # only commands that pass config overrides on
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.overrides = extra
    return run_reporting_errors(args)


if __name__ == "__main__":
    sys.exit(main())
