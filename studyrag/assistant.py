"""The assistant: condense a follow-up, retrieve, refuse or answer, validate every citation.

The CLI, the Streamlit UI and the eval suite all call :meth:`Assistant.ask` /
:meth:`Assistant.ask_stream`; keep their signatures stable.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from studyrag.generate import backend_of, parse_backend
from studyrag.generate.base import Answer, AnswerSentence, Draft, Generator, Passage, Quote
from studyrag.generate.citations import SupportScorer, validate
from studyrag.generate.condense import condense_question
from studyrag.generate.refusal import REFUSAL_TEXT, RefusalDecision, RefusalPolicy, is_refusal_text
from studyrag.pipeline import StudyPipeline
from studyrag.settings import AnswerSettings, GeneratorBackend
from studyrag.text.sentences import normalize
from studyrag.text.units import BULLET, Unit, parse_units
from studyrag.timing import elapsed_ms
from studyrag.types import SearchResult, StudyragError

REFUSAL_ANSWER = f"{REFUSAL_TEXT} The nearest passages are shown instead."
_MIN_QUOTE_CHARS = 12


@dataclass(frozen=True)
class AskRequest:
    """One question's choices, as the UI or the CLI made them: backend, passages, rerank on or
    off, the documents to answer from and the answer's length. They travel with the question;
    the settings stay per process, so nothing is built for a choice a user makes."""

    backend: GeneratorBackend | None = None  # None: the settings' backend
    top_k: int | None = None  # None: the settings' top_k
    rerank: bool = True  # False: fused passages without the cross-encoder
    sources: frozenset[str] | None = None  # None: every document
    max_words: int | None = None  # the extractive answer's budget (None: the settings')

    def __post_init__(self) -> None:
        if self.backend is not None:
            object.__setattr__(self, "backend", parse_backend(self.backend))
        if self.top_k is not None and not 1 <= self.top_k <= 100:
            raise StudyragError(f"top-k must be 1-100, not {self.top_k}")
        if self.max_words is not None and not 20 <= self.max_words <= 1000:
            raise StudyragError(f"the answer length must be 20-1000 words, not {self.max_words}")
        if self.sources is not None:
            object.__setattr__(self, "sources", frozenset(self.sources) or None)


class Assistant:
    """Grounded answers over one :class:`StudyPipeline`, with any generator backend."""

    def __init__(self, pipeline: StudyPipeline, answer: AnswerSettings | None = None) -> None:
        """``answer``: how to answer (default: the settings the pipeline was built from)."""
        self.pipeline = pipeline
        self.answer = answer or pipeline.settings.answer
        self.refusal = RefusalPolicy(self.answer, pipeline.embedder)
        self.support = SupportScorer(
            pipeline.analyzer,
            self.answer.support_min_lexical,
            pipeline.embedder,
            self.answer.calibrated(pipeline.embedder.name).support_min_cosine,
        )

    def generator(self, backend: GeneratorBackend | str | None = None) -> Generator:
        """The generator for a backend: the pipeline owns it, so assistants share it."""
        return self.pipeline.generator(backend_of(backend, self.answer), self.answer)

    def ask(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        request: AskRequest | None = None,
    ) -> Answer:
        """Answer one question (a follow-up when ``history`` holds earlier turns)."""
        final: Answer | None = None
        for item in self.ask_stream(question, history, request):
            if isinstance(item, Answer):
                final = item
        if final is None:  # pragma: no cover - ask_stream always ends with an Answer
            raise StudyragError("the assistant produced no answer")
        return final

    def ask_stream(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        request: AskRequest | None = None,
    ) -> Iterator[str | Answer]:
        """Text pieces as the generator writes them; the last item is the validated Answer."""
        begin = time.perf_counter()
        chosen = request or AskRequest()
        asked = self.pipeline.clean_query(question)
        generator = self.generator(chosen.backend)
        timings: dict[str, float] = {}

        mark = time.perf_counter()
        standalone = self.standalone(asked, history, generator)
        timings["condense"] = elapsed_ms(mark)
        options = self.pipeline.options(
            chosen.top_k, sources=sorted(chosen.sources or ()), rerank=chosen.rerank
        )
        result = self.pipeline.search(standalone, options=options)
        timings.update(retrieval_timings(result))
        passages = [Passage(n, hit) for n, hit in enumerate(result.hits, start=1)]
        decision = self.refusal.decide(result)

        if decision.refuse:
            answer = refused(asked, standalone, passages, generator.name, [decision.explain()])
        else:
            mark = time.perf_counter()
            if generator.streams:
                pieces: list[str] = []
                for piece in generator.stream(standalone, passages):
                    pieces.append(piece)
                    yield piece
                draft = Draft("".join(pieces))
            else:
                draft = generator.compose(standalone, passages, chosen.max_words)
                yield draft.text
            timings["generate"] = elapsed_ms(mark)
            mark = time.perf_counter()
            answer = self.finish(asked, standalone, draft, passages, generator.name)
            timings["validate"] = elapsed_ms(mark)
        timings.setdefault("generate", 0.0)
        timings["total"] = elapsed_ms(begin)
        answer.timings_ms = timings
        if decision.refuse:
            yield answer.text
        yield answer

    def standalone(
        self, question: str, history: Sequence[tuple[str, str]], generator: Generator
    ) -> str:
        """The follow-up rewritten with earlier turns; rules take over from a bad LLM rewrite."""
        if not history:
            return question
        try:
            return self.pipeline.clean_query(generator.condense(question, history))
        except StudyragError:
            return condense_question(question, history)

    def finish(
        self, asked: str, standalone: str, draft: Draft, passages: list[Passage], backend: str
    ) -> Answer:
        """Validate citations; an answer that only says "not in the corpus" is a refusal."""
        raw = draft.text
        checked = validate(raw, passages, self.support)
        if not checked.citations and (not raw.strip() or is_refusal_text(raw)):
            note = f"the {backend} backend found no answer in the passages"
            return refused(asked, standalone, passages, backend, [note])
        warnings = list(checked.warnings)
        if checked.sentences and not checked.citations:
            warnings.insert(0, "no sentence of this answer is supported by the passages")
        return Answer(
            question=asked,
            text=checked.text,
            refused=False,
            citations=checked.citations,
            sentences=checked.sentences,
            passages=passages,
            quotes=draft.quotes or located_quotes(checked.sentences, passages),
            warnings=warnings,
            backend=backend,
            standalone_question=standalone,
        )


def refused(
    asked: str, standalone: str, passages: list[Passage], backend: str, warnings: list[str]
) -> Answer:
    """The honest refusal: no citations, the nearest passages to look at instead."""
    return Answer(
        question=asked,
        text=REFUSAL_ANSWER,
        refused=True,
        passages=passages,
        warnings=warnings,
        backend=backend,
        standalone_question=standalone,
    )


def located_quotes(sentences: Sequence[AnswerSentence], passages: Sequence[Passage]) -> list[Quote]:
    """Exact spans for sentences a model wrote: the passage units each supported sentence quotes.

    A sentence matches a unit when one contains the other after normalising; paraphrases get
    no quote (the UI then says it could not match the passage word for word).
    """
    by_n = {p.n: p for p in passages}
    units_of: dict[int, list[Unit]] = {}  # each cited passage parsed once
    quotes: list[Quote] = []
    for sentence in sentences:
        flat = normalize(BULLET.sub("", sentence.text)).rstrip(".:;, ")
        if len(flat) < _MIN_QUOTE_CHARS:
            continue
        for n in sentence.citations if sentence.supported else []:
            chunk = by_n[n].chunk
            if n not in units_of:
                units_of[n] = parse_units(chunk.text, (*chunk.heading_path, chunk.title))
            for unit in units_of[n]:
                shown = normalize(unit.text).rstrip(".:;, ")
                if (
                    unit.quotable
                    and len(shown) >= _MIN_QUOTE_CHARS
                    and (shown in flat or flat in shown)
                ):
                    quote = Quote(n, unit.start, unit.end, chunk.text[unit.start : unit.end])
                    if quote not in quotes:
                        quotes.append(quote)
    return quotes


def retrieval_timings(result: SearchResult) -> dict[str, float]:
    """Retrieval stages as measured, their sum as "retrieval"."""
    stages = {k: v for k, v in result.timings_ms.items() if k != "total"}
    stages["retrieval"] = result.timings_ms.get("total", sum(stages.values()))
    return stages


__all__ = ["Assistant", "RefusalDecision"]
