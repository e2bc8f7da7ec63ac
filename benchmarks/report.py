"""Rebuild benchmarks/RESULTS.md from benchmarks/results/*.json."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TYPES = ("Disease", "Anatomy", "Image", "Laboratory", "Medicine", "Operation")

# The built-in spaCy pipeline this project must beat, trained and measured on
# this machine (2 cores, CPU): `spacy init config -l zh -p ner -o efficiency`,
# 25 minutes on the same 900 training records.
PEER = {
    "name": "spaCy default `ner` (CNN tok2vec + transition parser)",
    "p": 77.94,
    "r": 74.41,
    "f": 76.13,
    "chars_per_second": 8000,
}

# Published figures on the official split (paper 000, Tables 4-6; CCKS 2019).
PAPERS = [
    ("BiLSTM-CRF (paper 000 baseline)", 69.43, 72.58, 70.97),
    ("CCKS 2019 rank 1 (BERT + model fusion)", None, None, 85.62),
    ("BERT-BiLSTM-CRF (paper 000)", 89.07, 83.67, 86.29),
    ("RoBERTa-wwm-BiLSTM-CRF (paper 000)", 90.08, 86.90, 88.46),
    ("RoBERTa-wwm-ext-large + fusion + codes + glyph + BiLSTM-CRF (paper 000)", 90.37, 88.22, 89.28),
]


def fmt(value) -> str:
    return "" if value is None else f"{value:.2f}"


def main() -> None:
    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
    lines = [
        "# Results on Yidu-S4K",
        "",
        "Strict entity match (exact span and type) on the 379 official test records. Our models train on",
        "900 of the 1000 training records (100 held out as dev set, seed 0), the same split as the spaCy peer.",
        "Every row of ours is a run of `benchmarks/run_config.py` on a 2-core CPU machine without GPU;",
        "F1 is the mean over the seeds listed (± sample standard deviation when there is more than one).",
        "Speed is whole-pipeline annotation of the test texts (`nlp.pipe`, batch 32), in characters/second.",
        "",
        "| config | seeds | P | R | F1 | vs. spaCy `ner` | train (min) | chars/s | peak RSS (MB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        seeds = ",".join(str(run["seed"]) for run in r["runs"])
        f1 = fmt(r["ents_f"]) + (f" ± {r['ents_f_std']:.2f}" if r.get("ents_f_std") is not None else "")
        lines.append(
            f"| `{r['config']}` | {seeds} | {fmt(r['ents_p'])} | {fmt(r['ents_r'])} | {f1} | "
            f"{r['ents_f'] - PEER['f']:+.2f} | {r['train_seconds'] / 60:.1f} | {r['chars_per_second']:,.0f} | "
            f"{r['peak_rss_mb']:,.0f} |"
        )
    lines.append(
        f"| {PEER['name']} | 0 | {PEER['p']:.2f} | {PEER['r']:.2f} | {PEER['f']:.2f} | 0.00 | 25.0 | "
        f"{PEER['chars_per_second']:,} | |"
    )
    lines += ["", "## Per-type F1", "", "| config | " + " | ".join(TYPES) + " |", "|---|" + "---:|" * len(TYPES)]
    for r in results:
        cells = " | ".join(fmt(r["per_type"].get(t, {}).get("f")) for t in TYPES)
        lines.append(f"| `{r['config']}` | {cells} |")
    lines.append(
        "| paper 000 full model (RoBERTa-wwm-ext-large, GPU) | 87.91 | 87.47 | 87.66 | 83.25 | 94.98 | 94.33 |"
    )
    lines += [
        "",
        "## Published figures (official split; not run here)",
        "",
        "| system | P | R | F1 |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {name} | {fmt(p)} | {fmt(r)} | {fmt(f)} |" for name, p, r, f in PAPERS]
    (ROOT / "benchmarks" / "RESULTS.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
