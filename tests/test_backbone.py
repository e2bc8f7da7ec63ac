"""The fused BERT backbone through spacy-transformers, on a tiny random BERT."""

import pytest
import spacy
import torch
from thinc.api import Adam

from spacy_cner.backbone.fused_bert import FusedBertConfig, FusedBertModel

from .conftest import EMR_SENTENCES, blank_char_nlp, make_examples


def build_nlp(bert_path, fusion: bool = True, window: int = 16, stride: int = 12, **model_options):
    nlp = blank_char_nlp()
    nlp.add_pipe(
        "transformer",
        config={
            "model": {
                "@architectures": "spacy_cner.FusedTransformer.v1",
                "name": str(bert_path),
                "get_spans": {
                    "@span_getters": "spacy-transformers.strided_spans.v1",
                    "window": window,
                    "stride": stride,
                },
                "tokenizer_config": {"use_fast": True},
                "fusion": fusion,
                **model_options,
            }
        },
    )
    features = {
        "@architectures": "spacy_cner.BackboneFeatures.v1",
        "width": 8,
        "pooling": {"@layers": "reduce_mean.v1"},
    }
    model = {"@architectures": "spacy_cner.CRFTagger.v1", "features": features, "encoder": None}
    nlp.add_pipe("cner", name="ner", config={"model": model})
    return nlp


def scored_entities(nlp) -> list:
    return [
        [(e.start, e.end, e.label_, round(e._.confidence, 4)) for e in doc.ents]
        for doc in nlp.pipe(text for text, _ in EMR_SENTENCES)
    ]


def test_fusion_weights_and_lower_layers_train(tiny_bert):
    nlp = build_nlp(tiny_bert)
    examples = make_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    bert = nlp.get_pipe("transformer").model.transformer
    assert type(bert).__name__ == "FusedBertModel"
    before = {name: p.detach().clone() for name, p in bert.named_parameters()}
    for _ in range(3):
        nlp.update(examples, sgd=optimizer)
    after = dict(bert.named_parameters())
    assert not torch.equal(before["fusion_weights"], after["fusion_weights"])
    assert not torch.equal(before["fusion_scale"], after["fusion_scale"])
    lowest = "encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(before[lowest], after[lowest])
    assert not torch.equal(before["embeddings.word_embeddings.weight"], after["embeddings.word_embeddings.weight"])


@pytest.mark.parametrize("fusion", [True, False])
def test_fusion_switch_and_save_load(tiny_bert, tmp_path, fusion):
    nlp = build_nlp(tiny_bert, fusion=fusion)
    examples = make_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    nlp.update(examples, sgd=optimizer)
    assert nlp.get_pipe("transformer").model.transformer.config.fusion is fusion
    before = scored_entities(nlp)
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert type(loaded.get_pipe("transformer").model.transformer).__name__ == "FusedBertModel"
    assert scored_entities(loaded) == before


def test_every_character_of_a_long_record_reaches_a_wordpiece(tiny_bert):
    nlp = build_nlp(tiny_bert, window=128, stride=96)
    nlp.initialize(lambda: make_examples(nlp))
    unit = "患者因直肠癌行直肠癌根治术，复查CT示肝脏占位。CEA 5.2ng/ml。"
    text = (unit * (5000 // len(unit) + 1))[:5000]
    doc = nlp(text)
    assert len(doc) == 5000
    lengths = doc._.trf_data.align.lengths
    unaligned = [i for i, token in enumerate(doc) if lengths[i] == 0 and not token.is_space]
    assert unaligned == []
    assert doc.text == text


@pytest.mark.parametrize("fusion", [True, False])
def test_frozen_encoder_caches_its_layers_and_matches_the_full_model(tiny_bert, fusion, monkeypatch):
    def load(**options):
        config = FusedBertConfig.from_pretrained(tiny_bert, fusion=fusion, **options)
        return FusedBertModel.from_pretrained(tiny_bert, config=config)

    full, frozen = load().eval(), load(freeze_encoder=True, cache_size=3).train()
    encoded_rows = []
    encode = frozen._encode_without_training
    monkeypatch.setattr(
        frozen, "_encode_without_training", lambda ids, mask: encoded_rows.append(len(ids)) or encode(ids, mask)
    )
    ids = torch.tensor([[2, 10, 11, 12, 3], [2, 13, 3, 0, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        expected = full(input_ids=ids, attention_mask=mask).last_hidden_state
    first = frozen(input_ids=ids, attention_mask=mask).last_hidden_state  # training mode: still no dropout
    assert first.requires_grad
    assert torch.allclose(first[0], expected[0], atol=1e-5)
    assert torch.allclose(first[1, :3], expected[1, :3], atol=1e-5)
    assert len(frozen.cache) == 2 and encoded_rows == [2]
    # The same windows in another batch, padded differently, come from the cache (stored as float16).
    again = frozen(input_ids=ids[[1, 0]], attention_mask=mask[[1, 0]]).last_hidden_state
    assert encoded_rows == [2]
    assert torch.allclose(again[0, :3], first[1, :3], atol=1e-2) and torch.allclose(again[1], first[0], atol=1e-2)
    more = torch.tensor([[2, 14, 3], [2, 15, 3]])
    frozen(input_ids=more, attention_mask=torch.ones_like(more))
    assert len(frozen.cache) == 3  # least recently used window dropped
    with torch.no_grad():
        inferred = frozen.eval()(input_ids=ids, attention_mask=mask).last_hidden_state
    assert encoded_rows == [2, 2, 2]  # inference encodes afresh, in full precision
    assert torch.allclose(inferred[0], expected[0], atol=1e-5)
    assert len(frozen.cache) == 3  # inference neither reads nor grows the cache
    trainable = {name for name, parameter in frozen.named_parameters() if parameter.requires_grad}
    assert trainable == ({"fusion_weights", "fusion_scale"} if fusion else set())


@pytest.mark.parametrize("fusion", [True, False])
def test_frozen_encoder_trains_only_the_fusion(tiny_bert, fusion):
    nlp = build_nlp(tiny_bert, fusion=fusion, freeze_encoder=True, cache_size=100)
    examples = make_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    bert = nlp.get_pipe("transformer").model.transformer
    tagger = nlp.get_pipe("ner").model
    before = {name: p.detach().clone() for name, p in bert.named_parameters()}
    transitions = tagger.get_ref("crf").get_param("transitions").copy()
    for _ in range(3):
        nlp.update(examples, sgd=optimizer)
    after = dict(bert.named_parameters())
    moved = {name for name in before if not torch.equal(before[name], after[name])}
    assert moved == ({"fusion_weights", "fusion_scale"} if fusion else set())
    assert (tagger.get_ref("crf").get_param("transitions") != transitions).any()  # the layers above still train
    assert 0 < len(bert.cache) <= 100


def test_warm_start_fine_tunes_from_a_frozen_runs_weights(tiny_bert, tmp_path):
    frozen = build_nlp(tiny_bert, freeze_encoder=True, cache_size=100)
    examples = make_examples(frozen)
    optimizer = frozen.initialize(lambda: examples)
    for _ in range(3):
        frozen.update(examples, sgd=optimizer)
    frozen.to_disk(tmp_path / "frozen")

    nlp = build_nlp(tiny_bert)
    warm_start = {"@callbacks": "spacy_cner.warm_start.v1", "source": str(tmp_path / "frozen")}
    nlp.config["initialize"]["after_init"] = warm_start
    optimizer = nlp.initialize(lambda: examples)
    bert = nlp.get_pipe("transformer").model.transformer
    frozen_bert = frozen.get_pipe("transformer").model.transformer
    assert torch.equal(bert.fusion_weights, frozen_bert.fusion_weights)
    crf, frozen_crf = (p.get_pipe("ner").model.get_ref("crf") for p in (nlp, frozen))
    assert (crf.get_param("transitions") == frozen_crf.get_param("transitions")).all()
    assert scored_entities(nlp) == scored_entities(frozen)
    # Only the weights came over: this pipeline's encoder is not frozen and trains.
    assert not bert.config.freeze_encoder
    lowest = "encoder.layer.0.attention.self.query.weight"
    before = dict(bert.named_parameters())[lowest].detach().clone()
    nlp.update(examples, sgd=False)  # as `spacy train` does: all components backprop, then all weights change
    for _, pipe in nlp.pipeline:
        pipe.finish_update(optimizer)
    assert not torch.equal(before, dict(bert.named_parameters())[lowest])


def test_loading_weights_clears_the_frozen_layer_cache(tiny_bert):
    model = FusedBertModel.from_pretrained(tiny_bert, freeze_encoder=True, cache_size=10)
    model.cache[b"row"] = torch.zeros(1)
    model.load_state_dict({"fusion_weights": torch.ones_like(model.fusion_weights)}, strict=False)
    assert list(model.cache) == [b"row"]  # the cached layers come before the fusion
    model.load_state_dict(model.state_dict())
    assert not model.cache


@pytest.mark.parametrize("freeze_encoder", [False, True])
def test_parameter_averages_reach_the_backbone(tiny_bert, freeze_encoder):
    nlp = build_nlp(tiny_bert, freeze_encoder=freeze_encoder, cache_size=100)
    examples = make_examples(nlp)
    optimizer = nlp.initialize(lambda: examples, sgd=Adam(0.01, use_averages=True))
    for _ in range(3):
        nlp.update(examples, sgd=optimizer)
    transformer = nlp.get_pipe("transformer").model
    shim, bert = transformer.layers[0].shims[0], transformer.transformer
    raw = {name: parameter.detach().clone() for name, parameter in bert.named_parameters()}
    averaged = {name: optimizer.averages[(shim.id, name)] for name in raw if (shim.id, name) in optimizer.averages}
    # the pooler gets no gradient: spacy-transformers reads the last hidden state only
    trained = {"fusion_weights", "fusion_scale"} if freeze_encoder else {n for n in raw if not n.startswith("pooler.")}
    assert set(averaged) == trained
    cached = len(bert.cache)
    with nlp.use_params(optimizer.averages):
        for name, parameter in bert.named_parameters():
            expected = torch.tensor(averaged[name]) if name in averaged else raw[name]
            torch.testing.assert_close(parameter.detach(), expected, rtol=0, atol=0)
            assert name not in averaged or not torch.equal(parameter, raw[name])
    for name, parameter in bert.named_parameters():
        assert torch.equal(parameter, raw[name])
    assert len(bert.cache) == cached > 0 if freeze_encoder else not bert.cache
