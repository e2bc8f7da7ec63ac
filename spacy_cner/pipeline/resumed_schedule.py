"""Continue a schedule from the step where an interrupted training stopped.

A training resumed from its last checkpoint (``benchmarks/run_config.py --resume``)
counts its steps from zero again; wrapping its learning-rate schedule in this one
gives each step the rate the uninterrupted training would have had.
"""

import itertools
from typing import Iterator

from spacy.util import registry


@registry.schedules("spacy_cner.resumed.v1")
def create_resumed_schedule(schedule: Iterator[float], from_step: int) -> Iterator[float]:
    """The values of ``schedule`` from step ``from_step`` on (0 gives all of them)."""
    if from_step < 0:
        raise ValueError(f"A schedule resumes at a step >= 0, not {from_step}.")

    def resumed() -> Iterator[float]:  # a generator, the type thinc's optimizers take a schedule as
        yield from itertools.islice(schedule, from_step, None)

    return resumed()
