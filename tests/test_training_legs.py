"""A training in legs (spacy_cner/training/legs.py) and ``python -m spacy_cner train``: a stopped training resumed
ends as the unbroken one does, to the bit."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Optional

import numpy
import pytest
import spacy
from thinc.api import Config

from spacy_cner.training.legs import begin_leg, finish_training, move_stopped_leg, training_config

from .conftest import EMR_SENTENCES, write_docbin

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "imconvnet_slim_crf.cfg"


def test_a_leg_config_saves_its_state_and_a_resumed_one_trains_the_steps_left_from_it():
    overrides = ["--training.max_steps", "10", "--training.eval_frequency", "2"]
    first = training_config(CONFIG, overrides, Path("out"))
    optimizer = first["training"]["optimizer"]
    assert (optimizer["@optimizers"], optimizer["save_to"], optimizer["every"], optimizer["resume_from"]) == (
        "spacy_cner.checkpointed.v1",
        "out/training-state.npz",
        2,
        None,
    )
    assert optimizer["optimizer"]["@optimizers"] == "Adam.v1"
    resumed = training_config(CONFIG, overrides, Path("out"), (4, Path("out/legs/0")))
    assert resumed["training"]["max_steps"] == 6
    assert resumed["training"]["optimizer"]["resume_from"] == "out/legs/0/training-state.npz"
    assert resumed["training"]["batcher"]["@batchers"] == "spacy_cner.resumed_batches.v1"
    assert resumed["training"]["batcher"]["batcher"] == first["training"]["batcher"]
    assert resumed["initialize"]["after_init"] == {
        "@callbacks": "spacy_cner.restore_training.v1",
        "checkpoint": "out/legs/0/model-last",
        "state": "out/legs/0/training-state.npz",
    }
    with pytest.raises(ValueError, match="reached its 10 steps"):
        training_config(CONFIG, overrides, Path("out"), (10, Path("out/legs/0")))


def fake_leg(folder: Path, from_step: int, best_dev_f: Optional[float], state_at: Optional[int] = None) -> None:
    """A leg as a stopped training leaves it: where it began, its config, its checkpoints (named by leg, model-best
    with its dev score) and, with ``state_at``, a saved training state of that step."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "leg.json").write_text(json.dumps({"from_step": from_step}))
    (folder / "train.cfg").write_text("[training]\n\n[training.score_weights]\nents_f = 1.0\nents_p = 0.0\n")
    if state_at is not None:
        meta = numpy.frombuffer(json.dumps({"step": state_at, "keys": []}).encode(), dtype=numpy.uint8)
        numpy.savez(folder / "training-state.npz", meta=meta)
    if best_dev_f is not None:
        for model in ("model-best", "model-last"):
            (folder / model).mkdir(exist_ok=True)
            (folder / model / "from").write_text(f"{folder.name} {model}")
        performance = {"ents_f": best_dev_f, "ents_p": 99.0}
        (folder / "model-best" / "meta.json").write_text(json.dumps({"performance": performance}))


def test_a_stopped_leg_moves_aside_and_the_training_resumes_at_its_saved_state(tmp_path):
    output = tmp_path / "run"
    fake_leg(output / "legs" / "0", 0, 70.0, state_at=4)
    fake_leg(output, 4, 72.0, state_at=6)
    (output / "mine.log").write_text("the caller's")
    assert move_stopped_leg(output, ["leg.json", "train.cfg", "training-state.npz", "model-best", "mine.log"]) == (
        6,
        output / "legs" / "4",
    )
    moved = ["leg.json", "mine.log", "model-best", "train.cfg", "training-state.npz"]
    assert sorted(path.name for path in (output / "legs" / "4").iterdir()) == moved


def test_a_leg_stopped_before_its_first_checkpoint_begins_again_from_the_previous_one(tmp_path):
    output = tmp_path / "run"
    fake_leg(output / "legs" / "0", 0, 70.0, state_at=4)
    fake_leg(output, 4, None)  # no evaluation and no state of its own
    assert move_stopped_leg(output, ["leg.json", "train.cfg"]) == (4, output / "legs" / "0")
    assert [path.name for path in output.iterdir()] == ["legs"]
    fresh = tmp_path / "fresh"
    fake_leg(fresh, 0, 0.0)
    with pytest.raises(ValueError, match="before its first checkpoint"):
        move_stopped_leg(fresh, [])
    with pytest.raises(ValueError, match="nothing to resume"):
        move_stopped_leg(tmp_path / "never", [])


def test_model_best_is_the_best_of_all_legs_by_the_configs_score_weights(tmp_path):
    output = tmp_path / "run"
    fake_leg(output / "legs" / "0", 0, 70.0, state_at=4)
    fake_leg(output, 4, 68.0)  # its precision is as high: only ents_f weighs
    assert finish_training(output, CONFIG, []) == output / "legs" / "0"
    assert (output / "model-best" / "from").read_text() == "0 model-best"
    fake_leg(output, 4, 71.0)
    assert finish_training(output, CONFIG, []) == output
    assert (output / "model-best" / "from").read_text() == "run model-best"


def test_a_fresh_training_leaves_nothing_of_an_earlier_one_to_resume_from(tmp_path):
    output = tmp_path / "run"
    fake_leg(output / "legs" / "0", 0, 70.0, state_at=4)
    fake_leg(output, 4, 72.0, state_at=6)
    begin_leg(output, CONFIG, [], also_move=["mine.log"])
    assert sorted(path.name for path in output.iterdir()) == ["leg.json", "train.cfg"]
    with pytest.raises(ValueError, match="before its first checkpoint"):
        move_stopped_leg(output, [])


def train(output: Path, corpus: Path, max_steps: int, *extra: str) -> str:
    """Train in a new process, as each leg of a stopped training is; returns what it printed."""
    schedule = ["--training.optimizer.learn_rate.warmup_steps", "2", "--training.optimizer.learn_rate.total_steps"]
    small = ["--training.eval_frequency", "2", *schedule, "8", "--training.optimizer.learn_rate.initial_rate", "0.01"]
    paths = ["--paths.train", str(corpus / "train.spacy"), "--paths.dev", str(corpus / "dev.spacy")]
    arguments = [str(CONFIG), "--output", str(output), *paths, *small, "--training.max_steps", str(max_steps)]
    done = subprocess.run(
        [sys.executable, "-m", "spacy_cner", "train", *arguments, *extra], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def evaluations(log: str) -> list:
    """spaCy's rows of losses and dev scores, without the epoch and step columns."""
    return [line.split()[2:] for line in log.splitlines() if re.match(r"\s*\d+\s+\d+\s", line)]


def parameters(model: Path) -> dict:
    """Every Thinc parameter and PyTorch tensor of a saved pipeline, by position and name."""
    found = {}
    for i, node in enumerate(spacy.load(model).get_pipe("ner").model.walk()):
        found.update({f"{i}.{name}": node.get_param(name) for name in node.param_names if node.has_param(name)})
        for shim in node.shims:
            found.update({f"{i}.{name}": tensor.numpy() for name, tensor in shim._model.state_dict().items()})
    return found


def test_a_stopped_and_resumed_training_ends_as_the_unbroken_one(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_docbin(corpus / "train.spacy", EMR_SENTENCES)
    write_docbin(corpus / "dev.spacy", EMR_SENTENCES[:6])
    unbroken = evaluations(train(tmp_path / "unbroken", corpus, 8))
    # stopped after step 4 of 8 (its last saved state: before step 4), as a killed job would be, then resumed
    train(tmp_path / "stopped", corpus, 4)
    resumed = evaluations(train(tmp_path / "stopped", corpus, 8, "--resume"))
    assert resumed[-2:] == unbroken[-2:]  # steps 6 and 8: the same losses and dev scores
    ours, theirs = parameters(tmp_path / "stopped" / "model-last"), parameters(tmp_path / "unbroken" / "model-last")
    assert ours.keys() == theirs.keys() and len(ours) > 10
    for name, value in theirs.items():
        numpy.testing.assert_array_equal(ours[name], value, err_msg=name)
    assert (tmp_path / "stopped" / "legs" / "0" / "model-best").is_dir()
    # the models keep the config as given, not what a leg adds to save and restore the training state
    for model in ("model-best", "model-last"):
        training = Config().from_disk(tmp_path / "stopped" / model / "config.cfg", interpolate=False)["training"]
        assert training["optimizer"]["@optimizers"] == "Adam.v1" and training["max_steps"] == 8
        assert training["batcher"]["@batchers"] == "spacy.batch_by_words.v1"
