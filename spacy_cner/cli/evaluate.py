"""``python -m spacy_cner evaluate MODEL DATA``: the scores of ``spacy_cner.evaluation``
as JSON, Markdown and a PNG bar chart."""

import argparse
import json
from pathlib import Path
from typing import Any, Dict

from ..evaluation import evaluate
from ..model_loading import PRECISIONS
from . import good


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="score a pipeline's entities on a .spacy file")
    parser.add_argument("model", help="pipeline directory or installed package")
    parser.add_argument("data", type=Path, help=".spacy file with gold entities")
    parser.add_argument("--output-dir", type=Path, help="write metrics.json, metrics.md, per_type_f1.png")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--precision", choices=PRECISIONS, default="float32", help="score it at int8 or bfloat16")
    parser.add_argument("--spans-key", help="score every gold entity in doc.spans[KEY], nested ones included")
    parser.set_defaults(run=run)


def markdown_table(metrics: Dict[str, Any]) -> str:
    rows = ["| type | P | R | F1 |", "|---|---:|---:|---:|"]
    for label, prf in metrics["per_type"].items():
        rows.append(f"| {label} | {prf['p']:.2f} | {prf['r']:.2f} | {prf['f']:.2f} |")
    rows.append(
        f"| **all** | **{metrics['ents_p']:.2f}** | **{metrics['ents_r']:.2f}** | **{metrics['ents_f']:.2f}** |"
    )
    if "error_kinds" in metrics:  # flat entities
        kinds, per_type = metrics["error_kinds"], metrics["error_kinds_per_type"]
        rows += [
            "",
            "| gold entities by outcome | all | " + " | ".join(per_type) + " |",
            "|---|" + "---:|" * (len(per_type) + 1),
        ]
        for kind, count in kinds.items():
            name = "(predictions overlapping no gold entity)" if kind == "spurious" else kind.replace("_", " ")
            rows.append(
                f"| {name} | {count:,} | " + " | ".join(f"{counts[kind]:,}" for counts in per_type.values()) + " |"
            )
    else:  # every entity of doc.spans, nested ones apart
        rows += ["", f"Scored: {metrics['scored']}.", ""]
        rows += ["| gold entities | found | of | recall |", "|---|---:|---:|---:|"]
        for kind in ("nested", "not_nested"):
            recall = metrics[f"recall_{kind}"]
            shown = "" if recall["r"] is None else f"{recall['r']:.2f}"
            rows.append(f"| {kind.replace('_', ' ')} | {recall['found']:,} | {recall['gold']:,} | {shown} |")
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
    metrics = evaluate(args.model, args.data, args.batch_size, args.precision, args.spans_key)
    table = markdown_table(metrics)
    print(table)
    if args.output_dir:
        args.output_dir.mkdir(parents=True, exist_ok=True)
        (args.output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
        (args.output_dir / "metrics.md").write_text(table)
        plot_per_type_f1(metrics, args.output_dir / "per_type_f1.png")
        good(f"wrote {args.output_dir}/metrics.json, metrics.md, per_type_f1.png")
