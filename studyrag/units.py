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

from studyrag.sentences import clean_sentence, normalize, split_sentences
from studyrag.types import Chunk

DIFFICULTY_LINE = re.compile(
    r"^\s*Difficulty:\s*(?P<level>Easy|Medium|Hard)\b(?:\s*\|\s*Roles:\s*(?P<roles>.+))?", re.I
)
"""A question bank's "Difficulty: Medium | Roles: ..." line (chunker metadata, quiz bank)."""
BULLET = re.compile(r"^\s*(?:[-*•·▪●◦‣+–]|\d{1,3}[.)]|[a-z][.)])(?=\s)\s*")
_LONE_MARKER = re.compile(r"^\s*(?:[-*•·▪●◦‣+–]|\d{1,3}[.)])\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S")
_Q_HEADING = re.compile(
    r"^\s{0,3}(?:#{1,6}\s+)?(?:\*\*)?\s*(?:Q|Question\s+)\d{1,3}\s*[.:)]", re.IGNORECASE
)
_CATEGORY = re.compile(r"^(?:Category|Section|Part|Chapter|Day)\s+\d+\b", re.IGNORECASE)
METADATA = re.compile(
    r"^(?:Difficulty|Roles?|Target roles|Tags?|Source|Reading time|Interview relevance"
    r"|(?:Expected |Model |Sample )?Answer(?: framework)?|Key points?"
    r"|What the interviewer is really asking)\s*(?::|$)",
    re.IGNORECASE,
)
_FOLLOW_UPS = re.compile(
    r"^(?:Follow-?ups?|Follow-?up questions?)(?:\s+questions?)?\s*:?\s*$", re.I
)
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
    if _MD_HEADING.match(raw) or _Q_HEADING.match(raw) or _CATEGORY.match(flat):
        return True
    return len(flat) >= 6 and flat.rstrip(":?.") in headings


def parse_units(text: str, headings: Iterable[str] = ()) -> list[Unit]:
    """Every unit of a passage, in document order, with offsets into ``text``.

    ``headings`` (the passage's heading path and title) are recognised when the passage repeats
    them as lines.
    """
    known = frozenset(normalize(clean_sentence(h)).rstrip(":?.") for h in headings if h.strip())
    units: list[Unit] = []
    label: int | None = None  # the open label and the indentation of its line
    label_indent = -1
    label_is_bullet = False
    in_follow_ups = False
    pending_marker = False  # a bullet marker alone on the line before ("-\nItem text")
    in_code = False
    lines = [m for m in re.finditer(r"[^\n]+", text) if m.group().strip()]
    for line_no, match in enumerate(lines):
        raw = match.group()
        if FENCE.match(raw):
            in_code = not in_code
            continue
        if in_code:  # code is quoted as it is, line by line, under the label that introduced it
            lead = len(raw) - len(raw.lstrip())
            start, end = match.start() + lead, match.start() + len(raw.rstrip())
            units.append(
                Unit(len(units), UnitKind.CODE, start, end, line_no, raw.strip(), label, lead // 2)
            )
            continue
        if _LONE_MARKER.match(raw):
            pending_marker = True
            continue
        marker = BULLET.match(raw)
        indent = len(raw) - len(raw.lstrip())
        bullet = bool(marker) or pending_marker or (indent >= 2 and label is not None)
        pending_marker = False
        body_start = match.start() + (marker.end() if marker else indent)
        body_end = match.start() + len(raw.rstrip())
        shown = clean_sentence(text[body_start:body_end])
        flat = normalize(shown)
        if not shown:
            continue

        def add(
            kind: UnitKind,
            start: int,
            end: int,
            shown_text: str,
            under: int | None,
            line_no: int = line_no,
            depth: int = indent // 2,
        ) -> None:
            units.append(Unit(len(units), kind, start, end, line_no, shown_text, under, depth))

        if _FOLLOW_UPS.match(shown):
            in_follow_ups, label = True, None
            add(UnitKind.FOLLOW_UP, body_start, body_end, shown, None)
            continue
        if in_follow_ups and (bullet or shown.endswith("?")):
            add(UnitKind.FOLLOW_UP, body_start, body_end, shown, None)
            continue
        in_follow_ups = False
        if METADATA.match(shown) and (
            shown.endswith(":") or len(shown.split()) <= 3 or "|" in shown
        ):
            add(UnitKind.METADATA, body_start, body_end, shown, None)
            label = None
            continue
        if not bullet and _is_heading(raw, flat, known):
            add(UnitKind.HEADING, body_start, body_end, shown, None)
            label = None
            continue
        if shown.endswith("?"):
            add(UnitKind.QUESTION, body_start, body_end, shown, label if bullet else None)
            if not bullet:
                label = None
            continue
        if is_framing(shown):
            add(UnitKind.FRAMING, body_start, body_end, shown, None)
            continue
        # A line closes the open label unless it is an item under it.
        if label is not None and not (bullet or _is_formula(shown) or _is_table_row(raw, shown)):
            if not (label_is_bullet and indent > label_indent):
                label = None
        elif label is not None and bullet and label_is_bullet and indent <= label_indent:
            label = units[label].label
        if shown.endswith(":") and len(shown.split()) <= _MAX_LABEL_WORDS:
            parent = label if bullet else None
            sentences = split_sentences(text[body_start:body_end], join_labels=True)
            for span in sentences[:-1]:  # "The factor of 2 is for K and V. For LLaMA 3 70B:"
                add(
                    UnitKind.SENTENCE,
                    body_start + span.start,
                    body_start + span.end,
                    clean_sentence(span.text),
                    parent,
                )
            if len(sentences) > 1:
                body_start += sentences[-1].start
                shown = clean_sentence(text[body_start:body_end])
            add(UnitKind.LABEL, body_start, body_end, shown, parent)
            label, label_indent, label_is_bullet = len(units) - 1, indent, bullet
            continue
        if _is_formula(shown) and not (marker and not _FORMULA_START.match(shown)):
            add(UnitKind.FORMULA, body_start, body_end, shown, label)
            continue
        if _is_table_row(raw, shown):
            add(UnitKind.TABLE_ROW, body_start, body_end, shown, label)
            continue
        if bullet and len(shown.split()) <= _MAX_BULLET_WORDS:
            add(UnitKind.BULLET, body_start, body_end, shown, label)
            continue
        kind = UnitKind.BULLET if bullet else UnitKind.SENTENCE
        for span in split_sentences(text[body_start:body_end], join_labels=True):
            start, end = body_start + span.start, body_start + span.end
            sentence = clean_sentence(span.text)
            if not sentence:
                continue
            if sentence.endswith("?"):
                sub_kind = UnitKind.QUESTION
            elif is_framing(sentence):
                sub_kind = UnitKind.FRAMING
            else:
                sub_kind = kind
            add(sub_kind, start, end, sentence, label if bullet else None)
    return units


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
