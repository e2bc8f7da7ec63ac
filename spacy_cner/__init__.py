"""Chinese clinical named-entity recognition for spaCy: character features,
context encoders and a CRF decoder, as registered, configurable architectures."""

from . import tokenizer  # noqa: F401  (registers the tokenizer)
from .backbone import transformer  # noqa: F401
from .data import augmenters  # noqa: F401
from .decoder import crf  # noqa: F401
from .encoders import bilstm, imconvnet, stack  # noqa: F401
from .features import backbone, char_embedding, code_cnn, concat, glyph_cnn  # noqa: F401
from .models import crf_tagger  # noqa: F401
from .pipeline import CRFEntityRecognizer

__version__ = "0.1.0"
__all__ = ["CRFEntityRecognizer", "__version__"]
