"""Joining .spacy files: every record, entity and span group kept, in order; what cannot be joined is refused."""

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_cner.__main__ import main
from spacy_cner.data.docbins import join_docbins

NLP = spacy.blank("zh")


def write(path, records, store_user_data=False):
    """``records``: (text, entities, nested spans), spans as (start char, end char, label)."""
    docs = []
    for text, entities, nested in records:
        doc = NLP.make_doc(text)
        doc.ents = [doc.char_span(start, end, label=label) for start, end, label in entities]
        doc.spans["sc"] = [doc.char_span(start, end, label=label) for start, end, label in nested]
        docs.append(doc)
    DocBin(docs=docs, store_user_data=store_user_data).to_disk(path)


def read(path):
    return [
        (
            doc.text,
            [(e.start_char, e.end_char, e.label_) for e in doc.ents],
            [(s.start_char, s.end_char, s.label_) for s in doc.spans.get("sc", [])],
        )
        for doc in DocBin().from_disk(path).get_docs(NLP.vocab)
    ]


TRAIN = [("胃癌术后", [(0, 2, "Disease")], [(0, 2, "Disease"), (0, 1, "Anatomy")]), ("无不适", [], [])]
DEV = [("口服阿司匹林", [(2, 6, "Medicine")], [(2, 6, "Medicine")])]


def test_joined_records_are_the_inputs_in_order_with_every_entity_and_span(tmp_path):
    write(tmp_path / "train.spacy", TRAIN)
    write(tmp_path / "dev.spacy", DEV)
    assert join_docbins([tmp_path / "train.spacy", tmp_path / "dev.spacy"], tmp_path / "all.spacy") == 3
    assert read(tmp_path / "all.spacy") == TRAIN + DEV


def test_user_data_is_kept(tmp_path):
    doc = NLP.make_doc("右肺结节")
    doc.user_data["record_id"] = "A-17"
    DocBin(docs=[doc], store_user_data=True).to_disk(tmp_path / "a.spacy")
    DocBin(docs=[doc], store_user_data=True).to_disk(tmp_path / "b.spacy")
    join_docbins([tmp_path / "a.spacy", tmp_path / "b.spacy"], tmp_path / "ab.spacy")
    docs = list(DocBin().from_disk(tmp_path / "ab.spacy").get_docs(NLP.vocab))
    assert [d.user_data.get("record_id") for d in docs] == ["A-17", "A-17"]


def test_what_cannot_be_joined_is_refused(tmp_path):
    write(tmp_path / "plain.spacy", TRAIN)
    doc = NLP.make_doc("右肺结节")
    doc.user_data["record_id"] = "A-17"
    DocBin(docs=[doc], store_user_data=True).to_disk(tmp_path / "with_user_data.spacy")
    with pytest.raises(ValueError, match="store_user_data"):  # else the user data would be dropped
        join_docbins([tmp_path / "plain.spacy", tmp_path / "with_user_data.spacy"], tmp_path / "out.spacy")
    with pytest.raises(ValueError, match="also an input"):
        join_docbins([tmp_path / "plain.spacy"], tmp_path / "plain.spacy")
    with pytest.raises(FileNotFoundError, match="absent.spacy"):
        join_docbins([tmp_path / "plain.spacy", tmp_path / "absent.spacy"], tmp_path / "out.spacy")
    (tmp_path / "records.jsonl").write_text('{"text": "胃癌"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="records.jsonl.*DocBin"):
        join_docbins([tmp_path / "plain.spacy", tmp_path / "records.jsonl"], tmp_path / "out.spacy")
    assert not (tmp_path / "out.spacy").exists()


def test_the_join_command(tmp_path, capsys):
    write(tmp_path / "train.spacy", TRAIN)
    write(tmp_path / "dev.spacy", DEV)
    inputs = [str(tmp_path / "train.spacy"), str(tmp_path / "dev.spacy")]
    assert main(["join", *inputs, "-o", str(tmp_path / "x.spacy")]) == 0
    assert read(tmp_path / "x.spacy") == TRAIN + DEV
    assert main(["join", str(tmp_path / "nowhere.spacy"), "-o", str(tmp_path / "y.spacy")]) == 1
    assert "nowhere.spacy" in capsys.readouterr().err
