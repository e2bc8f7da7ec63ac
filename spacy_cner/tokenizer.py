"""One token per character, whitespace included.

spaCy's Chinese ``char`` segmenter folds a space into the previous token's
trailing whitespace, so gold spans that start or end with a space cannot be
aligned and are dropped in training. Here every character, including spaces
and control characters, is its own token, so every character offset is a token
boundary and ``doc.text`` is always the input text.
"""

from pathlib import Path
from typing import Callable, Iterable, Iterator, Union

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab


class CharTokenizer:
    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer expects str, got {type(text).__name__}")
        return Doc(self.vocab, words=list(text), spaces=[False] * len(text))

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        return (self(text) for text in texts)

    # Stateless: these exist so that nlp.to_disk / from_disk / to_bytes work.
    def to_disk(self, path: Union[str, Path], **kwargs) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    def from_disk(self, path: Union[str, Path], **kwargs) -> "CharTokenizer":
        return self

    def to_bytes(self, **kwargs) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs) -> "CharTokenizer":
        return self


@registry.tokenizers("spacy_cner.CharTokenizer.v1")
def create_char_tokenizer() -> Callable[[Language], CharTokenizer]:
    def make(nlp: Language) -> CharTokenizer:
        return CharTokenizer(nlp.vocab)

    return make
