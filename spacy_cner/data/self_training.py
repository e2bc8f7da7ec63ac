"""The training corpus of a self-trained model: the gold records and the pseudo-labelled ones."""

from pathlib import Path
from typing import Callable, Iterator

from spacy.language import Language
from spacy.training import Corpus, Example
from spacy.util import registry


@registry.readers("spacy_cner.SelfTrainingCorpus.v1")
def create_self_training_corpus(
    gold: Path, pseudo: Path, max_length: int = 0
) -> Callable[[Language], Iterator[Example]]:
    """The records of ``gold`` then those of ``pseudo`` (``.spacy`` files or folders of them). They are two paths,
    not one folder holding both, so pointing ``paths.train`` at other gold records keeps the pseudo-labels."""
    corpora = [Corpus(gold, max_length=max_length), Corpus(pseudo, max_length=max_length)]

    def read(nlp: Language) -> Iterator[Example]:
        if not Path(pseudo).exists():  # checked when read, so a config resolves before its pseudo-labels exist
            raise FileNotFoundError(
                f"no pseudo-labelled records at {pseudo}: write them with `python -m spacy_cner pseudo-label` "
                "(`spacy project run pseudo-label`) or set paths.pseudo"
            )
        for corpus in corpora:
            yield from corpus(nlp)

    return read
