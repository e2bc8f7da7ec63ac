"""Continued masked-LM pretraining: whole-word masking, the new MLM head, the
evaluation-overlap guard, and the adapted folder as a backbone."""

import random

import pytest
import torch
from transformers import AutoTokenizer

from spacy_cner.__main__ import main
from spacy_cner.backbone import hub
from spacy_cner.backbone.adapt import (
    IGNORE,
    Adapter,
    AdaptSettings,
    collate,
    load_masked_lm,
    make_windows,
    whole_word_mask,
    word_ids_of_tokens,
)
from spacy_cner.cli.adapt import as_given
from spacy_cner.data.lexicon import DEFAULT_LEXICON, Term, parse_line, read_lexicon
from spacy_cner.data.unlabelled import drop_overlapping, read_texts

from .conftest import EMR_SENTENCES
from .test_backbone import build_nlp, make_examples


def test_word_ids_follow_the_segmentation(tiny_bert):
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    encoding = tokenizer("患者CEA升高", add_special_tokens=False, return_offsets_mapping=True)
    assert tokenizer.convert_ids_to_tokens(encoding["input_ids"]) == ["患", "者", "cea", "升", "高"]
    # words 患者 | CEA | 升高 start at characters 0, 2, 5
    assert word_ids_of_tokens(encoding["offset_mapping"], [0, 2, 5]) == [0, 0, 1, 2, 2]
    assert word_ids_of_tokens([(0, 0), (0, 1), (1, 2), (0, 0)], [0]) == [None, 0, 0, None]


@pytest.mark.parametrize("seed", range(40))
def test_whole_word_masking_masks_each_word_whole(seed):
    rng = random.Random(seed)
    lengths = [rng.randint(1, 4) for _ in range(rng.randint(1, 30))]
    word_ids = [None] + [word for word, n in enumerate(lengths) for _ in range(n)] + [None]
    masked = whole_word_mask(word_ids, 0.15, random.Random(seed))
    assert not masked[0] and not masked[-1]
    for word in range(len(lengths)):
        states = {m for m, w in zip(masked, word_ids) if w == word}
        assert len(states) == 1, f"word {word} partly masked"
    budget = max(1, round(0.15 * sum(lengths)))
    assert 1 <= sum(masked) <= budget + 1 or sum(masked) == min(lengths)


def test_collate_labels_exactly_the_masked_positions(tiny_bert):
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    windows = make_windows([text for text, _ in EMR_SENTENCES], tokenizer, list, max_length=12)
    batch = collate(windows, tokenizer, 0.3, random.Random(0))
    for row, window in enumerate(windows):
        labels = batch["labels"][row, : len(window.input_ids)].tolist()
        for position, label in enumerate(labels):
            assert label in (IGNORE, window.input_ids[position])
            assert label == IGNORE or window.word_ids[position] is not None
        assert any(label != IGNORE for label in labels)


def test_windows_cover_every_token_once_and_never_split_a_word(tiny_bert):
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    text = "".join(text for text, _ in EMR_SENTENCES)

    def pairs(chunk: str) -> list:
        return [chunk[i : i + 2] for i in range(0, len(chunk), 2)]

    windows = make_windows([text], tokenizer, pairs, max_length=9)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert [i for w in windows for i in w.input_ids[1:-1]] == ids
    for window in windows:
        assert len(window.input_ids) <= 9
        assert window.input_ids[0] == tokenizer.cls_token_id and window.input_ids[-1] == tokenizer.sep_token_id
    last_words = [w.word_ids[-2] for w in windows[:-1]]
    first_words = [w.word_ids[1] for w in windows[1:]]
    assert all(a != b for a, b in zip(last_words, first_words))


def test_the_new_head_learns_and_the_adapted_folder_is_a_backbone(tiny_bert, tmp_path):
    masked_lm = load_masked_lm(str(tiny_bert))
    assert masked_lm[2], "a BertModel checkpoint has no MLM head"
    model = masked_lm[0]
    assert model.cls.predictions.decoder.weight.data_ptr() == model.bert.embeddings.word_embeddings.weight.data_ptr()
    windows = make_windows([text for text, _ in EMR_SENTENCES] * 8, masked_lm[1], list, max_length=16)
    settings = AdaptSettings(batch_size=8, head_steps=10, steps=40, learn_rate=3e-3, head_learn_rate=3e-2, heldout=0.1)
    adapter = Adapter(masked_lm, tmp_path / "adapted", windows, settings)
    report = adapter.run(log=lambda _: None)
    assert report["after"]["loss"] < report["before"]["loss"] < report["as_loaded"]["loss"]
    assert report["train_seconds"] > 0
    adapter.save()
    nlp = build_nlp(tmp_path / "adapted")
    nlp.initialize(lambda: make_examples(nlp))
    assert len(list(nlp.pipe(text for text, _ in EMR_SENTENCES))) == len(EMR_SENTENCES)


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_to_the_same_weights(tiny_bert, tmp_path):
    texts = [text for text, _ in EMR_SENTENCES] * 4
    settings = AdaptSettings(batch_size=4, head_steps=2, steps=6, checkpoint_every=3, heldout=0.2)

    def adapter(folder: str) -> Adapter:
        masked_lm = load_masked_lm(str(tiny_bert))
        return Adapter(masked_lm, tmp_path / folder, make_windows(texts, masked_lm[1], list, 16), settings)

    whole = adapter("whole")
    whole.run(log=lambda _: None)

    def stop_at_first_checkpoint(message: str) -> None:
        if "checkpoint" in message:
            raise Interrupted

    with pytest.raises(Interrupted):
        adapter("parts").run(log=stop_at_first_checkpoint)
    resumed = adapter("parts")
    assert resumed.resume() and resumed.step == 3
    assert resumed.run(log=lambda _: None)["after"] == whole.report["after"]
    for (name, mine), theirs in zip(resumed.model.state_dict().items(), whole.model.state_dict().values()):
        assert torch.equal(mine, theirs), name


def test_text_sharing_a_run_with_the_evaluation_set_is_refused():
    evaluation = ["患者因直肠癌于我院行直肠癌根治术，复查CT示肝脏多发占位。"]
    shares_20 = "既往史：" + evaluation[0][2:22] + "。"
    shares_19 = "既往史：" + evaluation[0][2:21] + "。"
    kept, dropped = drop_overlapping([shares_20, shares_19, "无关的文本"], evaluation)
    assert (kept, dropped) == ([shares_19, "无关的文本"], 1)
    kept, dropped = drop_overlapping(
        ["入院诊断：高血压病2级，糖尿病。"], ["高血压病2级，糖尿病"]
    )  # short record, whole
    assert (kept, dropped) == ([], 1)


def test_texts_are_read_by_suffix_whatever_its_case(tmp_path):
    (tmp_path / "a.JSONL").write_text('{"text": "甲"}\n\n{"text": "乙"}\n', encoding="utf-8")
    (tmp_path / "b.csv").write_text("department,ask\n内科,问题一\n", encoding="utf-8")
    (tmp_path / "c.json").write_text('[{"text": "丙"}, "丁"]', encoding="utf-8")
    assert read_texts(tmp_path / "a.JSONL") == ["甲", "乙"]
    assert read_texts(tmp_path / "b.csv", csv_columns=["ask"]) == ["问题一"]
    assert read_texts(tmp_path / "c.json") == ["丙", "丁"]
    (tmp_path / "d.jsonl").write_text('{"note": "甲"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"d.jsonl:1: expected a string or an object with a string 'text'"):
        read_texts(tmp_path / "d.jsonl")


def test_lexicon_lines():
    assert parse_line("高血压\t606946\n", "f:1") == Term("高血压", None, 606946)
    assert parse_line("阿司匹林\tMedicine", "f:1") == Term("阿司匹林", "Medicine", 1)
    assert parse_line("肝癌\tDisease\t3", "f:1") == Term("肝癌", "Disease", 3)
    assert parse_line("# comment", "f:1") is None
    with pytest.raises(ValueError, match="f:7: the frequency must be a positive whole number"):
        parse_line("肝\tDisease\t-2", "f:7")


def test_the_report_names_files_from_the_working_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(DEFAULT_LEXICON.parents[3])  # the folder holding the package
    assert as_given(DEFAULT_LEXICON) == "spacy_cner/data/resources/THUOCL_medical.txt"
    assert as_given(tmp_path / "terms.txt") == str(tmp_path / "terms.txt")  # outside it: as it is


def test_the_shipped_lexicon_is_whole():
    terms = read_lexicon([DEFAULT_LEXICON])
    assert len(terms) == 18749
    assert terms[0] == Term("精神", None, 606946)


def test_an_unknown_hub_name_offline_fails_at_once_and_says_what_to_do(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(hub, "hub_reachable", lambda timeout=3.0: False)
    with pytest.raises(FileNotFoundError, match="--paths.backbone assets/m3e-small"):
        hub.resolve_backbone("some-org/no-such-bert")
    assert main(["adapt-backbone", "some-org/no-such-bert", str(tmp_path / "out"), str(tmp_path / "none.txt")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_a_bert_config_with_an_unknown_hub_name_offline_fails_at_initialisation(monkeypatch):
    monkeypatch.setattr(hub, "hub_reachable", lambda timeout=3.0: False)
    nlp = build_nlp("some-org/no-such-bert")
    with pytest.raises(FileNotFoundError, match="--paths.backbone assets/m3e-small"):
        nlp.initialize(lambda: make_examples(nlp))
