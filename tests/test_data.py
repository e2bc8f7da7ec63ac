import json

import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from spacy_cner.__main__ import main
from spacy_cner.data import yidu_s4k
from spacy_cner.data.labels import YIDU_S4K_LABELS, invert
from spacy_cner.data.readers import read_char_conll, read_span_jsonl, read_yidu_s4k
from spacy_cner.data.records import AnnotationError, Entity, Record, records_to_docs, split_records

from .conftest import YIDU_DIR


def write_lines(path, lines, bom=False):
    path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_yidu_reader_handles_bom_and_space_edged_spans(tmp_path):
    text = "予替吉奥 口服，查 CEA升高。"
    line = {
        "originalText": text,
        "entities": [
            {"label_type": "药物", "overlap": 0, "start_pos": 1, "end_pos": 5},
            {"start_pos": 9, "label_type": "实验室检验", "end_pos": 13},
        ],
    }
    path = write_lines(tmp_path / "train.txt", [json.dumps(line, ensure_ascii=False), ""], bom=True)
    (record,) = read_yidu_s4k(path)
    assert record.text == text
    (doc,) = records_to_docs([record])
    assert [(e.text, e.label_) for e in doc.ents] == [("替吉奥 ", "药物"), (" CEA", "实验室检验")]
    assert doc.text == text


def test_conversion_fails_loudly_instead_of_dropping():
    with pytest.raises(AnnotationError, match="overlap"):
        records_to_docs([Record("肝癌肝转移", [Entity(0, 2, "D"), Entity(1, 3, "A")], "x:1")])
    with pytest.raises(AnnotationError, match="outside"):
        records_to_docs([Record("肝癌", [Entity(0, 5, "D")], "x:2")])


def test_span_jsonl_reader_and_malformed_lines(tmp_path):
    good = {"text": "复查CT示肝脏占位", "spans": [{"start": 2, "end": 4, "label": "Image"}]}
    path = write_lines(tmp_path / "a.jsonl", [json.dumps(good, ensure_ascii=False)])
    (record,) = read_span_jsonl(path)
    assert record.entities == [Entity(2, 4, "Image")]
    bad = write_lines(tmp_path / "b.jsonl", [json.dumps(good, ensure_ascii=False), "{not json"])
    with pytest.raises(AnnotationError, match="b.jsonl:2"):
        read_span_jsonl(bad)
    missing = write_lines(tmp_path / "c.jsonl", ['{"spans": []}'])
    with pytest.raises(AnnotationError, match="missing field 'text'"):
        read_span_jsonl(missing)


def test_char_conll_reader_bio_bioes_and_space_tokens(tmp_path):
    lines = [
        "肝\tB-Anatomy",
        "脏\tI-Anatomy",
        "  O",
        "C B-Image",
        "T I-Image",
        "",
        "胃\tS-Anatomy",
        "癌\tO",
        "高\tB-Disease",
        "血\tM-Disease",
        "压\tE-Disease",
    ]
    records = read_char_conll(write_lines(tmp_path / "a.conll", lines))
    assert [r.text for r in records] == ["肝脏 CT", "胃癌高血压"]
    assert records[0].entities == [Entity(0, 2, "Anatomy"), Entity(3, 5, "Image")]
    assert records[1].entities == [Entity(0, 1, "Anatomy"), Entity(2, 5, "Disease")]
    with pytest.raises(AnnotationError, match="a2.conll:2"):
        read_char_conll(write_lines(tmp_path / "a2.conll", ["肝\tB-A", "oops"]))


def test_split_keeps_duplicates_together():
    records = [Record(f"text {i}") for i in range(20)] + [Record("text 3")]
    kept, held = split_records(records, 5, seed=1)
    assert len(kept) + len(held) == 21
    assert sum(r.text == "text 3" for r in held) in (0, 2)
    assert split_records(records, 5, seed=1)[1] == held


def test_label_map_is_invertible():
    assert invert(YIDU_S4K_LABELS)["Disease"] == "疾病和诊断"
    with pytest.raises(ValueError, match="both map"):
        invert({"a": "X", "b": "X"})


def test_cli_converts_generic_jsonl(tmp_path):
    line = {"txt": "右肺上叶结节", "ents": [{"start": 0, "end": 4, "label": "解剖部位"}]}
    source = write_lines(tmp_path / "in.jsonl", [json.dumps(line, ensure_ascii=False)])
    label_map = tmp_path / "map.json"
    label_map.write_text(json.dumps({"解剖部位": "Anatomy"}), encoding="utf-8")
    out = tmp_path / "out.spacy"
    assert (
        main(
            [
                "convert",
                "jsonl",
                str(source),
                str(out),
                "--text-field",
                "txt",
                "--spans-field",
                "ents",
                "--label-map",
                str(label_map),
            ]
        )
        == 0
    )
    (doc,) = DocBin().from_disk(out).get_docs(Vocab())
    assert [(e.text, e.label_) for e in doc.ents] == [("右肺上叶", "Anatomy")]


def test_cli_reports_missing_yidu_data(tmp_path, capsys):
    assert main(["convert", "yidu", str(tmp_path), str(tmp_path / "out")]) == 1
    assert "not redistributable" in capsys.readouterr().err


@pytest.mark.skipif(not YIDU_DIR.exists(), reason="Yidu-S4K is not available locally")
def test_yidu_s4k_converts_losslessly_with_published_counts(tmp_path):
    for split in ("train", "test"):
        records = yidu_s4k.read_split(YIDU_DIR, split)
        assert yidu_s4k.check_counts(records, split) == yidu_s4k.EXPECTED_COUNTS[split]
        docs = records_to_docs(records)
        assert sum(len(d.ents) for d in docs) == sum(yidu_s4k.EXPECTED_COUNTS[split].values())
        assert all(d.text == r.text for d, r in zip(docs, records))
    assert main(["convert", "yidu", str(YIDU_DIR), str(tmp_path)]) == 0
    sizes = {s: len(DocBin().from_disk(tmp_path / f"{s}.spacy")) for s in ("train", "dev", "test")}
    assert sizes == {"train": 900, "dev": 100, "test": 379}


@pytest.mark.skipif(not YIDU_DIR.exists(), reason="Yidu-S4K is not available locally")
def test_fetch_copies_a_local_copy_and_checks_sha256(tmp_path):
    assert yidu_s4k.fetch(tmp_path / "a", local=YIDU_DIR) == []
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(yidu_s4k.SHA256)
    changed = tmp_path / "b"
    changed.mkdir()
    for name in yidu_s4k.SHA256:
        (changed / name).write_bytes((YIDU_DIR / name).read_bytes().lstrip(b"\xef\xbb\xbf"))  # a BOM-less copy
    warnings = yidu_s4k.fetch(changed)
    assert len(warnings) == 2 and all("sha256 differs" in w for w in warnings)  # the two training files had a BOM
