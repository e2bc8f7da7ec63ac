"""What configs cost to train and to run on this machine, measured side by side
in one run before any training: seconds per training step on the config's own
Yidu-S4K batches, annotation chars/s, parameters, and the time a full run of the
config's ``training.max_steps`` would take at that pace.

    python benchmarks/training_cost.py imconvnet_crf imconvnet_slim_crf --steps 5

For configs too slow to train fully here (paper-width imConvNet), this is the
measured basis for choosing a slimmer variant. Writes
benchmarks/results/training_cost.json and rebuilds benchmarks/RESULTS.md.
"""

import argparse
import datetime
import json
import time
from itertools import islice
from pathlib import Path
from typing import Any, Dict, List

from report import main as rebuild_report
from run_config import RESULTS, ROOT, chars_per_second, count_parameters, machine
from spacy.cli._util import parse_config_overrides
from spacy.language import Language
from spacy.schemas import ConfigSchemaTraining
from spacy.training.initialize import init_nlp
from spacy.util import load_config, registry, resolve_dot_names


def seconds_per_step(nlp: Language, steps: int) -> Dict[str, float]:
    """Time ``steps`` updates as ``spacy train`` makes them (every component
    backprops, then all weights change), after one untimed warm-up step."""
    config = nlp.config.interpolate()
    training = registry.resolve(config["training"], schema=ConfigSchemaTraining)
    (train_corpus,) = resolve_dot_names(config, [training["train_corpus"]])
    examples = train_corpus(nlp)
    batches = list(islice(training["batcher"](examples), steps + 1))
    if len(batches) < steps + 1:
        raise ValueError(f"The training corpus gives {len(batches)} batches; {steps + 1} are needed.")
    optimizer = training["optimizer"]
    timings, chars = [], 0
    for index, batch in enumerate(batches):
        started = time.perf_counter()
        nlp.update(batch, drop=training["dropout"], sgd=False, losses={})
        for _, pipe in nlp.pipeline:
            if getattr(pipe, "is_trainable", False):
                pipe.finish_update(optimizer)
        if index:
            timings.append(time.perf_counter() - started)
            chars += sum(len(example.reference.text) for example in batch)
    seconds = sum(timings) / len(timings)
    return {
        "seconds_per_step": round(seconds, 2),
        "train_chars_per_second": round(chars / sum(timings), 1),
        "projected_full_run_minutes": round(seconds * training["max_steps"] / 60, 1),
        "max_steps": training["max_steps"],
    }


def measure(config_name: str, corpus: Path, steps: int, records: int, overrides: List[str]) -> Dict[str, Any]:
    settings = parse_config_overrides(overrides)  # as `spacy train` reads them: `--key value`, JSON values
    settings.update({"paths.train": str(corpus / "train.spacy"), "paths.dev": str(corpus / "dev.spacy")})
    nlp = init_nlp(load_config(ROOT / "configs" / f"{config_name}.cfg", overrides=settings, interpolate=False))
    return {
        "config": config_name,
        "parameters": count_parameters(nlp),
        **seconds_per_step(nlp, steps),
        "chars_per_second": round(chars_per_second(nlp, corpus / "test.spacy", records=records), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="+", help="names of files in configs/, without .cfg")
    parser.add_argument("--steps", type=int, default=5, help="timed training steps per config")
    parser.add_argument("--records", type=int, default=40, help="test records annotated for chars/s")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--note", default="", help="anything that affects the figures, e.g. a shared machine")
    args, overrides = parser.parse_known_args()
    rows = [measure(name, args.corpus, args.steps, args.records, overrides) for name in args.configs]
    result = {"machine": machine(), "date": datetime.date.today().isoformat(), "note": args.note, "configs": rows}
    (RESULTS / "training_cost.json").write_text(json.dumps(result, indent=2) + "\n")
    rebuild_report()
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
