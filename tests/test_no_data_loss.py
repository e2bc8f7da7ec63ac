"""Bad input, interruption and misuse never lose or corrupt a record, nor relabel an entity."""

import configparser
import errno
import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest
import spacy
import srsly
import torch
from spacy.language import Language
from spacy.tokens import DocBin

from spacy_cner.__main__ import main
from spacy_cner.annotation import annotate_texts, piece_starts
from spacy_cner.cli import annotate as annotate_cli
from spacy_cner.model_loading import ModelLoadError, load_pipeline

from .conftest import EMR_SENTENCES, LABELS, blank_char_nlp, make_examples


def test_a_cfg_with_renamed_labels_is_refused(model_dir, tmp_path):
    renamed = tmp_path / "renamed"
    shutil.copytree(model_dir, renamed)
    cfg_path = renamed / "ner" / "cfg"
    cfg = json.loads(cfg_path.read_text())
    assert cfg["labels"] == LABELS
    cfg["labels"] = ["Disease", "Anatomy", *LABELS[2:]]  # same count, two swapped: every entity would be relabelled
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match=r"lists the labels \['Disease', 'Anatomy'.*trained for \['Anatomy'"):
        load_pipeline(str(renamed))


def test_weights_that_do_not_match_their_checksum_are_refused(model_dir, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(model_dir, other)
    weights = bytearray((other / "ner" / "model").read_bytes())
    weights[-1] ^= 1  # still a readable msgpack file, one weight changed
    (other / "ner" / "model").write_bytes(bytes(weights))
    with pytest.raises(ModelLoadError, match="does not match the checksum saved with it"):
        load_pipeline(str(other))


def test_a_pipeline_with_a_spacy_tagger_beside_cner_loads(model_dir, tmp_path):
    nlp = spacy.load(model_dir)
    tagger = nlp.add_pipe("tagger", first=True)
    examples = make_examples(nlp)
    for example in examples:
        for token in example.reference:
            token.tag_ = "LATIN" if token.text.isascii() else "HAN"
    tagger.initialize(lambda: examples, nlp=nlp)
    nlp.to_disk(tmp_path / "two")
    loaded = load_pipeline(str(tmp_path / "two"))
    assert loaded.pipe_names == ["tagger", "ner"]
    original = spacy.load(model_dir)
    for text, _ in EMR_SENTENCES:
        assert [(e.start_char, e.end_char, e.label_) for e in loaded(text).ents] == [
            (e.start_char, e.end_char, e.label_) for e in original(text).ents
        ]


def test_bytes_round_trip_keeps_the_checks(trained_nlp):
    data = trained_nlp.get_pipe("ner").to_bytes()
    copy = spacy.blank("zh").add_pipe(
        "cner", name="ner", config={"model": trained_nlp.config["components"]["ner"]["model"]}
    )
    copy.from_bytes(data)
    assert copy.labels == tuple(LABELS)
    fields = srsly.msgpack_loads(data)
    fields["model"] = fields["model"][:-1] + bytes([fields["model"][-1] ^ 1])
    with pytest.raises(ValueError, match="checksum"):
        copy.from_bytes(srsly.msgpack_dumps(fields))


class RunsCode:
    """A pickle that, when loaded by an unsafe loader, creates a file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_weights_that_carry_a_pickled_callable_are_refused_and_never_run(model_dir, tmp_path):
    crafted = tmp_path / "crafted"
    shutil.copytree(model_dir, crafted)
    marker = tmp_path / "code-ran"
    weights = srsly.msgpack_loads((crafted / "ner" / "model").read_bytes())
    shims = [(i, j) for i, node in enumerate(weights["shims"]) for j, _ in enumerate(node)]
    assert shims, "the tiny model's BiLSTM is a torch shim"
    i, j = shims[0]
    shim = srsly.msgpack_loads(weights["shims"][i][j])
    shim["state"] = pickle.dumps({"weight": RunsCode(marker)})
    weights["shims"][i][j] = srsly.msgpack_dumps(shim)
    data = srsly.msgpack_dumps(weights)
    (crafted / "ner" / "model").write_bytes(data)
    cfg = json.loads((crafted / "ner" / "cfg").read_text())
    cfg["weights_sha256"] = hashlib.sha256(data).hexdigest()  # an attacker can rewrite the checksum too
    (crafted / "ner" / "cfg").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="incomplete or corrupted"):
        load_pipeline(str(crafted))
    assert not marker.exists()


def test_the_package_requires_a_torch_that_refuses_pickled_code():
    setup = configparser.ConfigParser()
    setup.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    requirements = setup["options"]["install_requires"].split()
    assert "torch>=2.6" in requirements
    assert tuple(int(part) for part in torch.__version__.split(".")[:2]) >= (2, 6)


# --- annotate: records are never lost, doubled or written over ---------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


LONG = "，".join(text for text, _ in EMR_SENTENCES) * 2  # records long enough that a run is still going when killed


def write_records(path: Path, n: int, first_id: int = 0, extra: str = "") -> List[str]:
    """n JSONL records with ids; returns the texts."""
    texts = [f"{EMR_SENTENCES[i % len(EMR_SENTENCES)][0]}{extra}第{i}次。" for i in range(first_id, first_id + n)]
    path.write_text(
        "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts, first_id)),
        encoding="utf-8",
    )
    return texts


def check_output(path: Path, ids: List[int], texts: List[str]) -> None:
    """Each id exactly once, in input order, every entity's text at its offsets."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ids
    by_id = dict(zip(ids, texts))
    for row in rows:
        assert row["text"] == by_id[row["id"]]
        for entity in row["entities"]:
            assert row["text"][entity["start"] : entity["end"]] == entity["text"]


def annotate_process(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "spacy_cner", "annotate", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_lines(path: Path, at_least: int, process: subprocess.Popen) -> None:
    for _ in range(1200):
        if path.exists() and path.read_bytes().count(b"\n") >= at_least:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    raise AssertionError(f"{path} never reached {at_least} lines")


def test_the_input_is_never_the_output(model_dir, tmp_path):
    source = tmp_path / "same.jsonl"
    write_records(source, 5)
    before = source.read_bytes()
    assert main(["annotate", str(model_dir), str(source), str(source)]) == 1
    link = tmp_path / "link.jsonl"
    link.symlink_to(source)
    assert main(["annotate", str(model_dir), str(source), str(link)]) == 1
    hard = tmp_path / "hard.jsonl"
    os.link(source, hard)
    assert main(["annotate", str(model_dir), str(hard), str(source)]) == 1
    assert source.read_bytes() == before


def test_bad_arguments_leave_an_existing_output_untouched(model_dir, tmp_path, capsys):
    existing = tmp_path / "existing.jsonl"
    existing.write_text('{"old": 1}\n', encoding="utf-8")
    assert main(["annotate", str(model_dir), str(tmp_path), str(existing)]) == 1
    assert "is not a file" in capsys.readouterr().err
    source = tmp_path / "in.jsonl"
    write_records(source, 3)
    with pytest.raises(SystemExit):
        main(["annotate", str(model_dir), str(source), str(existing), "--batch-size", "0"])
    assert main(["annotate", "no-such-model", str(source), str(existing)]) == 1
    assert existing.read_text(encoding="utf-8") == '{"old": 1}\n'
    assert main(["annotate", str(model_dir), str(source), str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err
    assert main(["annotate", str(model_dir), str(source), str(existing / "x.jsonl")]) == 1
    assert "is not a directory" in capsys.readouterr().err


def test_a_killed_run_leaves_the_old_output_whole_and_resumes_exactly_once(model_dir, tmp_path):
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    texts = write_records(source, 400)
    output.write_text("previous complete output\n", encoding="utf-8")
    process = annotate_process(str(model_dir), str(source), str(output), "--batch-size", "4")
    wait_for_lines(Path(f"{output}.part"), 40, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert output.read_text(encoding="utf-8") == "previous complete output\n"
    with open(f"{output}.part", "ab") as part:
        part.write(b'{"id": 9999, "text": "half a li')  # a torn last write
    assert main(["annotate", str(model_dir), str(source), str(output), "--batch-size", "4", "--resume"]) == 0
    check_output(output, list(range(400)), texts)
    assert not Path(f"{output}.part").exists()
    assert json.loads(Path(f"{output}.manifest.json").read_text())["input"]["size"] == source.stat().st_size


def test_resume_from_a_changed_input_or_onto_another_output_is_refused(model_dir, tmp_path, capsys):
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_records(source, 300, extra=LONG)
    process = annotate_process(str(model_dir), str(source), str(output), "--batch-size", "2")
    wait_for_lines(Path(f"{output}.part"), 4, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    changed = [json.dumps({"id": -1, "text": "新加的记录。"}, ensure_ascii=False) + "\n"]
    source.write_text("".join(changed) + source.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["annotate", str(model_dir), str(source), str(output), "--resume"]) == 1
    assert "cannot resume" in capsys.readouterr().err
    other = tmp_path / "other.jsonl"
    other.write_text('{"someone": "else"}\n', encoding="utf-8")
    assert main(["annotate", str(model_dir), str(source), str(other), "--resume"]) == 1
    assert "nothing to resume" in capsys.readouterr().err
    assert other.read_text(encoding="utf-8") == '{"someone": "else"}\n'


def test_resume_by_id_takes_records_added_to_the_input(model_dir, tmp_path):
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    texts = write_records(source, 200, extra=LONG)
    process = annotate_process(str(model_dir), str(source), str(output), "--batch-size", "2", "--id-field", "id")
    wait_for_lines(Path(f"{output}.part"), 10, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Only what the progress record counts is kept; lines written after its last save are redone.
    committed = json.loads(Path(f"{output}.part.json").read_text(encoding="utf-8"))["progress"]["written"]
    part_lines = Path(f"{output}.part").read_text(encoding="utf-8").splitlines()[:committed]
    written = [json.loads(line)["id"] for line in part_lines]
    assert len(written) >= 2
    new = tmp_path / "new.jsonl"
    new_texts = write_records(new, 1, first_id=1000)
    source.write_text(new.read_text(encoding="utf-8") + source.read_text(encoding="utf-8"), encoding="utf-8")
    args = [str(model_dir), str(source), str(output), "--batch-size", "2", "--id-field", "id", "--resume"]
    assert main(["annotate", *args]) == 0
    rows = [json.loads(line)["id"] for line in output.read_text(encoding="utf-8").splitlines()]
    assert sorted(rows) == [*range(200), 1000] and len(rows) == len(set(rows))
    assert rows[: len(written)] == written
    check_output(output, rows, [dict(zip([1000, *range(200)], new_texts + texts))[i] for i in rows])


def test_a_second_writer_fails_at_once(model_dir, tmp_path):
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    texts = write_records(source, 300, extra=LONG)
    first = annotate_process(str(model_dir), str(source), str(output), "--batch-size", "2")
    wait_for_lines(Path(f"{output}.part"), 2, first)
    second = annotate_process(str(model_dir), str(source), str(output), "--batch-size", "2")
    _, err = second.communicate(timeout=300)
    assert second.returncode == 1 and "being written by another annotate run" in err
    assert first.wait(timeout=600) == 0
    check_output(output, list(range(300)), texts)


def test_workers_end_with_their_killed_parent(model_dir, tmp_path):
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_records(source, 3000)
    parent = annotate_process(str(model_dir), str(source), str(output), "--batch-size", "2", "--n-process", "2")
    wait_for_lines(Path(f"{output}.part"), 4, parent)
    children = subprocess.run(["pgrep", "-P", str(parent.pid)], capture_output=True, text=True).stdout.split()
    workers = [int(pid) for pid in children]
    assert len(workers) >= 2, children
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(300):
        alive = [pid for pid in workers if Path(f"/proc/{pid}").exists() and not _is_zombie(pid)]
        if not alive:
            break
        time.sleep(0.1)
    assert not alive, f"workers {alive} outlived their parent"


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_full_disk_reports_only_what_is_on_disk_and_resumes(model_dir, tmp_path, monkeypatch, capsys):
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    texts = write_records(source, 50)
    real_commit = annotate_cli.Output.commit
    calls = {"n": 0}

    def commit_until_full(self, rows, lines_done):
        calls["n"] += 1
        if calls["n"] == 4:
            self.handle.write("".join(rows)[:37].encode())  # part of a batch reached the disk
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_commit(self, rows, lines_done)

    monkeypatch.setattr(annotate_cli.Output, "commit", commit_until_full)
    assert main(["annotate", str(model_dir), str(source), str(output), "--batch-size", "5"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device. 15 records are safely written (input lines 1-15)" in err
    assert "written: 15;" in err
    monkeypatch.setattr(annotate_cli.Output, "commit", real_commit)
    assert main(["annotate", str(model_dir), str(source), str(output), "--batch-size", "5", "--resume"]) == 0
    check_output(output, list(range(50)), texts)


@Language.component("fails_on_a_marker")
def fails_on_a_marker(doc):
    if "炸" in doc.text:
        raise RuntimeError("this record breaks the pipeline")
    return doc


def test_a_bad_record_is_skipped_with_its_line_and_its_batch_is_kept(model_dir, tmp_path, capsys):
    nlp = spacy.load(model_dir)
    nlp.add_pipe("fails_on_a_marker", first=True)
    breaking = tmp_path / "breaking-model"
    nlp.to_disk(breaking)
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    long_text = "，".join(text for text, _ in EMR_SENTENCES) * 3
    lines = [
        '{"id": 0, "text": "患者因直肠癌行直肠癌根治术。"}',
        '{"id": 1, "text": "患者\\ud800发热。"}',  # a JSON-escaped lone surrogate
        '{"id": 2, "text": "复查CT示肝脏多发占位。"}',
        '{"id": 3, "text": "炸"}',
        json.dumps({"id": 4, "text": long_text}, ensure_ascii=False),
        '{"id": 5, "text": "诊断为高血压病2级。"}',
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = [str(breaking), str(source), str(output), "--batch-size", "10", "--piece-length", "40"]
    assert main(["annotate", *args]) == 0
    err = capsys.readouterr().err
    assert "skipped line 2: lone surrogate" in err
    assert "skipped line 4: RuntimeError: this record breaks the pipeline" in err
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == [0, 2, 4, 5]
    reference = spacy.load(model_dir)
    for row in rows[:1] + rows[2:]:
        doc = reference(row["text"])
        assert [(e["start"], e["end"], e["label"]) for e in row["entities"]] == [
            (e.start_char, e.end_char, e.label_) for e in doc.ents
        ]
    pieces = piece_starts(long_text, 40)
    assert len(pieces) > 5 and all(long_text[start - 1] == "。" for start in pieces[1:])  # at sentence ends


def test_a_two_million_character_record_has_the_entities_of_its_parts(model_dir):
    nlp = spacy.load(model_dir, config={"components": {"ner": {"confidence": False}}})  # Viterbi only: faster
    sentences = [text.rstrip("。") for text, _ in EMR_SENTENCES]
    part = "，".join(sentences * 600)[:79_999] + "。"  # one sentence end per part, at its end
    record = part * 25
    assert len(record) == 2_000_000
    (outcome,) = annotate_texts(nlp, [record], piece_length=100_000)
    alone = [(e.start_char, e.end_char, e.label_) for e in nlp(part).ents]  # the 25 parts are the same text
    expected = [
        (offset + start, offset + end, label)
        for offset in range(0, len(record), len(part))
        for start, end, label in alone
    ]
    assert outcome.error is None and len(expected) > 1000
    assert [(e["start"], e["end"], e["label"]) for e in outcome.entities] == expected
    assert all(record[e["start"] : e["end"]] == e["text"] for e in outcome.entities)


# --- convert and evaluate: clear errors, never a silent zero ------------------------------------------------------


def write_lines(path: Path, lines: List[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_spans_field_absent_from_every_record_is_an_error(tmp_path, capsys):
    source = write_lines(tmp_path / "in.jsonl", ['{"text": "高血压", "spans": [{"start": 0, "end": 3, "label": "D"}]}'])
    assert main(["convert", "jsonl", str(source), str(tmp_path / "out.spacy"), "--spans-field", "entities"]) == 1
    assert "no record has a field 'entities'" in capsys.readouterr().err
    assert not (tmp_path / "out.spacy").exists()


@pytest.mark.parametrize(
    "spans, message",
    [
        ("null", "field 'spans' should be a list of {start, end, label} objects, got null"),
        ('{"start": 0}', "field 'spans' should be a list of {start, end, label} objects, got {\"start\": 0}"),
        ("[5]", "field 'spans' should be a list of {start, end, label} objects, got [5]"),
        ('[{"start": true, "end": 3, "label": "D"}]', "field 'start' should be int, got true"),
        ('[{"start": 0, "end": 3.0, "label": "D"}]', "field 'end' should be int, got 3.0"),
    ],
)
def test_malformed_spans_name_file_and_line(tmp_path, capsys, spans, message):
    source = write_lines(
        tmp_path / "in.jsonl", ['{"text": "无", "spans": []}', f'{{"text": "高血压", "spans": {spans}}}']
    )
    assert main(["convert", "jsonl", str(source), str(tmp_path / "out.spacy")]) == 1
    assert f"in.jsonl:2: {message}" in capsys.readouterr().err


def test_invalid_utf8_in_a_converted_file_names_file_and_line(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"text": "ok", "spans": []}\n{"text": "\xff", "spans": []}\n')
    assert main(["convert", "jsonl", str(source), str(tmp_path / "out.spacy")]) == 1
    assert "in.jsonl:2: invalid UTF-8 at byte 10" in capsys.readouterr().err


def test_evaluate_refuses_what_it_cannot_score(model_dir, tmp_path, capsys):
    empty = tmp_path / "empty.spacy"
    empty.write_bytes(b"")
    assert main(["evaluate", str(model_dir), str(empty)]) == 1
    assert "empty.spacy is not a readable .spacy file" in capsys.readouterr().err
    DocBin().to_disk(tmp_path / "none.spacy")
    assert main(["evaluate", str(model_dir), str(tmp_path / "none.spacy")]) == 1
    assert "holds no records" in capsys.readouterr().err
    jsonl = write_lines(tmp_path / "gold.jsonl", ['{"text": "高血压", "spans": []}'])
    assert main(["evaluate", str(model_dir), str(jsonl)]) == 1
    assert "evaluate reads a .spacy file" in capsys.readouterr().err
    nlp = blank_char_nlp()
    doc = nlp.make_doc("高血压病")
    doc.ents = [doc.char_span(0, 4, label="疾病")]
    DocBin(docs=[doc]).to_disk(tmp_path / "other-labels.spacy")
    assert main(["evaluate", str(model_dir), str(tmp_path / "other-labels.spacy")]) == 1
    assert "share none with the model's" in capsys.readouterr().err


# --- annotate options: nothing overwritten, file names as users write them -----------------------------------------


def test_an_entities_field_that_exists_in_the_input_is_refused(model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "in.jsonl", ['{"text": "高血压", "entities": "keep me"}'])
    assert main(["annotate", str(model_dir), str(source), str(tmp_path / "out.jsonl")]) == 1
    assert "already has a field 'entities'" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()
    args = [str(model_dir), str(source), str(tmp_path / "out.jsonl"), "--entities-field", "predicted"]
    assert main(["annotate", *args]) == 0
    (row,) = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["entities"] == "keep me" and isinstance(row["predicted"], list)


def test_upper_case_suffixes_and_json_arrays(model_dir, tmp_path, capsys):
    upper = write_lines(tmp_path / "IN.JSONL", ['{"note": "高血压"}'])
    assert main(["annotate", str(model_dir), str(upper), str(tmp_path / "a.jsonl"), "--text-field", "note"]) == 0
    assert json.loads((tmp_path / "a.jsonl").read_text(encoding="utf-8"))["note"] == "高血压"
    array = write_lines(tmp_path / "records.json", ['[{"text": "高血压"}]'])
    assert main(["annotate", str(model_dir), str(array), str(tmp_path / "b.jsonl")]) == 1
    assert "is a JSON array; annotate reads JSON lines" in capsys.readouterr().err


def test_a_record_over_max_length_is_annotated_in_pieces_not_refused(model_dir):
    nlp = spacy.load(model_dir)
    nlp.max_length = 30  # spaCy refuses longer texts (E088)
    record = "患者因直肠癌行直肠癌根治术。复查CT示肝脏多发占位。" * 8
    with pytest.raises(ValueError, match="E088"):
        nlp(record)
    (outcome,) = annotate_texts(nlp, [record])
    assert outcome.error is None and outcome.entities
    assert all(record[e["start"] : e["end"]] == e["text"] for e in outcome.entities)


def test_an_unwritable_output_is_a_clear_error(model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "in.jsonl", ['{"text": "高血压"}'])
    assert main(["annotate", str(model_dir), str(source), "/proc/annotated.jsonl"]) == 1  # a read-only filesystem
    assert "cannot write next to /proc/annotated.jsonl" in capsys.readouterr().err
