"""Strict entity P/R/F1 of a pipeline on gold records, overall and per type, and
the kinds of error behind them (``error_kinds``).

Scores come from spaCy's scorer (exact span match on character offsets) over the
pipeline's output, as in ``nlp.evaluate``, so they equal ``spacy evaluate`` on the
same model and data.
"""

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc, Span
from spacy.training import Corpus, Example

from .error_kinds import count_error_kinds_per_label, total_error_kinds
from .model_loading import load_pipeline


def evaluate(
    model: str, data: Path, batch_size: int = 32, precision: str = "float32", spans_key: Optional[str] = None
) -> Dict[str, Any]:
    """Strict scores of ``model`` on ``data``: of ``doc.ents``, or with ``spans_key`` of every gold entity in
    ``doc.spans[spans_key]``, nested ones included, against the model's ``doc.spans[spans_key]`` (or, for a flat
    model, its ``doc.ents``)."""
    if not data.exists():
        raise FileNotFoundError(f"{data} does not exist")
    if data.suffix.lower() != ".spacy" or not data.is_file():
        raise ValueError(
            f"{data}: evaluate reads a .spacy file; convert annotated records first, "
            "e.g. python -m spacy_cner convert jsonl records.jsonl gold.spacy"
        )
    nlp = load_pipeline(model, precision)
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
    if spans_key is None:
        scores = Scorer(nlp=nlp).score(examples)
        prefix, gold_count = "ents", sum(len(eg.reference.ents) for eg in examples)
        per_type = count_error_kinds_per_label((eg.reference, eg.predicted) for eg in examples)
        extra = {"error_kinds": total_error_kinds(per_type), "error_kinds_per_type": per_type}
    else:
        scores = score_nested(examples, spans_key)
        prefix, gold_count = "spans", sum(len(eg.reference.spans.get(spans_key, [])) for eg in examples)
        extra = {"scored": f"doc.spans[{spans_key!r}], nested entities included", **nested_recall(examples, spans_key)}
    per_type = scores.get(f"{prefix}_per_type") or {}
    return {
        "model": str(model),
        "data": str(data),
        "n_docs": len(examples),
        "n_entities": gold_count,
        "ents_p": 100 * scores[f"{prefix}_p"],
        "ents_r": 100 * scores[f"{prefix}_r"],
        "ents_f": 100 * scores[f"{prefix}_f"],
        "per_type": {label: {key: 100 * per_type[label][key] for key in ("p", "r", "f")} for label in sorted(per_type)},
        **extra,
    }


def _entities(doc: Doc, spans_key: str) -> Sequence[Span]:
    return doc.spans[spans_key] if spans_key in doc.spans else doc.ents


def score_nested(examples: List[Example], spans_key: str) -> Dict[str, Any]:
    """P/R/F1 of every gold span, exact start, end and label, overlaps allowed; keys ``spans_*``."""
    scores = Scorer.score_spans(
        examples, "spans", getter=lambda doc, _: _entities(doc, spans_key), has_annotation=None, allow_overlap=True
    )
    return scores


def nested_recall(examples: List[Example], spans_key: str) -> Dict[str, Any]:
    """Recall of the gold entities that overlap another gold entity (nested) and of the rest, separately."""
    found = {"nested": [0, 0], "not_nested": [0, 0]}
    for example in examples:
        gold = list(_entities(example.reference, spans_key))
        predicted = {(s.start_char, s.end_char, s.label_) for s in _entities(example.predicted, spans_key)}
        for span in gold:
            nested = any(o is not span and o.start < span.end and span.start < o.end for o in gold)
            counts = found["nested" if nested else "not_nested"]
            counts[0] += (span.start_char, span.end_char, span.label_) in predicted
            counts[1] += 1
    return {
        f"recall_{kind}": {"found": hit, "gold": total, "r": 100 * hit / total if total else None}
        for kind, (hit, total) in found.items()
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
