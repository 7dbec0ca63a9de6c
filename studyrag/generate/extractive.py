"""Extractive answers composed from the units of the top passages, each quoted with its offsets.

No language model writes anything. The composer scores every quotable unit (sentence, bullet
item, formula or calculation line, table row) of the passages against the question, leads with
the best one, adds the units within a margin of it up to a word budget, and shows them the way the
document shows them: a label keeps its items under it, a calculation stays on its own lines,
bullets stay bullets. Units of one passage keep document order; adjacent ones merge into one
quoted span. Questions, headings, follow-up lists, metadata and narrative framing are never
quoted (:mod:`studyrag.text.units` decides what each line is).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from studyrag.generate.base import Draft, Generator, Passage, Quote
from studyrag.generate.citations import with_markers
from studyrag.generate.injection import looks_like_instruction
from studyrag.settings import AnswerSettings
from studyrag.text.sentences import normalize
from studyrag.text.units import (
    LINE_KINDS,
    Unit,
    UnitKind,
    label_chain,
    scored_text,
    units_of,
    worth_quoting,
)

UnitScorer = Callable[[str, Sequence[str]], np.ndarray]
"""Relevance of each text to the question (higher is better), e.g. cross-encoder logits."""

_QUANTITY_QUESTION = re.compile(
    r"\bhow (?:much|many|big|large|long|fast|slow|small|often)\b"
    r"|\bwhat(?:'s| is| are)? (?:the )?(?:speedup|size|percentage|fraction|ratio|value|cost"
    r"|number|amount|memory|overhead|latency|throughput)\b"
    r"|\bwhich value\b|\bby how\b|\bhow \w+ (?:memory|parameters|tokens|gpus)\b"
    r"|\b\d+(?:\.\d+)?\s*[KMBT]\b|\b\d+(?:\.\d+)?\s*(?:GB|MB|TB|billion)\b",
    re.IGNORECASE,
)
_ANAPHORA = re.compile(r"^(?:This|That|These|Those|It|Its|They|Their|Such|Both|Here)\b")
_DUPLICATE_RATIO = 85


def asks_for_quantity(question: str) -> bool:
    """How much / how many / what speedup..., or a question about a sized thing ("a 70B model")."""
    return bool(_QUANTITY_QUESTION.search(question))


@dataclass(frozen=True)
class Candidate:
    """A quotable unit of passage ``n`` with the units of that passage around it."""

    passage: Passage
    rank: int  # position of the passage in the list (0 = best)
    unit: Unit
    units: tuple[Unit, ...]  # every unit of the passage, for labels and neighbours

    @property
    def n(self) -> int:
        return self.passage.n

    @property
    def key(self) -> tuple[int, int]:
        return self.passage.n, self.unit.index

    @property
    def labels(self) -> list[Unit]:
        return label_chain(self.units, self.unit)

    @property
    def scored_text(self) -> str:
        """What the scorer reads (the same text the unit reranker scored: a cache hit)."""
        return scored_text(self.passage.chunk.title, self.units, self.unit)


def passage_units(passage: Passage) -> tuple[Unit, ...]:
    return tuple(units_of(passage.chunk))


def candidates_of(passage: Passage, rank: int) -> list[Candidate]:
    """Units of a passage worth quoting: content, not too short, not an instruction."""
    units = passage_units(passage)
    return [
        Candidate(passage, rank, unit, units)
        for unit in units
        if worth_quoting(unit) and not looks_like_instruction(unit.text)
    ]


class ExtractiveGenerator(Generator):
    """Leads with the best unit; adds units within ``margin`` of it up to ``max_words``."""

    name = "extractive"

    def __init__(self, answer: AnswerSettings, score_units: UnitScorer) -> None:
        self.max_words = answer.answer_max_words
        self.margin = answer.extractive_margin
        self.min_score = answer.extractive_min_score
        self.quantity_bonus = answer.extractive_quantity_bonus
        self.max_passages = answer.extractive_passages
        self.rank_penalty = answer.extractive_rank_penalty
        self.score_units = score_units

    def generate(self, question: str, passages: Sequence[Passage]) -> str:
        return self.compose(question, passages).text

    def compose(
        self, question: str, passages: Sequence[Passage], max_words: int | None = None
    ) -> Draft:
        """The answer text with ``[n]`` markers and the exact span of every quote."""
        pool = [
            c
            for rank, p in enumerate(passages[: self.max_passages])
            for c in candidates_of(p, rank)
        ]
        if not pool:
            return Draft("", [])
        scores = self.score(question, pool)
        chosen = self.select(pool, scores, max_words or self.max_words, asks_for_quantity(question))
        return render(chosen, scores)

    def score(self, question: str, pool: Sequence[Candidate]) -> dict[tuple[int, int], float]:
        """Scorer relevance, plus a bonus for numbers with units when the question wants one."""
        raw = self.score_units(question, [c.scored_text for c in pool])
        wants_number = asks_for_quantity(question)
        scores: dict[tuple[int, int], float] = {}
        for candidate, value in zip(pool, raw, strict=True):
            bonus = self.quantity_bonus if wants_number and candidate.unit.has_quantity else 0.0
            # Retrieval's order as a prior in logit units: scale-free, with or without rerank.
            prior = -self.rank_penalty * candidate.rank
            scores[candidate.key] = float(value) + bonus + prior
        return scores

    def select(
        self,
        pool: Sequence[Candidate],
        scores: dict[tuple[int, int], float],
        max_words: int,
        wants_number: bool = False,
    ) -> list[Candidate]:
        """Best unit first with what it needs to be read; then others within margin and budget."""
        order = sorted(pool, key=lambda c: (-scores[c.key], c.rank, c.unit.index))
        lead = order[0]
        floor = max(scores[lead.key] - self.margin, self.min_score)
        chosen: dict[tuple[int, int], Candidate] = {}
        by_key = {c.key: c for c in pool}

        def words_with(extra: Sequence[Candidate]) -> int:
            return shown_words([*chosen.values(), *extra], by_key)

        for candidate in order:
            if candidate is not lead and scores[candidate.key] < floor:
                break
            if candidate.key in chosen or _duplicate(candidate, chosen.values()):
                continue
            group = [candidate, *companions(candidate, by_key)]
            group = [c for c in group if c.key not in chosen]
            if candidate is not lead and words_with(group) > max_words:
                continue
            for member in group:
                chosen[member.key] = member
        if wants_number and not any(c.unit.has_quantity for c in chosen.values()):
            numbered = [c for c in order if c.unit.has_quantity and c.n == lead.n]
            if numbered:
                best = numbered[0]
                for member in [best, *companions(best, by_key)]:
                    chosen.setdefault(member.key, member)
        return list(chosen.values())


def companions(candidate: Candidate, by_key: dict[tuple[int, int], Candidate]) -> list[Candidate]:
    """Units a quote needs beside it: the rest of its calculation, the sentence "This" points to."""
    unit = candidate.unit
    found: list[Candidate | None] = []  # None: the neighbour is not a candidate
    if unit.kind in (UnitKind.FORMULA, UnitKind.CODE):
        # A calculation (a code sample) reads as a whole: its lines under the same label.
        for other in candidate.units:
            if (
                other.kind is unit.kind
                and other.label == unit.label
                and other is not unit
                and (unit.label is not None or abs(other.index - unit.index) <= 2)
            ):
                found.append(by_key.get((candidate.n, other.index)))
    elif unit.kind is UnitKind.LABEL:
        # A statement that introduces a formula or calculation is read with it.
        for other in candidate.units:
            if other.label == unit.index and other.kind in (UnitKind.FORMULA, UnitKind.CODE):
                found.append(by_key.get((candidate.n, other.index)))
    elif _ANAPHORA.match(unit.text) and unit.index > 0 and unit.label is None:
        found.append(by_key.get((candidate.n, unit.index - 1)))
    return [c for c in found if c is not None]


def _duplicate(candidate: Candidate, chosen: Iterable[Candidate]) -> bool:
    flat = normalize(candidate.unit.text)
    return any(
        fuzz.ratio(flat, normalize(c.unit.text)) >= _DUPLICATE_RATIO
        for c in chosen
        if c.n != candidate.n
    )


def shown_words(chosen: Sequence[Candidate], by_key: dict[tuple[int, int], Candidate]) -> int:
    """Words of the answer as rendered: the units plus each label shown once."""
    labels: set[tuple[int, int]] = set()
    total = 0
    for c in chosen:
        total += c.unit.words
        for label in c.labels:
            if (c.n, label.index) not in labels:
                labels.add((c.n, label.index))
                total += label.words
    return total


def render(chosen: Sequence[Candidate], scores: dict[tuple[int, int], float]) -> Draft:
    """Passages in order of their best unit; each passage a paragraph in document order.

    A label is shown once above its items; units on one source line share a line; units that
    are adjacent in the passage merge into one quote, cited once at its end.
    """
    if not chosen:
        return Draft("", [])
    best: dict[int, float] = {}
    for c in chosen:
        best[c.n] = max(best.get(c.n, float("-inf")), scores.get(c.key, float("-inf")))
    paragraphs: list[str] = []
    quotes: list[Quote] = []
    for n in sorted(best, key=lambda k: (-best[k], k)):
        members = sorted((c for c in chosen if c.n == n), key=lambda c: c.unit.index)
        units = members[0].units
        passage = members[0].passage
        shown: dict[int, Unit] = {}
        for c in members:
            for label in c.labels:
                shown.setdefault(label.index, label)
            shown[c.unit.index] = c.unit
        ordered = [shown[i] for i in sorted(shown)]
        spans = _merge_spans(ordered)
        lines = _layout(ordered, units)
        # One marker at the paragraph's end: every line above it inherits it (parse_answer).
        text_lines = [text for text, _last in lines]
        text_lines[-1] = with_markers(text_lines[-1], [n])
        paragraphs.append("\n".join(text_lines))
        for start, end, _last in spans:
            quotes.append(Quote(n, start, end, passage.chunk.text[start:end]))
    return Draft("\n\n".join(paragraphs), quotes)


def _merge_spans(ordered: Sequence[Unit]) -> list[tuple[int, int, int]]:
    """``(start, end, last unit index)`` of runs of units that follow each other in the passage."""
    spans: list[tuple[int, int, int]] = []
    for unit in ordered:
        if spans and spans[-1][2] == unit.index - 1:
            spans[-1] = (spans[-1][0], unit.end, unit.index)
        else:
            spans.append((unit.start, unit.end, unit.index))
    return spans


def _layout(ordered: Sequence[Unit], ordered_all: Sequence[Unit]) -> list[tuple[str, int]]:
    """Lines as the document has them: ``(text, index of the last unit on the line)``."""
    lines: list[tuple[str, int, int]] = []  # text, last unit index, source line
    for unit in ordered:
        text = _as_shown(unit, len(label_chain(ordered_all, unit)))
        same_line = lines and lines[-1][2] == unit.line and unit.kind not in LINE_KINDS
        if same_line:
            last_text, _last, line_no = lines[-1]
            lines[-1] = (f"{last_text} {text}", unit.index, line_no)
        else:
            lines.append((text, unit.index, unit.line))
    return [(text, last) for text, last, _line in lines]


def _as_shown(unit: Unit, depth: int) -> str:
    indent = "  " * depth
    if unit.kind is UnitKind.BULLET:
        return f"{indent}• {unit.text}"
    if unit.kind in (UnitKind.FORMULA, UnitKind.TABLE_ROW):
        return f"{indent or '  '}{unit.text}"
    if unit.kind is UnitKind.CODE:
        return f"{indent or '  '}`{unit.text}`"
    return unit.text


__all__ = ["Candidate", "ExtractiveGenerator", "UnitScorer", "asks_for_quantity", "candidates_of"]
