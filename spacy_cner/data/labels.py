"""Readable English entity labels, with the source names kept recoverable."""

import json
from pathlib import Path
from typing import Dict, Optional, Union

# Yidu-S4K (CCKS 2019 task 1) label names -> the names the pipeline predicts.
YIDU_S4K_LABELS: Dict[str, str] = {
    "疾病和诊断": "Disease",
    "解剖部位": "Anatomy",
    "实验室检验": "Laboratory",
    "影像检查": "Image",
    "药物": "Medicine",
    "手术": "Operation",
}


def load_label_map(path: Optional[Union[str, Path]], default: Dict[str, str]) -> Dict[str, str]:
    """A JSON object {source label: predicted label}, or ``default``."""
    if path is None:
        return dict(default)
    mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in mapping.items()
    ):
        raise ValueError(f"{path}: a label map is a JSON object of non-empty strings")
    return mapping


def invert(mapping: Dict[str, str]) -> Dict[str, str]:
    """{predicted label: source label}; fails if two sources share a name."""
    inverse: Dict[str, str] = {}
    for source, target in mapping.items():
        if target in inverse:
            raise ValueError(f"Labels {inverse[target]!r} and {source!r} both map to {target!r}")
        inverse[target] = source
    return inverse
