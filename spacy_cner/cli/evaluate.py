"""``python -m spacy_cner evaluate MODEL DATA``: strict entity P/R/F1, overall and
per type, and the kinds of error behind them, as JSON, Markdown and a PNG bar chart.

Scores come from spaCy's scorer (exact span match on character offsets) over the
pipeline's output, as in ``nlp.evaluate``, so they equal ``spacy evaluate`` on the
same model and data.
"""

import argparse
import json
from pathlib import Path
from typing import Any, Dict, List

from spacy.language import Language
from spacy.scorer import Scorer
from spacy.training import Corpus, Example

from ..error_kinds import count_error_kinds
from ..model_loading import load_pipeline


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="score a pipeline's entities on a .spacy file")
    parser.add_argument("model", help="pipeline directory or installed package")
    parser.add_argument("data", type=Path, help=".spacy file with gold entities")
    parser.add_argument("--output-dir", type=Path, help="write metrics.json, metrics.md, per_type_f1.png")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.set_defaults(run=run)


def evaluate(model: str, data: Path, batch_size: int = 32) -> Dict[str, Any]:
    if not data.exists():
        raise FileNotFoundError(f"{data} does not exist")
    if data.suffix.lower() != ".spacy" or not data.is_file():
        raise ValueError(
            f"{data}: evaluate reads a .spacy file; convert annotated records first, "
            "e.g. python -m spacy_cner convert jsonl records.jsonl gold.spacy"
        )
    nlp = load_pipeline(model)
    try:
        examples = list(Corpus(data)(nlp))
    except Exception as error:  # spaCy raises bare errors from msgpack on a damaged or empty file
        raise ValueError(f"{data} is not a readable .spacy file ({type(error).__name__}: {error})") from None
    if not examples:
        raise ValueError(f"{data} holds no records")
    check_labels_overlap(nlp, examples, data)
    # What nlp.evaluate does, but keeping the predicted docs (it scores copies) for the error kinds.
    for example, doc in zip(examples, nlp.pipe((eg.predicted for eg in examples), batch_size=batch_size)):
        example.predicted = doc
    scores = Scorer(nlp=nlp).score(examples)
    per_type = scores.get("ents_per_type") or {}
    return {
        "model": str(model),
        "data": str(data),
        "n_docs": len(examples),
        "n_entities": sum(len(eg.reference.ents) for eg in examples),
        "ents_p": 100 * scores["ents_p"],
        "ents_r": 100 * scores["ents_r"],
        "ents_f": 100 * scores["ents_f"],
        "per_type": {label: {key: 100 * per_type[label][key] for key in ("p", "r", "f")} for label in sorted(per_type)},
        "error_kinds": count_error_kinds((eg.reference, eg.predicted) for eg in examples),
    }


def check_labels_overlap(nlp: Language, examples: List[Example], data: Path) -> None:
    """Scores of a model against gold labels it has never heard of are zeros that mean nothing."""
    gold = {ent.label_ for eg in examples for ent in eg.reference.ents}
    known = {label for _, pipe in nlp.pipeline for label in getattr(pipe, "labels", ()) or ()}
    if gold and known and not gold & known:
        raise ValueError(
            f"the gold labels of {data} ({', '.join(sorted(gold))}) share none with the model's "
            f"({', '.join(sorted(known))}): relabel the data (convert --label-map) or evaluate another model"
        )


def markdown_table(metrics: Dict[str, Any]) -> str:
    rows = ["| type | P | R | F1 |", "|---|---:|---:|---:|"]
    for label, prf in metrics["per_type"].items():
        rows.append(f"| {label} | {prf['p']:.2f} | {prf['r']:.2f} | {prf['f']:.2f} |")
    rows.append(
        f"| **all** | **{metrics['ents_p']:.2f}** | **{metrics['ents_r']:.2f}** | **{metrics['ents_f']:.2f}** |"
    )
    kinds = metrics["error_kinds"]
    rows += ["", "| gold entities by outcome | count |", "|---|---:|"]
    rows += [f"| {kind.replace('_', ' ')} | {count:,} |" for kind, count in kinds.items() if kind != "spurious"]
    rows.append(f"| (predictions overlapping no gold entity) | {kinds['spurious']:,} |")
    return "\n".join(rows) + "\n"


def plot_per_type_f1(metrics: Dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(metrics["per_type"])
    values = [metrics["per_type"][label]["f"] for label in labels]
    figure, axes = plt.subplots(figsize=(1.2 * len(labels) + 2, 3.5))
    bars = axes.bar(labels, values, color="#4c72b0")
    axes.bar_label(bars, fmt="%.1f")
    axes.axhline(metrics["ents_f"], color="#c44e52", linestyle="--", label=f"overall {metrics['ents_f']:.2f}")
    axes.set_ylim(0, 100)
    axes.set_ylabel("F1")
    axes.set_title(f"Per-type F1: {Path(metrics['model']).name} on {metrics['data']}")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def run(args: argparse.Namespace) -> None:
    metrics = evaluate(args.model, args.data, args.batch_size)
    table = markdown_table(metrics)
    print(table)
    if args.output_dir:
        args.output_dir.mkdir(parents=True, exist_ok=True)
        (args.output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
        (args.output_dir / "metrics.md").write_text(table)
        plot_per_type_f1(metrics, args.output_dir / "per_type_f1.png")
        print(f"wrote {args.output_dir}/metrics.json, metrics.md, per_type_f1.png")
