"""What the errors of trained models are, on the Yidu-S4K test set.

    python benchmarks/error_kinds.py training/bilstm_crf-seed0/model-best training/bert_full_frozen-seed0/model-best

Scores each model with ``python -m spacy_cner evaluate``'s function and keeps the kinds of error
(wrong type, wrong boundary, missed, spurious; see ``spacy_cner/error_kinds.py``). Adds them to
benchmarks/results/error_kinds.json (a model measured again replaces its entry) and rebuilds
benchmarks/RESULTS.md.
"""

import argparse
import json
from pathlib import Path

from report import RESULTS, ROOT, config_of
from report import main as rebuild_report
from run_config import git_commit, now

from spacy_cner.evaluation import evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", type=Path, help="trained pipelines, e.g. training/CONFIG-seed0/model-best")
    parser.add_argument("--test", type=Path, default=ROOT / "corpus" / "test.spacy")
    args = parser.parse_args()
    path = RESULTS / "error_kinds.json"
    measured = {r["model"]: r for r in json.loads(path.read_text())["results"]} if path.exists() else {}
    for model in args.models:
        metrics = evaluate(str(model), args.test)
        name = str(model.resolve().relative_to(ROOT))
        measured[name] = {
            "model": name,
            "config": config_of(model),
            "ents_f": round(metrics["ents_f"], 2),
            "n_entities": metrics["n_entities"],
            "error_kinds": metrics["error_kinds"],
            "error_kinds_per_type": metrics["error_kinds_per_type"],
            "date": now(),
            "commit": git_commit(),
        }
        print(name, metrics["error_kinds"])
    payload = {
        "test": str(args.test.relative_to(ROOT) if args.test.is_relative_to(ROOT) else args.test),
        "results": sorted(measured.values(), key=lambda r: r["model"]),
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    rebuild_report()


if __name__ == "__main__":
    main()
