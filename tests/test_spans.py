"""Nested entities: the span scorer, its loss and decoding against brute force; the ``cner_spans`` component."""

import importlib
import itertools
import math
from pathlib import Path

import numpy
import pytest
import spacy
from spacy.tokens import DocBin, SpanGroup
from spacy.training import Example
from spacy.util import registry
from thinc.api import Config

from spacy_cner.decoder.spans import decode_spans, outermost, span_loss
from spacy_cner.evaluation import evaluate

from .conftest import blank_char_nlp

MAX_LENGTH, LABELS = 3, 2


def pointer(head_width: int = 4):
    config = {"@architectures": "spacy_cner.SpanPointer.v1", "max_length": MAX_LENGTH, "head_width": head_width}
    model = registry.resolve(Config({"model": {**config, "nO": LABELS}}))["model"]
    model.initialize(X=[numpy.zeros((2, 5), dtype="f")])
    rng = numpy.random.default_rng(1)
    for name in ("W", "b", "length_bias"):
        model.set_param(name, rng.normal(size=model.get_param(name).shape).astype("f"))
    return model


def test_span_scores_equal_query_key_products_span_by_span():
    model, width = pointer(), 4
    x = numpy.random.default_rng(2).normal(size=(5, 5)).astype("f")
    (scores,) = model.predict([x])
    W, b, bias = (model.get_param(name) for name in ("W", "b", "length_bias"))
    projected = x @ W.T + b
    for start, m, label in itertools.product(range(5), range(MAX_LENGTH), range(LABELS)):
        if start + m >= 5:
            assert scores[start, m, label] == -1e4
            continue
        query = projected[start, label * width : (label + 1) * width]
        key = projected[start + m, (LABELS + label) * width : (LABELS + label + 1) * width]
        expected = query @ key / math.sqrt(width) + bias[label, m]
        assert scores[start, m, label] == pytest.approx(expected, rel=1e-4, abs=1e-4)


def test_span_scorer_gradients_match_finite_differences():
    model = pointer()
    x = numpy.random.default_rng(3).normal(size=(4, 5)).astype("float64")
    weights = numpy.random.default_rng(4).normal(size=(4, MAX_LENGTH, LABELS))
    weights[numpy.arange(4)[:, None] + numpy.arange(MAX_LENGTH)[None, :] >= 4] = 0  # past the end: constant

    def objective(inputs):
        (scores,) = model.predict([inputs.astype("f")])
        return float((numpy.where(weights != 0, scores, 0) * weights).sum())

    (scores,), backprop = model.begin_update([x.astype("f")])
    (dx,) = backprop([weights.astype("f")])
    for i, j in itertools.product(range(4), range(5)):
        bumped = x.copy()
        bumped[i, j] += 1e-2
        lowered = x.copy()
        lowered[i, j] -= 1e-2
        numeric = (objective(bumped) - objective(lowered)) / 2e-2
        assert dx[i, j] == pytest.approx(numeric, rel=2e-2, abs=2e-2)
    d_bias = model.get_grad("length_bias")
    for label, m in itertools.product(range(LABELS), range(MAX_LENGTH)):
        assert d_bias[label, m] == pytest.approx(weights[:, m, label].sum(), abs=1e-4)


def brute_force_loss(scores, gold):
    """GlobalPointer's loss written out: per label, over every span that fits in the record."""
    n_tokens = scores.shape[0]
    total = 0.0
    for label in range(scores.shape[2]):
        spans = [(s, s + m + 1) for s in range(n_tokens) for m in range(MAX_LENGTH) if s + m < n_tokens]
        positive = [scores[s, e - s - 1, label] for s, e in spans if (s, e, label) in gold]
        negative = [scores[s, e - s - 1, label] for s, e in spans if (s, e, label) not in gold]
        total += math.log(1 + sum(math.exp(v) for v in negative)) + math.log(1 + sum(math.exp(-v) for v in positive))
    return total


def test_span_loss_and_gradient_against_the_formula_written_out():
    scores = numpy.random.default_rng(5).normal(size=(4, MAX_LENGTH, LABELS))
    scores[numpy.arange(4)[:, None] + numpy.arange(MAX_LENGTH)[None, :] >= 4] = -1e4
    gold = {(0, 2, 0), (0, 1, 1), (1, 4, 1)}  # nested: (0, 1) inside (0, 2)
    loss, gradient = span_loss(scores, sorted(gold))
    assert loss == pytest.approx(brute_force_loss(scores, gold), rel=1e-9)
    for index in itertools.product(range(4), range(MAX_LENGTH), range(LABELS)):
        if index[0] + index[1] >= 4:
            assert gradient[index] == 0
            continue
        bumped = scores.copy()
        bumped[index] += 1e-6
        numeric = (brute_force_loss(bumped, gold) - brute_force_loss(scores, gold)) / 1e-6
        assert gradient[index] == pytest.approx(numeric, rel=1e-3, abs=1e-5)


def test_a_gold_span_longer_than_the_limit_is_refused():
    with pytest.raises(ValueError, match="not 1 to 3 tokens long"):
        span_loss(numpy.zeros((6, MAX_LENGTH, LABELS)), [(0, 4, 0)])


def test_decoding_keeps_exactly_the_spans_above_zero_that_fit():
    scores = numpy.random.default_rng(6).normal(size=(5, MAX_LENGTH, LABELS))
    expected = sorted(
        (s, s + m + 1, label, float(scores[s, m, label]))
        for s, m, label in itertools.product(range(5), range(MAX_LENGTH), range(LABELS))
        if s + m < 5 and scores[s, m, label] > 0
    )
    assert decode_spans(scores) == expected


def test_outermost_keeps_the_longest_of_overlapping_spans():
    spans = [(0, 2, 0, 0.9), (0, 6, 1, 0.5), (2, 4, 0, 0.99), (7, 9, 0, 0.3), (8, 10, 1, 0.8)]
    assert outermost(spans) == [(0, 6, 1, 0.5), (8, 10, 1, 0.8)]


NESTED = [
    ("细胞计数下降明显。", [(0, 2, "bod"), (0, 6, "sym")]),
    ("患者胃癌术后。", [(2, 4, "dis"), (2, 3, "bod")]),
    ("肝功能异常，肝区不适。", [(0, 1, "bod"), (0, 5, "sym"), (6, 8, "bod"), (6, 10, "sym")]),
]


def nested_examples(nlp):
    examples = []
    for text, spans in NESTED:
        reference = nlp.make_doc(text)
        group = [reference.char_span(s, e, label=label) for s, e, label in spans]
        reference.spans["sc"] = SpanGroup(reference, name="sc", spans=group)
        examples.append(Example(nlp.make_doc(text), reference))
    return examples


@pytest.fixture(scope="module")
def trained_spans():
    spacy.util.fix_random_seed(0)
    nlp = blank_char_nlp()
    model = {
        "@architectures": "spacy_cner.SpanTagger.v1",
        "features": {"@architectures": "spacy_cner.CharEmbedding.v1", "width": 24, "rows": 500, "shape_width": 8},
        "encoder": {"@architectures": "spacy_cner.BiLSTM.v1", "width": 32, "hidden_width": 32, "dropout": 0.0},
        "scorer": {"@architectures": "spacy_cner.SpanPointer.v1", "max_length": 8, "head_width": 16},
    }
    nlp.add_pipe("cner_spans", config={"model": model, "write_ents": True})
    examples = nested_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    for _ in range(60):
        nlp.update(examples, sgd=optimizer)
    return nlp


def test_the_component_learns_nested_entities_and_scores_them_strictly(trained_spans):
    scores = trained_spans.evaluate(nested_examples(trained_spans))
    assert scores["spans_sc_f"] == 1.0
    assert set(scores["spans_sc_per_type"]) == {"bod", "sym", "dis"}
    doc = trained_spans(NESTED[0][0])
    assert [(span.start_char, span.end_char, span.label_) for span in doc.spans["sc"]] == sorted(NESTED[0][1])
    assert [(ent.start_char, ent.end_char) for ent in doc.ents] == [(0, 6)]  # only the outermost
    assert all(0.5 < span._.confidence <= 1 for span in doc.spans["sc"])


@pytest.mark.parametrize("threshold", [0.05, 0.5, 0.95])
def test_the_threshold_keeps_exactly_the_spans_whose_score_is_above_it(trained_spans, threshold):
    pipe = trained_spans.get_pipe("cner_spans")
    doc = trained_spans.make_doc("肝功能异常，肝区不适，细胞计数下降明显。")
    (logits,) = pipe.model.predict([doc])
    expected = sorted(
        (start, start + m + 1, pipe.labels[label])
        for start in range(len(doc))
        for m in range(8)
        for label in range(len(pipe.labels))
        if start + m < len(doc) and 1 / (1 + math.exp(-float(logits[start, m, label]))) > threshold
    )
    pipe.threshold = threshold
    try:
        found = pipe(doc).spans["sc"]
    finally:
        pipe.threshold = 0.5
    assert [(span.start, span.end, span.label_) for span in found] == expected
    assert all(score > threshold for score in found.attrs["scores"])


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.2])
def test_a_threshold_outside_0_and_1_is_refused(threshold):
    nlp = blank_char_nlp()
    with pytest.raises(ValueError, match="threshold between 0 and 1"):
        nlp.add_pipe("cner_spans", config={"threshold": threshold})


def test_the_threshold_benchmark_scores_at_the_default_as_evaluate_does(trained_spans, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    span_threshold = importlib.import_module("span_threshold")
    records = [
        ("肝功能异常，细胞计数下降。", [(0, 1, "bod"), (0, 5, "sym"), (6, 8, "bod"), (6, 12, "sym")]),
        ("患者胃癌术后，肝区不适。", [(2, 4, "dis"), (2, 3, "bod"), (7, 9, "bod"), (7, 11, "sym")]),
    ]
    docs = []
    for text, spans in records:
        doc = trained_spans.make_doc(text)
        doc.spans["sc"] = SpanGroup(doc, name="sc", spans=[doc.char_span(s, e, label=label) for s, e, label in spans])
        docs.append(doc)
    DocBin(docs=docs).to_disk(tmp_path / "dev.spacy")
    trained_spans.to_disk(tmp_path / "model")
    expected = evaluate(str(tmp_path / "model"), tmp_path / "dev.spacy", spans_key="sc")
    nlp = spacy.load(tmp_path / "model")
    scores = span_threshold.scores_by_threshold(nlp, tmp_path / "dev.spacy", [0.05, 0.5], "sc")
    assert scores["0.5"] == {key: round(expected[f"ents_{key}"], 2) for key in ("p", "r", "f")}
    assert scores["0.05"]["r"] >= scores["0.5"]["r"]  # a lower threshold keeps a superset of the spans


def test_save_and_load_give_identical_spans_and_scores(trained_spans, tmp_path):
    trained_spans.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    for text, _ in NESTED:
        ours, theirs = trained_spans(text), loaded(text)
        assert [(s.start, s.end, s.label_) for s in ours.spans["sc"]] == [
            (s.start, s.end, s.label_) for s in theirs.spans["sc"]
        ]
        assert ours.spans["sc"].attrs["scores"] == theirs.spans["sc"].attrs["scores"]


def test_span_scoring_is_linear_in_the_record_length(trained_spans):
    scorer = trained_spans.get_pipe("cner_spans").model
    long = trained_spans.make_doc("肝功能异常，肝区不适。" * 500)
    (scores,) = scorer.predict([long])
    assert scores.shape == (len(long), 8, 3)  # max_length spans per token, never tokens x tokens
    assert len(trained_spans(long.text).spans["sc"]) >= 500 * 2


def test_a_record_longer_than_the_backbone_window_is_scored_everywhere(tiny_bert):
    nlp = blank_char_nlp()
    window = {"@span_getters": "spacy-transformers.strided_spans.v1", "window": 16, "stride": 12}
    transformer = {"@architectures": "spacy_cner.FusedTransformer.v1", "name": str(tiny_bert), "get_spans": window}
    nlp.add_pipe("transformer", config={"model": {**transformer, "tokenizer_config": {"use_fast": True}}})
    features = {
        "@architectures": "spacy_cner.BackboneFeatures.v1",
        "width": 8,
        "pooling": {"@layers": "reduce_mean.v1"},
    }
    scorer = {"@architectures": "spacy_cner.SpanPointer.v1", "max_length": 4, "head_width": 4}
    model = {"@architectures": "spacy_cner.SpanTagger.v1", "features": features, "scorer": scorer, "encoder": None}
    nlp.add_pipe("cner_spans", config={"model": model})
    nlp.initialize(lambda: nested_examples(nlp))
    text = "肝功能异常，肝区不适。" * 30  # 330 characters, windows of 16 wordpieces
    doc = nlp(text)
    span_model = nlp.get_pipe("cner_spans").model
    (hidden,) = span_model.get_ref("features").predict([doc])
    assert hidden.shape == (len(text), 8) and (numpy.abs(hidden).sum(axis=1) > 0).all()
    (scores,) = span_model.predict([doc])
    valid = numpy.arange(len(text))[:, None] + numpy.arange(4)[None, :] < len(text)
    assert scores.shape == (len(text), 4, 3) and numpy.isfinite(scores).all()
    assert (scores[valid] > -1e4).all() and (scores[~valid] == -1e4).all()
