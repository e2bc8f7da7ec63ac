"""SoftLexicon: what dictionary words each character begins, continues, ends or is.

Ma, Peng, Zhang, Wei and Huang, "Simplify the Usage of Lexicon in Chinese NER",
ACL 2020, doi:10.18653/v1/2020.acl-main.528. For each character the matched
words fall into four sets, B (the word begins at it), M (it is inside), E (the
word ends at it) and S (a one-character word); each set's word vectors are
summed, weighted by the words' frequency, divided by the total weight of all
four sets, and the four results are concatenated. Word vectors are learned
(hashed rows, so any lexicon size fits); a term's label, where the lexicon gives
one, adds a learned label vector. The terms are saved with the weights, so a
trained pipeline needs no lexicon file to load.
"""

import math
import zlib
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import HashEmbed, Model
from thinc.types import Floats2d

from ..data.lexicon import DEFAULT_LEXICON, LexiconMatcher, read_lexicon

B, M, E, S = range(4)
WEIGHTINGS = ("log_frequency", "uniform")


@registry.architectures("spacy_cner.SoftLexicon.v1")
def build_soft_lexicon(
    lexicons: Optional[List[str]] = None, width: int = 32, rows: int = 20000, weighting: str = "log_frequency"
) -> Model[List[Doc], List[Floats2d]]:
    """``4 * width`` features per token from the dictionary files ``lexicons``
    (default: the shipped THUOCL medical lexicon), read when the model is initialised.
    ``weighting`` is ``log_frequency`` (log(1 + frequency)) or ``uniform``."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"SoftLexicon weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    words = HashEmbed(width, rows, seed=17)
    labels = HashEmbed(width, 100, seed=18)
    return Model(
        "soft_lexicon",
        forward,
        init=init,
        layers=[words, labels],
        dims={"nO": 4 * width},
        attrs={
            "lexicons": [str(path) for path in lexicons] if lexicons else [str(DEFAULT_LEXICON)],
            "weighting": weighting,
            "terms": [],  # [text, label or "", weight], saved with the weights
        },
    )


# The automaton over each model's current terms, built once (attrs are serialised; it is not).
_MATCHERS: Dict[int, Tuple[list, LexiconMatcher]] = {}


def _matcher(model: Model) -> LexiconMatcher:
    terms = model.attrs["terms"]
    cached = _MATCHERS.get(model.id)
    if cached is None or cached[0] is not terms:
        cached = (terms, LexiconMatcher([term[0] for term in terms]))
        _MATCHERS[model.id] = cached
    return cached[1]


def init(model: Model, X: Optional[List[Doc]] = None, Y=None) -> None:
    terms = read_lexicon(Path(path) for path in model.attrs["lexicons"])
    if not terms:
        raise ValueError(f"SoftLexicon: no terms in {model.attrs['lexicons']}")
    log_weight = model.attrs["weighting"] == "log_frequency"
    model.attrs["terms"] = [
        [term.text, term.label or "", math.log1p(term.frequency) if log_weight else 1.0] for term in terms
    ]
    for layer in model.layers:
        layer.initialize()


def token_sets(doc: Doc, matches: Sequence[Tuple[int, int, int]]) -> List[Tuple[int, int, int]]:
    """(token, set, term index) for each matched word and each token it covers.
    A match that does not start and end on token boundaries is left out."""
    starts = {token.idx: token.i for token in doc}
    ends = {token.idx + len(token.text): token.i for token in doc}
    entries = []
    for start, end, term in matches:
        if start not in starts or end not in ends:
            continue
        first, last = starts[start], ends[end]
        if first == last:
            entries.append((first, S, term))
            continue
        entries.append((first, B, term))
        entries += [(token, M, term) for token in range(first + 1, last)]
        entries.append((last, E, term))
    return entries


def forward(
    model: Model[List[Doc], List[Floats2d]], docs: List[Doc], is_train: bool
) -> Tuple[List[Floats2d], Callable[[List[Floats2d]], List[Doc]]]:
    matches = matched_terms(model, docs, "SoftLexicon")
    terms: list = model.attrs["terms"]
    entries = [[(token, kind, term, terms[term][2]) for token, kind, term in doc_matches] for doc_matches in matches]
    return pool(model, docs, entries, is_train)


def matched_terms(model: Model, docs: List[Doc], layer: str) -> List[List[Tuple[int, int, int]]]:
    """Per doc, (token, set, term index) for the matches of ``model.attrs['terms']`` (each a list, its text
    first), for any layer that keeps its terms so; ``layer`` names it in the error when it has none yet."""
    if not model.attrs["terms"]:
        raise ValueError(f"{layer} is not initialised: call nlp.initialize() (or train) first")
    matcher = _matcher(model)
    return [token_sets(doc, matcher.matches(doc.text)) for doc in docs]


Entry = Tuple[int, int, int, float]  # token, set (B/M/E/S), term index, weight


def pool(
    model: Model[List[Doc], List[Floats2d]], docs: List[Doc], entries: List[List[Entry]], is_train: bool
) -> Tuple[List[Floats2d], Callable[[List[Floats2d]], List[Doc]]]:
    """Per token, the weighted mean of its matched words' vectors (word + label) in each of the four sets."""
    terms: list = model.attrs["terms"]
    words, labels = model.layers
    width = words.get_dim("nO")
    lengths = [len(doc) for doc in docs]
    n_tokens = sum(lengths)
    offsets = numpy.cumsum([0, *lengths[:-1]])
    flat = [
        (4 * (offset + token) + kind, term, w)
        for offset, doc_entries in zip(offsets, entries)
        for token, kind, term, w in doc_entries
    ]
    if not flat:
        outputs = [model.ops.alloc2f(n, 4 * width) for n in lengths]
        return outputs, lambda d_outputs: docs
    slot_index = numpy.asarray([slot for slot, _, _ in flat])
    term_ids = [term for _, term, _ in flat]
    weight = numpy.asarray([w for _, _, w in flat], dtype="f")[:, None]
    word_vectors, word_backprop = words(numpy.asarray(term_ids, dtype="uint64"), is_train)
    label_keys = numpy.asarray([_label_key(terms[t][1]) for t in term_ids], dtype="uint64")
    label_vectors, label_backprop = labels(label_keys, is_train)
    pooled = numpy.zeros((4 * n_tokens, width), dtype="f")
    numpy.add.at(pooled, slot_index, weight * (word_vectors + label_vectors))
    total = numpy.zeros(n_tokens, dtype="f")
    numpy.add.at(total, slot_index // 4, weight[:, 0])
    total[total == 0] = 1.0
    output = pooled.reshape(n_tokens, 4 * width) / total[:, None]
    splits = numpy.cumsum(lengths)[:-1]

    def backprop(d_outputs: List[Floats2d]) -> List[Doc]:
        d_pooled = (numpy.concatenate(d_outputs) / total[:, None]).reshape(4 * n_tokens, width)
        d_vectors = weight * d_pooled[slot_index]
        word_backprop(d_vectors)
        label_backprop(d_vectors)
        return docs

    return list(numpy.split(output, splits)), backprop


def _label_key(label: str) -> int:
    return 0 if not label else 1 + zlib.crc32(label.encode("utf-8"))
