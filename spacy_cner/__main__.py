"""``python -m spacy_cner COMMAND`` (also ``python -m spacy cner COMMAND``): data conversion and
joining, evaluation, bulk annotation, backbone adaptation, character vectors, self-training data and character codes."""

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
    run_reporting_errors,
)

COMMAND_MODULES = (
    fetch,
    convert,
    join,
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
    return run_reporting_errors(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
