"""Write the meta.json that ``spacy package`` builds ``zh_cner_emr`` with.

    python scripts/package_meta.py MODEL_DIR METRICS_JSON CONFIG_NAME OUTPUT_JSON

It records the config, the Yidu-S4K test scores measured for this very model
(from ``python -m spacy_cner evaluate``), and every license involved.
"""

import json
import sys
from pathlib import Path

import spacy_cner


def main(model_dir: Path, metrics_path: Path, config_name: str, output: Path) -> None:
    meta = json.loads((model_dir / "meta.json").read_text())
    metrics = json.loads(metrics_path.read_text())
    meta.update(
        {
            "name": "cner_emr",
            "version": spacy_cner.__version__,
            "description": (
                f"Chinese clinical NER for electronic medical records (spacy-cner, config '{config_name}'): "
                "Disease, Anatomy, Laboratory, Image, Medicine, Operation. Trained on the 1,000 Yidu-S4K "
                "training records."
            ),
            "license": "GPL-3.0-or-later (code and character tables); weights trained on Yidu-S4K, see notes",
            "author": "spacy-cner contributors",
            "url": "",
            "sources": [
                {"name": "Yidu-S4K (CCKS 2019 task 1)", "url": "", "license": "CCKS evaluation use only"},
                {"name": "ibus-table-wubi (Wubi 86 table)", "license": "GPL-3.0-only / freely redistributable"},
                {"name": "fcitx-table-zhengma (Zheng codes)", "license": "GPL-2.0-or-later"},
                {"name": "rime-data-stroke (stroke order)", "license": "LGPL-3.0"},
                {"name": "Noto Sans CJK SC (glyph bitmaps)", "license": "OFL-1.1"},
                {"name": "pypinyin", "license": "MIT"},
                {"name": "THUOCL medical lexicon (SoftLexicon features)", "license": "MIT"},
                {
                    "name": "Toyhom/Chinese-medical-dialogue-data (text of the character vectors)",
                    "url": "https://github.com/Toyhom/Chinese-medical-dialogue-data",
                    "license": "MIT",
                },
            ],
            "notes": (
                "The weights were trained on Yidu-S4K, whose terms allow use for CCKS evaluation only: use this "
                "model for research and evaluation, not in clinical care. No pretrained transformer is included."
            ),
            "spacy_cner": {"config": config_name, "test_set": metrics["data"]},
            "performance": {
                "ents_p": metrics["ents_p"] / 100,
                "ents_r": metrics["ents_r"] / 100,
                "ents_f": metrics["ents_f"] / 100,
                "ents_per_type": {
                    label: {k: v / 100 for k, v in prf.items()} for label, prf in metrics["per_type"].items()
                },
            },
        }
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
