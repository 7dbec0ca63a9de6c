"""Find where an answer sentence sits inside a passage (exact first, then fuzzy)."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from studyrag.generate.base import Answer
from studyrag.types import Citation

_MARKERS = re.compile(r"\s*(?:\[\s*\d{1,3}(?:\s*(?:[,;]|-|–)\s*\d{1,3})*\s*\]|\[unsupported\])")
MIN_FUZZY_SCORE = 85.0


def strip_markers(text: str) -> str:
    """``"A fact [1][2]."`` -> ``"A fact."``."""
    return _MARKERS.sub("", text).strip()


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span to whole words and trim the whitespace around it."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def locate(sentence: str, text: str, min_score: float = MIN_FUZZY_SCORE) -> tuple[int, int] | None:
    """``[start, end)`` of ``sentence`` in ``text``, or None when it is not (nearly) there."""
    needle = strip_markers(sentence).rstrip(".!?;: ")
    if len(needle) < 8:
        return None
    found = text.find(needle)
    if found >= 0:
        return found, found + len(needle)
    found = text.lower().find(needle.lower())
    if found >= 0:
        return found, found + len(needle)
    alignment = fuzz.partial_ratio_alignment(needle, text, score_cutoff=min_score)
    if alignment is None or alignment.dest_end <= alignment.dest_start:
        return None
    return _snap(text, alignment.dest_start, alignment.dest_end)


def supporting_sentences(answer: Answer, n: int) -> list[str]:
    """Answer sentences that cite passage ``n`` and were found supported by it."""
    return [s.text for s in answer.sentences if n in s.citations and s.supported]


def supporting_spans(answer: Answer, citation: Citation) -> list[tuple[int, int]]:
    """Spans of ``citation``'s passage text that the answer quotes (exact offsets when known)."""
    quoted = [(q.start, q.end) for q in answer.quotes if q.n == citation.n]
    if quoted:
        return quoted
    spans = []
    for sentence in supporting_sentences(answer, citation.n):
        span = locate(sentence, citation.passage.text)
        if span:
            spans.append(span)
    return spans
