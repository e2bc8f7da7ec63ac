"""Train a config on Yidu-S4K, score it on the official test set, measure speed.

    python benchmarks/run_config.py bilstm_crf --seeds 0 1 2

Overrides may name the seed, e.g. a warm start from the frozen run of the same
seed: ``--paths.warm_start training/bert_full_frozen-seed{seed}/model-best``.

Writes benchmarks/results/<config>.json (mean over seeds, and every run; runs of
other seeds already there with the same overrides are kept) and
rebuilds benchmarks/RESULTS.md. Expects corpus/{train,dev,test}.spacy from
``spacy project run convert``.

``--refit`` trains on the train and dev records together for the number of steps
given as ``--training.max_steps`` (the best step of a run that held dev out), as a
user would for the model they keep: nothing is held out to choose a checkpoint, so
the step count must come from such a run. Its results and training folders are
named CONFIG_refit unless ``--name`` says otherwise.

Each training saves its whole state before every evaluation step; ``--resume`` continues
a stopped one from there, as if it had never stopped (spacy_cner/training/legs.py), and
the results record each leg. ``--interrupted`` scores a stopped one's best checkpoint.
"""

import argparse
import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import spacy
from spacy.cli._util import parse_config_overrides
from spacy.language import Language
from spacy.tokens import DocBin
from thinc.api import Config

from spacy_cner.cli.refit import join_train_and_dev, refit_overrides
from spacy_cner.evaluation import evaluate
from spacy_cner.training.legs import begin_leg, finish_training, leg_start, legs

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def machine() -> Dict[str, Any]:
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line]
        cpu = names[0] if names else cpu
    return {"cores": os.cpu_count(), "gpu": False, "cpu": cpu, "torch_threads": _torch_threads()}


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


# Results and prose change while runs go on; they do not change what a run trains.
NOT_CODE = (":(exclude)benchmarks/results", ":(exclude)*.md")


def now() -> str:
    """The time a measurement was made, in UTC."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def git_commit(root: Path = ROOT) -> str:
    """The commit the run was made from, marked ``-dirty`` when tracked files other than results and prose differ."""
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", ".", *NOT_CODE], cwd=root).returncode != 0
    return commit + ("-dirty" if dirty else "")


def library_versions() -> Dict[str, str]:
    names = ("spacy", "thinc", "torch", "spacy-transformers", "transformers", "pytorch-crf", "numpy")
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def provenance(benchmark: str, note: str) -> Dict[str, Any]:
    """Where, when and from what a benchmark other than a config run ran."""
    return {
        "benchmark": benchmark,
        "date": now(),
        "commit": git_commit(),
        "libraries": library_versions(),
        "machine": machine(),
        "note": note,
    }


def sha256_of(path: Path) -> str:
    """Of a file, or of a folder's files (names and contents, in name order). A ``.spacy`` corpus is hashed by its
    records (see ``records_sha256``), so converting the same records again gives the same hash."""
    if path.suffix == ".spacy" and path.is_file():
        return records_sha256(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def records_sha256(path: Path) -> str:
    """Of a corpus's texts, entities and span groups in record order: a DocBin's bytes also hold its string table
    and attribute layout, which change with the converter's version while the records stay the same."""
    digest = hashlib.sha256()
    for doc in DocBin().from_disk(path).get_docs(spacy.blank("xx").vocab):
        record = {
            "text": doc.text,
            "ents": [[ent.start_char, ent.end_char, ent.label_] for ent in doc.ents],
            "spans": {
                key: sorted([s.start_char, s.end_char, s.label_] for s in group) for key, group in doc.spans.items()
            },
        }
        digest.update(json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n")
    return digest.hexdigest()


def inputs_fingerprint(config: str, corpus: Path, overrides: List[str]) -> Dict[str, str]:
    """Hashes of what one run's figures depend on: the config, the test set and every file its [paths] name once the
    corpus and the overrides (with the run's seed in them) are applied: records, pseudo-labels, backbone, warm start."""
    cfg = ROOT / "configs" / f"{config}.cfg"
    paths = {**Config().from_disk(cfg, interpolate=False)["paths"], **corpus_paths(corpus)}
    parsed = parse_config_overrides(list(overrides))  # a copy: it empties the list it reads
    paths.update({key[len("paths.") :]: value for key, value in parsed.items() if key.startswith("paths.")})
    hashes = {f"configs/{config}.cfg": sha256_of(cfg)}
    for value in [*paths.values(), str(corpus / "test.spacy")]:
        if isinstance(value, str) and Path(value).exists():
            hashes[as_recorded(Path(value))] = sha256_of(Path(value).resolve())
    return hashes


def as_recorded(path: Path) -> str:
    """A path as a results file names it: from the repository when it lies inside, so no machine's paths are kept."""
    path = path.resolve()
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def corpus_paths(corpus: Path) -> Dict[str, str]:
    """The [paths] a run sets from its corpus; the overrides come after, so they win."""
    return {"train": str(corpus / "train.spacy"), "dev": str(corpus / "dev.spacy")}


def dev_curve(train_log: str) -> List[Dict[str, float]]:
    """The dev F1 spaCy's console logger printed (of the entities, or of the spans): one row per evaluation."""
    curve: List[Dict[str, float]] = []
    columns: List[str] = []
    for line in train_log.splitlines():
        fields = line.split()
        if fields[:2] == ["E", "#"]:
            columns = [field for field in fields if field != "LOSS"]
        elif columns and len(fields) == len(columns) and fields[0].isdigit() and fields[1].isdigit():
            row = dict(zip(columns, fields))
            f_column = next(column for column in columns if column.endswith("_F"))  # ENTS_F, SPANS_SC_F
            curve.append({"epoch": int(row["E"]), "step": int(row["#"]), "ents_f": float(row[f_column])})
    return curve


def train(config: Path, output: Path) -> float:
    command = [sys.executable, "-m", "spacy", "train", str(config), "--output", str(output)]
    output.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(output / "train.log", "w") as log:
        subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT)
    return time.perf_counter() - started


def refit_arguments(corpus: Path, output: Path, overrides: List[str]) -> List[str]:
    """Train on the corpus's train and dev records joined, for ``--training.max_steps``, as ``python -m spacy_cner
    refit`` does."""
    steps = parse_config_overrides(list(overrides)).get("training.max_steps")
    if steps is None:
        raise SystemExit(
            "--refit trains a fixed number of steps: add --training.max_steps N, with N the best step of a run "
            "that held the dev records out (its results JSON has it as best_step)"
        )
    joined = output / "train+dev.spacy"
    join_train_and_dev(corpus, joined)
    return [part for key, value in refit_overrides(joined, steps).items() for part in (f"--{key}", str(value))]


# What this script adds to each leg of a training (spacy_cner/training/legs.py): its start and spaCy's log.
RUN_FILES = ("started.json", "train.log")


def started_record(leg: Path) -> Dict[str, Any]:
    """When the leg began, and at which commit."""
    return json.loads((leg / "started.json").read_text())


def leg_rows(leg: Path) -> List[Dict[str, float]]:
    """The leg's dev evaluations, its steps counted from the start of the whole training."""
    from_step = leg_start(leg)
    rows = dev_curve((leg / "train.log").read_text(encoding="utf-8"))
    return [{**row, "step": row["step"] + from_step} for row in rows]


def training_curve(output: Path) -> List[Dict[str, float]]:
    """The dev curve over all legs; a resumed leg's first evaluation repeats its checkpoint's and is left out."""
    curve: List[Dict[str, float]] = []
    for leg in legs(output):
        curve += [row for row in leg_rows(leg) if not curve or row["step"] > curve[-1]["step"]]
    return curve


def leg_seconds(leg: Path) -> float:
    """From the leg's start to its log's last write."""
    return (leg / "train.log").stat().st_mtime - started_record(leg)["time"]


def leg_record(leg: Path, seconds: float) -> Dict[str, Any]:
    from_step = leg_start(leg)
    record = {"from_step": from_step, "commit": started_record(leg)["commit"], "train_seconds": round(seconds, 1)}
    # every leg after the first resumes from a saved training state (legs recorded before one was saved did not)
    return {**record, "from_state": True} if from_step else record


def count_parameters(nlp: Language) -> Dict[str, int]:
    """All weights of the pipeline (Thinc and torch), and those training updates
    (a frozen encoder's are not)."""
    total = trained = 0
    for _, component in nlp.pipeline:
        for node in component.model.walk():
            for name in node.param_names:
                size = node.get_param(name).size
                total, trained = total + size, trained + size
            for shim in node.shims:
                for parameter in shim._model.parameters():
                    total += parameter.numel()
                    trained += parameter.numel() if parameter.requires_grad else 0
    return {"total": total, "trained": trained}


def chars_per_second(nlp: Language, test: Path, batch_size: int = 32, records: Optional[int] = None) -> float:
    """Annotation speed over the test records (the first ``records`` of them)."""
    texts = [doc.text for doc in DocBin().from_disk(test).get_docs(nlp.vocab)][:records]
    list(nlp.pipe(texts[:8]))  # warm-up
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=batch_size):
        pass
    return sum(map(len, texts)) / (time.perf_counter() - started)


def run_once(
    config: str,
    name: str,
    seed: int,
    corpus: Path,
    overrides: List[str],
    spans_key: Optional[str],
    interrupted: bool = False,
    resume: bool = False,
    refit: bool = False,
) -> Dict[str, Any]:
    """Train and score one seed. With ``interrupted``, score the model-best of a training that was stopped (its
    start is in started.json, its end is the log's last write) without training again; with ``resume``, train the
    rest of it first; with ``refit``, train on train + dev (``refit_arguments``)."""
    output = ROOT / "training" / f"{name}-seed{seed}"
    overrides = [override.replace("{seed}", str(seed)) for override in overrides]
    inputs = inputs_fingerprint(config, corpus, overrides)
    config_path = ROOT / "configs" / f"{config}.cfg"
    output.mkdir(parents=True, exist_ok=True)
    train_overrides = [
        *(part for key, value in corpus_paths(corpus).items() for part in (f"--paths.{key}", value)),
        *("--system.seed", str(seed)),
        *overrides,
        *(refit_arguments(corpus, output, overrides) if refit else ()),
    ]
    if interrupted:
        seconds = leg_seconds(output)
    else:
        try:
            leg_config = begin_leg(output, config_path, train_overrides, resume, RUN_FILES)
        except ValueError as error:
            raise SystemExit(str(error)) from error
        # the code that trains, even if the tree changes before the run ends
        (output / "started.json").write_text(json.dumps({"time": time.time(), "commit": git_commit()}) + "\n")
        seconds = train(leg_config, output)
    finish_training(output, config_path, train_overrides)
    stopped = legs(output)[:-1]
    leg_records = [leg_record(leg, leg_seconds(leg)) for leg in stopped] + [leg_record(output, seconds)]
    model = output / "model-best"
    metrics = evaluate(str(model), corpus / "test.spacy", spans_key=spans_key)
    nlp = spacy.load(model)
    curve = training_curve(output)
    best = max(curve, key=lambda row: row["ents_f"]) if curve else None
    return {
        "seed": seed,
        "date": now(),
        "commit": leg_records[-1]["commit"],
        "machine": machine(),
        "steps_trained": curve[-1]["step"] if curve else None,
        "best_step": best["step"] if best else None,
        "best_dev_f": best["ents_f"] if best else None,
        "dev_curve": curve,
        "ents_p": metrics["ents_p"],
        "ents_r": metrics["ents_r"],
        "ents_f": metrics["ents_f"],
        "per_type": metrics["per_type"],
        "train_seconds": round(sum(leg["train_seconds"] for leg in leg_records), 1),
        "train_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "chars_per_second": round(chars_per_second(nlp, corpus / "test.spacy"), 1),
        "parameters": count_parameters(nlp),
        "model": str(model.relative_to(ROOT)),
        "interrupted": interrupted,
        **({"refit": True} if refit else {}),
        **({"legs": leg_records} if stopped else {}),
        "inputs_sha256": inputs,
        **{key: metrics[key] for key in ("scored", "recall_nested", "recall_not_nested") if key in metrics},
    }


YIDU = {
    "dataset": "Yidu-S4K (CCKS 2019 task 1)",
    "split": "train 900 / dev 100 (seed 0) of the 1000 training records; test: the 379 official test records",
}


def dataset_of(corpus: Path) -> Dict[str, str]:
    """What the corpus is: its converter's split.json says, else the Yidu-S4K corpus of ``convert yidu``."""
    split = corpus / "split.json"
    if not split.exists():
        return YIDU
    described = json.loads(split.read_text())
    sizes = " / ".join(f"{name} {len(indices)}" for name, indices in described["records"].items())
    return {"dataset": described["dataset"], "split": f"{sizes} records (seed {described['seed']})"}


def common_commit(runs: List[Dict[str, Any]]) -> Optional[str]:
    """The commit every run trained at, or None if they differ (each run keeps its own)."""
    commits = {run.get("commit") for run in runs}
    return commits.pop() if len(commits) == 1 else None


def summarize(
    config: str, runs: List[Dict[str, Any]], overrides: List[str], dataset: Dict[str, str], how: Dict[str, Any]
) -> Dict[str, Any]:
    """The mean over ``runs``; ``how`` holds the rest of what ``benchmarks/rerun.py`` needs to run them again."""

    def mean(key: str) -> float:
        return round(statistics.fmean(run[key] for run in runs), 2)

    labels = runs[0]["per_type"]
    return {
        "config": config,
        **how,
        "overrides": overrides,
        **dataset,
        "ents_p": mean("ents_p"),
        "ents_r": mean("ents_r"),
        "ents_f": mean("ents_f"),
        "ents_f_std": round(statistics.stdev(r["ents_f"] for r in runs), 2) if len(runs) > 1 else None,
        "per_type": {
            label: {k: round(statistics.fmean(r["per_type"][label][k] for r in runs), 2) for k in ("p", "r", "f")}
            for label in labels
        },
        "train_seconds": mean("train_seconds"),
        "chars_per_second": mean("chars_per_second"),
        "peak_rss_mb": max(run["train_peak_rss_mb"] for run in runs),
        "parameters": runs[-1].get("parameters"),
        "machine": machine(),
        "date": datetime.date.today().isoformat(),
        "commit": common_commit(runs),
        "libraries": library_versions(),
        "runs": runs,
    }


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", help="name of a file in configs/, without .cfg")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--note", default="", help="anything that affects the figures, e.g. a shared machine")
    parser.add_argument("--name", help="of the results file and training folders (default: the config's, + _refit)")
    parser.add_argument("--spans-key", help="score every gold entity in doc.spans[KEY], nested ones included")
    stopped = parser.add_mutually_exclusive_group()
    stopped.add_argument("--interrupted", action="store_true", help="score the model-best of a stopped training")
    stopped.add_argument("--resume", action="store_true", help="train a stopped training's remaining steps, then score")
    parser.add_argument("--refit", action="store_true", help="train on train + dev for --training.max_steps steps")
    parser.add_argument("overrides", nargs="*", help="extra spacy train overrides, e.g. --training.max_steps 500")
    args, unknown = parser.parse_known_args(argv)
    overrides = args.overrides + unknown
    # a refit under its config's name would train over that config's model and replace its results
    name = args.name or (f"{args.config}_refit" if args.refit else args.config)
    dataset = dataset_of(args.corpus)
    how = {"corpus": as_recorded(args.corpus), "spans_key": args.spans_key}
    if args.refit:
        refit_split = "; refit: trained on train and dev together, for a step count chosen on dev beforehand"
        dataset = {**dataset, "split": dataset["split"] + refit_split}
    for seed in args.seeds:  # saved seed by seed, so an interrupted series keeps the seeds it finished
        run = run_once(
            args.config, name, seed, args.corpus, overrides, args.spans_key, args.interrupted, args.resume, args.refit
        )
        result = save(args.config, name, run, overrides, dataset, how, args.note)
    print(json.dumps({k: result[k] for k in ("config", "ents_p", "ents_r", "ents_f", "train_seconds")}))


def merge_runs(earlier: Optional[Dict[str, Any]], run: Dict[str, Any], overrides: List[str]) -> List[Dict[str, Any]]:
    """The runs of ``earlier`` made with the same overrides, with ``run`` in place of its seed's, by seed. Each run
    keeps its own note and input hashes (older files kept one of each per file), so a replaced run's go with it."""
    kept = []
    if earlier is not None and earlier["overrides"] == overrides:
        per_file = {key: earlier[key] for key in ("note", "inputs_sha256") if key in earlier}
        kept = [{**per_file, **other} for other in earlier["runs"] if other["seed"] != run["seed"]]
    elif earlier is not None:
        seeds = ", ".join(str(other["seed"]) for other in earlier["runs"])
        print(f"Replacing the runs (seeds {seeds}) made with other overrides: {earlier['overrides']}", file=sys.stderr)
    return sorted(kept + [run], key=lambda other: other["seed"])


def save(
    config: str,
    name: str,
    run: Dict[str, Any],
    overrides: List[str],
    dataset: Dict[str, str],
    how: Dict[str, Any],
    note: str,
) -> Dict[str, Any]:
    """Add ``run`` to results/<name>.json (replacing a run of its seed made with the same overrides) and rebuild
    RESULTS.md."""
    path = RESULTS / f"{name}.json"
    earlier = json.loads(path.read_text()) if path.exists() else None
    runs = merge_runs(earlier, {**run, "note": note}, overrides)
    result = summarize(config, runs, overrides, dataset, how)
    result["note"] = "; ".join(dict.fromkeys(other["note"] for other in runs if other["note"]))
    result["name"] = name
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "report.py")], check=True)
    return result


if __name__ == "__main__":
    main()
