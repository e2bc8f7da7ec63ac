"""Awkward input never crashes and entity offsets always index the original text."""

import pytest

BAD_INPUTS = {
    "empty": "",
    "whitespace": " \t\u3000  ",
    "no Chinese": "CT: 5.2 ng/ml, AFP normal.",
    "emoji and astral CJK": "患者😀诉𠀀腹痛，CT示🩺肝脏占位",
    "control characters": "患者\x00发热\x07\r\n咳嗽\x1b[0m两天",
    "full and half width": "ＣＴ示肝脏占位，CEA ５.２ng/ml,AFP(-)",
    "newlines": "主诉：\n腹痛3天。\n\n诊断：直肠癌",
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_awkward_text_keeps_text_and_offsets(trained_nlp, name):
    text = BAD_INPUTS[name]
    doc = trained_nlp(text)
    assert doc.text == text
    assert len(doc) == len(text)
    for ent in doc.ents:
        assert text[ent.start_char : ent.end_char] == ent.text


def test_long_record_is_annotated_completely(trained_nlp):
    unit = "患者因直肠癌行直肠癌根治术，复查CT示肝脏占位。"
    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    doc = trained_nlp(text)
    assert doc.text == text
    assert len(doc.ents) > 1000  # entities found all along, not only at the start
    assert max(e.end_char for e in doc.ents) > 99_000


def test_non_string_input_is_a_clear_error(trained_nlp):
    with pytest.raises(TypeError, match="expects str"):
        trained_nlp.make_doc(b"\xe6\x82\xa3")
