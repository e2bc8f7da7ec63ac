"""The CRF against brute-force enumeration of every tag sequence."""

import itertools

import numpy
import pytest
from thinc.api import Adam

from spacy_cner.decoder import bio
from spacy_cner.decoder.confidence import forward_backward, span_probabilities
from spacy_cner.decoder.crf import build_linear_chain_crf, constrained_scores, crf_loss, sequence_log_likelihood

N_LABELS = 2
N_TAGS = bio.n_tags(N_LABELS)  # O, B-0, I-0, B-1, I-1


def make_crf(seed: int = 0):
    crf = build_linear_chain_crf(N_TAGS)
    crf.initialize()
    rng = numpy.random.default_rng(seed)
    for name in ("start", "transitions", "end"):
        crf.set_param(name, rng.normal(size=crf.get_param(name).shape).astype("f"))
    return crf


def valid_sequences(length: int):
    return [s for s in itertools.product(range(N_TAGS), repeat=length) if bio.is_valid(s)]


def path_score(crf, emissions, tags) -> float:
    start, transitions, end = (crf.get_param(n) for n in ("start", "transitions", "end"))
    score = start[tags[0]] + end[tags[-1]] + sum(emissions[i, t] for i, t in enumerate(tags))
    return float(score + sum(transitions[a, b] for a, b in zip(tags, tags[1:])))


@pytest.mark.parametrize("length", [1, 2, 4])
def test_likelihood_matches_enumeration_over_valid_sequences(length):
    crf = make_crf(length)
    emissions = numpy.random.default_rng(1).normal(size=(length, N_TAGS)).astype("f")
    sequences = valid_sequences(length)
    log_z = numpy.logaddexp.reduce([path_score(crf, emissions, s) for s in sequences])
    for tags in sequences[:: max(1, len(sequences) // 7)]:
        expected = path_score(crf, emissions, tags) - log_z
        assert sequence_log_likelihood(crf, emissions, numpy.array(tags)) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("seed", range(5))
def test_viterbi_is_the_best_valid_sequence(seed):
    crf = make_crf(seed)
    rng = numpy.random.default_rng(seed)
    # Push hard towards invalid moves: the decoder must still refuse them.
    emissions = rng.normal(size=(5, N_TAGS)).astype("f")
    emissions[:, bio.inside_tag(0)] += 3.0
    (decoded,) = crf.predict([emissions])
    best = max(valid_sequences(5), key=lambda s: path_score(crf, emissions, s))
    assert tuple(decoded.tolist()) == best
    assert bio.is_valid(decoded.tolist())


def test_batched_decoding_equals_one_by_one_and_keeps_empty_sequences():
    crf = make_crf()
    rng = numpy.random.default_rng(3)
    batch = [rng.normal(size=(n, N_TAGS)).astype("f") for n in (7, 0, 1, 12)]
    decoded = crf.predict(batch)
    assert [len(d) for d in decoded] == [7, 0, 1, 12]
    for emissions, tags in zip(batch, decoded):
        if len(emissions):
            assert crf.predict([emissions])[0].tolist() == tags.tolist()


def test_loss_gradient_matches_finite_differences():
    crf = make_crf()
    rng = numpy.random.default_rng(4)
    emissions = [rng.normal(size=(3, N_TAGS)).astype("f"), rng.normal(size=(2, N_TAGS)).astype("f")]
    gold = [numpy.array([1, 2, 0]), numpy.array([3, 4])]
    loss, d_emissions = crf_loss(crf, emissions, gold)
    assert loss == pytest.approx(
        -sum(sequence_log_likelihood(crf, e, g) for e, g in zip(emissions, gold)) / 2, abs=1e-3
    )
    eps = 1e-2
    for seq, i, j in [(0, 0, 1), (0, 2, 3), (1, 1, 4), (1, 0, 0)]:
        shifted = [e.copy() for e in emissions]
        shifted[seq][i, j] += eps
        numeric = (crf_loss(make_crf(), shifted, gold)[0] - crf_loss(make_crf(), emissions, gold)[0]) / eps
        assert d_emissions[seq][i, j] == pytest.approx(numeric, abs=2e-2)


def test_transitions_train():
    crf = make_crf()
    before = crf.get_param("transitions").copy()
    optimizer = Adam(0.1)
    emissions = [numpy.zeros((4, N_TAGS), dtype="f")]
    gold = [numpy.array([1, 2, 2, 0])]
    first, _ = crf_loss(crf, emissions, gold)
    for _ in range(20):
        crf_loss(crf, emissions, gold)
        crf.finish_update(optimizer)
    last, _ = crf_loss(crf, emissions, gold)
    assert not numpy.allclose(before, crf.get_param("transitions"))
    assert last < first
    assert crf.predict(emissions)[0].tolist() == [1, 2, 2, 0]


def test_tags_spans_round_trip():
    spans = [(0, 2, 1), (2, 3, 0), (5, 8, 1)]
    tags = bio.spans_to_tags(9, spans)
    assert bio.is_valid(tags.tolist())
    assert bio.tags_to_spans(tags.tolist()) == spans


def test_stray_inside_tag_opens_a_span_instead_of_vanishing():
    assert bio.tags_to_spans([0, bio.inside_tag(1), bio.inside_tag(1), 0]) == [(1, 3, 1)]
    assert bio.tags_to_spans([bio.begin_tag(0), bio.inside_tag(1)]) == [(0, 1, 0), (1, 2, 1)]


def test_span_probability_matches_enumeration():
    crf = make_crf(7)
    emissions = numpy.random.default_rng(7).normal(size=(4, N_TAGS)).astype("f")
    sequences = valid_sequences(4)
    weights = numpy.exp([path_score(crf, emissions, s) for s in sequences])
    weights /= weights.sum()
    scores = constrained_scores(crf)
    spans = [(0, 1, 0), (1, 3, 1), (2, 4, 0), (0, 4, 1), (3, 4, 1)]
    # In a batch with a longer and an empty sequence, so padding is exercised too.
    longer = numpy.random.default_rng(8).normal(size=(9, N_TAGS)).astype("f")
    empty = numpy.zeros((0, N_TAGS), dtype="f")
    found, _, nothing = span_probabilities([emissions, longer, empty], scores, [spans, [(2, 5, 0)], []])
    assert nothing == []
    for span, probability in zip(spans, found):
        expected = sum(w for s, w in zip(sequences, weights) if span in bio.tags_to_spans(list(s)))
        assert probability == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("sharpness", [1.0, 40.0])
def test_span_probability_matches_enumeration_for_peaked_emissions(sharpness):
    crf = make_crf(3)
    emissions = (sharpness * numpy.random.default_rng(3).normal(size=(4, N_TAGS))).astype("f")
    sequences = valid_sequences(4)
    log_weights = numpy.array([path_score(crf, emissions, s) for s in sequences])
    weights = numpy.exp(log_weights - log_weights.max())
    weights /= weights.sum()
    spans = [(0, 1, 0), (1, 3, 1), (2, 4, 0), (0, 2, 1)]
    (found,) = span_probabilities([emissions], constrained_scores(crf), [spans])
    for span, probability in zip(spans, found):
        expected = sum(w for s, w in zip(sequences, weights) if span in bio.tags_to_spans(list(s)))
        assert probability == pytest.approx(expected, abs=1e-6)


def test_log_partition_of_a_long_sequence_matches_a_plain_log_space_forward():
    scores = tuple(numpy.asarray(s, dtype="float64") for s in constrained_scores(make_crf(5)))
    start, transitions, end = scores
    emissions = 10 * numpy.random.default_rng(5).normal(size=(1, 600, N_TAGS))
    log_alpha = start + emissions[0, 0]
    for t in range(1, 600):  # the textbook recursion, one step at a time
        log_alpha = numpy.logaddexp.reduce(log_alpha[:, None] + transitions, axis=0) + emissions[0, t]
    expected = numpy.logaddexp.reduce(log_alpha + end)
    alpha, beta, log_z = forward_backward(emissions, numpy.array([600]), scores)
    assert log_z[0] == pytest.approx(expected, rel=1e-9)
    for t in (0, 1, 299, 598, 599):  # every position splits the paths into prefixes and suffixes
        assert numpy.logaddexp.reduce(alpha[0, t] + beta[0, t]) == pytest.approx(expected, rel=1e-9)
