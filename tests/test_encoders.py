import numpy
import pytest
import torch
from thinc.api import Adam

from spacy_cner.batching import length_buckets
from spacy_cner.encoders.bilstm import build_bilstm
from spacy_cner.nn.bilstm import BiLSTMEncoder
from spacy_cner.nn.imconvnet import ImConvNet

# layer_scale 1.0, not ConvNeXt's 1e-6: a leak through the blocks must be big enough to see.
SLIM_IMCONVNET = dict(
    channels=[8, 12, 16, 20], depths=[1, 1, 2, 1], kernel_size=7, expansion=2, dropout=0.0, layer_scale=1.0
)
ENCODERS = {
    "bilstm": (lambda: BiLSTMEncoder(width=6, hidden_width=8, depth=2, dropout=0.0), 8),
    "imconvnet": (lambda: ImConvNet(6, width_out=10, **SLIM_IMCONVNET), 10),
}


@pytest.mark.parametrize("name", list(ENCODERS))
def test_output_does_not_depend_on_batch_neighbours(name):
    """Padding never leaks: a sequence's output is the same alone or batched."""
    torch.manual_seed(0)
    build, width = ENCODERS[name]
    encoder = build().eval()
    sequences = [torch.randn(n, 6) for n in (5, 1, 0, 40, 17)]
    with torch.no_grad():
        batched = encoder(sequences)
        for sequence, output in zip(sequences, batched):
            assert output.shape == (len(sequence), width)
            assert torch.allclose(encoder([sequence])[0], output, atol=1e-5)


def test_bilstm_backward_direction_sees_the_future():
    torch.manual_seed(0)
    encoder = BiLSTMEncoder(width=3, hidden_width=4, depth=1, dropout=0.0).eval()
    x = torch.randn(6, 3)
    changed = x.clone()
    changed[-1] += 1.0
    with torch.no_grad():
        a, b = encoder([x])[0], encoder([changed])[0]
    assert torch.allclose(a[0, :2], b[0, :2])  # forward half at t=0 ignores t=5
    assert not torch.allclose(a[0, 2:], b[0, 2:])  # backward half does not


def test_thinc_wrapper_backpropagates_to_inputs():
    model = build_bilstm(width=4, hidden_width=6, dropout=0.0)
    model.initialize()
    Xs = [numpy.random.default_rng(0).normal(size=(n, 4)).astype("f") for n in (3, 0, 7)]
    Ys, backprop = model.begin_update(Xs)
    assert [Y.shape for Y in Ys] == [(3, 6), (0, 6), (7, 6)]
    dXs = backprop([numpy.ones_like(Y) for Y in Ys])
    assert [dX.shape for dX in dXs] == [X.shape for X in Xs]
    assert numpy.abs(dXs[2]).sum() > 0


def test_length_buckets_bound_padding():
    lengths = [100_000, 5, 0, 7, 6, 3000]
    buckets = length_buckets(lengths, max_padded=1000)
    assert sorted(i for b in buckets for i in b) == [0, 1, 3, 4, 5]
    for bucket in buckets:
        assert len(bucket) == 1 or max(lengths[i] for i in bucket) * len(bucket) <= 1000


def test_length_buckets_keep_long_records_and_short_sentences_apart():
    lengths = [400, 30, 420, 28, 30, 0, 410]
    # by hand: 28, 30, 30 pad to 3 x 30 = 90 for 88 real; adding 400 would pad to 1600 for 488
    assert length_buckets(lengths) == [[3, 1, 4], [0, 6, 2]]
    assert length_buckets(lengths, max_waste=100.0) == [[3, 1, 4, 0, 6, 2]]


def test_the_torch_weights_take_the_optimizers_averages():
    model = build_bilstm(width=4, hidden_width=6, depth=1, dropout=0.0)
    X = [numpy.random.default_rng(0).normal(size=(5, 4)).astype("f")]
    model.initialize(X=X)
    optimizer = Adam(0.1, use_averages=True)
    for _ in range(3):
        Y, backprop = model.begin_update(X)
        backprop([numpy.ones_like(y) for y in Y])
        model.finish_update(optimizer)
    (shim,) = model.shims
    trained = {name: tensor.clone() for name, tensor in shim._model.named_parameters()}
    with model.use_params(optimizer.averages):
        for name, tensor in shim._model.named_parameters():
            numpy.testing.assert_allclose(tensor.detach().numpy(), optimizer.averages[(shim.id, name)], rtol=1e-6)
            assert not numpy.allclose(tensor.detach().numpy(), trained[name].detach().numpy())
    for name, tensor in shim._model.named_parameters():
        assert torch.equal(tensor, trained[name])
