"""Split a model answer into key points, each citing its exact span of the original file.

A key point is one bullet, list item or paragraph of the answer; paragraphs longer than
``max_chars`` are cut at sentence ends into several points. Label lines (``Retrieval metrics:``)
become the label of the points under them; formula lines and cross-references (``See ...``) are not
points a student could be graded on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from studyrag.ingest.chunker import Line, split_lines
from studyrag.ingest.cleaner import MappedText
from studyrag.text.sentences import sentence_spans
from studyrag.text.units import BULLET
from studyrag.types import Citation

MAX_POINT_CHARS = 350
MIN_POINT_WORDS = 3
_ALPHA_WORD = re.compile(r"[^\W\d_]{2,}")
_CROSS_REFERENCE = re.compile(r"^(?:for [^,.]{1,60},\s*)?see [A-Z]", re.I)
_EMPHASIS = re.compile(r"\*{1,2}|`")
# Where a sentence splits into clauses that may each carry one idea.
_CLAUSE_BREAK = re.compile(
    r"\s*[;:\u2014\u2013]\s+|,?\s+(?:so|which|but|whereas|while)\s+|,\s+and\s+"
)
MIN_CLAUSE_WORDS = 3


@dataclass(frozen=True)
class KeyPoint:
    """One gradable point of a reference answer."""

    text: str
    citation: Citation
    label: str = ""
    pieces: tuple[str, ...] = ()  # its sentences, matched one by one against the student's

    @property
    def in_context(self) -> tuple[str, ...]:
        """The point after its label (``RoPE: Encodes position by rotating ...``), if it has one."""
        return (f"{self.label}: {self.text}",) if self.label else ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "label": self.label, "citation": self.citation.to_list()}


def display(text: str) -> str:
    """Text without Markdown emphasis, on one line."""
    return " ".join(_EMPHASIS.sub("", text).split())


def word_count(text: str) -> int:
    return len(_ALPHA_WORD.findall(text))


def split_sentences(text: str) -> list[str]:
    """Sentences and lines of free text (a student's answer)."""
    sentences: list[str] = []
    for line in split_lines(text):
        sentences.extend(line.text[s:e].strip() for s, e in sentence_spans(line.text))
    return sentences


def answer_units(text: str) -> list[str]:
    """A student's answer as sentences plus their clauses (one idea may be half a sentence)."""
    units: list[str] = []
    for sentence in split_sentences(text):
        units.append(sentence)
        clauses = [c.strip(" ,.") for c in _CLAUSE_BREAK.split(sentence)]
        clauses = [c for c in clauses if word_count(c) >= MIN_CLAUSE_WORDS]
        if len(clauses) > 1:
            units.extend(clauses)
    return list(dict.fromkeys(units))


def _content_start(line: Line) -> int:
    """Offset where a line's content begins, after indentation and any bullet marker."""
    match = BULLET.match(line.text)
    lead = match.end() if match else len(line.text) - len(line.text.lstrip())
    return line.start + lead


def _is_label(content: str) -> bool:
    plain = display(content)
    return plain.endswith(":") and len(plain) <= 80 and len(sentence_spans(plain)) == 1


def _group(spans: Sequence[tuple[int, int]], max_chars: int) -> list[list[tuple[int, int]]]:
    """Consecutive sentences packed into groups of at most ``max_chars`` characters."""
    groups: list[list[tuple[int, int]]] = []
    for span in spans:
        if groups and span[1] - groups[-1][0][0] <= max_chars:
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


def extract_key_points(
    lines: Sequence[Line],
    aligned: MappedText,
    source: str,
    max_chars: int = MAX_POINT_CHARS,
) -> list[KeyPoint]:
    """Key points of answer lines given in ``aligned.text`` coordinates."""
    points: list[KeyPoint] = []
    label = ""
    for line in lines:
        start = _content_start(line)
        content = aligned.text[start : line.end]
        if _is_label(content):
            label = display(content).rstrip(":").strip()
            continue
        sentences = [
            (s, e)
            for s, e in sentence_spans(content, start)
            if not _CROSS_REFERENCE.match(display(aligned.text[s:e]))
        ]
        for group in _group(sentences, max_chars):
            span_start, span_end = group[0][0], group[-1][1]
            text = display(aligned.text[span_start:span_end])
            if word_count(text) < MIN_POINT_WORDS:
                continue
            pieces = tuple(display(aligned.text[s:e]) for s, e in group)
            original = aligned.to_original(span_start, span_end)
            points.append(KeyPoint(text, Citation(source, *original), label, pieces))
    return points


def passage_lines(aligned: MappedText, original_start: int, original_end: int) -> list[Line]:
    """The lines of ``aligned.text`` that lie inside a span of the original text."""
    inside = []
    for line in split_lines(aligned.text):
        start, end = aligned.to_original(line.start, line.end)
        if original_start <= start and end <= original_end:
            inside.append(line)
    return inside
