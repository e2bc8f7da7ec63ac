"""What reduced precision costs in accuracy: F1 on the official test set of the same
pipelines in float32, int8 and bfloat16 (``quantization.py``). Their speed side by
side comes from ``speed.py --precisions int8 bfloat16``.

    python benchmarks/precision.py training/bilstm_crf_lexicon-seed0/model-best [MORE_MODELS ...]

Writes benchmarks/results/precision.json (RESULTS.md shows it).
"""

import argparse
import json
from pathlib import Path
from typing import Any, Dict

from run_config import RESULTS, ROOT, provenance

from spacy_cner.evaluation import evaluate
from spacy_cner.model_loading import PRECISIONS


def measure(model: str, test: Path) -> Dict[str, Any]:
    scores = {precision: evaluate(model, test, precision=precision) for precision in PRECISIONS}
    return {
        "model": model,
        "ents_f": {name: round(score["ents_f"], 2) for name, score in scores.items()},
        "per_type_f": {
            name: {t: round(v["f"], 2) for t, v in score["per_type"].items()} for name, score in scores.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+")
    parser.add_argument("--test", type=Path, default=ROOT / "corpus" / "test.spacy")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    result = {**provenance("precision", args.note), "results": [measure(model, args.test) for model in args.models]}
    (RESULTS / "precision.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result["results"], indent=1))


if __name__ == "__main__":
    main()
