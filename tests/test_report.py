"""Figures in the README come from the results JSON, never typed in."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("report", ROOT / "benchmarks" / "report.py")
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)


def test_the_readme_results_table_is_generated_from_the_results():
    match = report.README_TABLE.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert match, "README.md lost its results-table markers"
    assert match[0] == match[1] + report.readme_table(report.config_runs()) + match[2]


def test_every_row_is_measured_against_the_peer_run_the_same_way():
    results = report.config_runs()
    peer = next(r for r in results if r["config"] == report.PEER_CONFIG)
    assert len(peer["runs"]) >= 2 and all(run["dev_curve"] for run in peer["runs"])
    table = report.readme_table(results)
    bert_full = next(r for r in results if r["config"] == "bert_full")
    assert f"| {bert_full['ents_f'] - peer['ents_f']:+.2f} |" in table
