"""The ``cner`` pipeline component: BIO tagging with a CRF, writing ``doc.ents``."""

from itertools import islice
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Config, Model
from thinc.types import Floats2d, Ints1d

from ..decoder import bio
from ..decoder.confidence import span_probabilities
from ..decoder.crf import constrained_scores, crf_loss
from .labelled_pipe import LabelledPipe

DEFAULT_MODEL_CONFIG = """
[model]
@architectures = "spacy_cner.CRFTagger.v1"

[model.features]
@architectures = "spacy_cner.CharEmbedding.v1"
width = 128
rows = 20000
shape_width = 16

[model.encoder]
@architectures = "spacy_cner.BiLSTM.v1"
width = 144
hidden_width = 768
depth = 1
dropout = 0.5
"""
DEFAULT_MODEL = Config().from_str(DEFAULT_MODEL_CONFIG)["model"]


@Language.factory(
    "cner",
    assigns=["doc.ents", "doc.spans"],
    default_config={"model": DEFAULT_MODEL, "confidence": True, "scorer": {"@scorers": "spacy.ner_scorer.v1"}},
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_cner(
    nlp: Language, name: str, model: Model[List[Doc], List[Floats2d]], confidence: bool, scorer: Optional[Callable]
):
    return CRFEntityRecognizer(nlp.vocab, model, name, confidence=confidence, scorer=scorer)


class CRFEntityRecognizer(LabelledPipe):
    """Tags each token O / B-label / I-label, decodes with a constrained CRF and
    sets ``doc.ents`` (replacing any entities already on the doc).

    With ``confidence``, each entity's probability under the CRF is stored as
    ``span._.confidence`` and in ``doc.spans[name].attrs["scores"]``.
    """

    def __init__(
        self,
        vocab: Vocab,
        model: Model[List[Doc], List[Floats2d]],
        name: str = "ner",
        *,
        confidence: bool = True,
        scorer: Optional[Callable] = None,
    ) -> None:
        self.vocab = vocab
        self.model = model
        self.name = name
        self.confidence = confidence
        self.scorer = scorer
        self.cfg: Dict[str, Any] = {"labels": []}

    def output_width(self, n_labels: int) -> int:
        return bio.n_tags(n_labels)

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[Sequence[str]] = None,
    ) -> None:
        validate_get_examples(get_examples, "CRFEntityRecognizer.initialize")
        if labels is None:
            labels = sorted({ent.label_ for eg in get_examples() for ent in eg.reference.ents})
        for label in labels:
            self.add_label(label)
        if not self.labels:
            raise ValueError(f"'{self.name}' found no entity labels: give it examples with entities or labels")
        self.model.set_dim("nO", self.output_width(len(self.labels)))
        # Saved with the weights, so a cfg whose labels were edited or swapped is caught on load.
        self.model.attrs["labels"] = list(self.labels)
        sample = [eg.predicted for eg in islice(get_examples(), 10)]
        self.model.initialize(X=sample)

    def predict(self, docs: Iterable[Doc]) -> Tuple[List[Ints1d], List[Floats2d]]:
        """The Viterbi tag ids of each doc, and the emission scores behind them."""
        docs = list(docs)
        self._require_initialized()
        emissions = self.model.predict(docs)
        return self.model.get_ref("crf").predict(emissions), emissions

    def set_annotations(self, docs: Iterable[Doc], predictions: Tuple[List[Ints1d], List[Floats2d]]) -> None:
        tag_sequences, emissions = predictions
        docs = list(docs)
        spans = [bio.tags_to_spans(tags.tolist()) for tags in tag_sequences]
        for doc, doc_spans in zip(docs, spans):
            doc.ents = [Span(doc, start, end, label=self.labels[label]) for start, end, label in doc_spans]
        if not self.confidence:
            return
        crf_scores = constrained_scores(self.model.get_ref("crf"))
        for doc, confidences in zip(docs, span_probabilities(emissions, crf_scores, spans)):
            for ent, confidence in zip(doc.ents, confidences):
                ent._.confidence = confidence
            doc.spans[self.name] = SpanGroup(doc, spans=list(doc.ents), attrs={"scores": confidences})

    def get_loss(self, examples: Iterable[Example], emissions: List[Floats2d]) -> Tuple[float, List[Floats2d]]:
        gold = [self._gold_tags(eg) for eg in examples]
        return crf_loss(self.model.get_ref("crf"), emissions, gold)

    def _gold_tags(self, example: Example) -> Ints1d:
        """BIO tag ids of the reference entities on the predicted tokens.

        Tokens spaCy cannot align (``-`` / None) count as O: with the character
        tokenizer every entity aligns, so this only arises with other tokenizers.
        """
        label_index = {label: i for i, label in enumerate(self.labels)}
        tags = numpy.zeros(len(example.predicted), dtype="int64")
        for i, biluo in enumerate(example.get_aligned_ner()):
            if not biluo or biluo in ("O", "-"):
                continue
            move, label = biluo.split("-", 1)
            if label not in label_index:
                raise ValueError(f"'{self.name}' has no label {label!r} (its labels: {list(self.labels)})")
            index = label_index[label]
            tags[i] = bio.begin_tag(index) if move in ("B", "U") else bio.inside_tag(index)
        return tags
