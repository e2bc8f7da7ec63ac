"""What Spark's Python workers import in the Spark tests: a pipeline loader that
logs each load and a component that SIGKILLs its worker once, mid-partition."""

import os
import signal
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from spacy_cner.model_loading import load_pipeline


@Language.factory("kill_worker_once", default_config={"marker": "", "after_docs": 1})
def make_kill_worker_once(nlp: Language, name: str, marker: str, after_docs: int) -> "KillWorkerOnce":
    return KillWorkerOnce(marker, after_docs)


class KillWorkerOnce:
    """At this worker's ``after_docs``-th doc, the first worker to get there writes its pid to
    ``marker`` and kills itself, as the kernel's OOM killer would."""

    def __init__(self, marker: str, after_docs: int) -> None:
        self.marker, self.after_docs, self.seen = marker, after_docs, 0

    def __call__(self, doc: Doc) -> Doc:
        self.seen += 1
        if self.seen == self.after_docs:
            try:
                descriptor = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return doc
            os.write(descriptor, str(os.getpid()).encode())
            os.close(descriptor)
            os.kill(os.getpid(), signal.SIGKILL)
        return doc


@dataclass(frozen=True)
class LoggedLoader:
    """Loads ``model`` and appends this worker's pid to ``log``; with a ``kill_marker``, adds the killer."""

    model: str
    log: str
    kill_marker: str = ""
    kill_after_docs: int = 100

    def __call__(self) -> Any:
        nlp = load_pipeline(self.model)
        if self.kill_marker:
            config = {"marker": self.kill_marker, "after_docs": self.kill_after_docs}
            nlp.add_pipe("kill_worker_once", config=config)
        with open(self.log, "a") as log:
            log.write(f"{os.getpid()}\n")
        return nlp
