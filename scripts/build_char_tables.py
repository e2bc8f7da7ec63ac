"""Build the character tables that spacy_cner ships (run once; needs Debian packages).

    apt-get install ibus-table-wubi fcitx-table-zhengma fcitx-table-zhengma-large fcitx-tools \
        rime-data-stroke fonts-noto-cjk
    python scripts/build_char_tables.py

Writes spacy_cner/features/resources/: one canonical Wubi 86 code, Zheng code and
stroke sequence (digits 1-5) per character of U+4E00-U+9FA5, and 14x14 binary
glyphs (Noto Sans CJK SC Regular) for those characters plus ASCII, full-width
forms and the punctuation common in medical records. The package reads only
these files: installing it needs none of the Debian packages.
"""

import gzip
import sqlite3
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

import numpy
from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parents[1] / "spacy_cner" / "features" / "resources"
CJK = [chr(c) for c in range(0x4E00, 0x9FA6)]
EXTRA_GLYPHS = (
    [chr(c) for c in range(0x21, 0x7F)]  # ASCII
    + [chr(c) for c in range(0xFF01, 0xFF5F)]  # full-width forms
    + [chr(c) for c in range(0x3001, 0x3020)]  # CJK punctuation
    + list("‘’“”…—–·×÷±°℃μαβγδ≤≥≠≈→←↑↓‰※√∶")
)
WUBI_DB = "/usr/share/ibus-table/tables/wubi-jidian86.db"
ZHENGMA_MB = "/usr/share/fcitx/table/zhengma.mb"
ZHENGMA_LARGE_MB = "/usr/share/fcitx/table/zhengma-large.mb"  # only for chars the main table lacks (敻)
STROKE_DICT = "/usr/share/rime-data/stroke.dict.yaml"
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONT_INDEX = 2  # Noto Sans CJK SC Regular inside the collection
GLYPH_SIZE = 14


def wubi_codes() -> Dict[str, str]:
    """``goucima``, except radical codes (``z...``): then the longest non-z phrase code."""
    db = sqlite3.connect(WUBI_DB)
    codes = dict(db.execute("select zi, goucima from goucima"))
    phrase_codes = defaultdict(list)
    for keys, phrase in db.execute("select tabkeys, phrase from phrases where length(phrase) = 1"):
        phrase_codes[phrase].append(keys)
    table = {}
    for char in CJK:
        code = codes.get(char, "")
        if not code or code.startswith("z"):
            candidates = sorted((c for c in phrase_codes[char] if not c.startswith("z")), key=lambda c: (-len(c), c))
            code = candidates[0] if candidates else code
        if code:
            table[char] = code
    return table


def zheng_codes() -> Dict[str, str]:
    table = zheng_codes_from(ZHENGMA_LARGE_MB)
    table.update(zheng_codes_from(ZHENGMA_MB))
    return table


def zheng_codes_from(mb_table: str) -> Dict[str, str]:
    """From the construct code ``^xx``: the longest code of the char that starts with
    it; a trailing ``vv`` is dropped when the 3-letter prefix is a code too; ties go
    alphabetically. Chars with no construct code take their longest code."""
    dump = subprocess.run(["mb2txt", mb_table], capture_output=True, text=True, check=True).stdout
    data = dump.split("[Data]\n", 1)[1]
    codes: Dict[str, List[str]] = defaultdict(list)
    constructs: Dict[str, List[str]] = defaultdict(list)
    for line in data.splitlines():
        code, _, text = line.partition(" ")
        if len(text) != 1:
            continue
        if code.startswith("^"):
            constructs[text].append(code[1:])
        else:
            codes[text].append(code)
    table = {}
    for char in CJK:
        own = codes.get(char, [])
        prefixes = constructs.get(char, [])
        candidates = [c for c in own if any(c.startswith(p) for p in prefixes)] or own
        if not candidates:
            continue
        code = sorted(candidates, key=lambda c: (-len(c), c))[0]
        if code.endswith("vv") and code[:3] in own:
            code = code[:3]
        table[char] = code
    return table


def stroke_codes() -> Dict[str, str]:
    """h s p n z -> 1-5; for a char listed twice the later (mainland) row wins."""
    digits = str.maketrans("hspnz", "12345")
    table = {}
    rows = Path(STROKE_DICT).read_text(encoding="utf-8").split("\n...\n", 1)[1]
    for line in rows.splitlines():
        char, _, code = line.partition("\t")
        if len(char) == 1 and code and not line.startswith("#"):
            table[char] = code.split("\t")[0].translate(digits)
    return {c: table[c] for c in CJK if c in table}


def render_glyph(font: ImageFont.FreeTypeFont, char: str) -> numpy.ndarray:
    """Hinted 14 px drawn straight to 1 bit, on a padded canvas, then shifted just
    enough that all ink fits the 14x14 cell (drawing at the baseline clips dots)."""
    pad = GLYPH_SIZE
    canvas = Image.new("1", (3 * GLYPH_SIZE, 3 * GLYPH_SIZE), 0)
    draw = ImageDraw.Draw(canvas)
    draw.fontmode = "1"
    draw.text((pad, pad + round(0.88 * GLYPH_SIZE)), char, fill=1, font=font, anchor="ls")
    ink = numpy.array(canvas, dtype=bool)
    left, top = pad, pad
    rows, cols = numpy.nonzero(ink)
    if len(rows):
        top = min(max(top, rows.max() - GLYPH_SIZE + 1), rows.min())
        left = min(max(left, cols.max() - GLYPH_SIZE + 1), cols.min())
    return ink[top : top + GLYPH_SIZE, left : left + GLYPH_SIZE]


def write_table(name: str, table: Dict[str, str]) -> None:
    lines = "".join(f"{char}\t{code}\n" for char, code in sorted(table.items()))
    with gzip.GzipFile(OUT / name, "wb", mtime=0) as out:  # mtime=0: rebuilds are byte-identical
        out.write(lines.encode("utf-8"))
    print(f"{name}: {len(table)} characters ({len(table) / len(CJK):.2%} of U+4E00-U+9FA5)")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write_table("wubi86.tsv.gz", wubi_codes())
    write_table("zhengma.tsv.gz", zheng_codes())
    write_table("strokes.tsv.gz", stroke_codes())
    font = ImageFont.truetype(FONT, GLYPH_SIZE, index=FONT_INDEX)
    chars = CJK + [c for c in dict.fromkeys(EXTRA_GLYPHS) if c not in CJK]
    bitmaps = numpy.stack([render_glyph(font, c) for c in chars])
    numpy.savez_compressed(
        OUT / "glyphs.npz", chars=numpy.array(chars), bits=numpy.packbits(bitmaps.reshape(len(chars), -1), axis=1)
    )
    print(f"glyphs.npz: {len(chars)} glyphs, {(OUT / 'glyphs.npz').stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
