"""Extractive answers: the best-supported sentences of the top passages, each cited ``[n]``.

No language model writes anything: every sentence is copied from a passage (bullet markers and
Markdown emphasis removed), so every sentence is in the passage it cites by construction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from studyrag.generate.base import Generator, Passage
from studyrag.generate.citations import with_markers
from studyrag.generate.injection import looks_like_instruction
from studyrag.generate.sentences import (
    Span,
    clean_sentence,
    is_bullet,
    normalize,
    split_sentences,
)
from studyrag.settings import Settings

SentenceScorer = Callable[[str, Sequence[str]], np.ndarray]
"""Relevance of each sentence to the question (higher is better), e.g. cross-encoder logits."""

_LABEL = re.compile(r"^(?:Q\d{1,3}|Question\s+\d{1,3}|Category\s+\d+)\s*[.:)\-—–]", re.IGNORECASE)
_METADATA = re.compile(
    r"^(?:Difficulty|Roles?|Tags?|Source|Answer|Expected Answer|Follow-?ups?)\s*:", re.I
)
_GLUED = re.compile(r"[a-z][A-Z]")  # table rows flattened without separators: "ComputeData size"
_ANAPHORA = re.compile(r"^(?:This|That|These|Those|It|Its|They|Their|Such|Both|Here)\b")
_MIN_WORDS = 4
_ASIDE = re.compile(r"\s*\([^()]*\)")
_LABEL_MAX_WORDS = 10  # "ALiBi (Attention with Linear Biases — BLOOM, MPT):"


@dataclass(frozen=True)
class Candidate:
    """A sentence of passage ``n`` that could go into the answer."""

    n: int
    rank: int  # position of the passage in the list (0 = best)
    index: int  # position of the sentence inside its passage
    span: Span
    text: str  # cleaned, as shown
    context: str = ""  # the passage title, which the scorer sees before the sentence
    label: str = ""  # the "QLoRA:" line the bullet sits under (already prefixed to text)

    @property
    def scored_text(self) -> str:
        """What the scorer reads: the title gives a bare bullet its subject."""
        return f"{self.context}: {self.text}" if self.context else self.text


def _short_label(text: str) -> str:
    """A label line without its aside: "ALiBi (Attention with Linear Biases — BLOOM)" -> "ALiBi"."""
    return _ASIDE.sub("", text).strip() or text.strip()


def answer_sentences(passage: Passage, rank: int) -> list[Candidate]:
    """Sentences of a passage worth quoting: not headings, questions, labels or table rows."""
    chunk = passage.chunk
    title = normalize(clean_sentence(chunk.title)) if chunk.title else ""
    headings = {normalize(clean_sentence(h)) for h in chunk.heading_path}
    found: list[Candidate] = []
    label = ""  # a short "QLoRA:" line names the subject of the bullets under it
    for index, span in enumerate(split_sentences(chunk.text, join_labels=True)):
        text = clean_sentence(span.text)
        flat = normalize(text)
        starts_line = span.start == 0 or chunk.text[span.start - 1] == "\n"
        if starts_line and text.endswith(":") and len(text.split()) <= _LABEL_MAX_WORDS:
            label = "" if _METADATA.match(text) else _short_label(text[:-1])
            continue
        if starts_line and not is_bullet(span.text):
            label = ""
        elif label and is_bullet(span.text) and not text.startswith(label):
            text = f"{label}: {text}"
        if (
            len(text.split()) < _MIN_WORDS
            or text.endswith("?")
            or (text.endswith(":") and len(text.split()) <= 8)
            or _LABEL.match(text)
            or _METADATA.match(text)
            or len(_GLUED.findall(text)) >= 3
            or (flat in title and len(flat) >= 10)
            or flat in headings
            or looks_like_instruction(text)
        ):
            continue
        context = clean_sentence(chunk.title)
        found.append(Candidate(passage.n, rank, index, span, text, context, label))
    return found


class ExtractiveGenerator(Generator):
    """Chooses sentences by relevance to the question; orders them by passage, then position."""

    name = "extractive"

    def __init__(self, settings: Settings, score_sentences: SentenceScorer) -> None:
        self.max_sentences = settings.answer_max_sentences
        self.max_chars = settings.extractive_max_chars
        self.margin = settings.extractive_margin
        self.min_score = settings.extractive_min_score
        self.score_sentences = score_sentences

    def generate(self, question: str, passages: Sequence[Passage]) -> str:
        candidates = [c for rank, p in enumerate(passages) for c in answer_sentences(p, rank)]
        if not candidates:
            return ""
        scores = self.score_sentences(question, [c.scored_text for c in candidates])
        chosen = self.select(candidates, [float(s) for s in scores])
        return render(chosen, scores_by_key(candidates, scores))

    def select(self, candidates: Sequence[Candidate], scores: Sequence[float]) -> list[Candidate]:
        """Best sentence first, then those within the margin; no near-duplicates; within budget."""
        order = sorted(range(len(candidates)), key=lambda i: (-scores[i], candidates[i].rank))
        floor = max(scores[order[0]] - self.margin, self.min_score)
        chosen: list[Candidate] = []
        used = 0
        for i in order:
            candidate = candidates[i]
            if chosen and (scores[i] < floor or len(chosen) >= self.max_sentences):
                break
            if chosen and used + len(candidate.text) > self.max_chars:
                continue
            if any(fuzz.ratio(normalize(candidate.text), normalize(c.text)) >= 85 for c in chosen):
                continue
            chosen.append(candidate)
            used += len(candidate.text)
        return add_antecedents(chosen, candidates, self.max_sentences)


def add_antecedents(
    chosen: list[Candidate], candidates: Sequence[Candidate], limit: int
) -> list[Candidate]:
    """A chosen sentence opening with "This"/"It" brings the sentence before it, when room."""
    by_position = {(c.n, c.index): c for c in candidates}
    result = list(chosen)
    for candidate in chosen:
        if len(result) >= limit or not _ANAPHORA.match(candidate.text):
            continue
        before = by_position.get((candidate.n, candidate.index - 1))
        if before is not None and before not in result:
            result.append(before)
    return result


def scores_by_key(
    candidates: Sequence[Candidate], scores: np.ndarray
) -> dict[tuple[int, int], float]:
    """Each candidate's score keyed by (passage number, sentence index)."""
    return {(c.n, c.index): float(s) for c, s in zip(candidates, scores, strict=True)}


def render(chosen: Sequence[Candidate], scores: dict[tuple[int, int], float]) -> str:
    """Passages in order of their best chosen sentence; sentences in document order."""
    best: dict[int, float] = {}
    for c in chosen:
        best[c.n] = max(best.get(c.n, float("-inf")), scores[(c.n, c.index)])
    ordered = sorted(chosen, key=lambda c: (-best[c.n], c.n, c.index))
    shown: list[str] = []
    for before, c in zip([None, *ordered], ordered, strict=False):
        text = c.text
        if before is not None and c.label and (before.n, before.label) == (c.n, c.label):
            text = text.removeprefix(f"{c.label}: ")  # the label once per group of bullets
        shown.append(with_markers(_terminated(text), [c.n]))
    return " ".join(shown)


def _terminated(text: str) -> str:
    """Close a bullet fragment with a full stop so the answer reads as sentences."""
    return text if text[-1] in ".!?" else f"{text.rstrip(':;,')}."
