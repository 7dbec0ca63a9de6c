"""The units study documents are made of: sentences, bullet items, formula and calculation lines,
table rows, and label lines with the items under them, each with exact character offsets.

One parser for every stage that reads a passage as parts (the extractive composer, the LLM prompt,
citation validation): :func:`parse_units` classifies every line of a passage once, so "is this a
question, a heading, metadata or narrative framing?" has one answer everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from studyrag.text.question_bank import (
    FOLLOW_UPS_LABEL,
    METADATA_LINE,
    PART_LABEL,
    QUESTION_HEADING_START,
)
from studyrag.text.sentences import clean_sentence, normalize, split_sentences
from studyrag.types import Chunk

BULLET = re.compile(r"^\s*(?:[-*•·▪●◦‣+–]|\d{1,3}[.)]|[a-z][.)])(?=\s)\s*")
_LONE_MARKER = re.compile(r"^\s*(?:[-*•·▪●◦‣+–]|\d{1,3}[.)])\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S")
_FRAMING = re.compile(
    r"^(?:She|He|They|The interviewer|The hiring manager)\b[^.]{0,40}\b"
    r"(?:moves on|asks|says|continues|follows up|lands)\b"
    r"|^(?:The )?(?:first|second|third|next|final) question\b"
    r"|^(?:Third|Second|First|Next) question\s*:"
    r"|^This (?:chapter|guide|section|article|post|page|book)\b"
    r"|\bquestion bank\b|\binterview moment\b|^Skip to (?:main )?content"
    r"|^You are on the\b|^(?:For deeper|For more)\b.{0,80}\bsee\b"
    r"|^See\b.{0,120}\b(?:for|coverage)\b"
    r"|^Drill these\b|^Candidates who practice\b",
    re.IGNORECASE,
)
_QUOTED_QUESTION = re.compile(r"[\"“][^\"”]{8,}\?[\"”]")
_FORMULA_START = re.compile(r"^\s*(?:=|≈|~|approx\.?\s|≃|->|→)", re.IGNORECASE)
_OPERATOR = re.compile(r"[=≈^√∑]|\bO\(|\bsoftmax\(|\bsqrt\(")
_WORD = re.compile(r"[A-Za-z]{3,}")
NUMBER_WITH_UNIT = re.compile(
    r"(?<![\w.])(?:~|≈|about |approx\.? )?\d+(?:[.,]\d+)*\s*"
    r"(?:%|x\b|×|[KMGTP]i?B\b|bytes?\b|bits?\b|[KMBT]\b|tokens?\b|tok/s|ms\b|s\b|seconds?\b"
    r"|minutes?\b|hours?\b|days?\b|GPUs?\b|layers?\b|heads?\b|parameters?\b|params?\b"
    r"|billion\b|million\b|thousand\b|times\b|dimensions?\b|examples?\b|steps?\b|FLOPs?\b"
    r"|GHz\b|MHz\b|W\b|kW\b|dB\b|epochs?\b)",
    re.IGNORECASE,
)
_TABLE_CELLS = re.compile(r"\t|\s\|\s|^\|")
_GLUED = re.compile(r"[a-z0-9)][A-Z]")  # table rows flattened without separators
_MAX_LABEL_WORDS = 30
_MAX_BULLET_WORDS = 60


class UnitKind(StrEnum):
    """What a unit is; only the content kinds may be quoted as an answer."""

    SENTENCE = "sentence"
    BULLET = "bullet"
    FORMULA = "formula"  # a formula or calculation line: "= 2 * 80 * 8192", "approx 21.5 GB"
    CODE = "code"  # a line of a fenced code block: "$ git clone URL"
    TABLE_ROW = "table_row"
    LABEL = "label"  # "LoRA (Low-Rank Adaptation):" introduces the items under it
    HEADING = "heading"
    QUESTION = "question"
    METADATA = "metadata"  # "Difficulty: Medium | Roles: ...", "Expected Answer:"
    FOLLOW_UP = "follow_up"  # "Follow-ups:" and the questions under it
    FRAMING = "framing"  # narrative around the content: "She moves on: ..."


CONTENT_KINDS = frozenset(
    {
        UnitKind.SENTENCE,
        UnitKind.BULLET,
        UnitKind.FORMULA,
        UnitKind.CODE,
        UnitKind.TABLE_ROW,
        UnitKind.LABEL,
    }
)
LINE_KINDS = frozenset(
    {UnitKind.BULLET, UnitKind.FORMULA, UnitKind.CODE, UnitKind.TABLE_ROW, UnitKind.LABEL}
)
FENCE = re.compile(r"^\s{0,3}(?:```|~~~)")
"""A Markdown code fence line (the readers write ``` around code blocks)."""


@dataclass(frozen=True)
class Unit:
    """One unit of a passage: ``text[start:end]`` of the passage is exactly what it quotes."""

    index: int
    kind: UnitKind
    start: int
    end: int
    line: int  # which line of the passage it sits on
    text: str  # as shown: bullet marker and Markdown emphasis removed, one line
    label: int | None = None  # index of the label unit it sits under
    depth: int = 0  # indentation level of a bullet (0 = top)

    @property
    def quotable(self) -> bool:
        return self.kind in CONTENT_KINDS

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def has_quantity(self) -> bool:
        """Carries a number with its unit ("21.5 GB", "3x", "0.14%")."""
        return bool(NUMBER_WITH_UNIT.search(self.text))


def _is_formula(text: str) -> bool:
    """A calculation or formula line: starts with "=" / "approx", or is mostly symbols."""
    if _FORMULA_START.match(text):
        return True
    if text.endswith((".", "?", "!", ":")) or not _OPERATOR.search(text):
        return False
    words = _WORD.findall(text)
    return len(words) <= 12 and len(text) <= 160


def _is_table_row(raw: str, text: str) -> bool:
    cells = [c for c in re.split(r"\t+|\s\|\s|^\||\|$", raw.strip()) if c.strip()]
    if _TABLE_CELLS.search(raw.strip()) and len(cells) >= 2:
        return True
    return len(_GLUED.findall(text)) >= 3 and not text.endswith(".")


def is_framing(text: str) -> bool:
    """Narrative around the content rather than content: the story, the guide's self-description."""
    return bool(_FRAMING.search(text) or _QUOTED_QUESTION.search(text))


def _is_heading(raw: str, flat: str, headings: frozenset[str]) -> bool:
    if _MD_HEADING.match(raw) or QUESTION_HEADING_START.match(raw) or PART_LABEL.match(flat):
        return True
    return len(flat) >= 6 and flat.rstrip(":?.") in headings


def parse_units(text: str, headings: Iterable[str] = ()) -> list[Unit]:
    """Every unit of a passage, in document order, with offsets into ``text``.

    ``headings`` (the passage's heading path and title) are recognised when the passage repeats
    them as lines.
    """
    known = frozenset(normalize(clean_sentence(h)).rstrip(":?.") for h in headings if h.strip())
    return _UnitParser(text, known).run()


@dataclass
class _Line:
    """One non-empty line of a passage, read for its unit."""

    number: int
    raw: str
    marker: re.Match[str] | None  # its bullet or list number
    indent: int
    bullet: bool  # a list item (marker, marker on the line before, or indented under a label)
    start: int  # its content, after indentation and marker, in the passage
    end: int
    shown: str  # the content as shown (one line, emphasis removed)
    flat: str  # normalised, for heading matches


class _UnitParser:
    """Reads a passage line by line: code, structure (follow-ups, metadata, headings, questions,
    framing), labels and the items under them, then content (formulas, table rows, bullets,
    sentences)."""

    def __init__(self, text: str, known: frozenset[str]) -> None:
        self.text = text
        self.known = known
        self.units: list[Unit] = []
        self.label: int | None = None  # the open label and the indentation of its line
        self.label_indent = -1
        self.label_is_bullet = False
        self.in_follow_ups = False
        self.pending_marker = False  # a bullet marker alone on the line before ("-\nItem text")
        self.in_code = False

    def run(self) -> list[Unit]:
        lines = [m for m in re.finditer(r"[^\n]+", self.text) if m.group().strip()]
        for number, match in enumerate(lines):
            raw = match.group()
            if FENCE.match(raw):
                self.in_code = not self.in_code
            elif self.in_code:
                self._code(number, match)
            elif _LONE_MARKER.match(raw):
                self.pending_marker = True
            else:
                line = self._read(number, match)
                if line.shown and not self._structure(line):
                    self._track_label(line)
                    if not self._label(line):
                        self._content(line)
        return self.units

    def _add(
        self, line: _Line, kind: UnitKind, start: int, end: int, shown: str, under: int | None
    ) -> None:
        unit = Unit(len(self.units), kind, start, end, line.number, shown, under, line.indent // 2)
        self.units.append(unit)

    def _code(self, number: int, match: re.Match[str]) -> None:
        """Code is quoted as it is, line by line, under the label that introduced it."""
        raw = match.group()
        lead = len(raw) - len(raw.lstrip())
        start, end = match.start() + lead, match.start() + len(raw.rstrip())
        self.units.append(
            Unit(
                len(self.units),
                UnitKind.CODE,
                start,
                end,
                number,
                raw.strip(),
                self.label,
                lead // 2,
            )
        )

    def _read(self, number: int, match: re.Match[str]) -> _Line:
        raw = match.group()
        marker = BULLET.match(raw)
        indent = len(raw) - len(raw.lstrip())
        bullet = bool(marker) or self.pending_marker or (indent >= 2 and self.label is not None)
        self.pending_marker = False
        start = match.start() + (marker.end() if marker else indent)
        end = match.start() + len(raw.rstrip())
        shown = clean_sentence(self.text[start:end])
        return _Line(number, raw, marker, indent, bullet, start, end, shown, normalize(shown))

    def _structure(self, line: _Line) -> bool:
        """Follow-ups, metadata, headings, questions and framing: True when the line was one."""
        shown, start, end = line.shown, line.start, line.end
        if FOLLOW_UPS_LABEL.match(shown):
            self.in_follow_ups, self.label = True, None
            self._add(line, UnitKind.FOLLOW_UP, start, end, shown, None)
            return True
        if self.in_follow_ups and (line.bullet or shown.endswith("?")):
            self._add(line, UnitKind.FOLLOW_UP, start, end, shown, None)
            return True
        self.in_follow_ups = False
        if METADATA_LINE.match(shown) and (
            shown.endswith(":") or len(shown.split()) <= 3 or "|" in shown
        ):
            self._add(line, UnitKind.METADATA, start, end, shown, None)
            self.label = None
            return True
        if not line.bullet and _is_heading(line.raw, line.flat, self.known):
            self._add(line, UnitKind.HEADING, start, end, shown, None)
            self.label = None
            return True
        if shown.endswith("?"):
            self._add(
                line, UnitKind.QUESTION, start, end, shown, self.label if line.bullet else None
            )
            if not line.bullet:
                self.label = None
            return True
        if is_framing(shown):
            self._add(line, UnitKind.FRAMING, start, end, shown, None)
            return True
        return False

    def _track_label(self, line: _Line) -> None:
        """A line closes the open label unless it is an item under it."""
        if self.label is None:
            return
        if not (line.bullet or _is_formula(line.shown) or _is_table_row(line.raw, line.shown)):
            if not (self.label_is_bullet and line.indent > self.label_indent):
                self.label = None
        elif line.bullet and self.label_is_bullet and line.indent <= self.label_indent:
            self.label = self.units[self.label].label

    def _label(self, line: _Line) -> bool:
        """A short line ending in ":" opens a label (sentences before it on the line stay
        sentences): True when the line was one."""
        if not (line.shown.endswith(":") and len(line.shown.split()) <= _MAX_LABEL_WORDS):
            return False
        parent = self.label if line.bullet else None
        start, shown = line.start, line.shown
        sentences = split_sentences(self.text[start : line.end], join_labels=True)
        for span in sentences[:-1]:  # "The factor of 2 is for K and V. For LLaMA 3 70B:"
            self._add(
                line,
                UnitKind.SENTENCE,
                start + span.start,
                start + span.end,
                clean_sentence(span.text),
                parent,
            )
        if len(sentences) > 1:
            start += sentences[-1].start
            shown = clean_sentence(self.text[start : line.end])
        self._add(line, UnitKind.LABEL, start, line.end, shown, parent)
        self.label, self.label_indent, self.label_is_bullet = (
            len(self.units) - 1,
            line.indent,
            line.bullet,
        )
        return True

    def _content(self, line: _Line) -> None:
        """A formula, a table row, a short bullet, or the line's sentences."""
        shown, start, end = line.shown, line.start, line.end
        if _is_formula(shown) and not (line.marker and not _FORMULA_START.match(shown)):
            self._add(line, UnitKind.FORMULA, start, end, shown, self.label)
            return
        if _is_table_row(line.raw, shown):
            self._add(line, UnitKind.TABLE_ROW, start, end, shown, self.label)
            return
        if line.bullet and len(shown.split()) <= _MAX_BULLET_WORDS:
            self._add(line, UnitKind.BULLET, start, end, shown, self.label)
            return
        kind = UnitKind.BULLET if line.bullet else UnitKind.SENTENCE
        for span in split_sentences(self.text[start:end], join_labels=True):
            sentence = clean_sentence(span.text)
            if not sentence:
                continue
            if sentence.endswith("?"):
                sub_kind = UnitKind.QUESTION
            elif is_framing(sentence):
                sub_kind = UnitKind.FRAMING
            else:
                sub_kind = kind
            under = self.label if line.bullet else None
            self._add(line, sub_kind, start + span.start, start + span.end, sentence, under)


def units_of(chunk: Chunk) -> list[Unit]:
    """The units of a chunk's text, its heading path and title known as headings."""
    return parse_units(chunk.text, (*chunk.heading_path, chunk.title))


def label_chain(units: Sequence[Unit], unit: Unit) -> list[Unit]:
    """The labels above a unit, outermost first."""
    chain: list[Unit] = []
    current = unit.label
    while current is not None and len(chain) < 4:
        chain.insert(0, units[current])
        current = units[current].label
    return chain


_MIN_QUOTE_WORDS = 2
_STATEMENT_LABEL_WORDS = 6  # "RMSNorm removes the mean-centering step ...:" states something


def worth_quoting(unit: Unit) -> bool:
    """A content unit that says something on its own (or sits under a label that gives it a
    subject): what answers quote and what the unit reranker scores."""
    if unit.kind not in CONTENT_KINDS:
        return False
    if unit.kind is UnitKind.LABEL and unit.words < _STATEMENT_LABEL_WORDS:
        return False
    return (
        unit.words >= _MIN_QUOTE_WORDS
        or unit.kind in (UnitKind.FORMULA, UnitKind.CODE)
        or unit.label is not None
    )


def scored_text(title: str, units: Sequence[Unit], unit: Unit) -> str:
    """What a relevance scorer reads for a unit: the passage title and the unit's labels give a
    bare item or formula its subject."""
    parts = [p for p in (title, *(u.text for u in label_chain(units, unit)), unit.text) if p]
    return " ".join(parts)


def items_of(units: Sequence[Unit], label: Unit) -> list[Unit]:
    """The units directly under a label."""
    return [u for u in units if u.label == label.index]


def short_label(text: str) -> str:
    """A label without its colon and aside: "ALiBi (Attention with Linear Biases):" -> "ALiBi"."""
    bare = text.rstrip(":").strip()
    shorter = re.sub(r"\s*\([^()]*\)", "", bare).strip()
    return shorter or bare
