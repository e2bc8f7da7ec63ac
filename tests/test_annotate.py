import json
import shutil

import pytest

from spacy_cner.__main__ import main
from spacy_cner.model_loading import ModelLoadError, load_pipeline

from .conftest import EMR_SENTENCES


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_keeps_fields_and_matches_the_pipeline(model_dir, trained_nlp, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(
            json.dumps({"id": i, "note": text}, ensure_ascii=False) + "\n" for i, (text, _) in enumerate(EMR_SENTENCES)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    assert main(["annotate", str(model_dir), str(source), str(out), "--text-field", "note", "--batch-size", "5"]) == 0
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == list(range(len(EMR_SENTENCES)))
    for row in rows:
        doc = trained_nlp(row["note"])
        assert [(e["start"], e["end"], e["label"]) for e in row["entities"]] == [
            (ent.start_char, ent.end_char, ent.label_) for ent in doc.ents
        ]
        for entity in row["entities"]:
            assert row["note"][entity["start"] : entity["end"]] == entity["text"]
            assert 0 < entity["confidence"] <= 1


def test_plain_text_keeps_every_line_including_empty_ones(model_dir, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("复查CT示肝脏占位。\n\n患者因直肠癌行直肠癌根治术。\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["annotate", str(model_dir), str(source), str(out), "--html", str(tmp_path / "view.html")]) == 0
    rows = read_jsonl(out)
    assert [r["text"] for r in rows] == ["复查CT示肝脏占位。", "", "患者因直肠癌行直肠癌根治术。"]
    html = (tmp_path / "view.html").read_text(encoding="utf-8")
    assert "直肠癌" in html and "<mark" in html


def test_malformed_lines_are_reported_and_counted(model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b'{"text": "\xe5\xa4\x8d\xe6\x9f\xa5CT"}\n'  # good
        b"{not json}\n"
        b'{"other": 1}\n'
        b'{"text": "\xff\xfe bad bytes"}\n'
        b'{"text": 5}\n'
        b'{"text": "\xe8\x82\x9d"}\n'  # good
    )
    out = tmp_path / "out.jsonl"
    assert main(["annotate", str(model_dir), str(source), str(out)]) == 0
    err = capsys.readouterr().err
    assert "lines read: 6; written: 2" in err and "skipped: 4" in err
    for number, reason in [
        (2, "not valid JSON"),
        (3, "no field 'text'"),
        (4, "invalid UTF-8"),
        (5, "field 'text' is not a string"),
    ]:
        assert f"skipped line {number}: {reason}" in err
    assert len(read_jsonl(out)) == 2
    assert main(["annotate", str(model_dir), str(source), str(out), "--on-error", "stop"]) == 1
    assert "in.jsonl:2: not valid JSON" in capsys.readouterr().err


def test_damaged_models_give_clear_errors(model_dir, tmp_path):
    with pytest.raises(ModelLoadError, match="not a directory and not an installed package"):
        load_pipeline(str(tmp_path / "nowhere"))
    incomplete = tmp_path / "incomplete"
    shutil.copytree(model_dir, incomplete)
    (incomplete / "config.cfg").unlink()
    with pytest.raises(ModelLoadError, match="config.cfg missing"):
        load_pipeline(str(incomplete))
    corrupted = tmp_path / "corrupted"
    shutil.copytree(model_dir, corrupted)
    (corrupted / "ner" / "model").write_bytes((corrupted / "ner" / "model").read_bytes()[:100])
    with pytest.raises(ModelLoadError, match="incomplete or corrupted"):
        load_pipeline(str(corrupted))
    relabelled = tmp_path / "relabelled"
    shutil.copytree(model_dir, relabelled)
    cfg_path = relabelled / "ner" / "cfg"
    cfg = json.loads(cfg_path.read_text())
    cfg["labels"] = cfg["labels"] + ["Symptom"]
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="but its weights were trained for"):
        load_pipeline(str(relabelled))
