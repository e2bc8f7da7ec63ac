"""Strict entity P/R/F1 of a pipeline on gold records, overall and per type, and
the kinds of error behind them (``error_kinds``).

Scores come from spaCy's scorer (exact span match on character offsets) over the
pipeline's output, as in ``nlp.evaluate``, so they equal ``spacy evaluate`` on the
same model and data.
"""

from pathlib import Path
from typing import Any, Dict, List

from spacy.language import Language
from spacy.scorer import Scorer
from spacy.training import Corpus, Example

from .error_kinds import count_error_kinds
from .model_loading import load_pipeline


def evaluate(model: str, data: Path, batch_size: int = 32, int8: bool = False) -> Dict[str, Any]:
    if not data.exists():
        raise FileNotFoundError(f"{data} does not exist")
    if data.suffix.lower() != ".spacy" or not data.is_file():
        raise ValueError(
            f"{data}: evaluate reads a .spacy file; convert annotated records first, "
            "e.g. python -m spacy_cner convert jsonl records.jsonl gold.spacy"
        )
    nlp = load_pipeline(model, int8)
    try:
        examples = list(Corpus(data)(nlp))
    except Exception as error:  # spaCy raises bare errors from msgpack on a damaged or empty file
        raise ValueError(f"{data} is not a readable .spacy file ({type(error).__name__}: {error})") from None
    if not examples:
        raise ValueError(f"{data} holds no records")
    check_labels_overlap(nlp, examples, data)
    # What nlp.evaluate does, but keeping the predicted docs (it scores copies) for the error kinds.
    for example, doc in zip(examples, nlp.pipe((eg.predicted for eg in examples), batch_size=batch_size)):
        example.predicted = doc
    scores = Scorer(nlp=nlp).score(examples)
    per_type = scores.get("ents_per_type") or {}
    return {
        "model": str(model),
        "data": str(data),
        "n_docs": len(examples),
        "n_entities": sum(len(eg.reference.ents) for eg in examples),
        "ents_p": 100 * scores["ents_p"],
        "ents_r": 100 * scores["ents_r"],
        "ents_f": 100 * scores["ents_f"],
        "per_type": {label: {key: 100 * per_type[label][key] for key in ("p", "r", "f")} for label in sorted(per_type)},
        "error_kinds": count_error_kinds((eg.reference, eg.predicted) for eg in examples),
    }


def check_labels_overlap(nlp: Language, examples: List[Example], data: Path) -> None:
    """Scores of a model against gold labels it has never heard of are zeros that mean nothing."""
    gold = {ent.label_ for eg in examples for ent in eg.reference.ents}
    known = {label for _, pipe in nlp.pipeline for label in getattr(pipe, "labels", ()) or ()}
    if gold and known and not gold & known:
        raise ValueError(
            f"the gold labels of {data} ({', '.join(sorted(gold))}) share none with the model's "
            f"({', '.join(sorted(known))}): relabel the data (convert --label-map) or evaluate another model"
        )
