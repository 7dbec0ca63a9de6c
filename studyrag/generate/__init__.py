"""Answer generators behind one interface: extractive (default), openai, local."""

from __future__ import annotations

from studyrag.generate.base import (
    Answer,
    AnswerSentence,
    Draft,
    Generator,
    Passage,
    Quote,
)
from studyrag.generate.extractive import ExtractiveGenerator, UnitScorer
from studyrag.settings import AnswerSettings, GeneratorBackend
from studyrag.types import Citation, StudyragError

__all__ = [
    "Answer",
    "AnswerSentence",
    "Citation",
    "Draft",
    "ExtractiveGenerator",
    "Generator",
    "Passage",
    "Quote",
    "UnitScorer",
    "backend_of",
    "make_generator",
    "parse_backend",
]


def backend_of(value: GeneratorBackend | str | None, answer: AnswerSettings) -> GeneratorBackend:
    """A backend from an enum, its name, or the settings default."""
    return answer.backend if value is None else parse_backend(value)


def parse_backend(value: GeneratorBackend | str) -> GeneratorBackend:
    """A backend from an enum or its name; an unknown name is one clear error."""
    try:
        return GeneratorBackend(value)
    except ValueError:
        names = ", ".join(b.value for b in GeneratorBackend)
        raise StudyragError(f"unknown backend {value!r}; choose one of: {names}") from None


def make_generator(
    backend: GeneratorBackend, answer: AnswerSettings, score_units: UnitScorer
) -> Generator:
    """Build one backend; LLM clients and runtimes are imported only when chosen."""
    if backend is GeneratorBackend.EXTRACTIVE:
        return ExtractiveGenerator(answer, score_units)
    if backend is GeneratorBackend.OPENAI:
        from studyrag.generate.openai_chat import OpenAIChatGenerator

        return OpenAIChatGenerator(answer)
    from studyrag.generate.local_llama import LocalLlamaGenerator

    return LocalLlamaGenerator(answer)


__all__ = [
    "Answer",
    "AnswerSentence",
    "Citation",
    "Draft",
    "Generator",
    "Passage",
    "Quote",
    "backend_of",
    "make_generator",
]
