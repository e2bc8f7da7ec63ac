"""Figures in the README come from the results JSON, never typed in."""

import importlib.util
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("report", ROOT / "benchmarks" / "report.py")
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)


def test_the_readme_results_table_is_generated_from_the_results():
    match = report.README_TABLE.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert match, "README.md lost its results-table markers"
    assert match[0] == match[1] + report.readme_table(report.config_runs()) + match[2]


def test_the_readme_config_table_is_generated_from_the_variant_files():
    match = report.README_CONFIGS.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert match and match[0] == match[1] + report.config_table() + match[2]
    assert "| `bert_full_frozen` | `bert_full` + mixins/frozen |" in match[0]


def test_every_row_is_measured_against_the_peer_run_the_same_way():
    results = report.config_runs()
    peer = next(r for r in results if r["config"] == report.PEER_CONFIG)
    assert len(peer["runs"]) >= 2 and all(run["dev_curve"] for run in peer["runs"])
    table = report.readme_table(results)
    bert_full = next(r for r in results if r["config"] == "bert_full")
    assert f"| {bert_full['ents_f'] - peer['ents_f']:+.2f} |" in table


def test_a_lever_is_compared_on_the_seeds_both_were_run_with():
    def run(seed, f, disease):
        return {"seed": seed, "ents_f": f, "per_type": {"Disease": {"f": disease}}}

    base = {"runs": [run(0, 80.0, 70.0), run(1, 78.0, 72.0), run(2, 90.0, 90.0)]}
    lever = {"runs": [run(0, 81.0, 75.0), run(1, 80.0, 71.0), run(5, 10.0, 10.0)]}
    change = report.same_seed_change(base, lever)
    assert change["seeds"] == "0,1"
    assert change["f"] == 1.5 and change["per_type"]["Disease"] == 2.0  # ((81-80)+(80-78))/2, ((75-70)+(71-72))/2
    assert report.same_seed_change(base, {"runs": [run(7, 1.0, 1.0)]}) is None


def test_every_two_decimal_figure_in_the_readme_comes_from_the_results():
    """Each one is in a generated report, or is the difference of two models' mean F1."""
    results = [r for r in report.config_runs()]
    generated = (ROOT / "benchmarks" / "RESULTS.md").read_text() + (ROOT / "benchmarks" / "SPEED.md").read_text()
    means = {round(r["ents_f"], 2) for r in results}
    differences = {f"{abs(a - b):.2f}" for a in means for b in means}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    figures = set(re.findall(r"(?<![\w.])\d{1,3}\.\d\d(?!\d)", readme))
    assert len(figures) > 50
    assert sorted(f for f in figures if f not in generated and f not in differences) == []


def test_every_comparison_a_variant_declares_names_a_config_and_a_table_the_report_draws():
    tables = {*report.ABLATION_TABLES, "imconvnet", "levers"}
    build = report.config_build()
    declared = {
        name: build.variant(name)["comparison"] for name in build.names() if "comparison" in build.variant(name)
    }
    assert len(declared) >= 15
    for name, comparison in declared.items():
        assert comparison["table"] in tables, name
        assert comparison["against"] in build.names() and comparison["against"] != name, name
        assert comparison["adds"].strip(), name
    for table in report.ABLATION_TABLES:  # an ablation table has one baseline
        assert len({against for against, _, _ in report.comparisons(table)}) == 1
    assert [config for _, config, _ in report.comparisons("backbone")] == [
        "bert_fusion_bilstm_crf_frozen",
        "bert_full_frozen",
        "bert_full",
    ]


def test_the_readme_layout_table_names_every_module_of_the_package():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    package = ROOT / "spacy_cner"
    modules = [p.name + "/" for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    modules += [p.name for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")]
    assert len(modules) > 10
    assert sorted(m for m in modules if f"{m}`" not in layout) == []


def test_a_runs_settings_show_what_it_changed_but_not_its_paths():
    result = {
        "overrides": [
            "--paths.backbone",
            "assets/m3e-small",
            "--components.ner.model.encoder.hidden_width",
            "256",
            "--training.max_steps",
            "600",
        ]
    }
    assert report.fmt_settings(result) == "hidden_width 256, max_steps 600"
    assert report.fmt_settings({"overrides": []}) == ""


def test_the_commit_column_names_each_runs_commit_when_they_differ():
    new, legacy = {"seed": 0, "commit": "90793fa43126805c"}, {"seed": 1}
    assert report.fmt_commits({"runs": [new, {**new, "seed": 1}]}) == "90793fa"
    assert report.fmt_commits({"runs": [legacy]}) == ""
    assert report.fmt_commits({"runs": [new, legacy]}) == "90793fa (seed 0), - (seed 1)"


def test_every_run_of_every_results_file_has_a_row_with_its_own_f1():
    rows = "\n".join(report.every_run_lines())
    files = [json.loads(path.read_text()) for path in sorted(report.RESULTS.glob("*.json"))]
    runs = [
        (result.get("name", result["config"]), run) for result in files if "runs" in result for run in result["runs"]
    ]
    assert len(runs) > 40
    for name, run in runs:
        assert re.search(rf"\| `{name}`[^|]* \| {run['seed']} \| {run['ents_f']:.2f} \|", rows), (name, run["seed"])


def test_a_refit_is_set_beside_its_config_not_taken_for_a_rerun(monkeypatch):
    def run(seed, f, **extra):
        per_type = {t: {"f": f} for t in report.TYPES}
        return {"seed": seed, "ents_f": f, "per_type": per_type, "commit": "c", "train_seconds": 60, **extra}

    base = {"config": "x", "dataset": "Yidu-S4K", "overrides": [], "runs": [run(0, 80.0), run(1, 82.0)]}
    refit = {
        "config": "x",
        "name": "x_refit",
        "dataset": "Yidu-S4K",
        "overrides": ["--training.max_steps", "800"],
        "runs": [run(0, 81.0, refit=True), run(1, 82.5, refit=True)],
        "ents_f": 81.75,
        "ents_f_std": 1.06,
    }
    monkeypatch.setattr(report, "run_results", lambda: [base, refit])
    assert "| `x_refit` | `x` | 800 | 0,1 | 81.75 ± 1.06 | +0.75 |" in "\n".join(report.refit_lines({"x": base}))
    assert report.reproduction_lines() == []
    refit_rows = [row for row in report.every_run_lines() if row.startswith("| `x_refit`")]
    assert len(refit_rows) == 2 and all("its dev records were trained on" in row for row in refit_rows)
    # the config run on seed 0 only: the change is of that seed (81.0 - 80.0), and says so
    seed_0_base = {**base, "runs": base["runs"][:1]}
    lines = "\n".join(report.refit_lines({"x": seed_0_base}))
    assert "| `x_refit` | `x` | 800 | 0,1 | 81.75 ± 1.06 | +1.00 (seed 0) |" in lines


def test_a_resumed_run_says_where_and_from_what(monkeypatch):
    legs = [{"from_step": 0}, {"from_step": 600}, {"from_step": 900, "from_state": True}]
    run = {"seed": 0, "ents_f": 80.0, "train_seconds": 60, "legs": legs}
    monkeypatch.setattr(report, "run_results", lambda: [{"config": "x", "dataset": "Yidu-S4K", "runs": [run]}])
    (row,) = [line for line in report.every_run_lines() if line.startswith("| `x`")]
    assert "resumed at step 600 from its weights alone; resumed at step 900 from its saved training state" in row
