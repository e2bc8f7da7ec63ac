from .component import CRFEntityRecognizer, make_cner

__all__ = ["CRFEntityRecognizer", "make_cner"]
