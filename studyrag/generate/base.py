"""The generator interface: a question and reranked passages in, a cited answer out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from studyrag.generate.condense import History, condense_question
from studyrag.types import Chunk, Citation, Hit


@dataclass(frozen=True)
class Passage:
    """A passage handed to a generator, numbered as it will be cited: ``[n]``."""

    n: int
    hit: Hit

    @property
    def chunk(self) -> Chunk:
        return self.hit.chunk


@dataclass(frozen=True)
class Quote:
    """A span of passage ``n`` quoted in an answer: ``passage.chunk.text[start:end] == text``."""

    n: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Draft:
    """A generator's answer before validation, with the spans it quoted when it knows them."""

    text: str
    quotes: list[Quote] = field(default_factory=list)


@dataclass
class AnswerSentence:
    """One sentence of an answer with the passages it cites and whether they support it."""

    text: str
    citations: list[int] = field(default_factory=list)
    supported: bool = True
    support: float = 1.0  # best overlap score against a cited passage, 0..1


@dataclass
class Answer:
    """A grounded answer (or an honest refusal) with resolved citations."""

    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    sentences: list[AnswerSentence] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)  # what the generator saw / nearest
    quotes: list[Quote] = field(default_factory=list)  # exact spans the answer quotes
    warnings: list[str] = field(default_factory=list)
    backend: str = ""
    standalone_question: str = ""  # the question after condensing a follow-up
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "quotes": [quote_dict(q, self.citations) for q in self.quotes],
            "warnings": self.warnings,
            "backend": self.backend,
            "question": self.question,
            "standalone_question": self.standalone_question or self.question,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


def quote_dict(quote: Quote, citations: Sequence[Citation]) -> dict[str, Any]:
    """A quote for JSON: ``start``/``end`` index the cited passage's ``text``."""
    chunk = next((c.chunk for c in citations if c.n == quote.n), None)
    return {
        "n": quote.n,
        "chunk_id": chunk.chunk_id if chunk else None,
        "start": quote.start,
        "end": quote.end,
        "text": quote.text,
    }


class Generator(ABC):
    """Writes an answer from numbered passages. Implementations: one per file."""

    name: str = "base"
    streams: bool = False

    @abstractmethod
    def generate(self, question: str, passages: Sequence[Passage]) -> str:
        """Answer text with ``[n]`` markers pointing at ``passages``."""

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        """Answer text in pieces as they are produced (default: all at once)."""
        yield self.generate(question, passages)

    def compose(
        self, question: str, passages: Sequence[Passage], max_words: int | None = None
    ) -> Draft:
        """The answer before validation (default: the generated text, no quote spans and no word
        budget; the extractive generator knows both)."""
        return Draft(self.generate(question, passages))

    def condense(self, question: str, history: History) -> str:
        """A standalone question for retrieval (default: deterministic rules, no model)."""
        return condense_question(question, history)
