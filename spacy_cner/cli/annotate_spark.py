"""``python -m spacy_cner annotate-spark MODEL INPUT... OUTPUT``: annotate an archive on Apache Spark.

INPUT is JSON lines, Parquet or plain text (files, folders or globs); OUTPUT is
a folder of Parquet (or JSON lines) with every input field, an entities column,
an error column and a record id. Without ``--master`` it runs on this machine
(``local[N,R]``: N cores, a failed task retried R-1 times); under
``spark-submit`` the same file runs on the cluster it is given:

    spark-submit --master yarn spacy_cner/cli/annotate_spark.py MODEL INPUT OUTPUT

Output is written through Spark's commit protocol: OUTPUT holds either the whole
result (with ``_SUCCESS``) or, after an interrupted run, only uncommitted parts,
which a rerun of the same command replaces whole. A complete OUTPUT is never
overwritten.
"""

import argparse
import os
import sys
import time
from pathlib import Path
from typing import List, Optional

# Absolute imports: spark-submit runs this file as a script.
from spacy_cner.annotation import PIECE_LENGTH
from spacy_cner.cli import good, run_reporting_errors, warn
from spacy_cner.model_loading import PRECISIONS, check_pipeline_location


def add_arguments(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("annotate-spark", help="annotate JSONL / Parquet files on Apache Spark")
    configure(parser)
    parser.set_defaults(run=run)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="pipeline directory every worker can read, or an installed package")
    parser.add_argument("inputs", nargs="+", help="JSONL, Parquet or text files, folders or globs")
    parser.add_argument("output", help="folder to write (Parquet, or JSON lines with --output-format jsonl)")
    parser.add_argument("--format", choices=("auto", "jsonl", "parquet", "text"), default="auto")
    parser.add_argument("--output-format", choices=("parquet", "jsonl"), default="parquet")
    parser.add_argument("--text-field", default="text")
    parser.add_argument("--id-field", help="field with each record's id (default: a record_id of file and line)")
    parser.add_argument("--entities-field", default="entities")
    parser.add_argument("--error-field", default="annotation_error")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--piece-length", type=int, default=PIECE_LENGTH, help="longer records go in pieces")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32", help="int8 or bfloat16: faster on CPU")
    parser.add_argument("--partitions", type=int, help="tasks to split the records into (default: 4 per core)")
    parser.add_argument("--master", help="Spark master (default: spark-submit's, else local[<cores>,3])")


def input_format(inputs: List[str], fmt: str) -> str:
    """The format named, or the one the first input's name (or a local folder's files) shows."""
    if fmt != "auto":
        return fmt
    first = inputs[0].rstrip("/")
    names = [first]
    if Path(first).is_dir():
        names = [path.name for path in sorted(Path(first).iterdir()) if not path.name.startswith(("_", "."))]
    for name in names:
        for suffixes, found in (
            ((".parquet",), "parquet"),
            ((".jsonl", ".ndjson", ".json"), "jsonl"),
            ((".txt",), "text"),
        ):
            if name.lower().endswith(suffixes):
                return found
    raise ValueError(f"cannot tell the format of {inputs[0]} from its name: give --format jsonl, parquet or text")


def check_output(output: Path, inputs: List[str]) -> bool:
    """Whether OUTPUT is left from an interrupted run (to be redone); refuse a complete or foreign one."""
    from spacy_cner.spark import interrupted_output

    for name in inputs:
        if Path(name).exists() and Path(name).resolve() == output.resolve():
            raise ValueError(f"{name} is both an input and the output; choose another output")
    if not output.exists():
        return False
    if (output / "_SUCCESS").exists():
        raise ValueError(f"{output} is a complete earlier result; delete it or choose another output")
    if interrupted_output(output):
        return True
    if output.is_dir() and not any(output.iterdir()):
        return False
    raise ValueError(f"{output} exists and is not an annotate-spark output; choose another output")


def session(master: Optional[str]):  # type: ignore[no-untyped-def]
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("spacy-cner annotate")
    if master is None and not SparkConf().contains("spark.master"):  # not under spark-submit
        master = f"local[{os.cpu_count()},3]"
    if master is not None:
        builder = builder.master(master)
        if master.startswith("local"):  # workers run this Python, with this package installed
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return builder.getOrCreate()


def run(args: argparse.Namespace) -> None:
    try:
        from spacy_cner import spark as cner_spark
    except ImportError as error:
        raise ValueError(f"annotate-spark needs PySpark: pip install 'spacy-cner[spark]' ({error})") from None
    from pyspark.errors import AnalysisException
    from pyspark.sql import functions as F

    check_pipeline_location(args.model)
    output = Path(args.output)
    redo = check_output(output, args.inputs)
    fmt = input_format(args.inputs, args.format)
    spark = session(args.master)
    started = time.perf_counter()
    try:
        records = cner_spark.read_records(spark, args.inputs, fmt, args.text_field, args.id_field)
    except AnalysisException as error:  # e.g. an input path that does not exist
        raise ValueError(f"cannot read {' '.join(args.inputs)}: {error.getMessage()}") from None
    partitions = args.partitions or 4 * spark.sparkContext.defaultParallelism
    annotated = cner_spark.annotate_dataframe(
        records.repartition(partitions),
        args.model,
        text_field=args.text_field,
        entities_field=args.entities_field,
        error_field=args.error_field,
        batch_size=args.batch_size,
        piece_length=args.piece_length,
        precision=args.precision,
    )
    if redo:
        warn(f"{output} holds an interrupted run: redoing it")
    cner_spark.write_records(annotated, str(output), args.output_format)
    written = spark.read.parquet(str(output)) if args.output_format == "parquet" else spark.read.json(str(output))
    counts = written.agg(F.count("*").alias("rows"), F.count(args.error_field).alias("errors")).first()
    seconds = time.perf_counter() - started
    good(f"wrote {counts['rows']} records to {output} ({counts['errors']} with an error) in {seconds:.1f} s")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="annotate_spark.py", description=__doc__)
    configure(parser)
    parser.set_defaults(run=run)
    return run_reporting_errors(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
