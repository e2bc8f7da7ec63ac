"""``python -m spacy cner COMMAND``: this package's commands inside spaCy's own CLI.

spaCy imports this module through the ``spacy_cli`` entry point. Each command
passes its arguments on to ``python -m spacy_cner COMMAND``, so both spellings
share one definition, one ``--help`` and one set of error messages.
"""

import sys

import typer
from spacy.cli._util import app

from ..__main__ import build_parser, main

cner_app = typer.Typer(name="cner", help="Chinese clinical NER: convert, annotate, evaluate, adapt, ...")
app.add_typer(cner_app)

PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


def _add_command(name: str, help_text: str) -> None:
    @cner_app.command(name, help=help_text, context_settings=PASS_THROUGH, add_help_option=False)
    def command(context: typer.Context) -> None:
        sys.exit(main([name, *context.args]))


for _action in build_parser().command_choices():
    _add_command(_action.dest, _action.help or "")
