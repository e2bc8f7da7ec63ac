import pytest
from spacy.training import Example

from spacy_cner.data.augmenters import create_trim_space_edges

from .conftest import blank_char_nlp


def space_edged_example(nlp):
    doc = nlp.make_doc("复查 CT 示肝 占位")
    # " CT " (space-edged), "肝" (clean), " " (all space)
    return Example.from_dict(doc, {"entities": [(2, 6, "Image"), (7, 8, "Anatomy"), (8, 9, "Anatomy")]})


def test_trims_space_edges_and_drops_all_space_entities():
    nlp = blank_char_nlp()
    (trimmed,) = create_trim_space_edges()(nlp, space_edged_example(nlp))
    assert [(e.text, e.label_) for e in trimmed.reference.ents] == [("CT", "Image"), ("肝", "Anatomy")]
    assert trimmed.predicted.text == "复查 CT 示肝 占位"


def test_clean_examples_pass_unchanged():
    nlp = blank_char_nlp()
    example = Example.from_dict(nlp.make_doc("示肝占位"), {"entities": [(1, 2, "Anatomy")]})
    assert list(create_trim_space_edges()(nlp, example)) == [example]


def test_lets_spacys_ner_train_on_space_edged_entities():
    nlp = blank_char_nlp()
    ner = nlp.add_pipe("ner")
    example = Example.from_dict(nlp.make_doc("诊断: 结肠癌"), {"entities": [(3, 7, "Disease")]})  # " 结肠癌"
    optimizer = nlp.initialize(lambda: [example])
    # The oracle spaCy's ner follows for records longer than its cut size (100 tokens) fails with E024.
    with pytest.raises(ValueError, match="E024"):
        ner.moves.get_oracle_sequence(example)
    (trimmed,) = create_trim_space_edges()(nlp, example)
    assert [e.text for e in trimmed.reference.ents] == ["结肠癌"]
    assert len(ner.moves.get_oracle_sequence(trimmed)) == len(example.predicted)  # one move a token
    losses = nlp.update([trimmed], sgd=optimizer)
    assert losses["ner"] > 0
