import pytest
import torch

from spacy_cner.nn.imconvnet import Block, ImConvNet, SameLengthConv

from .test_encoders import SLIM_IMCONVNET as SLIM  # batch invariance is tested there, with the BiLSTM


@pytest.mark.parametrize("kernel_size", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("length", [1, 2, 3, 10])
def test_convolutions_keep_the_length(kernel_size, length):
    conv = SameLengthConv(3, 5, kernel_size)
    assert conv(torch.randn(2, 3, length)).shape == (2, 5, length)


@pytest.mark.parametrize("length", [1, 2, 3, 510, 5000])
def test_output_length_equals_input_length(length):
    torch.manual_seed(0)
    encoder = ImConvNet(6, width_out=None, **SLIM).eval()
    with torch.no_grad():
        (output,) = encoder([torch.randn(length, 6)])
    assert output.shape == (length, 8 + 12 + 16 + 20)


def test_paper_widths_and_projection():
    encoder = ImConvNet(16, [128, 256, 512, 1024], [3, 3, 9, 3], 7, 4, width_out=None, dropout=0.0, layer_scale=1e-6)
    assert encoder.width == 1920
    assert sum(len(stage) for stage in encoder.stages) == 18
    projected = ImConvNet(16, width_out=64, **SLIM)
    assert projected.width == 64


def test_context_reaches_beyond_the_stem():
    torch.manual_seed(0)
    encoder = ImConvNet(4, width_out=None, **SLIM).eval()
    x = torch.randn(30, 4)
    changed = x.clone()
    changed[20] += 1.0
    with torch.no_grad():
        a, b = encoder([x])[0], encoder([changed])[0]
    assert not torch.allclose(a[12], b[12])  # 8 positions away: seen through the stacked convolutions
    assert torch.allclose(a[0], b[0])  # beyond the receptive field


def test_layer_scale_starts_each_block_near_identity():
    torch.manual_seed(0)
    x, mask = torch.randn(2, 8, 30), torch.ones(2, 1, 30)
    scaled, unscaled = Block(8, 7, 4, layer_scale=1e-6), Block(8, 7, 4, layer_scale=None)
    with torch.no_grad():
        assert torch.allclose(scaled(x, mask), x, atol=1e-5)
        assert not torch.allclose(unscaled(x, mask), x, atol=1e-2)
    assert any(name == "scale" for name, _ in scaled.named_parameters())  # trained, not a constant
