"""A hospital's own records with its own labels, nested, through `spacy project run own` (no Yidu-S4K)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import EMR_SENTENCES

ROOT = Path(__file__).resolve().parents[1]
LABELS = {
    "Disease": "病种",
    "Anatomy": "部位",
    "Image": "检查",
    "Laboratory": "化验",
    "Medicine": "药物",
    "Operation": "术式",
}


def write_records(path: Path, copies: int) -> None:
    """The synthetic sentences with made-up labels, plus a nested '部位' at the start of every disease."""
    lines = []
    for _ in range(copies):
        for text, entities in EMR_SENTENCES:
            spans = [{"start": s, "end": e, "label": LABELS[label]} for s, e, label in entities]
            spans += [{"start": s, "end": s + 1, "label": "部位"} for s, e, label in entities if label == "Disease"]
            lines.append(json.dumps({"text": text, "spans": spans}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_own_workflow_trains_and_scores_nested_entities_with_made_up_labels(tmp_path):
    shutil.copy(ROOT / "project.yml", tmp_path / "project.yml")
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    write_records(tmp_path / "mine.jsonl", copies=3)
    write_records(tmp_path / "mine_test.jsonl", copies=1)
    variables = ["--vars.own_train", "mine.jsonl", "--vars.own_test", "mine_test.jsonl", "--vars.dev_size", "4"]
    variables += ["--vars.own_steps", "40"]
    result = subprocess.run(
        [sys.executable, "-m", "spacy", "project", "run", "own", ".", *variables],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"OMP_NUM_THREADS": "1", "PATH": str(Path(sys.executable).parent)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    metrics = json.loads((tmp_path / "metrics" / "own" / "metrics.json").read_text(encoding="utf-8"))
    assert set(metrics["per_type"]) <= set(LABELS.values()) and "部位" in metrics["per_type"]
    nested_gold = metrics["recall_nested"]["gold"]
    assert nested_gold == 2 * sum(label == "Disease" for _, entities in EMR_SENTENCES for *_, label in entities)
    assert metrics["n_entities"] == metrics["recall_nested"]["gold"] + metrics["recall_not_nested"]["gold"]
    assert (tmp_path / "corpus" / "own" / "dev.spacy").exists()
