"""The registry contract, in the manner of thinc's test_layers_api: every registered
architecture resolves from a config, initialises, gives outputs of the right shape
and type, gives the same output batched as one by one, and round-trips through
bytes; every registered name is declared in the package's entry points."""

import importlib.metadata
import re
import tempfile
from pathlib import Path
from typing import Any, Dict, List

import numpy
import pytest
from spacy.tokens import Doc, DocBin
from spacy.util import registry
from spacy.vectors import Vectors
from thinc.api import Adam, Config

from spacy_cner.decoder.bio import allowed_moves

from .conftest import EMR_SENTENCES, blank_char_nlp, make_examples

PACKAGE = Path(__file__).resolve().parents[1] / "spacy_cner"
DOCS = [blank_char_nlp()(text) for text, _ in EMR_SENTENCES[:5]] + [blank_char_nlp()("")]


def with_vectors(texts: List[str]) -> List[Doc]:
    """Docs whose vocab holds a random table for all but one of their characters and bigrams (so lookups also miss)."""
    nlp = blank_char_nlp()
    chars = sorted(set("".join(texts)))[1:]
    bigrams = sorted({text[i : i + 2] for text in texts for i in range(len(text) - 1)})[1:]
    keys = [nlp.vocab.strings.add(key) for key in chars + bigrams]
    data = numpy.random.default_rng(0).normal(size=(len(keys), 5)).astype("f")
    nlp.vocab.vectors = Vectors(strings=nlp.vocab.strings, data=data, keys=keys)
    return [nlp(text) for text in texts]


DOCS_WITH_VECTORS = with_vectors([doc.text for doc in DOCS])
CHARS = {"@architectures": "spacy_cner.CharEmbedding.v1", "width": 8, "rows": 50, "shape_width": 4}

# The gazetteer's source: the synthetic sentences as training records (read when it is initialised).
GAZETTEER_SOURCE = Path(tempfile.mkdtemp()) / "train.spacy"
DocBin(docs=[eg.reference for eg in make_examples(blank_char_nlp())]).to_disk(GAZETTEER_SOURCE)

POINTER = {"@architectures": "spacy_cner.SpanPointer.v1", "max_length": 3, "head_width": 4, "nO": 2}

# name: (config, input kind, output width per token: a number, a shape, or None for tag ids)
LAYERS: Dict[str, Any] = {
    "spacy_cner.CharEmbedding.v1": (CHARS, "docs", 12),
    "spacy_cner.CodeCNN.v1": (
        {"code": "stroke", "width": 6, "embed_width": 4, "channels": 5, "max_length": 8},
        "docs",
        6,
    ),
    "spacy_cner.GlyphCNN.v1": ({"width": 6}, "docs", 6),
    "spacy_cner.CharVectors.v1": ({"width": 6}, "docs_with_vectors", 6),
    "spacy_cner.BigramVectors.v1": ({"width": 6}, "docs_with_vectors", 6),
    "spacy_cner.SoftLexicon.v1": ({"width": 3, "rows": 20}, "docs", 12),
    "spacy_cner.Gazetteer.v1": ({"source": str(GAZETTEER_SOURCE), "width": 3, "rows": 20}, "docs", 12),
    "spacy_cner.ConcatFeatures.v1": ({"*": {"a": CHARS, "b": CHARS}}, "docs", 24),
    "spacy_cner.BiLSTM.v1": ({"width": 7, "hidden_width": 6, "dropout": 0.0}, "arrays", 6),
    "spacy_cner.ImConvNet.v1": (
        {"width": 7, "channels": [4, 4, 4, 4], "depths": [1, 1, 1, 1], "kernel_size": 3, "dropout": 0.0},
        "arrays",
        16,
    ),
    "spacy_cner.EncoderStack.v1": (
        {"*": {"lstm": {"@architectures": "spacy_cner.BiLSTM.v1", "width": 7, "hidden_width": 4, "dropout": 0.0}}},
        "arrays",
        4,
    ),
    "spacy_cner.CRFTagger.v1": ({"features": CHARS, "encoder": None, "nO": 5}, "docs", 5),
    "spacy_cner.LinearChainCRF.v1": ({"nO": 7}, "arrays", None),
    "spacy_cner.SpanPointer.v1": (POINTER, "arrays", (3, 2)),
    "spacy_cner.SpanTagger.v1": ({"features": CHARS, "scorer": POINTER}, "docs", (3, 2)),
}
# Layers that need a transformer upstream; tests/test_backbone.py drives them inside a pipeline.
NEEDS_A_PIPELINE = {"spacy_cner.FusedTransformer.v1", "spacy_cner.BackboneFeatures.v1"}


def registered_in_source() -> Dict[str, set]:
    """Every ``@registry.X("name")`` in the package, by registry."""
    found: Dict[str, set] = {}
    for path in PACKAGE.rglob("*.py"):
        for kind, name in re.findall(r'@registry\.(\w+)\("([^"]+)"\)', path.read_text(encoding="utf-8")):
            found.setdefault(kind, set()).add(name)
    return found


def test_every_registered_name_is_declared_in_the_entry_points():
    declared: Dict[str, set] = {}
    for entry_point in importlib.metadata.distribution("spacy-cner").entry_points:
        kind = entry_point.group.removeprefix("spacy_").removeprefix("thinc_")  # thinc's own registries: thinc_*
        declared.setdefault(kind, set()).add(entry_point.name)
    registered = registered_in_source()
    assert registered, "the scan found no registrations"
    for kind, names in registered.items():
        assert names <= declared.get(kind, set()), f"{kind}: {sorted(names - declared.get(kind, set()))} undeclared"
    assert "cner" in declared["factories"]


def test_the_table_covers_every_registered_architecture():
    assert set(LAYERS) | NEEDS_A_PIPELINE == registered_in_source()["architectures"]


def build(name: str):
    settings, _, _ = LAYERS[name]
    return registry.resolve(Config({"model": {"@architectures": name, **settings}}))["model"]


def inputs(kind: str) -> List[Any]:
    if kind == "docs":
        return DOCS
    if kind == "docs_with_vectors":
        return DOCS_WITH_VECTORS
    rng = numpy.random.default_rng(0)
    width = 7
    return [rng.normal(size=(len(doc), width)).astype("f") for doc in DOCS]


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_contract(name):
    _, kind, width = LAYERS[name]
    model = build(name)
    X = inputs(kind)
    model.initialize(X=X[:3])
    Y = model.predict(X)
    assert isinstance(Y, list) and len(Y) == len(X)
    for x, y in zip(X, Y):
        assert y.shape[0] == len(x)
        if width is None:
            assert y.ndim == 1 and numpy.issubdtype(y.dtype, numpy.integer)  # tag ids
        else:
            assert y.shape == (len(x), *numpy.atleast_1d(width)) and y.dtype == numpy.float32
    one_by_one = [model.predict([x])[0] for x in X]
    for batched, single in zip(Y, one_by_one):
        numpy.testing.assert_allclose(batched, single, rtol=1e-4, atol=1e-5)
    copy = build(name)
    copy.initialize(X=X[:3])
    copy.from_bytes(model.to_bytes())
    for ours, theirs in zip(Y, copy.predict(X)):
        numpy.testing.assert_array_equal(ours, theirs)
    if width is not None:  # the backward pass runs; over arrays it gives a gradient of each input's shape
        untrained, optimizer = model.predict(X), Adam(0.1, use_averages=True)
        for _ in range(2):
            Y, backprop = model.begin_update(X)
            dX = backprop([numpy.ones_like(y) for y in Y])
            model.finish_update(optimizer)
        if kind == "arrays":
            assert [dx.shape for dx in dX] == [x.shape for x in X]
        # the optimizer's parameter averages reach the weights that moved (torch ones included), and put them back
        trained = model.predict(X)
        with model.use_params(optimizer.averages):
            averaged = model.predict(X)
        moved = not all(numpy.allclose(t, u) for t, u in zip(trained, untrained))
        assert moved or name == "spacy_cner.Gazetteer.v1"  # training hides each record's own terms: none match here
        assert moved == (not all(numpy.allclose(a, t) for a, t in zip(averaged, trained)))
        for after, before in zip(model.predict(X), trained):
            numpy.testing.assert_array_equal(after, before)


def test_the_bio_constraint_table_literally():
    # O, B-A, I-A, B-B, I-B: I-A only after B-A or I-A, I-B only after B-B or I-B, no sequence starts inside.
    start, transitions = allowed_moves(5)
    assert start.tolist() == [True, True, False, True, False]
    assert transitions.astype(int).tolist() == [
        # to: O  B-A I-A B-B I-B     from:
        [1, 1, 0, 1, 0],  # O
        [1, 1, 1, 1, 0],  # B-A
        [1, 1, 1, 1, 0],  # I-A
        [1, 1, 0, 1, 1],  # B-B
        [1, 1, 0, 1, 1],  # I-B
    ]


def test_the_tagger_names_its_parts():
    features = registry.resolve(Config({"f": CHARS}))["f"]
    encoder = build("spacy_cner.BiLSTM.v1")
    tagger = registry.resolve(Config({"t": {"@architectures": "spacy_cner.CRFTagger.v1", "features": CHARS, "nO": 5}}))[
        "t"
    ]
    assert tagger.get_ref("features").name == features.name and tagger.maybe_get_ref("encoder") is None
    assert tagger.get_ref("crf").name == "linear_chain_crf"
    assert encoder.attrs["layer"] == "spacy_cner.BiLSTM.v1"


def test_an_encoder_of_the_wrong_width_says_which_setting_to_change():
    encoder = build("spacy_cner.BiLSTM.v1")  # width 7
    X = [numpy.zeros((3, 9), dtype="f")]
    encoder.initialize(X=[numpy.zeros((3, 7), dtype="f")])
    with pytest.raises(
        ValueError, match=r"BiLSTM.v1 is set to width = 7, but the layer before it gives 9 .* set its width to 9"
    ):
        encoder.predict(X)
