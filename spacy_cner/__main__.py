"""``python -m spacy_cner COMMAND``: data conversion, evaluation, bulk annotation and character codes."""

import argparse
import sys
from typing import List, Optional

from .cli import adapt, annotate, backbone, codes, convert, evaluate, fetch, pseudo_label


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spacy_cner", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (fetch, convert, evaluate, annotate, codes, backbone, adapt, pseudo_label):
        module.add_arguments(commands)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
