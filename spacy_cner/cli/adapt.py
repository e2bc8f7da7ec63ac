"""``python -m spacy_cner adapt-backbone BACKBONE OUTPUT TEXTS...``: continue a BERT
backbone's masked-LM pretraining on your own unlabelled text."""

import argparse
import json
from pathlib import Path
from typing import Callable, List

from ..backbone.adapt import Adapter, AdaptSettings, load_masked_lm, make_windows
from ..backbone.hub import resolve_backbone
from ..data.lexicon import DEFAULT_LEXICON, read_lexicon
from . import good, info
from .unlabelled_text import add_text_arguments, read_unlabelled


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "adapt-backbone",
        help="continue masked-LM pretraining (whole-word masking) of a BERT backbone on unlabelled text",
    )
    parser.add_argument("backbone", help="a BERT folder (e.g. assets/m3e-small) or a hub name")
    parser.add_argument("output", type=Path, help="the adapted backbone folder (checkpoints go inside)")
    add_text_arguments(parser)
    parser.add_argument("--lexicon", type=Path, nargs="*", default=[DEFAULT_LEXICON], help="extra words for jieba")
    defaults = AdaptSettings()
    for name, value in vars(defaults).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    parser.set_defaults(run=run)


def jieba_segmenter(lexicon: List[Path]) -> Callable[[str], List[str]]:
    import jieba

    segmenter = jieba.Tokenizer()
    for term in read_lexicon(lexicon):
        segmenter.add_word(term.text, freq=term.frequency)
    return lambda text: segmenter.lcut(text, HMM=True)


def as_given(path: Path) -> str:
    """A path for the report: from the working folder when it lies inside it (the shipped lexicon, run from a
    checkout), so a report names no machine's folders."""
    path = Path(path).resolve()
    return str(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)


def run(args: argparse.Namespace) -> None:
    settings = AdaptSettings(**{name: getattr(args, name) for name in vars(AdaptSettings())})
    texts, dropped = read_unlabelled(args)
    info(f"{len(texts):,} texts ({sum(map(len, texts)):,} chars); {dropped:,} refused for sharing text with --exclude")
    if not texts:
        raise ValueError("No text to pretrain on")
    masked_lm = load_masked_lm(resolve_backbone(args.backbone), settings.seed)
    windows = make_windows(texts, masked_lm[1], jieba_segmenter(args.lexicon), settings.max_length)
    adapter = Adapter(masked_lm, args.output, windows, settings)
    if adapter.resume():
        info(f"resuming from the checkpoint at step {adapter.step}")
    if adapter.head_is_new:
        info("the backbone has no MLM head: a new one (decoder tied to the input embeddings) is fitted first")
    adapter.report.update(
        {"backbone": args.backbone, "texts": [str(p) for p in args.texts], "excluded": [str(p) for p in args.exclude]}
    )
    adapter.report.update({"refused_texts": dropped, "lexicon": [as_given(p) for p in args.lexicon]})
    report = adapter.run()
    adapter.save()
    print(json.dumps({key: report[key] for key in ("before", "after")}))
    good(f"adapted backbone in {args.output}: train with --paths.backbone {args.output}")
