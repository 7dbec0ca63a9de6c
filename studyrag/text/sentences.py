"""Sentence splitting with character offsets (NLTK punkt_tab, bundled with llama-index-core)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from studyrag.model_files import nltk_data_dir

if TYPE_CHECKING:
    from nltk.tokenize.punkt import PunktSentenceTokenizer

# Abbreviations punkt's English model misses in technical prose ("e.g.", "Fig. 2", "vs.").
_EXTRA_ABBREVIATIONS = frozenset(
    ["e.g", "i.e", "vs", "etc", "fig", "eq", "approx", "cf", "al", "no", "sec", "ch", "resp"]
)
_BULLET = re.compile(r"^\s*(?:[-*•·▪●◦‣+>]|\d{1,3}[.)]|[a-z][.)]|#{1,6})(?=\s)\s*")
_MARKDOWN = re.compile(r"\*\*|__|`")
_SPACES = re.compile(r"\s+")
_LABEL_WORDS = 4
_CITED_END = re.compile(r"\]\s*[.!?]?\s*$")
# The plain splitter's boundary: end punctuation, space, a capital or digit (not after e.g./i.e.).
SENTENCE_END = re.compile(
    r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\betc\.)(?<=[.!?])[\"'”)]?\s+(?=[\"“(\[]?[A-Z0-9])"
)


@dataclass(frozen=True)
class Span:
    """A piece of a text with its ``[start, end)`` character offsets in that text."""

    text: str
    start: int
    end: int


@cache
def _tokenizer() -> PunktSentenceTokenizer:
    """punkt_tab English parameters read from the bundled files (no download, no NLTK path).

    NLTK is imported here, on the first split: its package import pulls in scipy, pandas and
    scikit-learn (~1 s), which commands that never split a sentence (ingest, status) skip."""
    from nltk.tabdata import PunktDecoder
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    folder = nltk_data_dir() / "tokenizers" / "punkt_tab" / "english"
    decoder = PunktDecoder()
    params = PunktParameters()
    with open(folder / "collocations.tab", encoding="utf-8") as handle:
        params.collocations = set(decoder.tab2tups(handle))
    with open(folder / "sent_starters.txt", encoding="utf-8") as handle:
        params.sent_starters = decoder.txt2set(handle)
    with open(folder / "abbrev_types.txt", encoding="utf-8") as handle:
        params.abbrev_types = decoder.txt2set(handle) | _EXTRA_ABBREVIATIONS
    with open(folder / "ortho_context.tab", encoding="utf-8") as handle:
        params.ortho_context = decoder.tab2intdict(handle)
    return PunktSentenceTokenizer(params)


def split_sentences(text: str, join_labels: bool = False) -> list[Span]:
    """Sentences of ``text``: lines are hard boundaries, punkt splits inside each line.

    ``join_labels`` keeps a short lead-in ("QLoRA." / "Benefit:") with the sentence after it.
    """
    spans: list[Span] = []
    tokenizer = _tokenizer()
    for line in re.finditer(r"[^\n]+", text):
        if not line.group().strip():
            continue
        bounds: list[tuple[int, int]] = []
        for start, end in tokenizer.span_tokenize(line.group()):
            if bounds and _not_a_boundary(
                line.group()[bounds[-1][0] : bounds[-1][1]], line.group()[start:end]
            ):
                bounds[-1] = (bounds[-1][0], end)
            else:
                bounds.append((start, end))
        for start, end in bounds:
            spans.append(
                Span(
                    text[line.start() + start : line.start() + end],
                    line.start() + start,
                    line.start() + end,
                )
            )
    return _with_labels(text, spans) if join_labels else spans


def _not_a_boundary(before: str, after: str) -> bool:
    """Punkt splits "q_i . k_j" and "... approx. 3x": a spaced period or a lowercase restart.

    A citation marker ("... [2].") always ends a sentence.
    """
    if _CITED_END.search(before):
        return False
    return before.endswith(" .") or after[:1].islower()


def _with_labels(text: str, spans: Sequence[Span]) -> list[Span]:
    """Join a short uncited lead-in ("QLoRA." / "Benefit:") to the next sentence on its line."""
    joined: list[Span] = []
    for span in spans:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and len(previous.text.split()) < _LABEL_WORDS
            and previous.text.rstrip()[-1:] in ".:"
            and not _CITED_END.search(previous.text)
            and "\n" not in text[previous.end : span.start]
        ):
            joined[-1] = Span(text[previous.start : span.end], previous.start, span.end)
        else:
            joined.append(span)
    return joined


def is_bullet(text: str) -> bool:
    """A list item: starts with a bullet or item number."""
    return bool(_BULLET.match(text))


def clean_sentence(text: str) -> str:
    """A sentence as shown in an answer: no bullet marker, no Markdown emphasis, one-line."""
    text = _BULLET.sub("", text)
    text = _MARKDOWN.sub("", text)
    return _SPACES.sub(" ", text).strip()


def normalize(text: str) -> str:
    """Lowercase, Markdown-free, single-spaced text for fuzzy comparison."""
    return _SPACES.sub(" ", _MARKDOWN.sub("", text)).strip().lower()


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """``[start, end)`` spans of the sentences of ``text``, shifted by ``offset``: the plain
    regex splitter (no punkt) that packs long lines into chunks and splits key points and a
    student's answer. :func:`split_sentences` (punkt) is for quoting documents."""
    spans, cursor = [], 0
    for match in SENTENCE_END.finditer(text):
        spans.append((cursor, match.start() + len(match.group(0).rstrip())))
        cursor = match.end()
    spans.append((cursor, len(text)))
    return [(offset + s, offset + e) for s, e in spans if text[s:e].strip()]
