"""The commands of ``python -m spacy_cner`` (and ``python -m spacy cner``), one module each.

Output conventions: stdout carries only data (records, tables, JSON reports), so it
can be piped on; messages (progress, warnings, errors) go through wasabi, as
spaCy's own, but to stderr, in colour only on a terminal. Records and reports are
written with the standard ``json`` module and ``ensure_ascii=False``, because
srsly's encoder escapes every Chinese character (胃癌 becomes \\u80c3\\u764c),
which makes annotated records unreadable and several times larger.
"""

import argparse
import sys

from wasabi import Printer

_WASABI = Printer(no_print=True)  # formats only: messages go to stderr
_WASABI.show_color = _WASABI.show_color and sys.stderr.isatty()


def _say(icon: str, text: str) -> None:
    # wasabi's icon and colour, the text unwrapped: wasabi wraps at 80 columns, which splits paths and line numbers
    print(f"{icon} {text}", file=sys.stderr)


def info(text: str) -> None:
    _say(_WASABI.info(""), text)


def good(text: str) -> None:
    _say(_WASABI.good(""), text)


def warn(text: str) -> None:
    _say(_WASABI.warn(""), text)


def fail(text: str) -> None:
    _say(_WASABI.fail(""), text)


def run_reporting_errors(args: argparse.Namespace) -> int:
    """Run a parsed command; a bad input or path is one line on stderr and exit status 1, not a traceback."""
    try:
        args.run(args)
    except (FileNotFoundError, ValueError) as error:
        fail(str(error))
        return 1
    return 0
