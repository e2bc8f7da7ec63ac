"""A training in legs, each resuming exactly where the one before it stopped.

A leg trains as ``spacy train`` does from a ``train.cfg`` written into the output folder: the config with its
overrides, its optimizer wrapped to save the whole training state (``state.py``) before every evaluation step. When a
leg is stopped (a killed job, a preempted node, the end of a session), the next one moves it to
``OUTPUT/legs/<the step it began at>/`` and trains the steps left in ``OUTPUT``, from the last saved state, as the
unbroken training would have; only patience restarts, as a new leg knows no earlier best. At the end
``OUTPUT/model-best`` is made the best of all legs by dev score.
"""

import json
import shutil
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

from spacy.cli._util import parse_config_overrides
from spacy.util import load_config
from thinc.api import Config

from .state import STATE_FILE, saved_step

LEG = "leg.json"  # where the leg begins: {"from_step": N}
LEG_FILES = (LEG, "train.cfg", STATE_FILE, "model-best", "model-last")


def begin_leg(
    output: Path, config: Path, overrides: List[str], resume: bool = False, also_move: Iterable[str] = ()
) -> Path:
    """Make ``output`` ready for a leg and return its ``train.cfg``: a fresh training (earlier legs removed) or, with
    ``resume``, the rest of the stopped one (its files and ``also_move`` moved aside). ``config`` and ``overrides`` must
    be the stopped training's, ``training.max_steps`` apart."""
    files = [*LEG_FILES, *also_move]
    if resume:
        from_step, stopped_leg = move_stopped_leg(output, files)
        trained = training_config(config, overrides, output, (from_step, stopped_leg))
    else:
        for name in ["legs", *files]:  # an earlier training's: its saved state must not be resumed from
            remove(output / name)
        from_step, trained = 0, training_config(config, overrides, output)
    output.mkdir(parents=True, exist_ok=True)
    (output / LEG).write_text(json.dumps({"from_step": from_step}) + "\n")
    trained.to_disk(output / "train.cfg")
    return output / "train.cfg"


def training_config(
    config: Path, overrides: List[str], output: Path, resume: Optional[Tuple[int, Path]] = None
) -> Config:
    """``config`` with ``overrides``, saving its training state into ``output`` before each evaluation step; with
    ``resume`` (a step and the stopped leg that saved its state), to train the steps left from that state."""
    trained = given_config(config, overrides)
    training = trained["training"]
    training["optimizer"] = {
        "@optimizers": "spacy_cner.checkpointed.v1",
        "optimizer": training["optimizer"],
        "save_to": str(output / STATE_FILE),
        "every": training["eval_frequency"],
        "resume_from": None,
    }
    if resume is None:
        return trained
    from_step, stopped_leg = resume
    if training["max_steps"]:
        if training["max_steps"] <= from_step:
            raise ValueError(f"The training had reached its {training['max_steps']} steps: nothing to resume.")
        training["max_steps"] -= from_step
    after_init = trained["initialize"].get("after_init")
    if after_init is not None and after_init.get("@callbacks") != "spacy_cner.warm_start.v1":
        raise ValueError(f"{config} runs its own [initialize.after_init]: a resumed training cannot restore weights.")
    state = str(stopped_leg / STATE_FILE)
    training["optimizer"]["resume_from"] = state
    training["batcher"] = {"@batchers": "spacy_cner.resumed_batches.v1", "batcher": training["batcher"], "state": state}
    trained["initialize"]["after_init"] = {
        "@callbacks": "spacy_cner.restore_training.v1",
        "checkpoint": str(stopped_leg / "model-last"),
        "state": state,
    }
    return trained


def given_config(config: Path, overrides: List[str]) -> Config:
    """``config`` with ``overrides``, uninterpolated, as the user asked for it."""
    return load_config(config, overrides=parse_config_overrides(list(overrides)), interpolate=False)  # list: a copy


def move_stopped_leg(output: Path, files: List[str]) -> Tuple[int, Path]:
    """Move the stopped leg's ``files`` aside; returns the step the training resumes at and the leg whose saved state
    it resumes from."""
    if not (output / LEG).exists():
        raise ValueError(f"{output} holds no training begun by spacy_cner: nothing to resume.")
    from_step = leg_start(output)
    if (output / STATE_FILE).exists():
        stopped_leg = output / "legs" / str(from_step)
        stopped_leg.mkdir(parents=True)
        for name in files:
            if (output / name).exists():
                (output / name).rename(stopped_leg / name)
    else:  # no state saved since this leg began: begin it again from the state it began from
        if from_step == 0:
            raise ValueError(f"{output} stopped before its first checkpoint: train it again without --resume.")
        for name in files:
            remove(output / name)
        stopped_leg = legs(output)[-2]
    return saved_step(stopped_leg / STATE_FILE), stopped_leg


def leg_start(leg: Path) -> int:
    """The step of the whole training that the leg began at."""
    return json.loads((leg / LEG).read_text())["from_step"]


def legs(output: Path) -> List[Path]:
    """The folders of a training's legs in order: the stopped ones, then ``output`` itself."""
    stopped = sorted((output / "legs").iterdir(), key=lambda leg: int(leg.name)) if (output / "legs").is_dir() else []
    return [*stopped, output]


def dev_score(leg: Path) -> float:
    """The score the leg's model-best was chosen by: its dev figures weighted as its config's ``score_weights``."""
    if not (leg / "model-best" / "meta.json").exists():
        return float("-inf")  # stopped before its first evaluation
    performance = json.loads((leg / "model-best" / "meta.json").read_text())["performance"]
    weights = Config().from_disk(leg / "train.cfg", interpolate=False)["training"]["score_weights"]
    return sum((performance.get(name) or 0.0) * weight for name, weight in weights.items() if weight)


def finish_training(output: Path, config: Path, overrides: List[str]) -> Path:
    """Make ``output``/model-best the best model of all legs by dev score (an earlier leg's may beat the last's), give
    it and model-last the config as given (without the state saving and restoring a leg adds), and return the leg
    model-best came from."""
    best = max(legs(output), key=dev_score)
    if best != output:
        remove(output / "model-best")
        shutil.copytree(best / "model-best", output / "model-best")
    given = given_config(config, overrides)
    for model in ("model-best", "model-last"):
        if (output / model / "config.cfg").exists():
            saved = Config().from_disk(output / model / "config.cfg", interpolate=False)
            saved["training"], saved["initialize"] = given["training"], given["initialize"]
            saved.to_disk(output / model / "config.cfg")
    return best


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
