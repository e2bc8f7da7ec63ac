#!/usr/bin/env bash
# Install a packaged model in a new virtualenv (torch first, then spacy-cner from this checkout, then the
# wheel) and load it by name with every network route closed.
#   bash scripts/check_wheel.sh packages/zh_cner_emr-0.1.0/dist/zh_cner_emr-0.1.0-py3-none-any.whl
set -euo pipefail
wheel=$(realpath "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
venv=$(mktemp -d)/venv
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet torch==2.13.0
"$venv/bin/pip" install --quiet "$repo" "$wheel"
name=$(basename "$wheel" | cut -d- -f1)
cd "$(mktemp -d)"
HF_HUB_OFFLINE=1 http_proxy=http://0.0.0.0:9 https_proxy=http://0.0.0.0:9 "$venv/bin/python" - "$name" <<'PY'
import sys

import spacy

nlp = spacy.load(sys.argv[1])
doc = nlp("患者3月前因直肠癌于我院行直肠癌根治术（DIXON术）。复查CT示肝脏多发占位，CEA 15.2ng/ml。予奥沙利铂150MG静滴化疗。")
for ent in doc.ents:
    print(f"{ent.text}\t{ent.label_}\t{ent._.confidence:.3f}")
assert {"Disease", "Image", "Medicine"} <= {ent.label_ for ent in doc.ents}, "expected entities not found"
print(f"loaded {sys.argv[1]} offline; test F1 in meta: {100 * nlp.meta['performance']['ents_f']:.2f}")
PY
