"""Annotation on a local Spark (2 worker threads, failed tasks retried): nothing lost, nothing doubled,
the same entities as single-process ``annotate``."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest
from pyspark.sql import SparkSession

from spacy_cner.__main__ import main
from spacy_cner.cli.annotate_spark import input_format
from spacy_cner.spark import annotate_dataframe, read_records, write_records

from .conftest import EMR_SENTENCES
from .spark_workers import LoggedLoader

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    with pytest.MonkeyPatch.context() as patch:  # workers: this Python, able to import tests.spark_workers
        patch.setenv("PYSPARK_PYTHON", sys.executable)
        patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        session = (
            SparkSession.builder.master("local[2,3]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate()
        )
        yield session
        session.stop()


def write_archive(folder: Path, files: int = 4, per_file: int = 500) -> Dict[str, str]:
    """Synthetic records spread over several JSONL files; their texts by id."""
    folder.mkdir()
    texts = {}
    for f in range(files):
        with open(folder / f"part{f}.jsonl", "w", encoding="utf-8") as out:
            for i in range(per_file):
                n = f * per_file + i
                text = "".join(EMR_SENTENCES[(n + k) % len(EMR_SENTENCES)][0] for k in range(1 + n % 3))
                texts[f"r{n}"] = text
                out.write(json.dumps({"id": f"r{n}", "text": text, "ward": {"floor": n % 7}}, ensure_ascii=False))
                out.write("\n")
    return texts


def reference_entities(model_dir: Path, folder: Path, tmp_path: Path) -> Dict[str, List[dict]]:
    """What single-process ``annotate`` writes for every record, by id."""
    entities = {}
    for source in sorted(folder.glob("*.jsonl")):
        output = tmp_path / f"reference-{source.name}"
        assert main(["annotate", str(model_dir), str(source), str(output)]) == 0
        for line in output.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            entities[record["id"]] = record["entities"]
    return entities


def rows_by_id(rows) -> Dict[str, List[dict]]:
    return {row["id"]: [entity.asDict() for entity in row["entities"]] for row in rows}


@pytest.fixture(scope="module")
def archive(model_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("archive") / "records"
    texts = write_archive(folder)
    return folder, texts, reference_entities(model_dir, folder, tmp_path_factory.mktemp("reference"))


def test_a_worker_killed_mid_partition_loses_and_doubles_nothing(spark, model_dir, archive, tmp_path):
    folder, texts, reference = archive
    marker, log = tmp_path / "killed", tmp_path / "loads"
    loader = LoggedLoader(str(model_dir), str(log), kill_marker=str(marker), kill_after_docs=100)
    records = read_records(spark, [str(folder / "*.jsonl")], "jsonl", id_field="id").repartition(8)
    rows = annotate_dataframe(records, str(model_dir), loader=loader).collect()

    killed = int(marker.read_text())
    assert not Path(f"/proc/{killed}").exists() or "zombie" in Path(f"/proc/{killed}/status").read_text()
    ids = [row["id"] for row in rows]
    assert sorted(ids) == sorted(texts) and len(ids) == len(set(ids))
    assert rows_by_id(rows) == reference
    assert all(row["annotation_error"] is None for row in rows)
    assert {row["id"]: row["ward"]["floor"] for row in rows} == {f"r{n}": n % 7 for n in range(len(texts))}
    loads = log.read_text().split()
    assert killed in map(int, loads)
    assert len(loads) == len(set(loads)) < 8  # once per Python worker, not once per partition


def test_ids_from_file_and_line_when_records_have_none(spark, model_dir, tmp_path):
    (tmp_path / "in").mkdir()
    for name, count in (("a.jsonl", 3), ("b.jsonl", 2)):
        lines = [json.dumps({"text": EMR_SENTENCES[i][0]}, ensure_ascii=False) for i in range(count)]
        (tmp_path / "in" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = read_records(spark, [str(tmp_path / "in")], "jsonl").collect()
    found = {(row["record_id"].rsplit("/", 1)[1], row["text"]) for row in rows}
    expected = {
        (f"{name}:{i + 1}", EMR_SENTENCES[i][0])
        for name, count in (("a.jsonl", 3), ("b.jsonl", 2))
        for i in range(count)
    }
    assert found == expected


def test_every_bad_record_becomes_a_row_with_its_reason(spark, model_dir, tmp_path):
    source = tmp_path / "bad.jsonl"
    lines = [
        json.dumps({"id": 1, "text": EMR_SENTENCES[0][0]}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": 3, "note": "no text"}),
        json.dumps({"id": 4, "text": None}),
        json.dumps([1, 2]),
        json.dumps({"id": 6, "text": "胃癌。" * 40}, ensure_ascii=False),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records = read_records(spark, [str(source)], "jsonl")
    rows = annotate_dataframe(records, str(model_dir), piece_length=7).collect()
    by_line = {int(row["record_id"].rsplit(":", 1)[1]): row for row in rows}
    assert sorted(by_line) == [1, 2, 3, 4, 5, 6]
    assert by_line[1]["annotation_error"] is None and by_line[1]["entities"]
    assert by_line[2]["annotation_error"].startswith("not valid JSON")
    assert by_line[3]["annotation_error"] == "no field 'text'"
    assert by_line[4]["annotation_error"] == "field 'text' is not a string"
    assert by_line[5]["annotation_error"] == "not a JSON object"
    long_text = by_line[6]
    assert long_text["annotation_error"] is None
    assert all(long_text["text"][e["start"] : e["end"]] == e["text"] for e in long_text["entities"])
    assert set(rows[0].asDict()) == {"id", "text", "note", "record_id", "entities", "annotation_error"}


def test_parquet_in_and_out_keeps_every_field(spark, model_dir, tmp_path):
    frame = spark.createDataFrame(
        [(7, EMR_SENTENCES[0][0], {"ward": "B2"}, 1.5), (9, None, {}, None)],
        "patient long, text string, tags map<string,string>, dose double",
    )
    frame.write.parquet(str(tmp_path / "in.parquet"))
    records = read_records(spark, [str(tmp_path / "in.parquet")], "parquet", id_field="patient")
    write_records(annotate_dataframe(records, str(model_dir)), str(tmp_path / "out"), "parquet")
    rows = {row["patient"]: row for row in spark.read.parquet(str(tmp_path / "out")).collect()}
    assert rows[7]["tags"] == {"ward": "B2"} and rows[7]["dose"] == 1.5
    assert [e["label"] for e in rows[7]["entities"]] == [label for _, _, label in EMR_SENTENCES[0][1]]
    assert rows[9]["annotation_error"] == "no text (null)" and rows[9]["entities"] is None
    assert (tmp_path / "out" / "_SUCCESS").exists()


def test_annotate_dataframe_refuses_what_it_cannot_annotate(spark, model_dir):
    frame = spark.createDataFrame([(1, "x", "y")], "n long, body string, entities string")
    with pytest.raises(ValueError, match="no column 'text'"):
        annotate_dataframe(frame, str(model_dir))
    with pytest.raises(ValueError, match="already has a column 'entities'"):
        annotate_dataframe(frame, str(model_dir), text_field="body")
    with pytest.raises(ValueError, match="holds bigint, not text"):
        annotate_dataframe(frame, str(model_dir), text_field="n", entities_field="found")


def spark_command(model_dir: Path, inputs: Path, output: Path) -> List[str]:
    return [
        sys.executable, "-m", "spacy_cner", "annotate-spark", str(model_dir), str(inputs), str(output),
        "--master", "local[2,3]", "--partitions", "8", "--output-format", "jsonl",
    ]  # fmt: skip


def test_a_killed_driver_then_a_rerun_gives_the_same_result(model_dir, archive, tmp_path):
    folder, texts, reference = archive
    output = tmp_path / "out"
    driver = subprocess.Popen(
        spark_command(model_dir, folder, output), cwd=ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(3000):
        if (output / "_temporary").exists() or driver.poll() is not None:
            break
        time.sleep(0.02)
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and its JVM
    driver.wait()
    assert (output / "_temporary").exists() and not (output / "_SUCCESS").exists()

    rerun = subprocess.run(spark_command(model_dir, folder, output), cwd=ROOT, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert "interrupted run: redoing it" in rerun.stderr
    assert f"wrote {len(texts)} records" in rerun.stderr
    rows = [json.loads(line) for part in sorted(output.glob("part-*")) for line in part.read_text().splitlines()]
    ids = [row["id"] for row in rows]
    assert sorted(ids) == sorted(texts) and len(ids) == len(set(ids))
    assert {row["id"]: row["entities"] for row in rows} == reference

    again = subprocess.run(spark_command(model_dir, folder, output), cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 1 and "complete earlier result" in again.stderr


def test_the_command_checks_before_starting_spark(model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "胃癌"}\n', encoding="utf-8")
    assert main(["annotate-spark", "no-such-model", str(source), str(tmp_path / "out")]) == 1
    assert "No pipeline at 'no-such-model'" in capsys.readouterr().err
    assert main(["annotate-spark", str(model_dir), str(source), str(source)]) == 1
    assert "both an input and the output" in capsys.readouterr().err
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    assert main(["annotate-spark", str(model_dir), str(source), str(tmp_path / "mine")]) == 1
    assert "is not an annotate-spark output" in capsys.readouterr().err
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_the_command_runs_as_a_file_as_spark_submit_runs_it():
    script = ROOT / "spacy_cner" / "cli" / "annotate_spark.py"
    result = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "spark-submit" in result.stdout


@pytest.mark.parametrize(
    "name, found",
    [("a.jsonl", "jsonl"), ("b.JSON", "jsonl"), ("c.parquet", "parquet"), ("d.txt", "text"), ("e.csv", None)],
)
def test_the_input_format_comes_from_the_name_or_must_be_given(tmp_path, name, found):
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "_SUCCESS").write_text("")
    (folder / name).write_text("")
    for inputs in ([name], [str(folder)]):
        if found is None:
            with pytest.raises(ValueError, match="give --format"):
                input_format(inputs, "auto")
        else:
            assert input_format(inputs, "auto") == found
    assert input_format(["hdfs:///emr/2025"], "parquet") == "parquet"
