import subprocess
import sys
import time

import numpy
import pytest
import spacy
import torch

from spacy_cner.features import char_codes
from spacy_cner.features.char_codes import GLYPH_SIZE, code_table, codes_of, glyphs, stroke_counts
from spacy_cner.features.code_cnn import build_code_cnn, encode_codes
from spacy_cner.features.glyph_cnn import build_glyph_cnn
from spacy_cner.nn.code_cnn import CodeCNN
from spacy_cner.nn.glyph_cnn import GlyphCNN

from .conftest import EMR_SENTENCES, blank_char_nlp, train_tiny

# Paper 000, Table 3 (pinyin read in context: 吐 in 呕吐 is tù).
TABLE_3 = [
    ("呕", "kaqy", "jhos", "ǒu", "2511345"),
    ("吐", "kfg", "jbv", "tù", "251121"),
    ("肿", "ekhh", "qji", "zhǒng", "35112512"),
    ("胀", "etay", "qch", "zhàng", "35113154"),
    ("心", "nyny", "wz", "xīn", "4544"),
    ("手", "rtgh", "md", "shǒu", "3112"),
]
GB2312_HANZI = [
    bytes([high, low]).decode("gb2312")
    for high in range(0xB0, 0xF8)
    for low in range(0xA1, 0xFF)
    if (high, low) not in {(0xD7, c) for c in range(0xFA, 0xFF)}  # five unassigned cells after 座
]


def test_table_3_codes_in_context():
    text = "".join(row[0] for row in TABLE_3)
    columns = [codes_of(text, code_type) for code_type in ("wubi", "zheng", "pinyin", "stroke")]
    assert [tuple(row) for row in zip(text, *columns)] == TABLE_3


def test_codes_cli_prints_table_3():
    result = subprocess.run(
        [sys.executable, "-m", "spacy_cner", "codes", "呕吐肿胀心手"], capture_output=True, text=True, check=True
    )
    assert [tuple(line.split("\t")) for line in result.stdout.splitlines()] == TABLE_3


def test_pinyin_follows_context():
    assert codes_of("吐", "pinyin") == ["tǔ"]
    assert codes_of("呕吐", "pinyin") == ["ǒu", "tù"]
    assert codes_of("查CT😀", "pinyin") == ["chá", "", "", ""]


@pytest.mark.parametrize("code_type", ["wubi", "zheng", "stroke"])
def test_tables_cover_gb2312(code_type):
    assert len(GB2312_HANZI) == 6763
    table = code_table(code_type)
    assert sum(char in table for char in GB2312_HANZI) / len(GB2312_HANZI) >= 0.999
    assert sum(chr(c) in table for c in range(0x4E00, 0x9FA6)) >= 0.999 * 20902


def test_glyphs_are_binary_14x14_and_inked_for_every_cjk_character():
    cjk = [chr(c) for c in range(0x4E00, 0x9FA6)]
    images = glyphs(cjk)
    assert images.shape == (20902, 14, 14)
    assert set(numpy.unique(images)) == {0.0, 1.0}
    assert images.reshape(len(cjk), -1).sum(axis=1).min() > 0
    ascii_and_punct = glyphs(list("CT5.2ng/ml，。（）"))
    assert ascii_and_punct.reshape(len(ascii_and_punct), -1).sum(axis=1).min() > 0


def test_characters_without_codes_fall_back():
    assert codes_of("A😀", "wubi") == ["", ""]
    assert glyphs(["😀"]).sum() == 0
    symbols, extra = encode_codes(["", "kfg"], max_length=4, with_stroke_counts=False)
    assert symbols[0].tolist() == [1, 0, 0, 0]  # the "no code" symbol, then padding
    assert extra.shape == (2, 0)
    assert stroke_counts("251121") == [3, 2, 0, 0, 1]


def test_tables_load_fast():
    script = (
        "import time; t = time.perf_counter();"
        "from spacy_cner.features.char_codes import code_table, glyph_table;"
        "[code_table(c) for c in ('wubi', 'zheng', 'stroke')]; glyph_table();"
        "print(time.perf_counter() - t)"
    )
    # Import spacy_cner first so that only the table loading is timed.
    code = "import spacy_cner, sys; " + script
    seconds = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert seconds < 1.0


def test_code_cnn_gradient_is_correct():
    torch.manual_seed(0)
    model = CodeCNN(width=3, embed_width=4, channels=5, extra_width=5).double()
    symbols, extra = encode_codes(["251121", "4544", ""], max_length=8, with_stroke_counts=True)
    # Check the gradient with respect to the embedded input via a continuous stand-in.
    embedded = model.embed(symbols).detach().double().requires_grad_(True)

    def from_embedding(e):
        hidden = model.convolutions(e.transpose(1, 2))
        hidden = hidden.masked_fill((symbols == 0)[:, None, :], float("-inf")).amax(dim=2)
        return model.dense(torch.cat([hidden, extra.double()], dim=1))

    assert torch.autograd.gradcheck(from_embedding, (embedded,), eps=1e-6, atol=1e-4)


def test_glyph_cnn_gradient_is_correct():
    torch.manual_seed(0)
    model = GlyphCNN(width=4, glyph_size=GLYPH_SIZE).double()
    images = (torch.from_numpy(glyphs(list("呕吐"))) + 0.01 * torch.rand(2, 14, 14)).double()[:, None]
    assert torch.autograd.gradcheck(model, (images.requires_grad_(True),), eps=1e-6, atol=1e-4)


@pytest.mark.parametrize("builder", [lambda: build_code_cnn("pinyin", width=6), lambda: build_glyph_cnn(width=6)])
def test_features_are_computed_once_per_distinct_key_and_backpropagate(builder):
    nlp = blank_char_nlp()
    docs = [nlp.make_doc("呕吐呕吐"), nlp.make_doc(""), nlp.make_doc("吐CT")]
    model = builder()
    model.initialize()
    Ys, backprop = model.begin_update(docs)
    assert [Y.shape for Y in Ys] == [(4, 6), (0, 6), (3, 6)]
    numpy.testing.assert_allclose(Ys[0][0], Ys[0][2])  # same character and reading: same row
    backprop([numpy.ones_like(Y) for Y in Ys])
    grads = [p.grad for p in model.shims[0]._model.parameters()]
    assert all(g is not None and g.abs().sum() > 0 for g in grads)


def test_pipeline_with_all_features_saves_and_loads(tmp_path):
    features = {
        "@architectures": "spacy_cner.ConcatFeatures.v1",
        "*": {
            "chars": {"@architectures": "spacy_cner.CharEmbedding.v1", "width": 16, "rows": 200, "shape_width": 4},
            **{
                code: {"@architectures": "spacy_cner.CodeCNN.v1", "code": code, "width": 4}
                for code in char_codes.CODE_TYPES
            },
            "glyph": {"@architectures": "spacy_cner.GlyphCNN.v1", "width": 8},
        },
    }
    model = {
        "@architectures": "spacy_cner.CRFTagger.v1",
        "features": features,
        "encoder": {"@architectures": "spacy_cner.BiLSTM.v1", "width": 44, "hidden_width": 16, "dropout": 0.0},
    }
    nlp = train_tiny(steps=5, model=model)
    texts = [text for text, _ in EMR_SENTENCES]
    before = [[(e.start, e.end, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert [[(e.start, e.end, e.label_) for e in doc.ents] for doc in loaded.pipe(texts)] == before
    start = time.perf_counter()
    loaded("呕吐肿胀心手" * 10)
    assert time.perf_counter() - start < 5
