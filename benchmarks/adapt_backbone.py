"""Continue m3e-small's masked-LM pretraining on the unlabelled text we may use, and record it.

    python benchmarks/adapt_backbone.py /path/to/m3e-small-medical [--steps 1000 ...]

Runs ``python -m spacy_cner adapt-backbone`` (resuming from the folder's checkpoint
if there is one) on the medical Q&A text, CMeEE-V2's unlabelled test texts and our
900 Yidu-S4K training records, refusing any text that overlaps the Yidu-S4K dev or
test records or the CMeEE-V2 labelled records. Writes
benchmarks/results/adapt_m3e_small_medical.json: the held-out masked-token loss and
accuracy before and after, the settings, and where and from what it ran.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from run_config import RESULTS, ROOT, provenance, sha256_of

# Relative to the repository, where the command runs, so the record names no machine's paths.
SHARED = Path("..") / "shared" / "data"
TEXTS = [
    SHARED / "medical-qa" / "internal_medicine_qa.csv",
    SHARED / "cmeee-v2" / "CMeEE-V2_test_unlabelled.json",
    Path("corpus") / "train.spacy",
]
EXCLUDE = [Path("corpus") / "dev.spacy", Path("corpus") / "test.spacy", SHARED / "cmeee-v2" / "CMeEE-V2_dev.json"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="the adapted backbone folder (kept outside the repository)")
    parser.add_argument("--backbone", default="assets/m3e-small")
    parser.add_argument("--note", default="")
    args, settings = parser.parse_known_args()
    command = [sys.executable, "-m", "spacy_cner", "adapt-backbone", args.backbone, str(args.output)]
    command += [*map(str, TEXTS), "--csv-columns", "title", "ask", "answer", "--exclude", *map(str, EXCLUDE)]
    subprocess.run(command + settings, check=True, cwd=ROOT)
    report = json.loads((ROOT / args.output / "adaptation.json").read_text(encoding="utf-8"))
    result = {
        **provenance("adapt_backbone", args.note),
        "command": [Path(part).name if "/" in part else part for part in command + settings],
        "inputs_sha256": {path.name: sha256_of(ROOT / path) for path in TEXTS + EXCLUDE},
        "report": report,
    }
    path = RESULTS / "adapt_m3e_small_medical.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({key: report[key] for key in ("before", "after")}))


if __name__ == "__main__":
    main()
