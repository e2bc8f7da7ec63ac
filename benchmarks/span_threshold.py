"""The ``cner_spans`` threshold chosen on dev: strict P/R/F1 over every gold entity (nested ones included) on the
dev and test sets at each threshold, and which threshold is best on dev. The test scores at the other thresholds
are shown, never used to choose.

    python benchmarks/span_threshold.py training/cmeee_spans_bilstm_2000-seed0/model-best --corpus corpus/cmeee

Writes benchmarks/results/span_threshold.json (RESULTS.md shows it).
"""

import argparse
import json
from pathlib import Path
from typing import Any, Dict, List, Sequence

import spacy
from run_config import RESULTS, provenance
from spacy.language import Language
from spacy.training import Corpus, Example

from spacy_cner.evaluation import score_nested
from spacy_cner.pipeline.span_component import SpanEntityRecognizer

THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def scores_by_threshold(
    nlp: Language, data: Path, thresholds: Sequence[float], spans_key: str
) -> Dict[str, Dict[str, float]]:
    """The span component's scores are computed once; each threshold only decodes them again."""
    name, pipe = next((name, pipe) for name, pipe in nlp.pipeline if isinstance(pipe, SpanEntityRecognizer))
    examples: List[Example] = list(Corpus(str(data))(nlp))
    docs = list(nlp.pipe((eg.predicted for eg in examples), disable=[name]))
    logits = pipe.predict(docs)
    for example, doc in zip(examples, docs):
        example.predicted = doc  # set_annotations below rewrites these docs' spans in place
    scores = {}
    for threshold in thresholds:
        pipe.threshold = threshold
        pipe.set_annotations(docs, logits)
        measured = score_nested(examples, spans_key)
        scores[str(threshold)] = {key: round(100 * measured[f"spans_{key}"], 2) for key in ("p", "r", "f")}
    return scores


def measure(model: str, corpus: Path, spans_key: str) -> Dict[str, Any]:
    nlp = spacy.load(model)
    dev, test = (scores_by_threshold(nlp, corpus / f"{part}.spacy", THRESHOLDS, spans_key) for part in ("dev", "test"))
    return {
        "model": model,
        "corpus": str(corpus),
        "dev": dev,
        "test": test,
        "chosen": max(dev, key=lambda t: dev[t]["f"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+")
    parser.add_argument("--corpus", type=Path, required=True, help="a folder with dev.spacy and test.spacy")
    parser.add_argument("--spans-key", default="sc")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    results = [measure(model, args.corpus, args.spans_key) for model in args.models]
    result = {**provenance("span_threshold", args.note), "thresholds": list(THRESHOLDS), "results": results}
    (RESULTS / "span_threshold.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
