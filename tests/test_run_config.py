"""How benchmarks/run_config.py merges a new run into a results file."""

import importlib.util
import subprocess
from pathlib import Path

import spacy
from spacy.tokens import DocBin

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("run_config", ROOT / "benchmarks" / "run_config.py")
run_config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_config)


def test_a_rerun_replaces_its_seed_and_takes_its_note_with_it():
    earlier = {"overrides": ["--x", "1"], "note": "alone on the machine", "runs": [{"seed": 0}, {"seed": 1}]}
    runs = run_config.merge_runs(earlier, {"seed": 0, "note": "beside another run"}, ["--x", "1"])
    assert runs == [{"seed": 0, "note": "beside another run"}, {"seed": 1, "note": "alone on the machine"}]


def test_runs_with_other_overrides_are_not_kept():
    earlier = {"overrides": ["--x", "1"], "note": "old", "runs": [{"seed": 1, "note": "old"}]}
    assert run_config.merge_runs(earlier, {"seed": 0, "note": ""}, ["--x", "2"]) == [{"seed": 0, "note": ""}]
    assert run_config.merge_runs(None, {"seed": 0, "note": ""}, []) == [{"seed": 0, "note": ""}]


def test_results_and_prose_do_not_make_a_run_dirty(tmp_path):
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True)

    files = {"README.md": "a", "benchmarks/results/x.json": "{}", "spacy_cner/layer.py": "x = 1"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "start")
    head = run_config.git_commit(tmp_path)
    assert len(head) == 40
    (tmp_path / "README.md").write_text("b")
    (tmp_path / "benchmarks/results/x.json").write_text("{1}")
    assert run_config.git_commit(tmp_path) == head
    (tmp_path / "spacy_cner/layer.py").write_text("x = 2")
    assert run_config.git_commit(tmp_path) == head + "-dirty"


def write_records(path: Path, records: list) -> None:
    """A DocBin of (text, [(start, end, label)]) records."""
    nlp = spacy.blank("zh")
    docs = []
    for text, ents in records:
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(start, end, label=label) for start, end, label in ents]
        docs.append(doc)
    DocBin(docs=docs).to_disk(path)


def test_the_fingerprint_covers_every_file_the_config_reads(tmp_path):
    for name in ("train.spacy", "dev.spacy", "test.spacy", "pseudo.spacy"):
        write_records(tmp_path / name, [(name, [])])
    (tmp_path / "x-seed0").mkdir()
    (tmp_path / "x-seed0" / "weights").write_bytes(b"w")
    overrides = ["--paths.pseudo", str(tmp_path / "pseudo.spacy"), "--paths.warm_start", str(tmp_path / "x-seed0")]
    hashes = run_config.inputs_fingerprint("bilstm_crf_lexicon_distilled", tmp_path, overrides)
    files = [str(tmp_path / name) for name in ("train.spacy", "dev.spacy", "pseudo.spacy", "test.spacy", "x-seed0")]
    assert sorted(hashes) == sorted(["configs/bilstm_crf_lexicon_distilled.cfg", *files])
    write_records(tmp_path / "pseudo.spacy", [("other pseudo-labels", [])])
    changed = run_config.inputs_fingerprint("bilstm_crf_lexicon_distilled", tmp_path, overrides)
    assert [name for name in hashes if hashes[name] != changed[name]] == [str(tmp_path / "pseudo.spacy")]


def test_a_corpus_is_hashed_by_its_records_not_its_bytes(tmp_path):
    records = [("患者有高血压", [(3, 6, "Disease")]), ("服用阿司匹林", [(2, 6, "Medicine")])]
    write_records(tmp_path / "a.spacy", records)
    nlp = spacy.blank("zh")
    padded = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE", "LEMMA"])  # other bytes, same records
    for doc in DocBin().from_disk(tmp_path / "a.spacy").get_docs(nlp.vocab):
        padded.add(doc)
    padded.to_disk(tmp_path / "b.spacy")
    assert (tmp_path / "a.spacy").read_bytes() != (tmp_path / "b.spacy").read_bytes()
    assert run_config.sha256_of(tmp_path / "a.spacy") == run_config.sha256_of(tmp_path / "b.spacy")
    for changed in (
        [records[0], ("服用阿司匹林", [(2, 5, "Medicine")])],
        [records[0], ("服用阿司匹林", [(2, 6, "Disease")])],
        [records[1], records[0]],
        [records[0]],
    ):
        write_records(tmp_path / "c.spacy", changed)
        assert run_config.sha256_of(tmp_path / "c.spacy") != run_config.sha256_of(tmp_path / "a.spacy")


def test_each_run_keeps_the_input_hashes_it_was_trained_on():
    earlier = {"overrides": [], "inputs_sha256": {"corpus/train.spacy": "old"}, "runs": [{"seed": 0}]}
    runs = run_config.merge_runs(earlier, {"seed": 1, "note": "", "inputs_sha256": {"corpus/train.spacy": "new"}}, [])
    assert [run["inputs_sha256"]["corpus/train.spacy"] for run in runs] == ["old", "new"]


def test_the_files_commit_is_the_runs_common_one_or_none():
    assert run_config.common_commit([{"commit": "a"}, {"commit": "a"}]) == "a"
    assert run_config.common_commit([{"commit": "a"}, {}]) is None  # a run recorded before commits were kept
