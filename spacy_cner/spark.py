"""Annotate a Spark DataFrame of records: the archive-scale twin of ``annotate``.

``annotate_dataframe`` adds an entities column (start, end, label, text,
confidence) and an error column to any DataFrame with a text column, keeping
every other column as it is. Records are turned into entities by
``annotation.annotate_texts``, the function single-process ``annotate`` uses, so
the two cannot drift. A record that cannot be annotated (no text, bad JSON,
text that is not valid Unicode, a pipeline failure) becomes a row with the
reason in the error column; it never fails the job.

Batches go through ``mapInArrow``, which hands Arrow record batches to Python
unchanged, so columns of any type (structs, maps, decimals) pass through
exactly. Each Python worker loads the pipeline once and keeps it for every
later task (Spark reuses its Python workers).

Needs the ``spark`` extra: ``pip install spacy-cner[spark]``.
"""

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DoubleType, IntegerType, StringType, StructField, StructType

from .annotation import PIECE_LENGTH, Outcome, annotate_texts, parse_json_record
from .model_loading import load_pipeline

ENTITY_FIELDS = [
    ("start", pa.int32()),
    ("end", pa.int32()),
    ("label", pa.string()),
    ("text", pa.string()),
    ("confidence", pa.float64()),
]
ENTITIES_TYPE = pa.list_(pa.struct(ENTITY_FIELDS))
ENTITIES_SPARK_TYPE = ArrayType(
    StructType(
        [
            StructField("start", IntegerType()),
            StructField("end", IntegerType()),
            StructField("label", StringType()),
            StructField("text", StringType()),
            StructField("confidence", DoubleType()),
        ]
    )
)
RAW_LINE, FILE, ORDER = "__cner_raw_line", "__cner_file", "__cner_order"
FORMATS = ("jsonl", "parquet", "text")

Loader = Callable[[], Any]
_PIPELINES: Dict[Loader, Any] = {}  # per Python worker: loaded once, reused by every task it runs


@dataclass(frozen=True)
class PipelineLoader:
    """How a worker loads the pipeline: picklable, and equal (so cached once) when the settings are."""

    model: str
    precision: str = "float32"

    def __call__(self) -> Any:
        import torch

        torch.set_num_threads(1)  # Spark runs one task per core: more threads would fight over it
        return load_pipeline(self.model, self.precision)


def _pipeline(loader: Loader) -> Any:
    if loader not in _PIPELINES:
        _PIPELINES[loader] = loader()
    return _PIPELINES[loader]


def annotate_dataframe(
    frame: DataFrame,
    model: str,
    text_field: str = "text",
    entities_field: str = "entities",
    error_field: str = "annotation_error",
    batch_size: int = 32,
    piece_length: int = PIECE_LENGTH,
    precision: str = "float32",
    loader: Optional[Loader] = None,
) -> DataFrame:
    """``frame`` with ``entities_field`` and ``error_field`` added (lazily, like any transformation).

    ``model`` is a pipeline directory every worker can read, or an installed package;
    ``loader`` replaces how workers load it: a picklable, hashable callable returning a pipeline."""
    columns = frame.schema.fieldNames()
    if text_field not in columns:
        raise ValueError(f"no column {text_field!r} to annotate; the columns are {', '.join(columns)}")
    for name in (entities_field, error_field):
        if name in columns:
            raise ValueError(f"the input already has a column {name!r}: choose another name (inputs are kept)")
    if not isinstance(frame.schema[text_field].dataType, StringType):
        raise ValueError(f"column {text_field!r} holds {frame.schema[text_field].dataType.simpleString()}, not text")
    kept = [field for field in frame.schema.fields if field.name != RAW_LINE]
    schema = StructType(
        [*kept, StructField(entities_field, ENTITIES_SPARK_TYPE), StructField(error_field, StringType())]
    )
    annotate = functools.partial(
        _annotate_batches,
        loader=loader or PipelineLoader(model, precision),
        text_field=text_field,
        names=[*(field.name for field in kept), entities_field, error_field],
        batch_size=batch_size,
        piece_length=piece_length,
    )
    return frame.mapInArrow(annotate, schema)


def _annotate_batches(
    batches: Iterator[pa.RecordBatch],
    loader: Loader,
    text_field: str,
    names: List[str],
    batch_size: int,
    piece_length: int,
) -> Iterator[pa.RecordBatch]:
    nlp = _pipeline(loader)
    for batch in batches:
        texts = batch.column(text_field).to_pylist()
        raw = None
        if RAW_LINE in batch.schema.names:  # kept only to explain a JSON line that has no usable text
            raw = batch.column(RAW_LINE).to_pylist()
            batch = batch.drop_columns([RAW_LINE])
        outcomes: List[Outcome] = []
        for start in range(0, len(texts), batch_size):  # small calls: a failing record is redone with few others
            outcomes += annotate_texts(nlp, texts[start : start + batch_size], batch_size, piece_length)
        errors = [outcome.error for outcome in outcomes]
        if raw is not None:  # a JSON line without a usable text: say what is wrong with the line itself
            errors = [
                _line_problem(line, text_field) if text is None else e for line, text, e in zip(raw, texts, errors)
            ]
        entities = pa.array([outcome.entities for outcome in outcomes], type=ENTITIES_TYPE)
        yield pa.RecordBatch.from_arrays(
            [*batch.columns, entities, pa.array(errors, type=pa.string())],
            names=names,
        )


def _line_problem(line: Optional[str], text_field: str) -> str:
    return parse_json_record(line or "", text_field)[1] or f"field {text_field!r} is not a string"


def read_records(
    spark: SparkSession,
    paths: Sequence[str],
    fmt: str,
    text_field: str = "text",
    id_field: Optional[str] = None,
) -> DataFrame:
    """The records of JSON-lines, Parquet or text files (files, folders or globs), each with an id:
    ``id_field`` if given, else a ``record_id`` column ``<file>:<line>`` (Parquet: ``<file>:<row>``).

    Unreadable JSON lines are kept (their fields null) so they come out as error rows."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        records = spark.read.parquet(*paths)
    else:
        records = spark.read.text(list(paths))
    if id_field is None:  # where each row comes from, taken while the files are scanned
        records = records.withColumns({FILE: F.input_file_name(), ORDER: F.monotonically_increasing_id()})
    if fmt != "parquet":
        if fmt == "text":
            records = records.withColumnRenamed("value", text_field)
        else:
            records = _parse_json_lines(spark, paths, records, text_field)
    if id_field is not None:
        if id_field not in records.schema.fieldNames():
            raise ValueError(f"no id field {id_field!r} in {', '.join(paths)}")
        return records
    return records.withColumn("record_id", _position_ids()).drop(FILE, ORDER)


def _parse_json_lines(spark: SparkSession, paths: Sequence[str], lines: DataFrame, text_field: str) -> DataFrame:
    schema = spark.read.json(list(paths)).schema
    schema = StructType([field for field in schema.fields if field.name != "_corrupt_record"])
    if text_field not in schema.fieldNames():
        raise ValueError(f"no record has a field {text_field!r}; the fields are {', '.join(schema.fieldNames())}")
    parsed = F.from_json("value", schema, {"mode": "PERMISSIVE"})
    kept = [name for name in (FILE, ORDER) if name in lines.columns]
    return lines.select(parsed.alias("record"), F.col("value").alias(RAW_LINE), *kept).select(
        "record.*", RAW_LINE, *kept
    )


def _position_ids() -> Column:
    """``<file>:<n>``, n counting from 1 in file order. A file's splits are scanned in offset order and
    numbered in that order by ``monotonically_increasing_id``, so n is the line (or row) number."""
    order = Window.partitionBy(FILE).orderBy(ORDER)
    return F.concat(F.col(FILE), F.lit(":"), F.row_number().over(order).cast("string"))


def write_records(frame: DataFrame, output: str, fmt: str) -> None:
    """Through Spark's commit protocol: ``output`` is complete, with ``_SUCCESS``, or not there at all."""
    writer = frame.write.mode("overwrite")
    if fmt == "parquet":
        writer.parquet(output)
    elif fmt == "jsonl":
        writer.option("ignoreNullFields", "false").json(output)
    else:
        raise ValueError(f"cannot write {fmt!r}; choose parquet or jsonl")


def interrupted_output(path: Path) -> bool:
    """Whether ``path`` is what a killed Spark job leaves behind: only its own part files, no ``_SUCCESS``."""
    if not path.is_dir() or (path / "_SUCCESS").exists():
        return False
    return all(
        entry.name in ("_temporary", "_SUCCESS") or entry.name.startswith(("part-", ".part-", "."))
        for entry in path.iterdir()
    )
