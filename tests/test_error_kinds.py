from spacy.tokens import Doc
from spacy.vocab import Vocab

from spacy_cner.error_kinds import count_error_kinds, count_error_kinds_per_label, gold_kind

TEXT = "患者右肺上叶肺癌术后"  # one character per token


def doc_with(entities: list[tuple[int, int, str]]) -> Doc:
    doc = Doc(Vocab(), words=list(TEXT), spaces=[False] * len(TEXT))
    doc.ents = [doc.char_span(start, end, label=label) for start, end, label in entities]
    return doc


def test_each_gold_entity_gets_the_kind_of_its_closest_prediction() -> None:
    gold = (2, 6, "Anatomy")
    assert gold_kind(gold, [(2, 6, "Anatomy")]) == "correct"
    assert gold_kind(gold, [(2, 6, "Disease")]) == "wrong_type"
    assert gold_kind(gold, [(2, 5, "Anatomy")]) == "wrong_boundary"
    assert gold_kind(gold, [(3, 8, "Disease")]) == "wrong_boundary_and_type"
    assert gold_kind(gold, [(0, 2, "Anatomy"), (6, 8, "Anatomy")]) == "missed"  # adjacent, not overlapping
    # An exact match wins over an overlapping wrong one.
    assert gold_kind(gold, [(1, 4, "Disease"), (2, 6, "Anatomy")]) == "correct"


def test_counts_cover_every_gold_entity_and_spurious_predictions() -> None:
    gold = doc_with([(2, 6, "Anatomy"), (6, 8, "Disease")])
    predicted = doc_with([(2, 5, "Anatomy"), (0, 2, "Disease")])
    counts = count_error_kinds([(gold, predicted)])
    assert counts == {
        "correct": 0,
        "wrong_type": 0,
        "wrong_boundary": 1,
        "wrong_boundary_and_type": 0,
        "missed": 1,
        "spurious": 1,
    }


def test_per_label_counts_put_a_gold_entity_under_its_label_and_a_spurious_one_under_the_prediction() -> None:
    gold = doc_with([(2, 6, "Anatomy"), (6, 8, "Disease")])
    predicted = doc_with([(2, 5, "Anatomy"), (0, 2, "Disease"), (8, 10, "Operation")])
    none = dict.fromkeys(
        ("correct", "wrong_type", "wrong_boundary", "wrong_boundary_and_type", "missed", "spurious"), 0
    )
    assert count_error_kinds_per_label([(gold, predicted)]) == {
        "Anatomy": {**none, "wrong_boundary": 1},
        "Disease": {**none, "missed": 1, "spurious": 1},
        "Operation": {**none, "spurious": 1},
    }
