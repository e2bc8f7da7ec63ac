"""How benchmarks/run_config.py merges a new run into a results file."""

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from .conftest import EMR_SENTENCES, write_docbin

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("run_config", ROOT / "benchmarks" / "run_config.py")
run_config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_config)
sys.modules["run_config"] = run_config  # what rerun.py imports, beside it in benchmarks/
_rerun_spec = importlib.util.spec_from_file_location("rerun", ROOT / "benchmarks" / "rerun.py")
rerun = importlib.util.module_from_spec(_rerun_spec)
_rerun_spec.loader.exec_module(rerun)


def test_a_rerun_replaces_its_seed_and_takes_its_note_with_it():
    earlier = {"overrides": ["--x", "1"], "note": "alone on the machine", "runs": [{"seed": 0}, {"seed": 1}]}
    runs = run_config.merge_runs(earlier, {"seed": 0, "note": "beside another run"}, ["--x", "1"])
    assert runs == [{"seed": 0, "note": "beside another run"}, {"seed": 1, "note": "alone on the machine"}]


def test_runs_with_other_overrides_are_not_kept(capsys):
    earlier = {"overrides": ["--x", "1"], "note": "old", "runs": [{"seed": 1, "note": "old"}]}
    assert run_config.merge_runs(earlier, {"seed": 0, "note": ""}, ["--x", "2"]) == [{"seed": 0, "note": ""}]
    assert run_config.merge_runs(None, {"seed": 0, "note": ""}, []) == [{"seed": 0, "note": ""}]
    assert "Replacing the runs (seeds 1) made with other overrides: ['--x', '1']" in capsys.readouterr().err


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


def test_the_fingerprint_covers_every_file_the_config_reads(tmp_path):
    for name in ("train.spacy", "dev.spacy", "test.spacy", "pseudo.spacy"):
        write_docbin(tmp_path / name, [(name, [])])
    (tmp_path / "x-seed0").mkdir()
    (tmp_path / "x-seed0" / "weights").write_bytes(b"w")
    overrides = ["--paths.pseudo", str(tmp_path / "pseudo.spacy"), "--paths.warm_start", str(tmp_path / "x-seed0")]
    hashes = run_config.inputs_fingerprint("bilstm_crf_lexicon_distilled", tmp_path, overrides)
    files = [str(tmp_path / name) for name in ("train.spacy", "dev.spacy", "pseudo.spacy", "test.spacy", "x-seed0")]
    assert sorted(hashes) == sorted(["configs/bilstm_crf_lexicon_distilled.cfg", *files])
    write_docbin(tmp_path / "pseudo.spacy", [("other pseudo-labels", [])])
    changed = run_config.inputs_fingerprint("bilstm_crf_lexicon_distilled", tmp_path, overrides)
    assert [name for name in hashes if hashes[name] != changed[name]] == [str(tmp_path / "pseudo.spacy")]


def test_a_corpus_is_hashed_by_its_records_not_its_bytes(tmp_path):
    records = [("患者有高血压", [(3, 6, "Disease")]), ("服用阿司匹林", [(2, 6, "Medicine")])]
    write_docbin(tmp_path / "a.spacy", records)
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
        write_docbin(tmp_path / "c.spacy", changed)
        assert run_config.sha256_of(tmp_path / "c.spacy") != run_config.sha256_of(tmp_path / "a.spacy")


def test_each_run_keeps_the_input_hashes_it_was_trained_on():
    earlier = {"overrides": [], "inputs_sha256": {"corpus/train.spacy": "old"}, "runs": [{"seed": 0}]}
    runs = run_config.merge_runs(earlier, {"seed": 1, "note": "", "inputs_sha256": {"corpus/train.spacy": "new"}}, [])
    assert [run["inputs_sha256"]["corpus/train.spacy"] for run in runs] == ["old", "new"]


def test_the_files_commit_is_the_runs_common_one_or_none():
    assert run_config.common_commit([{"commit": "a"}, {"commit": "a"}]) == "a"
    assert run_config.common_commit([{"commit": "a"}, {}]) is None  # a run recorded before commits were kept


def fake_leg(folder: Path, from_step: int, dev_f: list, commit: str = "c") -> None:
    """A leg folder as a stopped training leaves it: where it began, when and at which commit, and spaCy's log."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "leg.json").write_text(json.dumps({"from_step": from_step}))
    (folder / "started.json").write_text(json.dumps({"time": 0, "commit": commit}))
    rows = [f"  0  {2 * i:>6}  1.00  {f:.2f}  0.00  0.00  0.00" for i, f in enumerate(dev_f)]
    (folder / "train.log").write_text("\n".join(["E    #       LOSS NER  ENTS_F  ENTS_P  ENTS_R  SCORE", *rows]))


def test_the_curve_counts_steps_across_legs_and_each_leg_says_where_it_began(tmp_path):
    output = tmp_path / "run-seed0"
    fake_leg(output / "legs" / "0", 0, [0.0, 50.0, 70.0])  # steps 0 2 4
    fake_leg(output, 4, [60.0, 65.0, 68.0])  # steps 4 (its checkpoint again) 6 8
    assert [row["step"] for row in run_config.training_curve(output)] == [0, 2, 4, 6, 8]
    assert [row["ents_f"] for row in run_config.training_curve(output)] == [0.0, 50.0, 70.0, 65.0, 68.0]
    assert run_config.leg_record(output, 60.0) == {
        "from_step": 4,
        "commit": "c",
        "train_seconds": 60.0,
        "from_state": True,
    }
    assert "from_state" not in run_config.leg_record(output / "legs" / "0", 60.0)


def tiny_project(root: Path, monkeypatch, train: list = EMR_SENTENCES, dev: list = EMR_SENTENCES) -> Path:
    """``root`` as the project run_config.py works in, with the imConvNet config and a corpus; returns the corpus."""
    monkeypatch.setattr(run_config, "ROOT", root)
    (root / "configs").mkdir()
    shutil.copy(ROOT / "configs" / "imconvnet_slim_crf.cfg", root / "configs")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, records in (("train", train), ("dev", dev), ("test", EMR_SENTENCES)):
        write_docbin(corpus / f"{name}.spacy", records)
    return corpus


def test_a_stopped_training_resumes_where_it_stopped(tmp_path, monkeypatch):
    corpus = tiny_project(tmp_path, monkeypatch)
    schedule = ["--training.optimizer.learn_rate.warmup_steps", "2", "--training.optimizer.learn_rate.total_steps"]
    small = ["--training.eval_frequency", "2", *schedule, "8", "--training.optimizer.learn_rate.initial_rate", "0.01"]
    # the first leg stops after step 4 of 8 (its last saved state: before step 4), as the end of a session would
    run_config.run_once("imconvnet_slim_crf", "tiny", 0, corpus, [*small, "--training.max_steps", "4"], None)
    run = run_config.run_once(
        "imconvnet_slim_crf", "tiny", 0, corpus, [*small, "--training.max_steps", "8"], None, resume=True
    )
    output = tmp_path / "training" / "tiny-seed0"
    assert [(leg["from_step"], leg.get("from_state")) for leg in run["legs"]] == [(0, None), (4, True)]
    assert [row["step"] for row in run["dev_curve"]] == [0, 2, 4, 6, 8]
    assert run["steps_trained"] == 8
    moved = ["leg.json", "model-best", "model-last", "started.json", "train.cfg", "train.log", "training-state.npz"]
    assert sorted(path.name for path in (output / "legs" / "0").iterdir()) == moved
    assert run["train_seconds"] == pytest.approx(sum(leg["train_seconds"] for leg in run["legs"]), abs=0.2)
    first_rate = re.search(r"Initial learn rate: ([0-9.e-]+)", (output / "train.log").read_text())
    assert float(first_rate.group(1)) == pytest.approx(0.01 * (8 - 4) / (8 - 2))  # where the schedule was at step 4
    # training the same name and seed again starts afresh: the legs of the resumed training go
    again = run_config.run_once("imconvnet_slim_crf", "tiny", 0, corpus, [*small, "--training.max_steps", "2"], None)
    assert "legs" not in again and [row["step"] for row in again["dev_curve"]] == [0, 2]
    assert not (output / "legs").exists()


def test_a_refit_trains_on_train_and_dev_for_the_steps_given(tmp_path, monkeypatch):
    medicine = [(text, ents) for text, ents in EMR_SENTENCES if "Medicine" in {e[2] for e in ents}]
    others = [(text, ents) for text, ents in EMR_SENTENCES if (text, ents) not in medicine]
    corpus = tiny_project(tmp_path, monkeypatch, train=others, dev=medicine)  # Medicine only in dev
    small = ["--training.optimizer.learn_rate.warmup_steps", "1", "--training.optimizer.learn_rate.total_steps", "3"]
    with pytest.raises(SystemExit, match="max_steps"):
        run_config.run_once("imconvnet_slim_crf", "tiny", 0, corpus, small, None, refit=True)
    patience = ["--training.patience", "1"]  # fewer steps than it trains: patience must not stop a refit at step 1
    run = run_config.run_once(
        "imconvnet_slim_crf", "tiny", 0, corpus, [*small, *patience, "--training.max_steps", "3"], None, refit=True
    )
    assert run["refit"] and [row["step"] for row in run["dev_curve"]] == [0, 3]  # at the start and the end
    assert "Medicine" in spacy.load(tmp_path / run["model"]).get_pipe("ner").labels  # the dev records were read


def test_a_results_file_is_rerun_as_it_records(tmp_path, monkeypatch):
    monkeypatch.setattr(run_config, "ROOT", tmp_path)
    monkeypatch.setattr(run_config, "RESULTS", tmp_path / "results")
    overrides = ["--paths.backbone", "assets/m3e-small", "--training.max_steps", "800"]
    recorded = {
        "config": "spans_bert",
        "name": "cmeee_spans_bert_refit",
        "corpus": "corpus/cmeee",
        "spans_key": "sc",
        "overrides": overrides,
        "runs": [{"seed": 0, "refit": True}, {"seed": 1, "refit": True}],
    }
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "cmeee_spans_bert_refit.json").write_text(json.dumps(recorded))
    trained, saved = [], []
    monkeypatch.setattr(run_config, "run_once", lambda *args: trained.append(args) or {"seed": args[2]})

    def save(config, name, run, overrides, dataset, how, note):
        saved.append((name, run["seed"], how, note))
        return {"config": config, "ents_p": 0, "ents_r": 0, "ents_f": 0, "train_seconds": 0}

    monkeypatch.setattr(run_config, "save", save)
    rerun.main(["cmeee_spans_bert_refit", "--note", "again"])
    corpus = tmp_path / "corpus" / "cmeee"
    assert trained == [
        ("spans_bert", "cmeee_spans_bert_refit", 0, corpus, overrides, "sc", False, False, True),
        ("spans_bert", "cmeee_spans_bert_refit", 1, corpus, overrides, "sc", False, False, True),
    ]
    how = {"corpus": "corpus/cmeee", "spans_key": "sc"}
    assert saved == [("cmeee_spans_bert_refit", 0, how, "again"), ("cmeee_spans_bert_refit", 1, how, "again")]


def test_a_refit_is_named_apart_from_its_config(monkeypatch, capsys):
    named = []
    monkeypatch.setattr(run_config, "run_once", lambda config, name, *rest: named.append(name) or {"seed": 0})
    result = {"config": "x", "ents_p": 0, "ents_r": 0, "ents_f": 0, "train_seconds": 0}
    monkeypatch.setattr(run_config, "save", lambda *args: result)
    run_config.main(["bilstm_crf", "--refit", "--training.max_steps", "800"])
    run_config.main(["bilstm_crf", "--refit", "--name", "mine", "--training.max_steps", "800"])
    run_config.main(["bilstm_crf"])
    assert named == ["bilstm_crf_refit", "mine", "bilstm_crf"]


def test_the_arguments_of_a_rerun_and_what_it_cannot_rerun():
    yidu = {"config": "bilstm_crf", "corpus": "corpus", "spans_key": None, "overrides": [], "runs": [{"seed": 0}]}
    corpus = str(run_config.ROOT / "corpus")
    assert rerun.run_config_arguments(yidu, [2]) == [
        "bilstm_crf",
        "--name",
        "bilstm_crf",
        "--corpus",
        corpus,
        "--seeds",
        "2",
    ]
    with pytest.raises(SystemExit, match="does not record its corpus or spans_key"):
        rerun.run_config_arguments({"config": "bilstm_crf", "overrides": [], "runs": []}, [0])
