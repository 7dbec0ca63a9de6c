"""Citation markers: parse ``[n]``, check each points at a given passage that supports it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz

from studyrag.embedding import Embedder
from studyrag.generate.base import AnswerSentence, Passage
from studyrag.generate.injection import evidence_text
from studyrag.generate.refusal import is_refusal_text
from studyrag.index.lexical import LexicalAnalyzer
from studyrag.text.sentences import normalize, split_sentences
from studyrag.text.units import BULLET
from studyrag.types import Citation

_GROUP = r"\[\s*\d{1,3}(?:\s*(?:[,;]|-|–)\s*\d{1,3})*\s*\]"
_MARKERS = re.compile(rf"(?:\s*{_GROUP})+")
_ONE_GROUP = re.compile(_GROUP)
# "sentence. [1] Next" -> "sentence [1]. Next": markers belong to the sentence before them.
_TRAILING = re.compile(rf"([.!?])((?:[ \t]*{_GROUP})+)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
UNSUPPORTED_MARK = "[unsupported]"
_MIN_PARTIAL_CHARS = 30
_MIN_QUOTE_CHARS = 6
_VECTOR_CACHE = 2048  # passages whose sentence vectors are kept between answers


@dataclass(frozen=True)
class ParsedSentence:
    """An answer sentence without its markers, the numbers it cites and where it sits.

    A sentence without markers inherits those of the next marked sentence of its paragraph: an
    extractive quote over several lines (a label, its items, a calculation) is cited once, at
    its end. ``own`` tells whether the markers were written on this sentence.
    """

    text: str
    cited: tuple[int, ...]
    line: int = 0
    paragraph: int = 0
    own: bool = True
    indent: str = ""


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
    """Split an answer into sentences, each with the ``[n]`` numbers it carries (or inherits)."""
    text = _TRAILING.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    parsed: list[ParsedSentence] = []
    line_no = 0
    for paragraph_no, paragraph in enumerate(re.split(r"\n[ \t]*\n", text)):
        found: list[ParsedSentence] = []
        for line in paragraph.split("\n"):
            indent = line[: len(line) - len(line.lstrip())]
            for span in split_sentences(line, join_labels=True):
                cited: list[int] = []
                for group in _ONE_GROUP.findall(span.text):
                    cited.extend(n for n in parse_numbers(group) if n not in cited)
                bare = _MARKERS.sub("", span.text).strip()
                bare = re.sub(r"\s+([.!?,;:])$", r"\1", bare)
                if bare.strip(" .!?,;:-•"):
                    found.append(
                        ParsedSentence(bare, tuple(cited), line_no, paragraph_no, True, indent)
                    )
                elif cited and found:  # markers on their own: they belong to the sentence above
                    last = found[-1]
                    merged = tuple(dict.fromkeys(last.cited + tuple(cited)))
                    found[-1] = ParsedSentence(
                        last.text, merged, last.line, last.paragraph, True, last.indent
                    )
            line_no += 1
        parsed.extend(_inherit(found))
    return parsed


def _inherit(found: Sequence[ParsedSentence]) -> list[ParsedSentence]:
    """Unmarked sentences take the markers of the next marked one in the same paragraph."""
    result: list[ParsedSentence] = []
    following: tuple[int, ...] = ()
    for sentence in reversed(found):
        if sentence.cited:
            following = sentence.cited
            result.append(sentence)
        else:
            result.append(
                ParsedSentence(
                    sentence.text,
                    following,
                    sentence.line,
                    sentence.paragraph,
                    not following,
                    sentence.indent,
                )
            )
    return result[::-1]


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
        quoted = normalize(BULLET.sub("", sentence)).rstrip(".:;,")
        if len(quoted) >= _MIN_QUOTE_CHARS and quoted in normalize(passage):
            return 1.0, True  # quoted verbatim
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
    parsed_all = parse_answer(answer)
    for parsed in parsed_all:
        sentence, notes = check_sentence(parsed, by_n, scorer)
        sentences.append(sentence)
        warnings.extend(notes)
    rendered = render_lines(parsed_all, sentences)
    cited_order = list(dict.fromkeys(n for s in sentences for n in s.citations))
    citations = [Citation.of_chunk(by_n[n].chunk, n) for n in cited_order]
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


def render_sentence(sentence: AnswerSentence, own: bool = True) -> str:
    """A sentence with its kept markers (when it carried them), or flagged ``[unsupported]``."""
    if not (sentence.citations or sentence.supported):
        return f"{sentence.text} {UNSUPPORTED_MARK}"
    return with_markers(sentence.text, sentence.citations) if own else sentence.text


def render_lines(parsed: Sequence[ParsedSentence], checked: Sequence[AnswerSentence]) -> str:
    """The checked answer with its line and paragraph layout kept."""
    out: list[str] = []
    previous: ParsedSentence | None = None
    for where, sentence in zip(parsed, checked, strict=True):
        text = render_sentence(sentence, where.own)
        if previous is None:
            out.append(where.indent + text)
        elif where.paragraph != previous.paragraph:
            out.append("\n\n" + where.indent + text)
        elif where.line != previous.line:
            out.append("\n" + where.indent + text)
        else:
            out.append(" " + text)
        previous = where
    return "".join(out)


def _marks(numbers: Sequence[int]) -> str:
    return ", ".join(f"[{n}]" for n in numbers)


def _quote(text: str, limit: int = 80) -> str:
    return f'"{text[:limit]}{"..." if len(text) > limit else ""}"'
