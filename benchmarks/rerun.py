"""Run a results file's runs again as they were made, from what the file records.

    python benchmarks/rerun.py bilstm_crf_wubi --note "rerun with provenance; one thread beside another run"
    python benchmarks/rerun.py bert_full --seeds 1 --resume
    python benchmarks/rerun.py --without-provenance      # the runs recorded before commits and hashes were kept

The file gives the config, the name, the corpus, the spans key, whether the runs were refits and the overrides;
``--seeds`` defaults to its seeds. Any other option of run_config.py (``--note``, ``--resume``, ``--interrupted``)
is passed on to it, so the rerun replaces the runs of the same seeds in the same file.
"""

import argparse
import json
from typing import Any, Dict, List, Optional

import run_config


def run_config_arguments(result: Dict[str, Any], seeds: List[int]) -> List[str]:
    """The arguments of run_config.py that made ``result``'s runs, for ``seeds``, overrides last."""
    name = result.get("name", result["config"])
    missing = [key for key in ("corpus", "spans_key") if key not in result]
    if missing:
        raise SystemExit(f"results/{name}.json does not record its {' or '.join(missing)}: run run_config.py by hand")
    arguments = [result["config"], "--name", name, "--corpus", str(run_config.ROOT / result["corpus"])]
    arguments += ["--seeds", *map(str, seeds)]
    if result["spans_key"]:
        arguments += ["--spans-key", result["spans_key"]]
    if any(run.get("refit") for run in result["runs"]):
        arguments.append("--refit")
    return arguments + result["overrides"]


def without_provenance() -> List[str]:
    """``NAME seed S`` for every run recorded without the commit it trained at."""
    stale = []
    for path in sorted(run_config.RESULTS.glob("*.json")):
        result = json.loads(path.read_text())
        stale += [f"{path.stem} seed {run['seed']}" for run in result.get("runs", []) if not run.get("commit")]
    return stale


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", nargs="?", help="the results file benchmarks/results/NAME.json")
    parser.add_argument("--seeds", type=int, nargs="+", help="default: the seeds the file holds")
    parser.add_argument("--without-provenance", action="store_true", help="list the runs to rerun, and stop")
    args, passed_on = parser.parse_known_args(argv)
    if args.without_provenance:
        print("\n".join(without_provenance()))
        return
    if args.name is None:
        parser.error("name a results file, or give --without-provenance")
    path = run_config.RESULTS / f"{args.name}.json"
    if not path.exists():
        raise SystemExit(f"no results file {path}")
    result = json.loads(path.read_text())
    seeds = args.seeds or [run["seed"] for run in result["runs"]]
    arguments = run_config_arguments(result, seeds)
    run_config.main([*arguments[:1], *passed_on, *arguments[1:]])  # run_config's own options before the overrides


if __name__ == "__main__":
    main()
