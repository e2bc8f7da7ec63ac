"""Load a pipeline with errors that name the problem, not a traceback from torch."""

from pathlib import Path

import spacy
from spacy.language import Language

PRECISIONS = ("float32", "int8", "bfloat16")  # see quantization.py


class ModelLoadError(ValueError):
    pass


def check_pipeline_location(name: str) -> None:
    """Fail early, without loading anything, when ``name`` cannot be a pipeline."""
    path = Path(name)
    if path.exists():
        if not path.is_dir():
            raise ModelLoadError(f"{path} is a file; a pipeline is a directory with config.cfg and meta.json")
        missing = [f for f in ("config.cfg", "meta.json") if not (path / f).exists()]
        if missing:
            raise ModelLoadError(f"{path} is not a complete spaCy pipeline: {', '.join(missing)} missing")
    elif not spacy.util.is_package(name):
        raise ModelLoadError(f"No pipeline at {name!r}: not a directory and not an installed package")


def load_pipeline(name: str, precision: str = "float32") -> Language:
    """``spacy.load`` for a directory or an installed package name; at ``precision``
    int8 or bfloat16 its torch layers run faster on CPU (``quantization.py``)."""
    check_pipeline_location(name)
    try:
        nlp = spacy.load(name)
    except Exception as error:  # any failure inside deserialization means a damaged model
        raise ModelLoadError(f"Could not load the pipeline {name!r}: it is incomplete or corrupted ({error})") from None
    if precision != "float32":
        from .quantization import set_precision

        set_precision(nlp, precision)
    return nlp
