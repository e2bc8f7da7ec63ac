"""Dictionary files: one term per line, optionally followed by a label and a frequency.

Accepted lines (tab-separated; blank lines and lines starting with ``#`` are skipped):
``term``, ``term<TAB>frequency`` (THUOCL's form), ``term<TAB>label`` and
``term<TAB>label<TAB>frequency``. A term listed twice keeps its first label and the
sum of its frequencies.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

DEFAULT_LEXICON = Path(__file__).parent / "resources" / "THUOCL_medical.txt"


@dataclass(frozen=True)
class Term:
    text: str
    label: Optional[str] = None
    frequency: int = 1


def parse_line(line: str, source: str) -> Optional[Term]:
    line = line.rstrip("\r\n")
    if not line.strip() or line.startswith("#"):
        return None
    fields = line.split("\t")
    text = fields[0].strip()
    if not text:
        raise ValueError(f"{source}: empty term")
    if len(fields) == 1:
        return Term(text)
    if len(fields) == 2:
        second = fields[1].strip()
        return Term(text, frequency=_frequency(second, source)) if second.isdigit() else Term(text, second or None)
    if len(fields) == 3:
        return Term(text, fields[1].strip() or None, _frequency(fields[2].strip(), source))
    raise ValueError(f"{source}: expected term[<TAB>label][<TAB>frequency], got {len(fields)} fields")


def _frequency(value: str, source: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{source}: the frequency must be a positive whole number, got {value!r}")
    return int(value)


def read_lexicon(paths: Iterable[Union[str, Path]]) -> List[Term]:
    """Every term of the files, in first-seen order."""
    terms: Dict[str, Term] = {}
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"lexicon {path} does not exist")
        with open(path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                term = parse_line(line, f"{path}:{number}")
                if term is None:
                    continue
                seen = terms.get(term.text)
                frequency = term.frequency + (seen.frequency if seen else 0)
                terms[term.text] = Term(term.text, seen.label if seen else term.label, frequency)
    return list(terms.values())


class LexiconMatcher:
    """Every occurrence of every term in a text, found with an Aho-Corasick
    automaton (pyahocorasick), overlapping and nested matches included."""

    def __init__(self, terms: Sequence[str]) -> None:
        import ahocorasick

        self.automaton = ahocorasick.Automaton()
        for index, term in enumerate(terms):
            if term:
                self.automaton.add_word(term, (index, len(term)))
        self.empty = len(self.automaton) == 0
        if not self.empty:
            self.automaton.make_automaton()

    def matches(self, text: str) -> List[Tuple[int, int, int]]:
        """(start, end, term index) of each match, by end then length."""
        if self.empty or not text:
            return []
        return [(end + 1 - length, end + 1, index) for end, (index, length) in self.automaton.iter(text)]
