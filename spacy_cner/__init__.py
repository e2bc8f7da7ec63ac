"""Chinese clinical named-entity recognition for spaCy: character features,
context encoders and a CRF decoder, as registered, configurable architectures.

Every registered name is declared in the package's entry points, so spaCy finds
them without this package importing anything on import: ``spacy_cner.nn``
(the plain torch modules) can be used without spaCy at all.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["CRFEntityRecognizer", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "CRFEntityRecognizer":
        from .pipeline.component import CRFEntityRecognizer

        return CRFEntityRecognizer
    raise AttributeError(f"module 'spacy_cner' has no attribute {name!r}")
