"""The Yidu-S4K benchmark (CCKS 2019 task 1): its files, checksums and conversion.

Its terms allow CCKS evaluation use only, so it is never shipped: users point
the converter at their own copy.
"""

import hashlib
import shutil
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

from .readers import read_yidu_s4k
from .records import Record

UPSTREAM = "https://raw.githubusercontent.com/datawarex/Yidu-S4K/029b8e086e10ecacd2a2efe9bf5193206a98faa8"
TRAIN_FILES = ("subtask1_training_part1.txt", "subtask1_training_part2.txt")
TEST_FILE = "subtask1_test_set_with_answer.json"
SHA256 = {
    "subtask1_training_part1.txt": "21aa30b69cd1a6d5984123b3abf46787b8a7ed608613133e3cb30e7f153aa5ce",
    "subtask1_training_part2.txt": "be551265c5be7899806abfd02a2817cacc3677ab795527ebf34d4016116889a5",
    "subtask1_test_set_with_answer.json": "f27e1002754c222c013294f1409044a8adb7ed5afb3119be9d229b2d2123b32c",
}
# Published entity counts per label (CCKS 2019 / paper 000 Table 1).
EXPECTED_COUNTS = {
    "train": {"疾病和诊断": 4212, "解剖部位": 8426, "实验室检验": 1195, "影像检查": 969, "药物": 1822, "手术": 1029},
    "test": {"疾病和诊断": 1323, "解剖部位": 3094, "实验室检验": 590, "影像检查": 348, "药物": 485, "手术": 162},
}
MISSING_DATA_HELP = (
    "Yidu-S4K is not redistributable, so it is not included. Put {files} in {where} "
    "(for example from the datawarex/Yidu-S4K repository), or set the project variable "
    "yidu_local to a folder that holds them."
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(dest: Path, local: Optional[Path] = None, download: bool = False) -> List[str]:
    """Copy the files from ``local`` (or download them) into ``dest`` and check
    their sha256. Returns warnings (a different, known-compatible variant)."""
    dest.mkdir(parents=True, exist_ok=True)
    warnings = []
    for name, digest in SHA256.items():
        target = dest / name
        if not target.exists():
            if local is not None and (local / name).exists():
                shutil.copyfile(local / name, target)
            elif download:
                urllib.request.urlretrieve(f"{UPSTREAM}/{name}", target)
            else:
                raise FileNotFoundError(MISSING_DATA_HELP.format(files=", ".join(SHA256), where=dest))
        if sha256(target) != digest:
            warnings.append(
                f"{target}: sha256 differs from the 2020 release (later copies mask three hospital "
                "names or drop the BOM); entity counts are still checked"
            )
    return warnings


def read_split(folder: Path, split: str) -> List[Record]:
    names = TRAIN_FILES if split == "train" else (TEST_FILE,)
    missing = [name for name in names if not (folder / name).exists()]
    if missing:
        raise FileNotFoundError(MISSING_DATA_HELP.format(files=", ".join(missing), where=folder))
    return [record for name in names for record in read_yidu_s4k(folder / name)]


def check_counts(records: List[Record], split: str) -> Dict[str, int]:
    counts = dict(sum((r.label_counts() for r in records), Counter()))
    if counts != EXPECTED_COUNTS[split]:
        raise ValueError(f"Yidu-S4K {split}: entity counts {counts} differ from the published {EXPECTED_COUNTS[split]}")
    return counts
