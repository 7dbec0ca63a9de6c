"""Text cleaning that never loses track of where each character came from.

Every edit (mojibake repair, LaTeX residue, line endings, invisible characters) is applied through
:class:`AlignedText`, which keeps for each cleaned character the span of the original text it came
from. A chunk cut from the cleaned text therefore maps back to exact offsets in the source file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import ftfy

Edit = tuple[int, int, str]  # replace text[start:end] with the string


class MappedText(Protocol):
    """A document's text and the map from its offsets to citation offsets."""

    @property
    def text(self) -> str: ...

    def to_original(self, start: int, end: int) -> tuple[int, int]: ...


@dataclass(frozen=True)
class PlainText:
    """Text whose offsets are the citation offsets (every format but plain text and Markdown)."""

    text: str

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span {start}:{end} outside text of length {len(self.text)}")
        return start, end


@dataclass(frozen=True)
class AlignedText:
    """Cleaned text plus, per character, the ``[start, end)`` span of the original it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    original_length: int

    @classmethod
    def identity(cls, text: str) -> AlignedText:
        n = len(text)
        return cls(text, tuple(range(n)), tuple(range(1, n + 1)), n)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the cleaned text to the original text."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span {start}:{end} outside text of length {len(self.text)}")
        if start == end:
            anchor = self.starts[start] if start < len(self.text) else self.original_length
            return anchor, anchor
        return self.starts[start], self.ends[end - 1]

    def apply(self, edits: Iterable[Edit]) -> AlignedText:
        """Apply non-overlapping edits (in any order) and compose the offset map.

        A replacement's characters all map to the whole original span it replaced; an insertion
        maps to the empty span at its position, so offsets stay monotonic and inside the original.
        """
        ordered = sorted(edits)
        if not ordered:
            return self
        text: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        cursor = 0
        for start, end, replacement in ordered:
            if start < cursor or end < start:
                raise ValueError("edits overlap or are malformed")
            text.append(self.text[cursor:start])
            starts.extend(self.starts[cursor:start])
            ends.extend(self.ends[cursor:start])
            if replacement:
                if end > start:
                    span_start, span_end = self.starts[start], self.ends[end - 1]
                else:
                    span_start = span_end = (
                        self.starts[start] if start < len(self.text) else self.original_length
                    )
                text.append(replacement)
                starts.extend([span_start] * len(replacement))
                ends.extend([span_end] * len(replacement))
            cursor = end
        text.append(self.text[cursor:])
        starts.extend(self.starts[cursor:])
        ends.extend(self.ends[cursor:])
        return AlignedText("".join(text), tuple(starts), tuple(ends), self.original_length)

    def sub(self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> AlignedText:
        """Regex substitution that keeps the offset map."""
        return self.apply((m.start(), m.end(), repl(m)) for m in pattern.finditer(self.text))


# `\text{---}` and friends: LaTeX residue left by a math-rendering export.
_LATEX_TEXT = re.compile(r"\\text\{([^{}\n]{0,80})\}")
_LATEX_DASHES = {"---": "\u2014", "--": "\u2013"}
# Zero-width and bidi control characters: invisible, and they break tokenization and matching.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CRLF = re.compile(r"\r\n?")
_LINE = re.compile(r"[^\n]+")
# cp1252 has no character for byte 0x9D, so a mojibake'd right quote (E2 80 9D) loses its last byte
# and ftfy cannot see it; put the byte back where the truncated sequence ends a word, then let ftfy
# decode it.
_TRUNCATED_QUOTE = re.compile("\u00e2\u20ac(?=\\s|$)", re.M)


def _latex_text(match: re.Match[str]) -> str:
    inner = match.group(1)
    return _LATEX_DASHES.get(inner, inner)


def _diff_edits(offset: int, before: str, after: str) -> list[Edit]:
    """Edits turning ``before`` into ``after``, anchored on ASCII characters only.

    Mojibake repair rewrites non-ASCII runs; a non-ASCII character that happens to survive in the
    repaired text ("Ÿ" in "ðŸ§" and in a repaired "\x9f") is not the same character, so only ASCII
    may anchor the alignment; inside a rewritten run of the same length, unchanged characters do.
    """
    masked_before = "".join(c if c.isascii() else "\0" for c in before)
    masked_after = "".join(c if c.isascii() else "\1" for c in after)
    matcher = difflib.SequenceMatcher(a=masked_before, b=masked_after, autojunk=False)
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old, new = before[i1:i2], after[j1:j2]
        if len(old) != len(new):
            edits.append((offset + i1, offset + i2, new))
            continue
        # Same length: characters left as they were stay anchored; each run of changed ones
        # is one edit (a run may be one glyph split in two, "Ç±" -> "DZ").
        k = 0
        while k < len(old):
            if old[k] == new[k]:
                k += 1
                continue
            end = k
            while end < len(old) and old[end] != new[end]:
                end += 1
            edits.append((offset + i1 + k, offset + i1 + end, new[k:end]))
            k = end
    return edits


def repair_encoding(aligned: AlignedText) -> AlignedText:
    """Undo mojibake with ftfy, line by line, keeping the character map."""
    edits: list[Edit] = []
    for match in _LINE.finditer(aligned.text):
        line = _TRUNCATED_QUOTE.sub("\u00e2\u20ac\x9d", match.group(0))
        fixed = ftfy.fix_text(line, normalization="NFC", uncurl_quotes=False, fix_line_breaks=False)
        if fixed != match.group(0):
            edits.extend(_diff_edits(match.start(), match.group(0), fixed))
    return aligned.apply(edits)


def clean_text(raw: str) -> AlignedText:
    """Clean a decoded document: line endings, invisible characters, mojibake, LaTeX residue."""
    aligned = AlignedText.identity(raw)
    aligned = aligned.sub(_CRLF, lambda m: "\n")
    aligned = aligned.sub(_INVISIBLE, lambda m: "")
    aligned = aligned.sub(_CONTROL, lambda m: "")
    aligned = repair_encoding(aligned)
    aligned = aligned.sub(_LATEX_TEXT, _latex_text)
    return aligned
