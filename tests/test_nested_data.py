"""Nested entities survive conversion for a span component; the flat component refuses them, saying why."""

import json

import spacy
from spacy.tokens import DocBin

from spacy_cner.__main__ import main
from spacy_cner.data.records import Entity, outermost

CMEEE = [
    {
        "text": "儿童细胞下降不明显。",
        "entities": [
            {"start_idx": 0, "end_idx": 1, "type": "bod", "entity": "儿童"},
            {"start_idx": 2, "end_idx": 5, "type": "sym", "entity": "细胞下降"},
            {"start_idx": 2, "end_idx": 3, "type": "bod", "entity": "细胞"},
        ],
    },
    {"text": "口服阿司匹林。", "entities": [{"start_idx": 2, "end_idx": 5, "type": "dru", "entity": "阿司匹林"}]},
    {"text": "无特殊。", "entities": []},
    {"text": "肺癌术后复查胸部CT。", "entities": [{"start_idx": 0, "end_idx": 1, "type": "dis"}]},
]


def read_docs(path, key="sc"):
    docs = list(DocBin().from_disk(path).get_docs(spacy.blank("zh").vocab))
    return docs, [(s.start_char, s.end_char, s.label_) for doc in docs for s in doc.spans[key]]


def test_outermost_keeps_entities_inside_no_other():
    entities = [Entity(2, 6, "sym"), Entity(2, 4, "bod"), Entity(0, 2, "bod"), Entity(5, 8, "x")]
    assert outermost(entities) == [Entity(0, 2, "bod"), Entity(2, 6, "sym")]  # 5-8 overlaps the longer 2-6


def test_cmeee_conversion_keeps_every_nested_entity_and_writes_the_split(tmp_path):
    source = tmp_path / "cmeee.json"
    source.write_text(json.dumps(CMEEE, ensure_ascii=False), encoding="utf-8")
    args = [str(source), str(tmp_path / "out"), "--dev-size", "1", "--test-size", "1", "--seed", "3"]
    assert main(["convert", "cmeee", *args]) == 0
    spans, outer, texts = [], [], []
    for part in ("train", "dev", "test"):
        docs, part_spans = read_docs(tmp_path / "out" / f"{part}.spacy")
        spans += part_spans
        outer += [(e.start_char, e.end_char, e.label_) for doc in docs for e in doc.ents]
        texts += [doc.text for doc in docs]
    assert sorted(spans) == sorted((e["start_idx"], e["end_idx"] + 1, e["type"]) for r in CMEEE for e in r["entities"])
    assert (2, 4, "bod") in spans and (2, 4, "bod") not in outer and (2, 6, "sym") in outer
    split = json.loads((tmp_path / "out" / "split.json").read_text())
    assert split["seed"] == 3 and sorted(sum(split["records"].values(), [])) == [0, 1, 2, 3]
    assert sorted(texts) == sorted(r["text"] for r in CMEEE)


def test_an_entity_whose_text_disagrees_with_its_offsets_is_refused(tmp_path, capsys):
    bad = [
        {"text": "口服阿司匹林。", "entities": [{"start_idx": 2, "end_idx": 4, "type": "dru", "entity": "阿司匹林"}]}
    ]
    (tmp_path / "bad.json").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    assert main(["convert", "cmeee", str(tmp_path / "bad.json"), str(tmp_path / "out")]) == 1
    assert "bad.json[0]: '阿司匹林' is not text[2:5]" in capsys.readouterr().err


def test_jsonl_overlaps_are_refused_for_cner_and_kept_with_a_spans_key(tmp_path, capsys):
    line = {
        "text": "细胞下降",
        "spans": [{"start": 0, "end": 4, "label": "sym"}, {"start": 0, "end": 2, "label": "bod"}],
    }
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["convert", "jsonl", str(source), str(tmp_path / "flat.spacy")]) == 1
    assert "the flat cner component cannot learn nested entities" in capsys.readouterr().err
    assert main(["convert", "jsonl", str(source), str(tmp_path / "nested.spacy"), "--spans-key", "sc"]) == 0
    assert sorted(read_docs(tmp_path / "nested.spacy")[1]) == [(0, 2, "bod"), (0, 4, "sym")]


def test_a_duplicated_entity_is_refused(tmp_path, capsys):
    entities = [{"start_idx": 0, "end_idx": 1, "type": "bod"}] * 2
    (tmp_path / "dup.json").write_text(json.dumps([{"text": "儿童", "entities": entities}]), encoding="utf-8")
    args = [str(tmp_path / "dup.json"), str(tmp_path / "out"), "--test-size", "0", "--dev-size", "0"]
    assert main(["convert", "cmeee", *args]) == 1
    assert "listed twice" in capsys.readouterr().err
