"""What int8 inference costs in accuracy: F1 on the official test set of float and
dynamically quantized int8 copies of the same pipelines. Their speed side by side
comes from ``speed.py --int8``.

    python benchmarks/int8.py training/bilstm_crf_lexicon-seed0/model-best [MORE_MODELS ...]

Writes benchmarks/results/int8.json (RESULTS.md shows it).
"""

import argparse
import json
from pathlib import Path
from typing import Any, Dict

from run_config import RESULTS, ROOT, provenance

from spacy_cner.evaluation import evaluate


def measure(model: str, test: Path) -> Dict[str, Any]:
    scores = {name: evaluate(model, test, int8=(name == "int8")) for name in ("float", "int8")}
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
    result = {**provenance("int8", args.note), "results": [measure(model, args.test) for model in args.models]}
    (RESULTS / "int8.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result["results"], indent=1))


if __name__ == "__main__":
    main()
