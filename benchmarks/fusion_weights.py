"""Which backbone layers trained fusion models rely on.

    python benchmarks/fusion_weights.py training/bert_full_frozen-seed0/model-best ...

Reads the learned layer weights (softmax over the fusion logits, lowest layer first) and the
scale of each model's backbone into benchmarks/results/fusion_weights.json, and rebuilds
benchmarks/RESULTS.md.
"""

import argparse
import json
from pathlib import Path

import spacy
import torch
from report import RESULTS, ROOT, config_of
from report import main as rebuild_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", type=Path, help="pipelines whose backbone has fusion = true")
    args = parser.parse_args()
    results = []
    for model in args.models:
        backbone = spacy.load(model).get_pipe("transformer").model.transformer
        if not backbone.config.fusion:
            raise SystemExit(f"{model}: its backbone has no fusion")
        results.append(
            {
                "model": str(model.resolve().relative_to(ROOT)),
                "config": config_of(model),
                "includes_embeddings": backbone.config.fusion_include_embeddings,
                "layer_weights": [round(w, 4) for w in torch.softmax(backbone.fusion_weights, 0).tolist()],
                "scale": round(backbone.fusion_scale.item(), 4),
            }
        )
    (RESULTS / "fusion_weights.json").write_text(json.dumps({"results": results}, indent=2) + "\n")
    rebuild_report()


if __name__ == "__main__":
    main()
