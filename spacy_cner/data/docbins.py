"""Joining ``.spacy`` corpora: the one way a training reads several record files as one, e.g. train and dev for the
model a user keeps (``refit``)."""

from pathlib import Path
from typing import Sequence

from spacy.tokens import DocBin


def join_docbins(inputs: Sequence[Path], output: Path) -> int:
    """Write the records of ``inputs``, in order and unchanged (entities, span groups, categories), to ``output``;
    return how many. Files that store different token attributes, or user data (custom attributes) in one and not
    the other, cannot be joined: spaCy's ``DocBin.merge`` refuses them with a ValueError rather than drop any."""
    if not inputs:
        raise ValueError("nothing to join: give at least one .spacy file")
    if any(Path(path).resolve() == Path(output).resolve() for path in inputs):
        raise ValueError(f"{output} is also an input: write the joined records to a new file")
    missing = [str(path) for path in inputs if not Path(path).is_file()]
    if missing:
        raise FileNotFoundError(f"no .spacy file at {', '.join(missing)}")
    joined, *rest = (_read(path) for path in inputs)
    for part in rest:
        joined.merge(part)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    joined.to_disk(output)
    return len(joined)


def _read(path: Path) -> DocBin:
    try:
        docbin = DocBin().from_disk(path)
    except ValueError as error:  # spaCy's message does not say which file
        raise ValueError(f"{path}: {error}") from None
    # a DocBin read from disk holds the file's user data but writes it only if told to
    docbin.store_user_data = any(data is not None for data in docbin.user_data)
    return docbin
