"""Per-character codes and glyphs from the tables in ``resources/``.

- Wubi 86 ("5-stroke") and Zheng codes: letters, one canonical code per character;
- stroke order: digits 1-5 (horizontal, vertical, left-falling, dot, turning);
- pinyin with tone marks, read by pypinyin over the whole text so that context
  picks the reading (吐 is tǔ alone, tù in 呕吐);
- 14x14 binary glyphs (Noto Sans CJK SC Regular).

A character without a code (Latin, digits, emoji, rare CJK) gets the empty code
``""`` and, without a glyph, an all-zero image: defined fallbacks, not errors.
Tables load lazily on first use and are then shared.
"""

import gzip
from functools import lru_cache
from importlib.resources import files
from typing import Dict, List, Sequence, Tuple

import numpy

CODE_TABLES = {"wubi": "wubi86.tsv.gz", "zheng": "zhengma.tsv.gz", "stroke": "strokes.tsv.gz"}
CODE_TYPES = ("wubi", "zheng", "pinyin", "stroke")
GLYPH_SIZE = 14
RESOURCES = files(__package__) / "resources"


@lru_cache(maxsize=None)
def code_table(code_type: str) -> Dict[str, str]:
    if code_type not in CODE_TABLES:
        raise ValueError(f"No table for code type {code_type!r}: choose from {sorted(CODE_TABLES)}")
    text = gzip.decompress((RESOURCES / CODE_TABLES[code_type]).read_bytes()).decode("utf-8")
    return dict(line.split("\t") for line in text.splitlines())


@lru_cache(maxsize=None)
def glyph_table() -> Tuple[Dict[str, int], numpy.ndarray]:
    """{char: row} and the packed bitmaps, one row of bits per character."""
    with (RESOURCES / "glyphs.npz").open("rb") as stream:
        data = numpy.load(stream, allow_pickle=False)
        chars, bits = data["chars"], data["bits"]
    return {str(c): i for i, c in enumerate(chars)}, bits


def glyphs(chars: Sequence[str]) -> numpy.ndarray:
    """(len(chars), 14, 14) float32 images with ink = 1."""
    index, bits = glyph_table()
    rows = numpy.zeros((len(chars), bits.shape[1]), dtype=numpy.uint8)
    for i, char in enumerate(chars):
        if char in index:
            rows[i] = bits[index[char]]
    pixels = numpy.unpackbits(rows, axis=1, count=GLYPH_SIZE * GLYPH_SIZE)
    return pixels.reshape(len(chars), GLYPH_SIZE, GLYPH_SIZE).astype("float32")


@lru_cache(maxsize=20000)
def pinyin_of(text: str) -> Tuple[str, ...]:
    """One reading per character of ``text`` ("" where there is none). Cached:
    training sees the same records every epoch."""
    from pypinyin import Style, lazy_pinyin

    readings = lazy_pinyin(text, style=Style.TONE, errors=lambda chunk: [""] * len(chunk))
    if len(readings) != len(text):  # never seen; keep the one-reading-per-character contract
        readings = [lazy_pinyin(char, style=Style.TONE, errors=lambda c: [""])[0] for char in text]
    return tuple(readings)


def codes_of(text: str, code_type: str) -> List[str]:
    """The ``code_type`` code of every character of ``text``."""
    if code_type == "pinyin":
        return list(pinyin_of(text))
    table = code_table(code_type)
    return [table.get(char, "") for char in text]


def stroke_counts(stroke_code: str) -> List[int]:
    """How many strokes of each of the five kinds (paper 000's 5-dimension vector)."""
    return [stroke_code.count(kind) for kind in "12345"]
