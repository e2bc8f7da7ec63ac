"""Training callback for a frozen pretrained backbone.

spaCy does not initialise frozen components (it expects them sourced from a
trained pipeline), so a backbone frozen straight from its checkpoint would never
load. This ``before_init`` callback initialises the named components first and,
since they are disabled while the others initialise, connects their listeners
(which need the backbone's width) itself.
"""

from typing import Callable, List

from spacy.language import Language
from spacy.util import registry


@registry.callbacks("spacy_cner.initialize_frozen.v1")
def make_initialize_frozen(components: List[str]) -> Callable[[Language], Language]:
    def initialize_frozen(nlp: Language) -> Language:
        for name in components:
            component = nlp.get_pipe(name)
            component.initialize(lambda: [], nlp=nlp)
            if hasattr(component, "find_listeners"):
                for _, downstream in nlp.pipeline:
                    component.find_listeners(downstream)
        return nlp

    return initialize_frozen
