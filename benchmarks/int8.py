"""What int8 inference costs and gives: F1 on the official test set and chars/s,
float and int8 side by side in one process (interleaved, best of three passes).

    python benchmarks/int8.py training/bilstm_crf_lexicon-seed0/model-best [MORE_MODELS ...]

Writes benchmarks/results/int8.json (RESULTS.md shows it).
"""

import argparse
import json
import time
from pathlib import Path
from typing import Any, Dict, List

from run_config import RESULTS, ROOT, provenance
from spacy.tokens import DocBin

from spacy_cner.evaluation import evaluate
from spacy_cner.model_loading import load_pipeline


def chars_per_second(nlp, texts: List[str]) -> float:
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    return sum(map(len, texts)) / (time.perf_counter() - started)


def measure(model: str, test: Path) -> Dict[str, Any]:
    pipelines = {"float": load_pipeline(model), "int8": load_pipeline(model, int8=True)}
    texts = [doc.text for doc in DocBin().from_disk(test).get_docs(pipelines["float"].vocab)]
    for nlp in pipelines.values():
        list(nlp.pipe(texts[:8]))  # warm-up
    speeds: Dict[str, List[float]] = {name: [] for name in pipelines}
    for _ in range(3):  # interleaved, so both meet the same machine load
        for name, nlp in pipelines.items():
            speeds[name].append(chars_per_second(nlp, texts))
    scores = {name: evaluate(model, test, int8=(name == "int8")) for name in pipelines}
    return {
        "model": model,
        "chars_per_second": {name: round(max(values), 1) for name, values in speeds.items()},
        "ents_f": {name: round(scores[name]["ents_f"], 2) for name in pipelines},
        "per_type_f": {name: {t: round(v["f"], 2) for t, v in scores[name]["per_type"].items()} for name in pipelines},
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
