"""``spacy package`` turns a trained pipeline into an installable wheel that loads by name, offline."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("build")


def test_wheel_installs_and_loads_by_name(trained_nlp, tmp_path):
    trained_nlp.to_disk(tmp_path / "model")
    (tmp_path / "packages").mkdir()
    subprocess.run(
        [sys.executable, "-m", "spacy", "package", str(tmp_path / "model"), str(tmp_path / "packages"),
         "--name", "cner_test", "--version", "0.0.1", "--build", "wheel", "--force"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (wheel,) = (tmp_path / "packages").rglob("*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
    )
    script = (
        "import json, spacy; nlp = spacy.load('zh_cner_test');"
        "doc = nlp('患者因直肠癌行直肠癌根治术。复查CT示肝脏多发占位。');"
        "print(json.dumps([[e.text, e.label_] for e in doc.ents], ensure_ascii=False))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(target),
        "HF_HUB_OFFLINE": "1",
        "NO_PROXY": "*",
        "http_proxy": "http://0.0.0.0:9",
    }
    found = json.loads(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, check=True).stdout)
    assert ["直肠癌", "Disease"] in found
    assert ["CT", "Image"] in found
    requirements = json.loads((next((tmp_path / "packages").glob("zh_cner_test-*")) / "meta.json").read_text())
    assert any(r.startswith("spacy-cner") for r in requirements["requirements"])
