"""Property-based: any Unicode text is annotated without crashing, and entity
offsets always index the input and never overlap."""

from hypothesis import given, settings
from hypothesis import strategies as st

CLINICAL_CHARS = st.sampled_from(list("患者因直肠癌行根治术复查CT示肝脏占位予奥沙利铂 ，。（）5.2ng/ml\n\t"))
TEXTS = st.one_of(st.text(max_size=200), st.text(CLINICAL_CHARS, max_size=200))


@settings(max_examples=150, deadline=None)
@given(text=TEXTS)
def test_any_text_yields_valid_non_overlapping_entities(trained_nlp, text):
    doc = trained_nlp(text)
    assert doc.text == text
    previous_end = 0
    for ent in doc.ents:
        assert 0 <= ent.start_char < ent.end_char <= len(text)
        assert text[ent.start_char : ent.end_char] == ent.text
        assert ent.start_char >= previous_end
        previous_end = ent.end_char
        assert 0.0 <= ent._.confidence <= 1.0
