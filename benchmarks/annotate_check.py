"""End-to-end check of ``annotate`` on the Yidu-S4K test set, and of the entity
confidences.

    python benchmarks/annotate_check.py MODEL

1. Writes the test texts as JSONL (gold spans in an extra field), runs
   ``python -m spacy_cner annotate`` on it, scores its output against the gold
   spans (strict match) and compares with ``python -m spacy_cner evaluate``.
2. Compares the mean confidence of correct and of wrong predicted entities.

Writes benchmarks/results/annotate_check.json and prints a summary.
"""

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from spacy.tokens import DocBin
from spacy.vocab import Vocab

from spacy_cner.evaluation import evaluate

ROOT = Path(__file__).resolve().parent.parent


def main(model: str, test: Path = ROOT / "corpus" / "test.spacy") -> None:
    docs = list(DocBin().from_disk(test).get_docs(Vocab()))
    with tempfile.TemporaryDirectory() as tmp:
        source, output = Path(tmp) / "test.jsonl", Path(tmp) / "annotated.jsonl"
        with open(source, "w", encoding="utf-8") as out:
            for i, doc in enumerate(docs):
                gold = [[e.start_char, e.end_char, e.label_] for e in doc.ents]
                out.write(json.dumps({"id": i, "text": doc.text, "gold": gold}, ensure_ascii=False) + "\n")
        command = [sys.executable, "-m", "spacy_cner", "annotate", model, str(source), str(output)]
        subprocess.run(command, check=True)
        rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == list(range(len(docs))), "annotate lost or reordered records"
    correct, wrong, n_gold, n_pred = [], [], 0, 0
    for row in rows:
        gold = {tuple(g) for g in row["gold"]}
        n_gold += len(gold)
        for entity in row["entities"]:
            n_pred += 1
            is_correct = (entity["start"], entity["end"], entity["label"]) in gold
            (correct if is_correct else wrong).append(entity["confidence"])
    precision, recall = len(correct) / max(n_pred, 1), len(correct) / max(n_gold, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    reference = evaluate(model, test)
    result = {
        "model": model,
        "annotate_ents_f": round(100 * f1, 4),
        "evaluate_ents_f": round(reference["ents_f"], 4),
        "same_f1": abs(100 * f1 - reference["ents_f"]) < 1e-6,
        "records": len(rows),
        "predicted_entities": n_pred,
        "mean_confidence_correct": statistics.fmean(correct),
        "mean_confidence_wrong": statistics.fmean(wrong),
        "n_correct": len(correct),
        "n_wrong": len(wrong),
    }
    (ROOT / "benchmarks" / "results" / "annotate_check.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1])
