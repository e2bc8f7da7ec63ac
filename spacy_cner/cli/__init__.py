"""The commands of ``python -m spacy_cner`` (and ``python -m spacy cner``), one module each.

Output conventions: records and reports are written with the standard ``json``
module and ``ensure_ascii=False``, because srsly's encoder escapes every Chinese
character (胃癌 becomes \\u80c3\\u764c), which makes annotated records unreadable
and several times larger. Warnings and errors go to stderr with ``print``, not
wasabi, whose printer writes to stdout, where they would mix with data piped on.
"""

import argparse
import sys


def run_reporting_errors(args: argparse.Namespace) -> int:
    """Run a parsed command; a bad input or path is one line on stderr and exit status 1, not a traceback."""
    try:
        args.run(args)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
