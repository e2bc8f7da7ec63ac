"""Configs that are variants of one another may differ only where the variant says.

spaCy configs have no include mechanism, so an ablation or a frozen-backbone twin is a copy of its
base config. These tests keep the copies in step: a change to one copy that is not made to the
other (a window size, a dropout, a corpus path) fails here instead of skewing a comparison.
"""

from pathlib import Path
from typing import Any

import pytest
from thinc.api import Config

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
FROZEN = sorted(CONFIG_DIR.glob("bert_*_frozen.cfg"))
CHAR_FEATURE_ABLATIONS = sorted(CONFIG_DIR.glob("bilstm_crf_*.cfg"))
# Slim imConvNet configs; a frozen one is checked against its fine-tuned slim twin above instead.
SLIM = sorted(path for path in CONFIG_DIR.glob("*imconvnet_slim_*.cfg") if not path.stem.endswith("_frozen"))

# What a frozen-backbone twin changes: the training mode, and the optimisation that suits it.
FROZEN_MAY_CHANGE = (
    "components.transformer.model.freeze_encoder",
    "components.transformer.model.cache_size",
    "components.ner.model.use_upper",
    "training.max_steps",
    "training.batcher.size",
    "training.optimizer.",
)
# What a character-feature ablation changes: the features, and the BiLSTM's input width with them.
ABLATION_MAY_CHANGE = ("components.ner.model.features", "components.ner.model.encoder.width")
# What a slim imConvNet changes: its channels, the width of a BiLSTM reading their concatenation,
# and the step budget.
SLIM_MAY_CHANGE = (
    "components.ner.model.encoder.channels",
    "components.ner.model.encoder.*.imconvnet.channels",
    "components.ner.model.encoder.*.bilstm.width",
    "training.max_steps",
)

# What adding the slim imConvNet before a model's BiLSTM changes: the encoder, and a warmed-up, decaying
# learning rate (the conv stack diverged at a constant rate) with its step budget.
IMCONVNET_MAY_CHANGE = ("components.ner.model.encoder", "training.optimizer.learn_rate", "training.max_steps")


def without_imconvnet(path: Path) -> Path:
    return path.with_name(path.name.replace("imconvnet_slim_", "").replace("_imconvnet_slim", ""))


# Slim imConvNet configs whose model also exists without it (imconvnet_slim_crf has no twin "crf").
IMCONVNET_ADDED = sorted(path for path in CONFIG_DIR.glob("*imconvnet_slim*.cfg") if without_imconvnet(path).exists())


def flat_settings(path: Path) -> dict[str, Any]:
    """Every setting of a config as dotted path -> value, variables left as written."""
    flat: dict[str, Any] = {}

    def walk(section: dict[str, Any], prefix: str) -> None:
        for key, value in section.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                flat[f"{prefix}{key}"] = value

    walk(Config().from_disk(path, interpolate=False), "")
    return flat


def differing_settings(a: Path, b: Path) -> set[str]:
    left, right = flat_settings(a), flat_settings(b)
    missing = object()
    return {key for key in left.keys() | right.keys() if left.get(key, missing) != right.get(key, missing)}


def outside(differing: set[str], allowed_prefixes: tuple[str, ...]) -> list[str]:
    """The differing settings that the variant has no business changing."""
    return sorted(key for key in differing if not key.startswith(allowed_prefixes))


@pytest.mark.parametrize("path", FROZEN, ids=[p.stem for p in FROZEN])
def test_frozen_config_differs_from_its_fine_tuned_twin_only_in_training_mode(path: Path) -> None:
    twin = path.with_name(path.name.replace("_frozen", ""))
    differing = differing_settings(twin, path)
    assert "components.transformer.model.freeze_encoder" in differing
    assert outside(differing, FROZEN_MAY_CHANGE) == []


@pytest.mark.parametrize("path", CHAR_FEATURE_ABLATIONS, ids=[p.stem for p in CHAR_FEATURE_ABLATIONS])
def test_character_feature_ablation_differs_from_the_baseline_only_in_features(path: Path) -> None:
    differing = differing_settings(CONFIG_DIR / "bilstm_crf.cfg", path)
    assert any(key.startswith("components.ner.model.features") for key in differing)
    assert outside(differing, ABLATION_MAY_CHANGE) == []


@pytest.mark.parametrize("path", SLIM, ids=[p.stem for p in SLIM])
def test_slim_imconvnet_differs_from_paper_widths_only_in_channels(path: Path) -> None:
    differing = differing_settings(path.with_name(path.name.replace("_slim", "")), path)
    assert any(key.endswith("channels") for key in differing)
    assert outside(differing, SLIM_MAY_CHANGE) == []


@pytest.mark.parametrize("path", IMCONVNET_ADDED, ids=[p.stem for p in IMCONVNET_ADDED])
def test_imconvnet_twin_differs_from_its_model_only_in_the_encoder(path: Path) -> None:
    differing = differing_settings(without_imconvnet(path), path)
    assert "components.ner.model.encoder.*.imconvnet.channels" in differing
    assert outside(differing, IMCONVNET_MAY_CHANGE) == []


def test_backbone_ablations_each_add_one_piece() -> None:
    # Fine-tuned configs; each frozen twin is held to its fine-tuned config above.
    fusion = differing_settings(CONFIG_DIR / "bert_bilstm_crf.cfg", CONFIG_DIR / "bert_fusion_bilstm_crf.cfg")
    assert fusion == {"components.transformer.model.fusion"}
    features = differing_settings(CONFIG_DIR / "bert_fusion_bilstm_crf.cfg", CONFIG_DIR / "bert_full.cfg")
    assert any(key.startswith("components.ner.model.features.*.glyph") for key in features)
    assert outside(features, ABLATION_MAY_CHANGE) == []


def test_spacy_ner_with_a_context_encoder_differs_from_the_plain_peer_only_in_its_tok2vec() -> None:
    differing = differing_settings(
        CONFIG_DIR / "bert_spacy_ner_frozen.cfg", CONFIG_DIR / "bert_spacy_ner_frozen_cnn.cfg"
    )
    assert differing and outside(differing, ("components.ner.model.tok2vec.",)) == []


def test_the_families_are_not_empty() -> None:
    assert len(FROZEN) >= 6 and len(CHAR_FEATURE_ABLATIONS) >= 7 and len(SLIM) >= 4 and len(IMCONVNET_ADDED) >= 5
