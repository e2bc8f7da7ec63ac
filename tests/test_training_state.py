"""The saved training state: what it restores, where the batches resume, and what it refuses. A whole spaCy training
stopped and resumed, against the same training unbroken, is in test_run_config.py."""

import random
import shutil
from pathlib import Path
from typing import Callable, List, Optional

import numpy
import pytest
import torch
from spacy.util import registry
from thinc.api import Config, Linear, Model, PyTorchWrapper, chain

from spacy_cner.training.state import SavedState, restore_weights, saved_step

# warmup_linear over 10 steps, 3 of them up to 1.0, written out: the rate at each step
WARMUP = {"@schedules": "warmup_linear.v1", "warmup_steps": 3, "total_steps": 10, "initial_rate": 1.0}
RATES = [0, 1 / 3, 2 / 3, 1, 6 / 7, 5 / 7, 4 / 7, 3 / 7, 2 / 7, 1 / 7]


def optimizer(save_to: Path, resume_from: Optional[Path] = None, averages: bool = True, schedule: dict = WARMUP):
    adam = {"@optimizers": "Adam.v1", "use_averages": averages, "learn_rate": schedule}
    settings = {"optimizer": adam, "save_to": str(save_to), "every": 2, "resume_from": resume_from and str(resume_from)}
    config = {"optimizer": {"@optimizers": "spacy_cner.checkpointed.v1", **settings}}
    return registry.resolve(Config(config))["optimizer"]


def tiny_model() -> Model:
    """A Thinc layer and a PyTorch one, as the pipelines have both."""
    model = chain(Linear(3, 4), PyTorchWrapper(torch.nn.Linear(3, 2)))
    model.initialize(X=numpy.zeros((2, 4), dtype="f"))
    return model


def train(model: Model, sgd, steps: int) -> None:
    """Steps on inputs from NumPy's generator, with PyTorch dropout on the target, as a training loop takes them."""
    for _ in range(steps):
        Y, backprop = model.begin_update(numpy.random.uniform(-1, 1, (5, 4)).astype("f"))
        target = torch.nn.functional.dropout(torch.ones(Y.shape), 0.5).numpy()
        backprop(Y - target)
        model.finish_update(sgd)
        sgd.step_schedules()


def parameters(model: Model) -> List[numpy.ndarray]:
    found = [node.get_param(name) for node in model.walk() for name in node.param_names]
    return found + [
        tensor.detach().numpy() for node in model.walk() for shim in node.shims for tensor in shim._model.parameters()
    ]


def scramble(model: Model) -> None:
    """A new process before the restore: the same layers (built from the same config), other weights."""
    for node in model.walk():
        for name in node.param_names:
            node.set_param(name, numpy.zeros_like(node.get_param(name)))
        for shim in node.shims:
            for tensor in shim._model.parameters():
                tensor.data.zero_()


def test_a_restored_training_takes_the_steps_of_the_unbroken_one(tmp_path):
    numpy.random.seed(0)
    torch.manual_seed(0)
    model = tiny_model()
    sgd = optimizer(tmp_path / "state.npz")
    train(model, sgd, 4)  # saved before steps 2 and 4
    shutil.copy(tmp_path / "state.npz", tmp_path / "before-4.npz")
    train(model, sgd, 4)  # steps 4 to 7, unbroken
    unbroken = [array.copy() for array in parameters(model)]
    assert saved_step(tmp_path / "before-4.npz") == 4 and saved_step(tmp_path / "state.npz") == 8
    assert not list(tmp_path.glob("*.partial"))

    scramble(model)
    numpy.random.seed(1)
    torch.manual_seed(1)
    restore_weights([model], tmp_path / "before-4.npz")
    resumed = optimizer(tmp_path / "resumed.npz", resume_from=tmp_path / "before-4.npz")
    assert resumed.learn_rate == pytest.approx(RATES[4]) and resumed.steps == 4
    assert set(resumed.nr_update.values()) == {4} and len(resumed.nr_update) == 4  # W and b of each layer
    SavedState(tmp_path / "before-4.npz").restore_random()
    train(model, resumed, 4)
    for ours, theirs in zip(parameters(model), unbroken, strict=True):
        numpy.testing.assert_array_equal(ours, theirs)


def test_the_batches_resume_after_the_saved_step_across_epochs(tmp_path):
    train(tiny_model(), optimizer(tmp_path / "state.npz"), 4)
    random_after_the_save = random.random()
    minibatch = {"@batchers": "spacy.batch_by_sequence.v1", "size": 2, "get_length": None}
    config = {
        "batcher": {
            "@batchers": "spacy_cner.resumed_batches.v1",
            "batcher": minibatch,
            "state": str(tmp_path / "state.npz"),
        }
    }
    batcher: Callable = registry.resolve(Config(config))["batcher"]
    random.seed(99)
    epochs = [batcher(list(range(6))) for _ in range(3)]  # spaCy calls it once per epoch: 3 batches each
    first = next(epochs[0], None)
    assert first is None  # the 3 batches of the first epoch were trained before the state
    assert next(epochs[1]) == [2, 3]  # and the first of the second
    assert random.random() == random_after_the_save
    assert list(epochs[1]) == [[4, 5]] and list(epochs[2]) == [[0, 1], [2, 3], [4, 5]]


def test_a_state_that_does_not_fit_is_refused(tmp_path):
    train(tiny_model(), optimizer(tmp_path / "state.npz"), 2)
    with pytest.raises(ValueError, match=r"does not fit this pipeline: parameter '\w+' of layer \d+ is not in it"):
        restore_weights([tiny_model()], tmp_path / "state.npz")  # other layers: another process's pipeline
    with pytest.raises(ValueError, match="did not keep averages|kept averages"):
        optimizer(tmp_path / "other.npz", resume_from=tmp_path / "state.npz", averages=False)
    with pytest.raises(ValueError, match="other schedules"):
        optimizer(tmp_path / "other.npz", resume_from=tmp_path / "state.npz", schedule={**WARMUP, "initial_rate": 2.0})
    with pytest.raises(FileNotFoundError, match="stopped before saving one"):
        saved_step(tmp_path / "none.npz")
    with pytest.raises(ValueError, match="every N >= 1"):
        registry.resolve(
            Config(
                {
                    "o": {
                        "@optimizers": "spacy_cner.checkpointed.v1",
                        "optimizer": {"@optimizers": "Adam.v1"},
                        "every": 0,
                    }
                }
            )
        )
