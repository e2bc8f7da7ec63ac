"""Configs are built from variant files: the built ones are current, overlays merge as documented,
and each family's overlay changes only what that family is about."""

import importlib.util
from pathlib import Path
from typing import Any, Dict

import pytest
from thinc.api import Config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
_spec = importlib.util.spec_from_file_location("config_build", CONFIGS / "build.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)


def test_every_committed_config_is_its_build():
    for name in build.names():
        assert (CONFIGS / f"{name}.cfg").read_text(encoding="utf-8") == build.text(name), name
    assert {p.stem for p in CONFIGS.glob("*.cfg")} == set(build.names())


def test_overlays_merge_sections_and_replace_a_section_naming_another_function():
    base = {"model": {"@architectures": "A.v1", "width": 8, "depth": 2}, "lr": {"@schedules": "s.v1", "rate": 1}}
    assert build.overlay(base, {"model": {"width": 16}}) == {
        "model": {"@architectures": "A.v1", "width": 16, "depth": 2},
        "lr": {"@schedules": "s.v1", "rate": 1},
    }
    assert build.overlay(base, {"model": {"@architectures": "B.v1", "size": 3}, "lr": 0.002}) == {
        "model": {"@architectures": "B.v1", "size": 3},
        "lr": 0.002,
    }
    assert base["model"]["width"] == 8  # the base is not modified


def test_an_empty_section_keeps_the_base_one_even_under_a_replaced_section():
    base = {"model": {"@architectures": "A.v1", "width": 8, "encoder": {"@architectures": "E.v1", "depth": 2}}}
    swapped = build.overlay(base, {"model": {"@architectures": "B.v1", "encoder": {}, "head": {"size": 3}}})
    assert swapped == {
        "model": {"@architectures": "B.v1", "encoder": {"@architectures": "E.v1", "depth": 2}, "head": {"size": 3}}
    }


def test_the_spans_mixin_swaps_only_the_decoder_and_the_score():
    flat_model, span_model = flat(build.build("bert_full_frozen")), flat(build.build("spans_bert_frozen"))
    differing = {
        key for key in flat_model.keys() | span_model.keys() if flat_model.get(key, "∅") != span_model.get(key, "∅")
    }
    assert {key for key in differing if key.startswith("components.ner.model.features")} == set()
    assert {key for key in differing if key.startswith("components.ner.model.encoder")} == set()
    assert sorted(differing) == sorted(
        [
            "components.ner.factory",
            "components.ner.spans_key",
            "components.ner.write_ents",
            "components.ner.model.@architectures",
            "components.ner.model.scorer.@architectures",
            "components.ner.model.scorer.max_length",
            "components.ner.model.scorer.head_width",
        ]
        + [f"training.score_weights.{key}" for key in ("ents_f", "ents_p", "ents_r")]
        + [f"training.score_weights.spans_sc_{key}" for key in ("f", "p", "r", "per_type")]
    )


def own_settings(name: str) -> Dict[str, Any]:
    """What a variant's own overlay sets, as dotted paths."""
    flat: Dict[str, Any] = {}

    def walk(section: Dict[str, Any], prefix: str) -> None:
        for key, value in section.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                flat[f"{prefix}{key}"] = value

    walk(build.read(CONFIGS / "variants" / f"{name}.cfg")[1], "")
    return flat


# family: (which variants, the settings their own overlay may touch)
FAMILIES = {
    "character features over bilstm_crf": (
        lambda name, meta: meta.get("base") == "bilstm_crf" and name.startswith("bilstm_crf_"),
        ("components.ner.model.features", "components.ner.model.encoder.width", "paths.vectors"),
    ),
    "frozen twins": (
        lambda name, meta: meta.get("mixins") == ["frozen"],
        ("components.ner.model.use_upper", "training.optimizer."),
    ),
    "slim imConvNet twins": (
        lambda name, meta: "_slim" in name and not name.endswith("_frozen"),
        ("components.ner.model.encoder.channels", "components.ner.model.encoder.*.", "training.max_steps"),
    ),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_family_overlay_changes_only_what_the_family_is_about(family):
    belongs, allowed = FAMILIES[family]
    members = [name for name in build.names() if belongs(name, build.variant(name))]
    assert len(members) >= 4, members
    for name in members:
        outside = sorted(key for key in own_settings(name) if not key.startswith(allowed))
        assert outside == [], f"{name} changes {outside}"


def test_the_backbone_ablations_each_add_one_piece():
    assert own_settings("bert_fusion_bilstm_crf") == {"components.transformer.model.fusion": True}
    added = own_settings("bert_full")
    assert any(key.startswith("components.ner.model.features.*.glyph") for key in added)
    assert all(key.startswith(("components.ner.model.features", "components.ner.model.encoder.width")) for key in added)


def test_a_built_config_reads_as_a_whole_spacy_config():
    config = Config().from_disk(CONFIGS / "bert_full_frozen.cfg")
    assert config["components"]["transformer"]["model"]["freeze_encoder"] is True
    assert config["training"]["max_steps"] == 1000


def flat(section: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in section.items():
        out.update(flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return out


def without_imconvnet(name: str) -> str:
    return name.replace("imconvnet_slim_", "").replace("_imconvnet_slim", "")


@pytest.mark.parametrize(
    "name", [n for n in build.names() if "imconvnet_slim" in n and without_imconvnet(n) in build.names()]
)
def test_an_imconvnet_twin_differs_from_its_model_only_in_the_encoder_and_its_schedule(name):
    mine, theirs = flat(build.build(name)), flat(build.build(without_imconvnet(name)))
    differing = {key for key in mine.keys() | theirs.keys() if mine.get(key, "∅") != theirs.get(key, "∅")}
    assert "components.ner.model.encoder.*.imconvnet.channels" in differing
    allowed = ("components.ner.model.encoder", "training.optimizer.learn_rate", "training.max_steps")
    assert sorted(key for key in differing if not key.startswith(allowed)) == []
