"""Start training from the weights of a pipeline trained before.

The cheap way to fine-tune the backbone on a CPU: train with the encoder frozen
(``bert_full_frozen``), then fine-tune every layer starting from that result
(``bert_full`` with ``paths.warm_start``), so the expensive steps are spent on
the encoder rather than on layers that start from random. Only weights are
copied: the settings of the new config (``freeze_encoder`` included) stay.
"""

from typing import Callable, Optional

import spacy
from spacy.language import Language
from spacy.util import registry
from thinc.api import Model


@registry.callbacks("spacy_cner.warm_start.v1")
def create_warm_start(source: Optional[str] = None) -> Callable[[Language], Language]:
    """An ``[initialize.after_init]`` callback: copy the weights of every
    component from the trained pipeline at ``source`` (a folder); ``None``
    leaves the fresh initialization as it is."""

    def warm_start(nlp: Language) -> Language:
        if source is not None:
            copy_pipeline_weights(spacy.load(source), nlp)
        return nlp

    return warm_start


def copy_pipeline_weights(trained: Language, nlp: Language) -> None:
    """Copy each component's weights from ``trained`` into ``nlp``; both must
    have the same components, labels and architectures."""
    if trained.pipe_names != nlp.pipe_names:
        raise ValueError(f"Warm start: the source pipeline has {trained.pipe_names}, this one {nlp.pipe_names}.")
    for name in nlp.pipe_names:
        source_pipe, target_pipe = trained.get_pipe(name), nlp.get_pipe(name)
        source_labels, target_labels = getattr(source_pipe, "labels", ()), getattr(target_pipe, "labels", ())
        if tuple(source_labels) != tuple(target_labels):
            raise ValueError(
                f"Warm start: component '{name}' has labels {list(target_labels)}, "
                f"the source pipeline {list(source_labels)}; train on data with the same entity types."
            )
        if hasattr(source_pipe, "model"):
            copy_model_weights(source_pipe.model, target_pipe.model, name)


def copy_model_weights(source: Model, target: Model, component: str) -> None:
    """Copy Thinc parameters and the state of wrapped PyTorch modules, node by
    node, after checking that the two models are built alike."""
    source_nodes, target_nodes = list(source.walk()), list(target.walk())
    if [node.name for node in source_nodes] != [node.name for node in target_nodes]:
        raise ValueError(f"Warm start: component '{component}' is built differently in the source pipeline.")
    for source_node, target_node in zip(source_nodes, target_nodes):
        for param in target_node.param_names:
            if not source_node.has_param(param):
                continue  # not initialized in the source either: nothing was learned
            value = source_node.get_param(param)
            if target_node.has_param(param) and target_node.get_param(param).shape != value.shape:
                raise ValueError(
                    f"Warm start: component '{component}', layer '{target_node.name}', parameter '{param}' has "
                    f"shape {target_node.get_param(param).shape} here and {value.shape} in the source pipeline."
                )
            target_node.set_param(param, value.copy())
        for source_shim, target_shim in zip(source_node.shims, target_node.shims):
            try:
                target_shim._model.load_state_dict(source_shim._model.state_dict())
            except RuntimeError as error:
                raise ValueError(
                    f"Warm start: component '{component}' does not fit the source's weights: {error}"
                ) from error
