"""Build every training config in configs/ from its variant file in configs/variants/.

A variant file is a spaCy config with a ``[variant]`` section: its ``description``,
and either no ``base`` (a whole config) or a ``base`` variant and optional
``mixins`` (shared overlays in configs/mixins/, such as ``frozen``) that it
changes. The rest of the file is the overlay: only what differs. Overlays merge
section by section, except that a section naming another registered function
(``@architectures``, ``@schedules``, ...) replaces the base's section whole, since
its arguments are another function's. An empty section always means the base's,
unchanged: so a replacing section can keep an argument section of the base, as
mixins/spans.cfg keeps the features and encoder when it swaps the CRF for spans.

    python configs/build.py           # write configs/*.cfg
    python configs/build.py --check   # fail if a committed config differs from its build

``spacy train configs/X.cfg`` reads the built file as it always did; edit the
variant files, never the built ones.
"""

import argparse
import copy
import sys
import textwrap
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from thinc.api import Config

CONFIGS = Path(__file__).resolve().parent
VARIANTS = CONFIGS / "variants"
MIXINS = CONFIGS / "mixins"
Section = Dict[str, Any]


def registered_function(section: Section) -> Optional[str]:
    return next((value for key, value in section.items() if key.startswith("@")), None)


def same_function(current: Section, change: Section) -> bool:
    """A change section that names no function, or the base's, merges into it."""
    return registered_function(change) in (None, registered_function(current))


def overlay(base: Section, changes: Section) -> Section:
    """``base`` with ``changes`` applied (neither is modified)."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict) and same_function(current, value):
            merged[key] = overlay(current, value)
        elif isinstance(current, dict) and isinstance(value, dict):
            merged[key] = _replace(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _replace(current: Section, replacement: Section) -> Section:
    """``replacement`` whole, except that its empty sections keep ``current``'s."""
    replaced: Section = {}
    for key, value in replacement.items():
        kept = current.get(key)
        if value == {} and isinstance(kept, dict):
            replaced[key] = copy.deepcopy(kept)
        elif isinstance(value, dict):
            replaced[key] = _replace(kept if isinstance(kept, dict) else {}, value)
        else:
            replaced[key] = copy.deepcopy(value)
    return replaced


def read(path: Path) -> Tuple[Section, Section]:
    """(the [variant] section, the rest) of a variant or mixin file."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    config = dict(Config().from_disk(path, interpolate=False))
    return config.pop("variant", {}), config


def names() -> List[str]:
    return sorted(path.stem for path in VARIANTS.glob("*.cfg"))


@lru_cache(maxsize=None)
def variant(name: str) -> Section:
    """The [variant] metadata of ``name``, with its description resolved along its bases."""
    meta, _ = read(VARIANTS / f"{name}.cfg")
    if "description" not in meta:
        raise ValueError(f"{VARIANTS / name}.cfg: [variant] needs a description")
    return meta


def build(name: str, seen: Tuple[str, ...] = ()) -> Section:
    """The whole config of ``name``."""
    if name in seen:
        raise ValueError(f"config variants form a cycle: {' -> '.join(seen + (name,))}")
    meta, changes = read(VARIANTS / f"{name}.cfg")
    config = build(meta["base"], seen + (name,)) if "base" in meta else {}
    for mixin in meta.get("mixins", []):
        config = overlay(config, read(MIXINS / f"{mixin}.cfg")[1])
    return overlay(config, changes)


def header(name: str) -> str:
    meta = variant(name)
    lines = textwrap.wrap(meta["description"], 110)
    if "base" in meta:
        mixins = "".join(f" + mixins/{m}.cfg" for m in meta.get("mixins", []))
        lines.append(f"Built from variants/{name}.cfg over {meta['base']}{mixins} by configs/build.py: edit those.")
    else:
        lines.append(f"Built from variants/{name}.cfg by configs/build.py: edit that file.")
    return "".join(f"# {line}\n" for line in lines)


def text(name: str) -> str:
    return header(name) + Config(build(name)).to_str() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    stale = []
    for name in names():
        path = CONFIGS / f"{name}.cfg"
        built = text(name)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != built:
                stale.append(path.name)
        else:
            path.write_text(built, encoding="utf-8")
    orphans = sorted(p.name for p in CONFIGS.glob("*.cfg") if p.stem not in names())
    if stale or orphans:
        print(f"out of date: {stale}; without a variant file: {orphans}; run python configs/build.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
