"""Both spellings of the CLI: ``python -m spacy_cner X`` and ``python -m spacy cner X``."""

import subprocess
import sys

from spacy_cner.__main__ import build_parser


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=300)


def test_spacy_lists_every_command():
    listed = run("spacy", "cner", "--help")
    assert listed.returncode == 0, listed.stderr
    names = [action.dest for action in build_parser().command_choices()]
    assert names and all(name in listed.stdout for name in names)


def test_a_command_gives_the_same_output_and_errors_both_ways(tmp_path):
    ours, spacys = run("spacy_cner", "codes", "呕吐"), run("spacy", "cner", "codes", "呕吐")
    assert ours.returncode == spacys.returncode == 0 and ours.stdout == spacys.stdout and "呕" in ours.stdout
    missing = str(tmp_path / "none.spacy")
    ours, spacys = run("spacy_cner", "evaluate", "m", missing), run("spacy", "cner", "evaluate", "m", missing)
    assert ours.returncode == spacys.returncode == 1
    # through wasabi, on stderr, without colour codes when not on a terminal; stdout stays for data
    assert ours.stderr == spacys.stderr == f"\u2718 {missing} does not exist\n"
    assert ours.stdout == spacys.stdout == ""
