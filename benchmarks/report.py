"""Rebuild benchmarks/RESULTS.md and the README's results table from benchmarks/results/*.json."""

import importlib.util
import json
import re
import statistics
from pathlib import Path
from typing import List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TYPES = ("Disease", "Anatomy", "Image", "Laboratory", "Medicine", "Operation")

# The pipeline every model must beat: spaCy's own default CPU pipeline, a config run like any other.
PEER_CONFIG = "spacy_default_ner"

# Published figures on the official split (paper 000, Tables 4-6; CCKS 2019).
PAPERS = [
    ("BiLSTM-CRF (paper 000 baseline)", 69.43, 72.58, 70.97),
    ("CCKS 2019 rank 1 (BERT + model fusion)", None, None, 85.62),
    ("BERT-BiLSTM-CRF (paper 000)", 89.07, 83.67, 86.29),
    ("RoBERTa-wwm-BiLSTM-CRF (paper 000)", 90.08, 86.90, 88.46),
    ("RoBERTa-wwm-ext-large + fusion + codes + glyph + BiLSTM-CRF (paper 000)", 90.37, 88.22, 89.28),
]
# Paper 004, Table 7: its own random 6:2:2 split of Yidu-S4K, so not comparable with the rows above.
PAPER_004 = [
    ("BiLSTM-CRF", 75.34),
    ("IDCNN-CRF", 74.92),
    ("imConvNet-CRF", 76.38),
    ("imConvNet-BiLSTM-CRF", 76.63),
    ("BERT-imConvNet-CRF", 88.22),
    ("BERT-imConvNet-BiLSTM-CRF", 91.38),
]

# Published CMeEE figures (CBLUE, Zhang et al., ACL 2022, doi:10.18653/v1/2022.acl-long.544, its README's table):
# CMeEE as released with CBLUE, trained on its 15,000 training records, scored on the hidden official test set.
CBLUE_CMEEE = [
    ("ALBERT-tiny", 50.5),
    ("PCL-MedBERT", 60.6),
    ("BERT-base", 62.1),
    ("RoBERTa-wwm-ext-large", 61.8),
    ("MacBERT-large (best of the 11 baselines)", 62.4),
    ("human annotators", 67.0),
]

# Which published row each config corresponds to: (config, paper row, its F1, how they differ).
BESIDE_PAPERS = [
    ("bilstm_crf", "paper 000 BiLSTM-CRF", 70.97, "same test set"),
    ("bert_bilstm_crf_frozen", "paper 000 RoBERTa-wwm-BiLSTM-CRF", 88.46, "12-layer RoBERTa-wwm fine-tuned, GPU"),
    ("bert_fusion_bilstm_crf_frozen", "paper 000 RoBERTa-wwm-BiLSTM-CRF", 88.46, "12 layers fine-tuned, no fusion"),
    ("bert_full_frozen", "paper 000 full model", 89.28, "24-layer RoBERTa-wwm-ext-large fine-tuned, GPU"),
    ("bert_full", "paper 000 full model", 89.28, "24-layer RoBERTa-wwm-ext-large fine-tuned, GPU"),
    ("bert_spacy_ner_frozen", "CCKS 2019 rank 1", 85.62, "BERT ensemble"),
    ("imconvnet_slim_crf", "paper 004 imConvNet-CRF", 76.38, "paper widths; paper 004's own 6:2:2 split"),
    ("imconvnet_slim_bilstm_crf", "paper 004 imConvNet-BiLSTM-CRF", 76.63, "paper widths; paper 004's own split"),
    ("bert_imconvnet_crf", "paper 004 BERT-imConvNet-CRF", 88.22, "paper 004's own split"),
    ("bert_imconvnet_bilstm_crf", "paper 004 BERT-imConvNet-BiLSTM-CRF", 91.38, "paper 004's own split"),
    (
        "bert_imconvnet_slim_crf_frozen",
        "paper 004 BERT-imConvNet-CRF",
        88.22,
        "BERT fine-tuned, paper widths; paper 004's own split",
    ),
    (
        "bert_imconvnet_slim_bilstm_crf_frozen",
        "paper 004 BERT-imConvNet-BiLSTM-CRF",
        91.38,
        "BERT fine-tuned, paper widths; paper 004's own split",
    ),
    (
        "bert_full_imconvnet_slim_frozen",
        "paper 004 BERT-imConvNet-BiLSTM-CRF",
        91.38,
        "BERT fine-tuned, paper widths, no fusion or character features; paper 004's own split",
    ),
]

# Each config variant says in its [variant.comparison] section which table it is compared in, against which
# config and what it adds; these are the tables' headings. Paper 000 ablates the same features over a fine-tuned
# RoBERTa-wwm (its Figures 5-6), without figures in its text.
ABLATION_TABLES = {
    "character_features": "Character features over character embeddings (no transformer)",
    "backbone": "Fusion, character features and fine-tuning over the m3e-small backbone",
}


def comparisons(table: str) -> List[Tuple[str, str, str]]:
    """(config compared against, config, what it adds) for every variant compared in ``table``, in the order of
    their ``row`` (where the rows build on each other), else by name."""
    build = config_build()
    found = [(name, build.variant(name).get("comparison")) for name in build.names()]
    rows = sorted(((c.get("row", 0), name, c) for name, c in found if c and c["table"] == table), key=lambda r: r[:2])
    return [(c["against"], name, c["adds"]) for _, name, c in rows]


def config_of(model: Path) -> str:
    """training/<config>-seed<N>/model-best -> <config>."""
    return model.resolve().parent.name.rsplit("-seed", 1)[0]


def fmt(value) -> str:
    return "" if value is None else f"{value:.2f}"


def measured(name: str) -> Optional[dict]:
    """What another benchmark wrote to results/<name>.json, or None if it has not been run."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def section(heading: str, intro: List[str], header: str, separator: str, level: int = 2) -> List[str]:
    """How a RESULTS.md section opens: its heading, its introduction, then its table's header and separator."""
    return ["", f"{'#' * level} {heading}", "", *intro, *([""] if intro else []), header, separator]


def fmt_seeds(result: dict) -> str:
    return ",".join(str(run["seed"]) for run in result["runs"])


def fmt_commits(result: dict) -> str:
    """The commit each run trained at, once if they share it; "-" for a run recorded before commits were kept."""
    commits = [(run.get("commit") or "-")[:7] for run in result["runs"]]
    if len(set(commits)) == 1:
        return "" if commits[0] == "-" else commits[0]
    return ", ".join(f"{commit} (seed {run['seed']})" for commit, run in zip(commits, result["runs"]))


def override_pairs(result: dict) -> List[Tuple[str, str]]:
    """The run's config overrides as (flag, value), as run_config.py was given them."""
    overrides = result.get("overrides") or []
    return list(zip(overrides[::2], overrides[1::2]))


def fmt_settings(result: dict) -> str:
    """The run's changes to its config other than paths, short: ``hidden_width 256, max_steps 600``."""
    pairs = [(flag, value) for flag, value in override_pairs(result) if not flag.startswith("--paths.")]
    return ", ".join(f"{flag.rsplit('.', 1)[-1]} {value}" for flag, value in pairs)


def fmt_f1(result: dict) -> str:
    """Mean F1 over the seeds, with the spread when there are several."""
    spread = result.get("ents_f_std")
    return fmt(result["ents_f"]) + ("" if spread is None else f" ± {spread:.2f}")


def fmt_parameters(parameters) -> str:
    """Millions of weights; a frozen encoder's are counted but not trained."""
    if not parameters:
        return ""
    total = f"{parameters['total'] / 1e6:.1f}M"
    return (
        total
        if parameters["trained"] == parameters["total"]
        else f"{total} ({parameters['trained'] / 1e6:.1f}M trained)"
    )


def ablation_lines(ours: dict, side_by_side_speed: dict) -> list:
    """One table per ablation group whose baseline has been run: F1 and its change, and the
    side-by-side speed from SPEED.md where the model was measured there."""
    lines = []
    for table, heading in ABLATION_TABLES.items():
        compared = comparisons(table)
        (baseline,) = {against for against, _, _ in compared}
        variants = [(config, added) for _, config, added in compared]
        rows = [(config, added) for config, added in [(baseline, "(baseline)")] + variants if config in ours]
        if baseline not in ours or len(rows) < 2:
            continue
        base = ours[baseline]["ents_f"]
        lines += [
            "",
            f"### {heading}",
            "",
            "| config | adds | seeds | F1 | vs. baseline | chars/s (SPEED.md) |",
            "|---|---|---|---:|---:|---:|",
        ]
        for config, added in rows:
            r = ours[config]
            speed = side_by_side_speed.get(config)
            lines.append(
                f"| `{config}` | {added} | {fmt_seeds(r)} | {fmt_f1(r)} | {r['ents_f'] - base:+.2f} | "
                f"{'' if speed is None else f'{speed:,.0f}'} |"
            )
    if lines:
        lines = [
            "",
            "## Ablations",
            "",
            "Each row adds the named pieces to its table's baseline and changes nothing else (the BiLSTM's input",
            "width follows the features; `tests/test_configs.py` checks what each variant's overlay may change).",
            "With one seed a row, a gap smaller than the baseline's seed spread is within noise.",
        ] + lines
    return lines


def same_seed_change(base: dict, lever: dict) -> Optional[dict]:
    """The lever's mean change over the seeds both were run with, overall and per type."""
    base_runs = {run["seed"]: run for run in base["runs"]}
    pairs = [(base_runs[run["seed"]], run) for run in lever["runs"] if run["seed"] in base_runs]
    if not pairs:
        return None

    def mean_change(score) -> float:
        return sum(score(after) - score(before) for before, after in pairs) / len(pairs)

    return {
        "seeds": ",".join(str(after["seed"]) for _, after in pairs),
        "f": mean_change(lambda run: run["ents_f"]),
        "per_type": {t: mean_change(lambda run, t=t: run["per_type"].get(t, {}).get("f", 0.0)) for t in TYPES},
    }


def lever_lines(ours: dict) -> list:
    rows = []
    for base, config, lever in comparisons("levers"):
        change = same_seed_change(ours[base], ours[config]) if base in ours and config in ours else None
        if change is not None:
            cells = " | ".join(f"{change['per_type'][t]:+.2f}" for t in TYPES)
            rows.append(f"| `{config}` | {lever} | `{base}` | {change['seeds']} | {change['f']:+.2f} | {cells} |")
    if not rows:
        return []
    return [
        *section(
            "What a hospital's own text and word lists add",
            [
                "Each lever against its base config on the same seeds (the mean of the per-seed differences), overall",
                "and per entity type.",
            ],
            "| config | lever | base | seeds | F1 change | " + " | ".join(TYPES) + " |",
            "|---|---|---|---|---:|" + "---:|" * len(TYPES),
        ),
        *rows,
    ]


def adaptation_lines() -> list:
    """Continued masked-LM pretraining of the backbone (benchmarks/adapt_backbone.py)."""
    adapted = measured("adapt_m3e_small_medical")
    if adapted is None:
        return []
    report, settings = adapted["report"], adapted["report"]["settings"]
    return [
        *section(
            "Adapting m3e-small to medical text (`benchmarks/adapt_backbone.py`)",
            [
                f"Whole-word masked-LM training on {report['train_windows']:,} windows of up to "
                f"{settings['max_length']} wordpieces ({report['refused_texts']:,} texts refused for overlapping an "
                f"evaluation set), {report['heldout_windows']:,} windows held out. The new MLM head was fitted for "
                f"{settings['head_steps']} steps with the encoder frozen, then every layer trained for "
                f"{settings['steps']:,} steps of {settings['batch_size']} at {settings['learn_rate']} "
                f"({adapted['note']}).",
            ],
            "| held-out masked tokens | loss | accuracy |",
            "|---|---:|---:|",
        ),
        *(
            f"| {name} | {report[key]['loss']:.2f} | {100 * report[key]['accuracy']:.1f}% |"
            for key, name in (
                ("as_loaded", "as loaded (random head)"),
                ("before", "before: original encoder, fitted head"),
                ("after", "after adaptation"),
            )
        ),
    ]


def precision_lines() -> list:
    """F1 of the same models in float32, int8 and bfloat16 (benchmarks/precision.py), with their speed from the
    side-by-side run of SPEED.md where they were measured there."""
    measured_precision = measured("precision")
    if measured_precision is None:
        return []
    speed = {r["model"]: r["chars_per_second"] for r in (measured("speed") or {"results": []})["results"]}
    lines = section(
        "Reduced precision (`benchmarks/precision.py`)",
        [
            "F1 on the official test set of each model in float32 and at reduced "
            "precision (`--precision`): int8 (every",
            "torch `Linear` and `LSTM` dynamically quantized) and bfloat16 (CPU autocast); speed from the side-by-side",
            "run of [SPEED.md](SPEED.md) where they were measured there.",
        ],
        "| model | F1 float32 | F1 int8 | F1 bfloat16 | chars/s float32 | int8 | bfloat16 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    )
    for r in measured_precision["results"]:
        f = r["ents_f"]
        base = speed.get(r["model"])
        speeds = [f"{base:,.0f}" if base else ""]
        for precision in ("int8", "bfloat16"):
            fast = speed.get(f"{r['model']} ({precision})")
            speeds.append(f"{fast:,.0f} ({fast / base:.2f}x)" if fast and base else "")
        scores = [f"{f[p]:.2f} ({f[p] - f['float32']:+.2f})" for p in ("int8", "bfloat16")]
        cells = [f"{f['float32']:.2f}", *scores, *speeds]
        lines.append(f"| `{config_of(Path(r['model']))}` | " + " | ".join(cells) + " |")
    return lines


ARCHIVE_RECORDS, ARCHIVE_RECORD_CHARS = 10_000_000, 1_000


def spark_lines() -> list:
    """annotate-spark against annotate on the same records, and what an archive would take at the per-core rate."""
    spark = measured("spark_speed")
    if spark is None:
        return []
    rows = spark["commands"]
    lines = section(
        "Annotating on Spark (`benchmarks/spark_speed.py`)",
        [
            f"`{spark['model']}` on {spark['records']:,} records ({spark['characters']:,} characters) in "
            f"{spark['files']} JSONL files; every command end to end as a user runs it (start-up, model loading, the "
            f"JVM), interleaved, best of {len(next(iter(rows.values()))['seconds'])}; one torch thread per process; "
            f"{spark['note'] or 'idle machine'}. All wrote the same entities for the same ids. On one 2-core machine "
            "this shows Spark's overhead, not its scaling.",
        ],
        "| command | seconds | chars/s |",
        "|---|---:|---:|",
    )
    lines += [
        f"| `{name}` | {min(row['seconds']):.1f} | {row['chars_per_second']:,.0f} |" for name, row in rows.items()
    ]
    per_core = rows["annotate (1 process)"]["chars_per_second"]
    core_hours = ARCHIVE_RECORDS * ARCHIVE_RECORD_CHARS / per_core / 3600
    lines += [
        "",
        f"On paper: {ARCHIVE_RECORDS:,} records of {ARCHIVE_RECORD_CHARS:,} characters at the one-process rate "
        f"above ({per_core:,.0f} chars/s per core, start-up included) take {core_hours:,.0f} core-hours: "
        f"{core_hours / 8:,.0f} hours on 8 cores, or one night (8 hours) on {core_hours / 8:,.0f} cores, "
        "before Spark's overhead.",
    ]
    return lines


def imconvnet_lines(ours: dict, side_by_side_speed: dict) -> list:
    """Each measured model beside its twin with the slim imConvNet between its features and its BiLSTM,
    with their side-by-side speed from SPEED.md where both were measured there."""
    pairs = [(without, with_) for without, with_, _ in comparisons("imconvnet") if without in ours and with_ in ours]
    if not pairs:
        return []
    lines = section(
        "What the slim imConvNet adds before the BiLSTM",
        [
            "Paper 004's question on our models: the same model with imConvNet (channels 32-256) between its input",
            "and its BiLSTM. The imConvNet configs warm the learning rate up and decay it (the conv stack diverged at",
            "the constant rate), and `imconvnet_slim_bilstm_crf` stops at 1,200 steps instead of 2,000 (its dev F1",
            "peaked at step 800); nothing else differs. Speed: the side-by-side run of SPEED.md.",
        ],
        "| without | F1 | parameters | with imConvNet | F1 | parameters | change | chars/s with vs. without |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    )
    for without, with_ in pairs:
        a, b = ours[without], ours[with_]
        speeds = side_by_side_speed.get(without), side_by_side_speed.get(with_)
        speed = f"{speeds[1]:,.0f} vs. {speeds[0]:,.0f}" if None not in speeds else ""
        lines.append(
            f"| `{without}` | {fmt_f1(a)} | {fmt_parameters(a.get('parameters'))} | `{with_}` | {fmt_f1(b)} | "
            f"{fmt_parameters(b.get('parameters'))} | {b['ents_f'] - a['ents_f']:+.2f} | {speed} |"
        )
    return lines


def error_kind_lines() -> list:
    """The error-kind table from benchmarks/error_kinds.py, if it was run."""
    errors = measured("error_kinds")
    if errors is None:
        return []
    kinds = ("wrong_type", "wrong_boundary", "wrong_boundary_and_type", "missed")
    lines = section(
        "What the errors are (`benchmarks/error_kinds.py`, seed-0 models)",
        [
            "Every gold entity of the test set that a model gets wrong, by what went wrong (with the share of all",
            "such entities); a prediction of the right type with one character too many counts as a boundary",
            "error here, and as one false positive and one false negative in strict F1. Spurious: predictions",
            "that overlap no gold entity.",
        ],
        "| model | F1 | gold entities wrong | "
        + " | ".join(kind.replace("_", " ") for kind in kinds)
        + " | spurious |",
        "|---|---:|---:|" + "---:|" * (len(kinds) + 1),
    )
    for r in errors["results"]:
        counts = r["error_kinds"]
        wrong = r["n_entities"] - counts["correct"]
        cells = " | ".join(f"{counts[kind]:,} ({100 * counts[kind] / wrong:.0f}%)" for kind in kinds)
        lines.append(f"| `{r['config']}` | {r['ents_f']:.2f} | {wrong:,} | {cells} | {counts['spurious']:,} |")
    return lines + boundary_error_lines([r for r in errors["results"] if "error_kinds_per_type" in r])


def boundary_error_lines(results: list) -> list:
    """Per type, the gold entities each model found with a wrong boundary (of the right type or not)."""
    if not results:
        return []
    labels = sorted({label for r in results for label in r["error_kinds_per_type"]})
    lines = [
        "",
        "Gold entities found with a wrong boundary (right type or not), per type:",
        "",
        "| model | " + " | ".join(labels) + " |",
        "|---|" + "---:|" * len(labels),
    ]
    for r in results:
        counts = r["error_kinds_per_type"]
        cells = [counts[label]["wrong_boundary"] + counts[label]["wrong_boundary_and_type"] for label in labels]
        lines.append(f"| `{r['config']}` | " + " | ".join(f"{n:,}" for n in cells) + " |")
    return lines


def fusion_weight_lines() -> list:
    """The learned layer weights from benchmarks/fusion_weights.py, if it was run."""
    fusion = measured("fusion_weights")
    if fusion is None:
        return []
    lines = section(
        "Learned fusion weights (`benchmarks/fusion_weights.py`, seed-0 models)",
        [
            "Softmax weight of each backbone layer, lowest first (equal weights at the start of training).",
        ],
        "| model | layer weights | scale |",
        "|---|---|---:|",
    )
    for r in fusion["results"]:
        first = "embeddings, " if r["includes_embeddings"] else ""
        weights = ", ".join(f"{w:.3f}" for w in r["layer_weights"])
        lines.append(f"| `{r['config']}` | {first}{weights} | {r['scale']:.3f} |")
    return lines


def training_cost_lines() -> list:
    """The side-by-side cost table from benchmarks/training_cost.py, if it was run."""
    cost = measured("training_cost")
    if cost is None:
        return []
    lines = section(
        "Training cost before training (`benchmarks/training_cost.py`)",
        [
            "Measured side by side in one run on untrained pipelines: seconds per training step on each config's",
            "own batches, the full run that pace implies (its `max_steps`; evaluations not counted), and annotation",
            f"speed. Torch threads: {cost['machine']['torch_threads']}"
            + (f" ({cost['note']})." if cost["note"] else "."),
        ],
        "| config | parameters | s / step | training chars/s | full run (projected) | annotation chars/s |",
        "|---|---:|---:|---:|---:|---:|",
    )
    for r in cost["configs"]:
        lines.append(
            f"| `{r['config']}` | {fmt_parameters(r['parameters'])} | {r['seconds_per_step']:.2f} | "
            f"{r['train_chars_per_second']:,.0f} | {r['projected_full_run_minutes'] / 60:.1f} h "
            f"({r['max_steps']:,} steps) | {r['chars_per_second']:,.0f} |"
        )
    return lines


def side_by_side_chars_per_second() -> dict:
    """config name -> chars/s of its seed-0 model in the side-by-side speed run, if there was one."""
    speed = measured("speed")
    if speed is None:
        return {}
    float_rows = [r for r in speed["results"] if r["model"].endswith("/model-best")]
    return {Path(r["model"]).parent.name.removesuffix("-seed0"): r["chars_per_second"] for r in float_rows}


README = ROOT / "README.md"
README_TABLE = re.compile(
    r"(<!-- results table: generated by benchmarks/report.py -->\n).*?(\n<!-- end of results table -->)", re.S
)


def run_results() -> List[dict]:
    """Every results file that ``run_config.py`` wrote, by file name (speed.json and the other benchmarks' JSONs
    live beside them)."""
    return [r for r in (json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))) if "runs" in r]


def config_runs(yidu: bool = True) -> List[dict]:
    """The results of config runs on Yidu-S4K, or with ``yidu=False`` on other corpora."""
    return [r for r in run_results() if r["dataset"].startswith("Yidu") == yidu and (not yidu or not renamed(r))]


def renamed(result: dict) -> bool:
    """A run saved under another name than its config's: a check of that config (shown apart), not its row."""
    return result.get("name", result["config"]) != result["config"]


def every_run_lines() -> list:
    """Each seed of every results file, so a single run quoted in prose can be found, with how far it trained."""
    rows = []
    for result in run_results():
        corpus = "" if result["dataset"].startswith("Yidu") else f" ({result['dataset'].split(' ')[0]})"
        for run in result["runs"]:
            notes = ["stopped early, its best checkpoint scored"] if run.get("interrupted") else []
            if run.get("refit"):
                notes.append("refit: its dev records were trained on")
            for leg in run.get("legs", [])[1:]:
                restored = "its saved training state" if leg.get("from_state") else "its weights alone"
                notes.append(f"resumed at step {leg['from_step']} from {restored}")
            best = "" if run.get("best_step") is None else f"{run['best_dev_f']:.2f} ({run['best_step']})"
            date = (run.get("date") or result.get("date") or "")[:10]
            rows.append(
                f"| `{result.get('name', result['config'])}`{corpus} | {run['seed']} | {run['ents_f']:.2f} | {best} | "
                f"{run.get('steps_trained') or ''} | {run['train_seconds'] / 60:.0f} | {date} | "
                f"{(run.get('commit') or '-')[:7]} | {'; '.join(notes)} |"
            )
    return [
        *section(
            "Every run",
            [
                "Each seed of every row above, on its own corpus's test set; best dev "
                "F1 and the step of the checkpoint",
                'scored; steps trained; commit "-": recorded before commits were kept.',
            ],
            "| run | seed | F1 | best dev F1 (step) | steps | train (min) | date | commit | |",
            "|---|---:|---:|---:|---:|---:|---|---|---|",
        ),
        *rows,
    ]


def refitted(result: dict) -> bool:
    """Trained on train and dev together (``run_config.py --refit``): shown beside its config, not as a rerun."""
    return any(run.get("refit") for run in result["runs"])


def refit_lines(ours: dict) -> list:
    rows = []
    for refit in (r for r in run_results() if r["dataset"].startswith("Yidu") and refitted(r)):
        base = ours.get(refit["config"])
        change = same_seed_change(base, refit) if base is not None else None
        if change is None:
            continue
        steps = dict(override_pairs(refit))["--training.max_steps"]
        cells = " | ".join(f"{change['per_type'][t]:+.2f}" for t in TYPES)
        plural = "s" if "," in change["seeds"] else ""  # the config may have fewer seeds than its refit
        over = "" if change["seeds"] == fmt_seeds(refit) else f" (seed{plural} {change['seeds']})"
        rows.append(
            f"| `{refit['name']}` | `{refit['config']}` | {steps} | {fmt_seeds(refit)} | {fmt_f1(refit)} | "
            f"{change['f']:+.2f}{over} | {cells} |"
        )
    if not rows:
        return []
    return [
        *section(
            "Trained on all 1,000 labelled records",
            [
                "The config trained again on its 900 train and 100 dev records "
                "together (`run_config.py --refit`), for the",
                "number of steps at which its dev score peaked when dev was held out, against that config on the same",
                "seeds (mean of the per-seed differences), overall and per entity "
                "type. Nothing is held out to choose its",
                "checkpoint: the model after the last step is scored.",
            ],
            "| run | config | steps | seeds | F1 | change | " + " | ".join(TYPES) + " |",
            "|---|---|---:|---|---:|---:|" + "---:|" * len(TYPES),
        ),
        *rows,
    ]


def reproduction_lines() -> list:
    """Configs rerun under another name to check they reproduce their recorded runs of the same seeds."""
    reruns = [r for r in run_results() if r["dataset"].startswith("Yidu") and renamed(r) and not refitted(r)]
    recorded = {r["config"]: r for r in config_runs()}
    rows = []
    for rerun in reruns:
        original = recorded.get(rerun["config"])
        if original is None:
            continue
        earlier = {run["seed"]: run for run in original["runs"]}
        for run in rerun["runs"]:
            if run["seed"] in earlier:
                before, now = earlier[run["seed"]]["ents_f"], run["ents_f"]
                rows.append(
                    f"| `{rerun['config']}` | {run['seed']} | {before:.2f} | {now:.2f} | {now - before:+.2f} | "
                    f"{fmt_f1(original)} | {run['commit'][:7]} |"
                )
    if not rows:
        return []
    return [
        *section(
            "Reproduction from the built configs",
            [
                "A config rerun from its file in `configs/` (built from its variant) "
                "on a seed recorded before the configs",
                "were generated, against that recorded run and the config's spread over its seeds.",
            ],
            "| config | seed | F1 recorded | F1 rerun | change | recorded over all seeds | rerun at |",
            "|---|---:|---:|---:|---:|---:|---|",
        ),
        *rows,
    ]


def nested_lines() -> list:
    """Runs on other corpora (CMeEE-V2's nested entities): every gold entity scored, and nested ones apart."""
    results = config_runs(yidu=False)
    if not results:
        return []
    lines = section(
        "Nested entities: CMeEE-V2",
        [
            f"{results[0]['dataset']} ({results[0]['split']}; `python -m spacy_cner convert cmeee`). Not the official",
            "CMeEE test set, whose labels are not public: figures are not comparable with the CBLUE leaderboard. Every",
            "gold entity is scored, nested ones included (strict: start, end and label); a flat model, trained on the",
            "outermost entities, is scored with its `doc.ents` against all of them. Nested: gold entities that overlap",
            "another gold entity (inside it or around it).",
        ],
        "| run | config | changed | seeds | P | R | F1 | recall, nested | recall, not nested | chars/s |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    )
    for r in results:
        recalls = [
            statistics.fmean(run[kind]["r"] for run in r["runs"]) for kind in ("recall_nested", "recall_not_nested")
        ]
        lines.append(
            f"| `{r.get('name', r['config'])}` | `{r['config']}` | {fmt_settings(r)} | {fmt_seeds(r)} | "
            f"{fmt(r['ents_p'])} | {fmt(r['ents_r'])} | {fmt_f1(r)} | {recalls[0]:.2f} | {recalls[1]:.2f} | "
            f"{r['chars_per_second']:,.0f} |"
        )
    lines += [
        "",
        "Published, for scale only: CBLUE's baselines (Zhang et al., ACL 2022) fine-tune eleven Chinese pretrained",
        "encoders, from ALBERT-tiny to 24-layer models, on the 15,000 training records of CMeEE as released with CBLUE",
        "(ours is CMeEE-V2, and we train on 3,500) and score its hidden official test set:",
        "",
        "| CBLUE baseline | F1 |",
        "|---|---:|",
        *(f"| {model} | {f1:.1f} |" for model, f1 in CBLUE_CMEEE),
    ]
    return lines


def span_threshold_lines() -> list:
    """The span component's threshold chosen on dev (benchmarks/span_threshold.py)."""
    chosen_on_dev = measured("span_threshold")
    if chosen_on_dev is None:
        return []
    lines = section(
        "The span threshold, chosen on dev (`benchmarks/span_threshold.py`)",
        [
            "Every gold entity scored, nested ones included. The threshold is "
            "chosen by dev F1 alone; test scores at the",
            "other thresholds are shown, never used to choose. 0.5 is the default, where the span loss draws its line.",
        ],
        "| model | threshold | dev P | dev R | dev F1 | test P | test R | test F1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        level=3,
    )
    for r in chosen_on_dev["results"]:
        for threshold in r["dev"]:
            marks = [mark for mark, at in (("chosen on dev", r["chosen"]), ("default", "0.5")) if threshold == at]
            dev, test = r["dev"][threshold], r["test"][threshold]
            lines.append(
                f"| `{r['model']}` | {threshold}{' (' + ', '.join(marks) + ')' if marks else ''} | "
                f"{fmt(dev['p'])} | {fmt(dev['r'])} | {fmt(dev['f'])} | {fmt(test['p'])} | {fmt(test['r'])} | "
                f"{fmt(test['f'])} |"
            )
    return lines


README_CONFIGS = re.compile(
    r"(<!-- config table: generated by benchmarks/report.py -->\n).*?(\n<!-- end of config table -->)", re.S
)


def config_build():
    """configs/build.py, the one place that says what each config is and what it is built from."""
    spec = importlib.util.spec_from_file_location("config_build", ROOT / "configs" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def description(config: str) -> str:
    return config_build().variant(config)["description"]


def config_table() -> str:
    """Every config, each under the variant it changes."""
    build = config_build()
    rows = ["| config | built on | what |", "|---|---|---|"]
    for name in build.names():
        meta = build.variant(name)
        base = (
            " + ".join([f"`{meta['base']}`"] + [f"mixins/{m}" for m in meta.get("mixins", [])])
            if "base" in meta
            else ""
        )
        rows.append(f"| `{name}` | {base} | {meta['description']} |")
    return "\n".join(rows)


def fmt_minutes(minutes: List[float]) -> str:
    low, high = round(min(minutes)), round(max(minutes))
    return f"{low} min" if low == high else f"{low}-{high} min"


def readme_table(results: List[dict]) -> str:
    """Every measured config, best first, against the peer measured the same way."""
    peer = next(r for r in results if r["config"] == PEER_CONFIG)
    rows = [
        "| model | seeds | P | R | F1 | vs. spaCy's default pipeline | train time (per run) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(results, key=lambda r: -r["ents_f"]):
        versus = "" if r is peer else f"{r['ents_f'] - peer['ents_f']:+.2f}"
        minutes = [run["train_seconds"] / 60 for run in r["runs"]]
        rows.append(
            f"| `{r['config']}`: {description(r['config'])} | {fmt_seeds(r)} | {fmt(r['ents_p'])} | "
            f"{fmt(r['ents_r'])} | {fmt_f1(r)} | {versus} | {fmt_minutes(minutes)} |"
        )
    name, p, r_, f = PAPERS[0]
    rows.append(f"| {name}, published | | {p:.2f} | {r_:.2f} | {f:.2f} | | |")
    return "\n".join(rows)


def write_readme_tables(results: List[dict]) -> None:
    text = README.read_text(encoding="utf-8")
    for markers, table in ((README_TABLE, readme_table(results)), (README_CONFIGS, config_table())):
        if not markers.search(text):
            raise ValueError(f"README.md has lost the markers {markers.pattern[:40]}...")
        text = markers.sub(lambda m, table=table: m[1] + table + m[2], text)
    README.write_text(text, encoding="utf-8")


def main() -> None:
    results = config_runs()
    write_readme_tables(results)
    lines = [
        "# Results on Yidu-S4K",
        "",
        "Strict entity match (exact span and type) on the 379 official test records. Our models train on",
        "900 of the 1000 training records (100 held out as dev set, seed 0). The peer, `spacy_default_ner`, is",
        "spaCy's own default CPU pipeline (`spacy init config -l zh -p ner -o efficiency`), run the same way.",
        "Every row of ours is a run of `benchmarks/run_config.py` on a 2-core CPU machine without GPU;",
        "F1 is the mean over the seeds listed (± sample standard deviation when there is more than one).",
        "Speed is whole-pipeline annotation of the test texts (`nlp.pipe`, batch 32), in characters/second, taken",
        "right after training; where runs shared the machine (see each JSON's `note`) it is only indicative:",
        "[SPEED.md](SPEED.md) compares speed side by side with spaCy's `ner` in one process.",
        "Commit: the commit the run trained at, with its library versions, config and input hashes and dev curve in",
        "the JSON; runs without one were recorded before those were kept (the `bilstm_crf` rerun below checks such",
        "a figure).",
        "",
        "| config | seeds | P | R | F1 | vs. spaCy `ner` | parameters | train (min) | chars/s | peak RSS (MB) "
        "| commit |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    peer = measured(PEER_CONFIG)
    for r in results:
        versus = "" if peer is None else f"{r['ents_f'] - peer['ents_f']:+.2f}"
        lines.append(
            f"| `{r['config']}` | {fmt_seeds(r)} | {fmt(r['ents_p'])} | {fmt(r['ents_r'])} | {fmt_f1(r)} | "
            f"{versus} | {fmt_parameters(r.get('parameters'))} | "
            f"{r['train_seconds'] / 60:.1f} | {r['chars_per_second']:,.0f} | {r['peak_rss_mb']:,.0f} | "
            f"{fmt_commits(r)} |"
        )
    lines += ["", "## Per-type F1", "", "| config | " + " | ".join(TYPES) + " |", "|---|" + "---:|" * len(TYPES)]
    for r in results:
        cells = " | ".join(fmt(r["per_type"].get(t, {}).get("f")) for t in TYPES)
        lines.append(f"| `{r['config']}` | {cells} |")
    lines.append(
        "| paper 000 full model (RoBERTa-wwm-ext-large, GPU) | 87.91 | 87.47 | 87.66 | 83.25 | 94.98 | 94.33 |"
    )
    ours = {r["config"]: r for r in results}
    beside = [row for row in BESIDE_PAPERS if row[0] in ours]
    if beside:
        lines += [
            "",
            "## Beside the papers",
            "",
            "| config (ours: 4-layer m3e-small where a backbone is used) | F1 | published row | F1 | theirs |",
            "|---|---:|---|---:|---|",
        ]
        lines += [
            f"| `{config}` | {fmt(ours[config]['ents_f'])} | {row} | {f:.2f} | {note} |"
            for config, row, f, note in beside
        ]
    side_by_side_speed = side_by_side_chars_per_second()
    lines += ablation_lines(ours, side_by_side_speed)
    lines += lever_lines(ours)
    lines += refit_lines(ours)
    lines += adaptation_lines()
    lines += precision_lines()
    lines += spark_lines()
    lines += nested_lines()
    lines += span_threshold_lines()
    lines += reproduction_lines()
    lines += imconvnet_lines(ours, side_by_side_speed)
    lines += error_kind_lines()
    lines += fusion_weight_lines()
    lines += training_cost_lines()
    lines += section(
        "Published figures (official split; not run here)",
        [],
        "| system | P | R | F1 |",
        "|---|---:|---:|---:|",
    )
    lines += [f"| {name} | {fmt(p)} | {fmt(r)} | {fmt(f)} |" for name, p, r, f in PAPERS]
    lines += [
        "",
        "Paper 004 (Table 7) used its own random 6:2:2 split of Yidu-S4K; its figures are not comparable:",
        "",
    ]
    lines += ["| system (paper 004) | F1 |", "|---|---:|"] + [f"| {name} | {f:.2f} |" for name, f in PAPER_004]
    check = measured("annotate_check")
    if check is not None:
        lines += [
            "",
            "## Bulk annotation and entity confidence (`benchmarks/annotate_check.py`)",
            "",
            f"`python -m spacy_cner annotate` on the 379 test records with `{check['model']}`: its output scored",
            f"against the gold spans gives F1 {check['annotate_ents_f']:.4f}, the evaluation command "
            f"{check['evaluate_ents_f']:.4f}. Mean CRF confidence of the {check['n_correct']:,} correct predicted "
            f"entities: {check['mean_confidence_correct']:.3f}; of the {check['n_wrong']:,} wrong ones: "
            f"{check['mean_confidence_wrong']:.3f}.",
        ]
    lines += every_run_lines()
    (ROOT / "benchmarks" / "RESULTS.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
