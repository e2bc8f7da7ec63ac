"""What training needs beyond spaCy's loop: starting from a trained pipeline's weights (``warm_start``), saving the
whole training state (``state``) and training in legs that resume exactly where a stopped one ended (``legs``)."""

from .warm_start import create_warm_start

__all__ = ["create_warm_start"]
