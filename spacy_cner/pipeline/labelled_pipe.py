"""What the two entity components share: labels kept in their cfg and inside their weights,
and serialization that refuses a model directory whose files do not belong together."""

import hashlib
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Union

import srsly
from spacy import util
from spacy.pipeline import TrainablePipe
from spacy.tokens import Span
from spacy.training import Example, validate_examples
from thinc.api import Model, Optimizer, set_dropout_rate

# Both components give each entity they write its probability as span._.confidence.
if not Span.has_extension("confidence"):
    Span.set_extension("confidence", default=None)


class LabelledPipe(TrainablePipe):
    """A trainable component whose output layer has one width per label set: ``output_width``
    says which, and ``output_layer`` which layer holds it as ``nO``."""

    cfg: Dict[str, Any]

    def output_width(self, n_labels: int) -> int:
        raise NotImplementedError

    @property
    def output_layer(self) -> Model:
        return self.model

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optional[Optimizer] = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """One step on ``examples``: the model's output, its loss (``get_loss``) and the gradient back."""
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, f"{type(self).__name__}.update")
        self._require_initialized()
        set_dropout_rate(self.model, drop)
        outputs, backprop = self.model.begin_update([eg.predicted for eg in examples])
        loss, d_outputs = self.get_loss(examples, outputs)
        backprop(d_outputs)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    @property
    def labels(self) -> tuple:
        return tuple(self.cfg["labels"])

    @property
    def is_initialized(self) -> bool:
        return self.output_layer.has_dim("nO") and self.output_layer.get_dim("nO") is not None

    def add_label(self, label: str) -> int:
        if not isinstance(label, str) or not label:
            raise ValueError(f"Entity labels must be non-empty strings, got {label!r}")
        if label in self.labels:
            return 0
        if self.is_initialized:
            raise ValueError(
                f"Cannot add label {label!r} to '{self.name}' after it was initialised: "
                "its output layer is sized for the labels it has. Pass all labels to initialize()."
            )
        self.cfg["labels"].append(label)
        self.vocab.strings.add(label)
        return 1

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        weights = self.model.to_bytes()
        self.cfg["weights_sha256"] = hashlib.sha256(weights).hexdigest()
        serialize = {
            "cfg": lambda: srsly.json_dumps(self.cfg),
            "vocab": lambda: self.vocab.to_bytes(exclude=exclude),
            "model": lambda: weights,
        }
        return util.to_bytes(serialize, exclude)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()) -> "LabelledPipe":
        deserialize = {
            "cfg": lambda b: self._load_cfg(srsly.json_loads(b)),
            "vocab": lambda b: self.vocab.from_bytes(b, exclude=exclude),
            "model": self._load_weights,
        }
        util.from_bytes(bytes_data, deserialize, exclude)
        return self

    def to_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> None:
        weights = self.model.to_bytes()
        self.cfg["weights_sha256"] = hashlib.sha256(weights).hexdigest()
        serialize = {
            "cfg": lambda p: srsly.write_json(p, self.cfg),
            "vocab": lambda p: self.vocab.to_disk(p, exclude=exclude),
            "model": lambda p: Path(p).write_bytes(weights),
        }
        util.to_disk(path, serialize, exclude)

    def from_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> "LabelledPipe":
        deserialize = {
            "cfg": lambda p: self._load_cfg(srsly.read_json(p)),
            "vocab": lambda p: self.vocab.from_disk(p, exclude=exclude),
            "model": lambda p: self._load_weights(Path(p).read_bytes()),
        }
        util.from_disk(path, deserialize, exclude)
        return self

    def _load_cfg(self, cfg: Dict[str, Any]) -> None:
        labels = cfg.get("labels")
        if not isinstance(labels, list) or not all(isinstance(label, str) and label for label in labels):
            raise ValueError(f"'{self.name}': its cfg must list the labels as non-empty strings, got {labels!r}")
        self.cfg.update(cfg)

    def _load_weights(self, weights: bytes) -> None:
        """Load the weights after checking they are the ones saved with this cfg."""
        expected = self.cfg.get("weights_sha256")
        if expected is not None and hashlib.sha256(weights).hexdigest() != expected:
            raise ValueError(
                f"'{self.name}': its weights file does not match the checksum saved with it: "
                "the file is damaged or comes from another model"
            )
        self.model.from_bytes(weights)
        trained_for = self.model.attrs.get("labels")
        if trained_for is not None and list(trained_for) != list(self.labels):
            raise ValueError(
                f"'{self.name}': its cfg lists the labels {list(self.labels)} but its weights were trained for "
                f"{list(trained_for)}: the model directory mixes files of two models, or its cfg was edited"
            )
        width = self.output_layer.get_dim("nO") if self.output_layer.has_dim("nO") else None
        if width is not None and width != self.output_width(len(self.labels)):
            raise ValueError(
                f"'{self.name}': its cfg lists {len(self.labels)} labels but its weights were trained for "
                f"another number ({width} outputs, not {self.output_width(len(self.labels))}): "
                "the model directory mixes files of two models"
            )

    def _require_initialized(self) -> None:
        if not self.is_initialized:
            raise ValueError(f"'{self.name}' is not initialised: call nlp.initialize() (or train it) before using it")
