"""``python -m spacy_cner refit CONFIG --steps N --output DIR [--corpus DIR] [--section.key value ...]``: train a
config again on all its training records, dev included, for the number of steps at which its dev score peaked when
dev was held out. Once the settings are chosen on dev, the dev records are worth more as training data; nothing is
held out any more, so the refit's own dev scores mean nothing and only the test set scores it."""

import argparse
from pathlib import Path
from typing import Any, Dict

from spacy.cli._util import parse_config_overrides
from spacy.cli.train import train

from ..data.docbins import join_docbins
from . import good

SET_BY_REFIT = ("paths.train", "training.max_steps", "training.eval_frequency", "training.patience")


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("refit", help="train a config on train + dev for the steps chosen on dev")
    parser.add_argument("config", type=Path, help="the training config (.cfg)")
    parser.add_argument("--steps", type=int, required=True, help="the best step of the training that held dev out")
    parser.add_argument("--output", "-o", type=Path, required=True, help="the training folder to write")
    parser.add_argument("--corpus", type=Path, default=Path("corpus"), help="holds train.spacy and dev.spacy")
    parser.set_defaults(run=run, takes_overrides=True)


def join_train_and_dev(corpus: Path, joined: Path) -> int:
    """The corpus's train and dev records in one file, in that order; returns how many."""
    return join_docbins([corpus / "train.spacy", corpus / "dev.spacy"], joined)


def refit_overrides(joined: Path, steps: int) -> Dict[str, Any]:
    """Train on ``joined`` for ``steps`` steps and evaluate only at the first and the last, so that model-best is the
    model after ``steps`` steps. No patience: with no evaluation in between, it would stop the training at step
    ``patience`` with model-best from step 0."""
    if steps < 1:
        raise ValueError(f"A refit trains for --steps N >= 1, not {steps}.")
    return {
        "paths.train": str(joined),
        "training.max_steps": steps,
        "training.eval_frequency": steps,
        "training.patience": 0,
    }


def run(args: argparse.Namespace) -> None:
    overrides = parse_config_overrides(list(args.overrides))
    taken = sorted(set(overrides) & set(SET_BY_REFIT))
    if taken:
        raise ValueError(f"refit sets {', '.join(taken)} itself (use --steps for the step count); leave them out")
    joined = args.output / "train+dev.spacy"
    refit = refit_overrides(joined, args.steps)
    args.output.mkdir(parents=True, exist_ok=True)
    good(f"{joined}: {join_train_and_dev(args.corpus, joined):,} records, train and dev")
    train(args.config, args.output, overrides={"paths.dev": str(args.corpus / "dev.spacy"), **overrides, **refit})
