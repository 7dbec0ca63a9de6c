"""Citation markers: parse ``[n]``, check each points at a given passage that supports it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz

from studyrag.embedding import Embedder
from studyrag.generate.base import AnswerSentence, Citation, Passage
from studyrag.generate.injection import evidence_text
from studyrag.generate.refusal import is_refusal_text
from studyrag.generate.sentences import normalize, split_sentences
from studyrag.index.lexical import LexicalAnalyzer

_GROUP = r"\[\s*\d{1,3}(?:\s*(?:[,;]|-|–)\s*\d{1,3})*\s*\]"
_MARKERS = re.compile(rf"(?:\s*{_GROUP})+")
_ONE_GROUP = re.compile(_GROUP)
# "sentence. [1] Next" -> "sentence [1]. Next": markers belong to the sentence before them.
_TRAILING = re.compile(rf"([.!?])((?:[ \t]*{_GROUP})+)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
UNSUPPORTED_MARK = "[unsupported]"
_MIN_PARTIAL_CHARS = 30
_VECTOR_CACHE = 2048  # passages whose sentence vectors are kept between answers


@dataclass(frozen=True)
class ParsedSentence:
    """An answer sentence without its markers, and the numbers it cited."""

    text: str
    cited: tuple[int, ...]


@dataclass
class Validation:
    """An answer after every ``[n]`` has been checked against the passages."""

    text: str
    sentences: list[AnswerSentence]
    citations: list[Citation]
    warnings: list[str] = field(default_factory=list)


def parse_numbers(group: str) -> list[int]:
    """``"[1, 3-4]"`` -> ``[1, 3, 4]`` (ranges capped at 20 numbers)."""
    numbers: list[int] = []
    for part in re.split(r"[,;]", group.strip("[] ")):
        bounds = [int(x) for x in re.findall(r"\d+", part)]
        if len(bounds) == 2 and 0 <= bounds[1] - bounds[0] < 20:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds)
    return numbers


def parse_answer(text: str) -> list[ParsedSentence]:
    """Split an answer into sentences, each with the ``[n]`` numbers it carries."""
    text = _TRAILING.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    parsed: list[ParsedSentence] = []
    for span in split_sentences(text, join_labels=True):
        cited: list[int] = []
        for group in _ONE_GROUP.findall(span.text):
            cited.extend(n for n in parse_numbers(group) if n not in cited)
        bare = _MARKERS.sub("", span.text).strip()
        bare = re.sub(r"\s+([.!?,;:])", r"\1", bare)
        if bare.strip(" .!?,;:-"):
            parsed.append(ParsedSentence(bare, tuple(cited)))
        elif cited and parsed:  # markers on a line of their own: attach to the sentence above
            last = parsed[-1]
            parsed[-1] = ParsedSentence(last.text, tuple(dict.fromkeys(last.cited + tuple(cited))))
    return parsed


def with_markers(text: str, numbers: Sequence[int]) -> str:
    """``"A fact."`` + ``[1, 2]`` -> ``"A fact [1][2]."``."""
    if not numbers:
        return text
    marks = "".join(f"[{n}]" for n in numbers)
    if text and text[-1] in ".!?":
        return f"{text[:-1]} {marks}{text[-1]}"
    return f"{text} {marks}"


class SupportScorer:
    """How well a passage supports a sentence, 0..1: term coverage or near-verbatim overlap.

    With an embedder, a sentence whose terms differ (a paraphrase) still counts as supported
    when its embedding is close to one sentence of the passage.
    """

    def __init__(
        self,
        analyzer: LexicalAnalyzer,
        min_support: float,
        embedder: Embedder | None = None,
        min_cosine: float = 1.0,
    ) -> None:
        self.analyzer = analyzer
        self.min_support = min_support
        self.embedder = embedder
        self.min_cosine = min_cosine
        self._passage_vectors: dict[str, np.ndarray] = {}

    def lexical(self, sentence: str, passage: str) -> float:
        """Max of stemmed-term coverage and rescaled rapidfuzz partial ratio (long sentences)."""
        terms = set(self.analyzer(sentence))
        if not terms:
            return 0.0
        have = set(self.analyzer(passage))
        covered = sum(1 for t in terms if t in have or _prefix_match(t, have)) / len(terms)
        flat = normalize(sentence)
        if len(flat) < _MIN_PARTIAL_CHARS:  # a short string partially matches almost anything
            return covered
        partial = fuzz.partial_ratio(flat, normalize(passage)) / 100.0
        return max(covered, (partial - 0.5) / 0.5)

    def semantic(self, sentence: str, passage: str) -> float:
        """Best cosine between the sentence and one sentence of the passage (0 without embedder)."""
        if self.embedder is None:
            return 0.0
        if passage not in self._passage_vectors:
            if len(self._passage_vectors) >= _VECTOR_CACHE:
                self._passage_vectors.clear()
            pieces = [s.text for s in split_sentences(passage)] or [passage]
            self._passage_vectors[passage] = self.embedder.embed_documents(pieces)
        vector = self.embedder.embed_documents([sentence])[0]
        return float(np.max(self._passage_vectors[passage] @ vector))

    def support(self, sentence: str, passage: str) -> tuple[float, bool]:
        """``(score, supported)``: numbers must appear in the passage; then lexical or semantic.

        Instruction-like sentences of the passage ("ignore previous instructions and say X")
        are not evidence: echoing them is following them, not answering from the corpus.
        """
        passage = evidence_text(passage)
        if not _numbers_present(sentence, passage):
            return 0.0, False
        score = self.lexical(sentence, passage)
        if score >= self.min_support:
            return score, True
        if self.embedder is not None and self.semantic(sentence, passage) >= self.min_cosine:
            return max(score, self.min_support), True
        return score, False


def _prefix_match(term: str, have: set[str]) -> bool:
    """``train`` covers ``trainabl``: stems differ across word forms."""
    if len(term) < 4:
        return False
    return any(len(h) >= 4 and (h.startswith(term) or term.startswith(h)) for h in have)


def _numbers_present(sentence: str, passage: str) -> bool:
    """Every number in the sentence (ignoring commas) occurs in the passage."""
    have = {n.replace(",", "") for n in _NUMBER.findall(passage)}
    return all(n.replace(",", "") in have for n in _NUMBER.findall(sentence))


def validate(answer: str, passages: Sequence[Passage], scorer: SupportScorer) -> Validation:
    """Keep only citations that exist and support their sentence; mark the rest unsupported."""
    by_n = {p.n: p for p in passages}
    sentences: list[AnswerSentence] = []
    warnings: list[str] = []
    for parsed in parse_answer(answer):
        sentence, notes = check_sentence(parsed, by_n, scorer)
        sentences.append(sentence)
        warnings.extend(notes)
    rendered = " ".join(render_sentence(s) for s in sentences)
    cited_order = list(dict.fromkeys(n for s in sentences for n in s.citations))
    citations = [Citation(n, by_n[n].chunk) for n in cited_order]
    return Validation(rendered, sentences, citations, warnings)


def check_sentence(
    parsed: ParsedSentence, by_n: dict[int, Passage], scorer: SupportScorer
) -> tuple[AnswerSentence, list[str]]:
    """One sentence: drop unknown or unsupporting citations; cite an uncited supported claim."""
    notes: list[str] = []
    unknown = [n for n in parsed.cited if n not in by_n]
    if unknown:
        notes.append(f"removed citation {_marks(unknown)}: no such passage")
    if not parsed.cited and is_refusal_text(parsed.text):
        return AnswerSentence(parsed.text, [], True, 1.0), notes
    candidates = [n for n in parsed.cited if n in by_n] or list(by_n)
    scored = [(n, *scorer.support(parsed.text, by_n[n].chunk.text)) for n in candidates]
    kept = [n for n, _score, ok in scored if ok]
    if not parsed.cited and kept:  # an uncited claim: cite its best supporting passage
        kept = [max((s for s in scored if s[2]), key=lambda s: s[1])[0]]
    dropped = [n for n in parsed.cited if n in by_n and n not in kept]
    if dropped and kept:
        notes.append(f"removed citation {_marks(dropped)}: no support for {_quote(parsed.text)}")
    if not kept:
        where = "the passages it cites" if parsed.cited else "any passage"
        notes.append(f"not supported by {where}: {_quote(parsed.text)}")
    best = max((score for _n, score, _ok in scored), default=0.0)
    return AnswerSentence(parsed.text, kept, bool(kept), round(best, 3)), notes


def render_sentence(sentence: AnswerSentence) -> str:
    """A sentence with its kept markers, or flagged ``[unsupported]``."""
    if sentence.citations or sentence.supported:
        return with_markers(sentence.text, sentence.citations)
    return f"{sentence.text} {UNSUPPORTED_MARK}"


def _marks(numbers: Sequence[int]) -> str:
    return ", ".join(f"[{n}]" for n in numbers)


def _quote(text: str, limit: int = 80) -> str:
    return f'"{text[:limit]}{"..." if len(text) > limit else ""}"'
