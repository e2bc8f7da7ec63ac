"""``annotate-spark`` against ``annotate`` on the same records and model, side by side.

    python benchmarks/spark_speed.py training/bilstm_crf-seed0/model-best --records 4000

The records are the test texts, cycled, in four JSONL files. Each command runs
end to end as a user runs it (start-up, model loading and, for Spark, the JVM
included), in interleaved rounds, best of two; torch uses one thread per
process. Every command's output is checked to hold the same entities for the
same ids. On one 2-core machine this measures Spark's overhead, not its scaling.
Writes benchmarks/results/spark_speed.json (RESULTS.md shows it).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

from run_config import RESULTS, ROOT, provenance
from spacy.tokens import DocBin
from spacy.vocab import Vocab

FILES = 4


def write_records(folder: Path, texts: List[str], count: int) -> int:
    """``count`` records cycling through ``texts`` in FILES JSONL files and one joined file; their characters."""
    folder.mkdir()
    records = [{"id": f"r{i}", "text": texts[i % len(texts)]} for i in range(count)]
    lines = [json.dumps(record, ensure_ascii=False) + "\n" for record in records]
    for part in range(FILES):
        (folder / f"part{part}.jsonl").write_text("".join(lines[part::FILES]), encoding="utf-8")
    (folder.parent / "all.jsonl").write_text("".join(lines), encoding="utf-8")
    return sum(len(record["text"]) for record in records)


def commands(model: str, work: Path, master: str) -> Dict[str, List[str]]:
    annotate = [sys.executable, "-m", "spacy_cner", "annotate", model, str(work / "all.jsonl")]
    return {
        "annotate (1 process)": [*annotate, str(work / "out-1.jsonl")],
        "annotate --n-process 2": [*annotate, str(work / "out-2.jsonl"), "--n-process", "2"],
        f"annotate-spark ({master})": [
            *[sys.executable, "-m", "spacy_cner", "annotate-spark", model, str(work / "records")],
            *[str(work / "out-spark"), "--master", master, "--output-format", "jsonl"],
        ],
    }


def entities_by_id(paths: List[Path]) -> Dict[str, Any]:
    rows = [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines()]
    return {row["id"]: row["entities"] for row in rows}


def outputs(work: Path, name: str) -> List[Path]:
    if name.startswith("annotate-spark"):
        return sorted((work / "out-spark").glob("part-*"))
    return [work / ("out-1.jsonl" if "1 process" in name else "out-2.jsonl")]


def clear(work: Path) -> None:
    for path in work.glob("out-*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    for path in work.glob("*.manifest.json"):
        path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--records", type=int, default=4000)
    parser.add_argument("--master", default="local[2,3]")
    parser.add_argument("--test", type=Path, default=ROOT / "corpus" / "test.spacy")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    texts = [doc.text for doc in DocBin().from_disk(args.test).get_docs(Vocab())]
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    seconds: Dict[str, List[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        chars = write_records(work / "records", texts, args.records)
        runs = commands(args.model, work, args.master)
        for _ in range(2):
            for name, command in runs.items():
                clear(work)
                started = time.perf_counter()
                subprocess.run(command, check=True, cwd=ROOT, env=environment, capture_output=True)
                seconds.setdefault(name, []).append(time.perf_counter() - started)
                found = entities_by_id(outputs(work, name))
                if name == next(iter(runs)):
                    reference = found
                if found != reference:
                    raise AssertionError(f"{name} wrote other entities than {next(iter(runs))}")
    result = {
        **provenance("spark_speed", args.note),
        "model": args.model,
        "records": args.records,
        "characters": chars,
        "files": FILES,
        "same_entities": True,
        "commands": {
            name: {"seconds": times, "chars_per_second": chars / min(times)} for name, times in seconds.items()
        },
    }
    (RESULTS / "spark_speed.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "report.py")], check=True)
    print(json.dumps(result["commands"], indent=2))


if __name__ == "__main__":
    main()
