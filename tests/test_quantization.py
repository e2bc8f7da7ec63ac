"""Reduced precision: int8 layers are really replaced, bfloat16 really runs, and the entities stay valid and
close to float."""

import json

import numpy
import spacy
import torch

from spacy_cner.__main__ import main
from spacy_cner.model_loading import load_pipeline
from spacy_cner.quantization import quantize_int8, use_bfloat16

from .conftest import EMR_SENTENCES, make_examples
from .test_backbone import build_nlp


def entities(nlp):
    return [(e.start_char, e.end_char, e.label_) for text, _ in EMR_SENTENCES for e in nlp(text).ents]


def torch_modules(nlp):
    return [m for _, pipe in nlp.pipeline for node in pipe.model.walk() for s in node.shims for m in s._model.modules()]


def test_the_bilstm_pipeline_runs_on_int8_weights(model_dir):
    floating, quantized = spacy.load(model_dir), load_pipeline(str(model_dir), precision="int8")
    modules = torch_modules(quantized)
    assert any(isinstance(m, torch.ao.nn.quantized.dynamic.LSTM) for m in modules)
    assert not any(type(m) in (torch.nn.LSTM, torch.nn.Linear) for m in modules)
    assert quantized.meta["quantized"] == "int8 (dynamic)"
    ours, theirs = set(entities(floating)), entities(quantized)
    assert theirs and len(ours & set(theirs)) >= 0.8 * len(ours)
    for text, _ in EMR_SENTENCES:
        assert all(text[e.start_char : e.end_char] == e.text for e in quantized(text).ents)


def test_a_bert_backbone_is_quantized_too(tiny_bert):
    nlp = build_nlp(tiny_bert)
    nlp.initialize(lambda: make_examples(nlp))
    quantize_int8(nlp)
    assert any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in torch_modules(nlp))
    assert len(list(nlp.pipe(text for text, _ in EMR_SENTENCES))) == len(EMR_SENTENCES)


def test_annotate_records_the_precision(model_dir, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("患者因直肠癌行直肠癌根治术。\n", encoding="utf-8")
    assert main(["annotate", str(model_dir), str(source), str(tmp_path / "out.jsonl"), "--precision", "int8"]) == 0
    assert json.loads((tmp_path / "out.jsonl.manifest.json").read_text())["model"]["precision"] == "int8"


def test_bfloat16_runs_the_matrix_products_in_bfloat16_and_hands_back_float32(tiny_bert, monkeypatch):
    nlp = build_nlp(tiny_bert)
    nlp.initialize(lambda: make_examples(nlp))
    floating = [doc._.trf_data.tensors[0] for doc in nlp.pipe(text for text, _ in EMR_SENTENCES)]
    seen = []
    original = torch.nn.functional.linear

    def linear(x, *args, **kwargs):
        seen.append(torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else x.dtype)
        return original(x, *args, **kwargs)

    use_bfloat16(nlp)
    monkeypatch.setattr(torch.nn.functional, "linear", linear)
    docs = list(nlp.pipe(text for text, _ in EMR_SENTENCES))
    assert seen and set(seen) == {torch.bfloat16}
    arrays = [tensor for doc in docs for tensor in doc._.trf_data.tensors if hasattr(tensor, "dtype")]
    assert arrays and all(array.dtype == "float32" for array in arrays)
    assert nlp.meta["quantized"] == "bfloat16 (autocast)"
    for ours, theirs in zip(floating, (doc._.trf_data.tensors[0] for doc in docs)):  # bfloat16 keeps 8 bits
        numpy.testing.assert_allclose(theirs, ours, rtol=0.05, atol=0.05 * float(numpy.abs(ours).max()))
