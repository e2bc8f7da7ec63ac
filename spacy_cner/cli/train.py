"""``python -m spacy_cner train CONFIG --output DIR [--resume] [--section.key value ...]``: ``spacy train`` that can
be stopped at any time and resumed exactly. Before each evaluation step it saves the whole training state (weights,
optimizer moments, schedules, random generators, place in the data); ``--resume`` with the same config and
overrides continues the stopped training from there, as if it had never stopped, and keeps the best model of all
its legs as ``DIR/model-best``."""

import argparse
from pathlib import Path

from spacy.cli.train import train

from ..training.legs import begin_leg, finish_training
from . import good


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="spacy train, resumable exactly after a stop (--resume)")
    parser.add_argument("config", type=Path, help="the training config (.cfg)")
    parser.add_argument("--output", "-o", type=Path, required=True, help="the training folder")
    parser.add_argument("--resume", action="store_true", help="continue the training stopped in --output")
    parser.set_defaults(run=run, takes_overrides=True)


def run(args: argparse.Namespace) -> None:
    if not args.config.exists():
        raise FileNotFoundError(f"{args.config} does not exist")
    train(begin_leg(args.output, args.config, args.overrides, args.resume), args.output)
    best = finish_training(args.output, args.config, args.overrides)
    good(f"{args.output / 'model-best'}: the best model of the training's legs, from {best}")
