"""Save the whole state of a training, so that a stopped one resumes as if it had never stopped.

spaCy saves the weights at each evaluation (``model-last``), averaged when the optimizer keeps averages, but nothing
else the next step depends on: the raw weights, Adam's moments and update counts, the schedules' positions, the
random generators and the place in the stream of batches. A training resumed from ``model-last`` alone starts all of
those afresh and goes its own way (in this project's measurements, by more than the spread between seeds). Three
registered pieces save and restore the rest, each where spaCy's training loop reads it:

- ``spacy_cner.checkpointed.v1`` (``[training.optimizer]``) wraps an optimizer; before every ``every``-th step it
  saves the state to ``save_to``; with ``resume_from`` it begins with a saved state's moments, averages, update
  counts and schedule positions.
- ``spacy_cner.restore_training.v1`` (``[initialize.after_init]``) gives the pipeline a checkpoint's weights, then
  the saved raw weights of every parameter the optimizer updates.
- ``spacy_cner.resumed_batches.v1`` (``[training.batcher]``) skips the batches trained before the saved step, then
  restores the random generators (Python's for the shuffles, NumPy's and PyTorch's for dropout), so the batches and
  dropout masks that follow are those of the unbroken training.

The state is one ``.npz`` file, replaced whole (never left half-written by a stopped process). Parameters are keyed
as the optimizer keys them, by layer id and name. Ids count up from the start of a process, so the resumed training
must build the same pipeline from the same config in a new process; restoring into another pipeline fails with a
message rather than mixing weights.
"""

import json
import os
import random
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import numpy
import spacy
import torch
from spacy.language import Language
from spacy.util import registry
from thinc.api import Model, Optimizer

from .warm_start import copy_pipeline_weights

Key = Tuple[int, str]
Batcher = Callable[[Iterable[Any]], Iterable[List[Any]]]
STATE_FILE = "training-state.npz"


class CheckpointedOptimizer(Optimizer):
    """A thinc optimizer that also remembers the parameters it updates and counts its steps, to save them."""

    __slots__ = ("steps", "weights", "save_to", "every")

    def __call__(self, key: Key, weights: Any, gradient: Any, *, lr_scale: float = 1.0) -> Tuple[Any, Any]:
        weights, gradient = super().__call__(key, weights, gradient, lr_scale=lr_scale)
        self.weights[key] = weights  # the array the layer keeps: up to date whenever the state is saved
        return weights, gradient

    def step_schedules(self) -> None:
        super().step_schedules()
        self.steps += 1
        if self.save_to is not None and self.steps % self.every == 0:
            save_state(self, Path(self.save_to))


@registry.optimizers("spacy_cner.checkpointed.v1")
def create_checkpointed_optimizer(
    optimizer: Optimizer, save_to: Optional[str] = None, every: int = 100, resume_from: Optional[str] = None
) -> Optimizer:
    """``optimizer``, saving the training state to ``save_to`` before every ``every``-th step (``None``: never) and,
    with ``resume_from``, continuing the training state saved there."""
    if every < 1:
        raise ValueError(f"The training state is saved every N >= 1 steps, not every {every}.")
    checkpointed = CheckpointedOptimizer.__new__(CheckpointedOptimizer)
    for slot in Optimizer.__slots__:
        setattr(checkpointed, slot, getattr(optimizer, slot))
    checkpointed.steps, checkpointed.weights, checkpointed.save_to, checkpointed.every = 0, {}, save_to, every
    if resume_from is not None:
        restore_optimizer(checkpointed, Path(resume_from))
    return checkpointed


@registry.callbacks("spacy_cner.restore_training.v1")
def create_restore_training(checkpoint: str, state: str) -> Callable[[Language], Language]:
    """An ``[initialize.after_init]`` callback: the weights of the pipeline at ``checkpoint``, then the raw weights of
    the training state at ``state``."""

    def restore(nlp: Language) -> Language:
        copy_pipeline_weights(spacy.load(checkpoint), nlp)
        restore_weights([pipe.model for _, pipe in nlp.pipeline if hasattr(pipe, "model")], Path(state))
        return nlp

    return restore


@registry.batchers("spacy_cner.resumed_batches.v1")
def create_resumed_batches(batcher: Batcher, state: str) -> Batcher:
    """``batcher`` without the batches trained before the state at ``state``; once past them, the random generators
    are those the state saved. spaCy calls a batcher once per epoch: the count runs across epochs."""
    saved = SavedState(Path(state))
    skipped = 0

    def resumed(items: Iterable[Any]) -> Iterator[List[Any]]:
        nonlocal skipped
        for batch in batcher(items):
            if skipped < saved.step:
                skipped += 1
                if skipped == saved.step:  # the next draw, a batch or a new epoch's shuffle, is the saved one
                    saved.restore_random()
                continue
            yield batch

    return resumed


class SavedState:
    """A saved training state, read lazily: the arrays stay on disk until asked for."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise FileNotFoundError(f"No training state at {path}: the training stopped before saving one.")
        self.arrays = numpy.load(path)
        self.meta: Dict[str, Any] = json.loads(self.arrays["meta"].tobytes().decode("utf-8"))
        self.step: int = self.meta["step"]
        self.keys: List[Key] = [(layer, name) for layer, name in self.meta["keys"]]

    def per_key(self, kind: str) -> Dict[Key, numpy.ndarray]:
        return {key: self.arrays[f"{kind}/{i}"] for i, key in enumerate(self.keys) if f"{kind}/{i}" in self.arrays}

    def restore_random(self) -> None:
        version, internal, gauss = self.meta["python_random"]
        random.setstate((version, tuple(internal), gauss))
        position, has_gauss, cached_gaussian = self.meta["numpy_random"]
        numpy.random.set_state(("MT19937", self.arrays["numpy_random"], position, has_gauss, cached_gaussian))
        torch.set_rng_state(torch.from_numpy(self.arrays["torch_random"].copy()))


def saved_step(path: Path) -> int:
    """The step a saved state resumes at: the number of steps trained before it."""
    return SavedState(path).step


def save_state(optimizer: CheckpointedOptimizer, path: Path) -> None:
    keys = list(optimizer.weights)
    _, numpy_internal, position, has_gauss, cached_gaussian = numpy.random.get_state()
    version, python_internal, gauss = random.getstate()
    meta = {
        "step": optimizer.steps,
        "keys": [list(key) for key in keys],
        "nr_update": [optimizer.nr_update[key] for key in keys],
        "schedules": schedule_values(optimizer),
        "python_random": [version, list(python_internal), gauss],
        "numpy_random": [int(position), int(has_gauss), float(cached_gaussian)],
    }
    arrays = {
        "meta": numpy.frombuffer(json.dumps(meta).encode("utf-8"), dtype=numpy.uint8),
        "numpy_random": numpy_internal,
        "torch_random": torch.get_rng_state().numpy(),
    }
    per_key = {"weights": optimizer.weights, "mom1": optimizer.mom1, "mom2": optimizer.mom2}
    per_key["averages"] = optimizer.averages or {}
    for kind, values in per_key.items():
        arrays.update({f"{kind}/{i}": numpy.asarray(values[key]) for i, key in enumerate(keys) if key in values})
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as file:
        numpy.savez(file, **arrays)
    os.replace(partial, path)


def restore_optimizer(optimizer: CheckpointedOptimizer, path: Path) -> None:
    """Put the saved moments, averages, update counts and schedule positions into ``optimizer``."""
    saved = SavedState(path)
    averages = saved.per_key("averages")
    if (optimizer.averages is None) != (not averages):
        raise ValueError(f"{path} was saved by an optimizer that {'kept' if averages else 'did not keep'} averages.")
    optimizer.mom1.update(saved.per_key("mom1"))
    optimizer.mom2.update(saved.per_key("mom2"))
    if optimizer.averages is not None:
        optimizer.averages.update(averages)
    optimizer.nr_update.update(zip(saved.keys, saved.meta["nr_update"]))
    optimizer.weights.update({key: array.copy() for key, array in saved.per_key("weights").items()})
    for _ in range(saved.step):  # schedules are generators: replayed to the saved step
        Optimizer.step_schedules(optimizer)
    replayed = schedule_values(optimizer)
    if replayed != saved.meta["schedules"]:
        raise ValueError(f"{path} was saved with other schedules ({saved.meta['schedules']}, now {replayed}).")
    optimizer.steps = saved.step


def schedule_values(optimizer: Optimizer) -> Dict[str, float]:
    return {name: float(getattr(optimizer, name)) for name in optimizer.schedules}


def restore_weights(models: Iterable[Model], path: Path) -> None:
    """Set every parameter the saved optimizer updated to its saved raw value, found by layer id and name."""
    layers = {node.id: node for model in models for node in model.walk()}
    modules = {shim.id: shim._model for node in layers.values() for shim in node.shims}
    for (layer, name), value in SavedState(path).per_key("weights").items():
        targets = []
        if layer in layers and layers[layer].has_param(name):
            targets.append(("thinc", layers[layer]))
        if layer in modules and name in dict(modules[layer].named_parameters()):
            targets.append(("torch", modules[layer]))
        if len(targets) != 1:
            raise ValueError(
                f"{path} does not fit this pipeline: parameter '{name}' of layer {layer} is "
                f"{'not in it' if not targets else 'ambiguous'}; resume in a new process (layer ids count up "
                "within one) with the config of the stopped training."
            )
        kind, target = targets[0]
        current = target.get_param(name) if kind == "thinc" else dict(target.named_parameters())[name].data
        if tuple(current.shape) != value.shape:
            raise ValueError(
                f"{path} does not fit this pipeline: parameter '{name}' of layer {layer} has shape "
                f"{tuple(current.shape)} here, {value.shape} in the saved state."
            )
        if kind == "thinc":
            target.set_param(name, value.copy())
        else:
            current.copy_(torch.from_numpy(value))
