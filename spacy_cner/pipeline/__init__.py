from .component import CRFEntityRecognizer, make_cner
from .warm_start import create_warm_start

__all__ = ["CRFEntityRecognizer", "create_warm_start", "make_cner"]
