"""The ``cner_spans`` pipeline component: nested entities, written to ``doc.spans``.

Every span of at most ``max_length`` tokens gets a score per label (``SpanTagger.v1``);
those whose score (the sigmoid of its logit: a ranking, not a calibrated probability) is above
``threshold`` are entities, however they nest. The loss puts that line at 0.5; a lower
threshold trades precision for recall. Each is stored with its score in
``doc.spans[spans_key].attrs["scores"]`` and ``span._.confidence``. With
``write_ents`` the outermost non-overlapping ones also go to ``doc.ents``.
"""

from itertools import islice
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

import numpy
from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Config, Model
from thinc.types import Floats3d

from ..decoder.spans import decode_spans, outermost, span_loss
from .labelled_pipe import LabelledPipe

DEFAULT_MODEL_CONFIG = """
[model]
@architectures = "spacy_cner.SpanTagger.v1"

[model.features]
@architectures = "spacy_cner.CharEmbedding.v1"
width = 128
rows = 20000
shape_width = 16

[model.encoder]
@architectures = "spacy_cner.BiLSTM.v1"
width = 144
hidden_width = 512
depth = 1
dropout = 0.3

[model.scorer]
@architectures = "spacy_cner.SpanPointer.v1"
max_length = 16
head_width = 64
"""
DEFAULT_MODEL = Config().from_str(DEFAULT_MODEL_CONFIG)["model"]


@Language.factory(
    "cner_spans",
    assigns=["doc.spans", "doc.ents"],
    default_config={"model": DEFAULT_MODEL, "spans_key": "sc", "threshold": 0.5, "write_ents": False, "scorer": None},
    default_score_weights={"spans_sc_f": 1.0, "spans_sc_p": 0.0, "spans_sc_r": 0.0, "spans_sc_per_type": None},
)
def make_cner_spans(
    nlp: Language,
    name: str,
    model: Model[List[Doc], List[Floats3d]],
    spans_key: str,
    threshold: float,
    write_ents: bool,
    scorer: Optional[Callable],
) -> "SpanEntityRecognizer":
    return SpanEntityRecognizer(
        nlp.vocab, model, name, spans_key=spans_key, threshold=threshold, write_ents=write_ents, scorer=scorer
    )


class SpanEntityRecognizer(LabelledPipe):
    """Nested entity recognition by span scoring."""

    def __init__(
        self,
        vocab: Vocab,
        model: Model[List[Doc], List[Floats3d]],
        name: str = "cner_spans",
        *,
        spans_key: str = "sc",
        threshold: float = 0.5,
        write_ents: bool = False,
        scorer: Optional[Callable] = None,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"'{name}' needs a threshold between 0 and 1 (a span score), got {threshold}")
        self.vocab, self.model, self.name = vocab, model, name
        self.spans_key, self.threshold, self.write_ents = spans_key, threshold, write_ents
        self.scorer = scorer or self.score_spans
        self.cfg: Dict[str, Any] = {"labels": []}

    @property
    def output_layer(self) -> Model:
        return self.model.get_ref("scorer")

    @property
    def max_length(self) -> int:
        return self.output_layer.attrs["max_length"]

    def output_width(self, n_labels: int) -> int:
        return n_labels

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[Sequence[str]] = None,
    ) -> None:
        validate_get_examples(get_examples, "SpanEntityRecognizer.initialize")
        if labels is None:
            labels = sorted({span.label_ for eg in get_examples() for span in self._gold_spans(eg.reference)})
        for label in labels:
            self.add_label(label)
        if not self.labels:
            raise ValueError(
                f"'{self.name}' found no entities in doc.spans[{self.spans_key!r}] (or doc.ents) of its examples"
            )
        self.output_layer.set_dim("nO", self.output_width(len(self.labels)))
        self.model.attrs["labels"] = list(self.labels)
        self.model.initialize(X=[eg.predicted for eg in islice(get_examples(), 10)])

    def _gold_spans(self, doc: Doc) -> Sequence[Span]:
        """The reference entities: ``doc.spans[spans_key]``, else ``doc.ents``."""
        return doc.spans[self.spans_key] if self.spans_key in doc.spans else doc.ents

    def predict(self, docs: Iterable[Doc]) -> List[Floats3d]:
        self._require_initialized()
        return self.model.predict(list(docs))

    def set_annotations(self, docs: Iterable[Doc], scores: List[Floats3d]) -> None:
        for doc, doc_scores in zip(docs, scores):
            found = decode_spans(
                numpy.asarray(doc_scores), threshold=float(numpy.log(self.threshold / (1 - self.threshold)))
            )
            spans = [Span(doc, start, end, label=self.labels[label]) for start, end, label, _ in found]
            confidences = [float(1.0 / (1.0 + numpy.exp(-score))) for *_, score in found]
            for span, confidence in zip(spans, confidences):
                span._.confidence = confidence
            doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans, attrs={"scores": confidences})
            if self.write_ents:
                doc.ents = [Span(doc, s, e, label=self.labels[label]) for s, e, label, _ in outermost(found)]

    def get_loss(self, examples: Iterable[Example], scores: List[Floats3d]):  # type: ignore[override]
        """The span loss per record (mean over records) and its gradient; gold spans longer than
        ``max_length`` tokens cannot be scored and are left out."""
        examples = list(examples)
        label_index = {label: i for i, label in enumerate(self.labels)}
        total, gradients = 0.0, []
        for example, doc_scores in zip(examples, scores):
            gold = []
            for span in self._gold_spans(example.reference):
                if span.label_ not in label_index:
                    raise ValueError(f"'{self.name}' has no label {span.label_!r} (its labels: {list(self.labels)})")
                aligned = example.predicted.char_span(span.start_char, span.end_char)
                if aligned is not None and len(aligned) <= self.max_length:
                    gold.append((aligned.start, aligned.end, label_index[span.label_]))
            loss, gradient = span_loss(numpy.asarray(doc_scores), gold)
            total += loss
            gradients.append(self.model.ops.asarray(gradient / len(examples)))
        return total / max(len(examples), 1), gradients

    def score_spans(self, examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
        """Strict P/R/F1 (start, end and label exact), overall and per label, nested spans included."""
        key = self.spans_key

        def getter(doc: Doc, attr: str) -> Sequence[Span]:
            return self._gold_spans(doc) if doc.spans.get(key) is None else doc.spans[key]

        return Scorer.score_spans(
            list(examples), f"spans_{key}", getter=getter, has_annotation=lambda doc: True, allow_overlap=True
        )
