"""The plain torch modules import and run with spaCy and Thinc out of reach."""

import subprocess
import sys

PROGRAM = """
import sys
sys.modules["spacy"] = sys.modules["thinc"] = None  # any import of them now fails
import torch
from spacy_cner.nn.bilstm import BiLSTMEncoder
from spacy_cner.nn.code_cnn import CodeCNN
from spacy_cner.nn.glyph_cnn import GlyphCNN
from spacy_cner.nn.imconvnet import ImConvNet
from spacy_cner.backbone.fused_bert import FusedBertModel

sequences = [torch.randn(5, 6), torch.randn(2, 6)]
assert [h.shape for h in BiLSTMEncoder(6, 8, 1, 0.0)(sequences)] == [(5, 8), (2, 8)]
imconvnet = ImConvNet(6, (4, 4, 4, 4), (1, 1, 1, 1), 3, 2, None, 0.0, 1e-6)
assert [h.shape for h in imconvnet(sequences)] == [(5, 16), (2, 16)]
assert CodeCNN(7, 4, 5)(torch.tensor([[3, 4, 0]]), torch.zeros(1, 0)).shape == (1, 7)
assert GlyphCNN(7, 14)(torch.zeros(2, 1, 14, 14)).shape == (2, 7)
print("ok", "spacy" not in [m for m in sys.modules if sys.modules[m] is not None])
"""


def test_the_torch_modules_need_neither_spacy_nor_thinc():
    done = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok True"
