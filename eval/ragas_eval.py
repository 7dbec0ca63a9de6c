"""RAGAS (0.4.x) over the gold set, with the real assistant's answers and passages.

LLM-free metrics always run: ID-based context recall/precision against the indexed chunks that cover
the gold spans, string-based context recall/precision against those chunks' text, and string and
MiniLM similarity of the answer to the reference answer. Faithfulness, response relevancy and LLM
context recall run only when a judge endpoint is configured (``STUDYRAG_JUDGE_BASE_URL``: any
OpenAI-compatible URL); they are repeated ``judge_runs`` times and reported as mean and spread.
Without a judge the report says so and carries no judge metric at all.
"""

from __future__ import annotations

import asyncio
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from langchain_core.outputs import Generation, LLMResult
from langchain_core.prompt_values import PromptValue
from openai import AsyncOpenAI, OpenAI, OpenAIError
from ragas.embeddings.base import BaseRagasEmbeddings
from ragas.llms.base import BaseRagasLLM

from studyrag.embedding import Embedder
from studyrag.eval.gold import GoldQuestion
from studyrag.eval.metrics import Spread, nan_mean, spread
from studyrag.eval.reports import Report, fmt, markdown_table
from studyrag.eval.retrieval_eval import gold_chunks
from studyrag.generate.base import Answer
from studyrag.settings import Settings
from studyrag.types import Chunk, StudyragError

if TYPE_CHECKING:
    from ragas.metrics.base import Metric

    from studyrag.pipeline import StudyPipeline

Progress = Callable[[str], None]
LLM_FREE_METRICS = (
    "id_based_context_recall",
    "id_based_context_precision",
    "non_llm_context_recall",
    "non_llm_context_precision_with_reference",
    "non_llm_string_similarity",
    "semantic_similarity",
)
JUDGE_METRICS = ("faithfulness", "answer_relevancy", "context_recall")
MAX_WORKERS = 4  # concurrent judge requests: gentle on a local endpoint
NO_JUDGE = (
    "No judge endpoint is configured (set STUDYRAG_JUDGE_BASE_URL, STUDYRAG_JUDGE_MODEL and, if "
    "needed, STUDYRAG_JUDGE_API_KEY), so faithfulness, response relevancy and LLM context recall "
    "were not measured. No number is reported for them."
)


class AnswersQuestions(Protocol):
    """What the evaluation needs from the assistant."""

    def ask(self, question: str) -> Answer: ...


@dataclass
class EvalRecord:
    """One gold question with the assistant's answer, its passages and the gold references."""

    qid: str
    question: str
    kind: str
    response: str
    refused: bool
    retrieved_ids: list[str]
    retrieved_contexts: list[str]
    reference: str
    reference_ids: list[str]
    reference_contexts: list[str]

    def to_sample(self) -> dict[str, Any]:
        """The RAGAS single-turn sample fields."""
        return {
            "user_input": self.question,
            "response": self.response,
            # RAGAS takes max() over retrieved contexts: an empty list would crash the row, while
            # one empty context scores what it is, nothing retrieved.
            "retrieved_contexts": self.retrieved_contexts or [""],
            "retrieved_context_ids": self.retrieved_ids or [""],
            "reference": self.reference or " ",
            "reference_contexts": self.reference_contexts or [" "],
            "reference_context_ids": self.reference_ids,
        }


def make_record(
    question: GoldQuestion, answer: Answer, index_chunks: Sequence[Chunk]
) -> EvalRecord:
    """Pair an answer with the gold: the reference chunks are the indexed chunks covering a span."""
    references = gold_chunks(question, index_chunks)
    return EvalRecord(
        qid=question.qid,
        question=question.question,
        kind=question.kind,
        response=answer.text,
        refused=answer.refused,
        retrieved_ids=[p.chunk.chunk_id for p in answer.passages],
        retrieved_contexts=[p.chunk.text for p in answer.passages],
        reference=question.reference_answer,
        reference_ids=[c.chunk_id for c in references],
        reference_contexts=[c.text for c in references],
    )


def collect_records(
    assistant: AnswersQuestions,
    pipeline: StudyPipeline,
    gold: Sequence[GoldQuestion],
    progress: Progress | None = None,
) -> list[EvalRecord]:
    """Ask every gold question and pair each answer with its references."""
    say = progress or (lambda _message: None)
    index_chunks = list(pipeline.store.iter_chunks())
    records = []
    for number, question in enumerate(gold, start=1):
        records.append(make_record(question, assistant.ask(question.question), index_chunks))
        if number % 20 == 0 or number == len(gold):
            say(f"answered {number}/{len(gold)} questions")
    return records


def load_assistant(pipeline: StudyPipeline) -> AnswersQuestions:
    """The project's assistant, with a clear error while it does not exist yet."""
    try:
        from studyrag.assistant import Assistant
    except ImportError as error:
        raise StudyragError(
            f"studyrag.assistant is not available ({error}); RAGAS needs the answer generator"
        ) from error
    return Assistant(pipeline)


# RAGAS adapters ----------------------------------------------------------------------------------
def _ragas() -> Any:
    """Import ragas quietly (its metric imports warn about a future API move)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import ragas
        import ragas.metrics
    return ragas


class EmbedderEmbeddings(BaseRagasEmbeddings):
    """RAGAS embeddings over a studyrag embedder (passage encoding on both sides)."""

    def __init__(self, embedder: Embedder) -> None:
        super().__init__()
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = self.embedder.embed_documents(texts).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)


def judge_configured(settings: Settings) -> bool:
    return bool(settings.eval.judge_base_url and settings.eval.judge_base_url.strip())


def judge_name(settings: Settings) -> str:
    return f"{settings.eval.judge_model} at {(settings.eval.judge_base_url or '').strip()}"


class OpenAICompatibleJudge(BaseRagasLLM):
    """A RAGAS LLM over any OpenAI-compatible chat endpoint.

    One chat completion per requested generation: many local servers ignore ``n``.
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        url = (settings.eval.judge_base_url or "").strip()
        key = (
            settings.eval.judge_api_key.get_secret_value()
            if settings.eval.judge_api_key
            else "not-needed"
        )
        options: dict[str, Any] = {
            "base_url": url,
            "api_key": key,
            "timeout": settings.answer.openai_timeout_s,
        }
        self.model = settings.eval.judge_model
        self.name = judge_name(settings)
        self._sync = OpenAI(**options)
        self._async = AsyncOpenAI(**options)

    def _body(
        self, prompt: PromptValue, temperature: float | None, stop: list[str] | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt.to_string()}],
        }
        if temperature is not None:
            body["temperature"] = temperature
        if stop:
            body["stop"] = stop
        return body

    @staticmethod
    def _result(responses: Sequence[Any]) -> LLMResult:
        generations = [
            Generation(
                text=r.choices[0].message.content or "",
                generation_info={"finish_reason": r.choices[0].finish_reason},
            )
            for r in responses
        ]
        return LLMResult(generations=[generations])

    def generate_text(
        self,
        prompt: PromptValue,
        n: int = 1,
        temperature: float | None = 0.01,
        stop: list[str] | None = None,
        callbacks: Any = None,
    ) -> LLMResult:
        body = self._body(prompt, temperature, stop)
        return self._result([self._sync.chat.completions.create(**body) for _ in range(n)])

    async def agenerate_text(
        self,
        prompt: PromptValue,
        n: int = 1,
        temperature: float | None = 0.01,
        stop: list[str] | None = None,
        callbacks: Any = None,
    ) -> LLMResult:
        body = self._body(prompt, temperature, stop)
        calls = [self._async.chat.completions.create(**body) for _ in range(n)]
        return self._result(await asyncio.gather(*calls))

    def is_finished(self, response: LLMResult) -> bool:
        """Finished unless a generation was cut at the token limit."""
        return all(
            (g.generation_info or {}).get("finish_reason") != "length"
            for row in response.generations
            for g in row
        )

    def check(self) -> None:
        """One tiny request, so a wrong URL fails at once with one line, not once per question."""
        try:
            self._sync.with_options(max_retries=0).chat.completions.create(
                model=self.model,
                messages=[{"role": "user", "content": "Reply with OK."}],
                max_tokens=4,
            )
        except OpenAIError as error:
            raise StudyragError(f"the judge ({self.name}) did not answer: {error}") from error


def llm_free_metrics(embeddings: Any) -> list[Metric]:
    ragas = _ragas()
    m = ragas.metrics
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [
            m.IDBasedContextRecall(),
            m.IDBasedContextPrecision(),
            m.NonLLMContextRecall(),
            m.NonLLMContextPrecisionWithReference(),
            m.NonLLMStringSimilarity(),
            m.SemanticSimilarity(embeddings=embeddings),
        ]


def judge_metrics(judge: Any, embeddings: Any) -> list[Metric]:
    ragas = _ragas()
    m = ragas.metrics
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [
            m.Faithfulness(llm=judge),
            m.ResponseRelevancy(llm=judge, embeddings=embeddings),
            m.LLMContextRecall(llm=judge),
        ]


def score_records(
    records: Sequence[EvalRecord], metrics: Sequence[Metric], timeout_s: float = 180.0
) -> list[dict[str, float]]:
    """Per-record scores from one RAGAS evaluation (a failed row scores NaN)."""
    ragas = _ragas()
    from ragas.run_config import RunConfig

    dataset = ragas.EvaluationDataset.from_list([r.to_sample() for r in records])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = ragas.evaluate(
            dataset,
            metrics=list(metrics),
            run_config=RunConfig(timeout=int(timeout_s), max_retries=2, max_workers=MAX_WORKERS),
            show_progress=False,
            raise_exceptions=False,
        )
    names = [metric.name for metric in metrics]
    return [{n: _float(row.get(n)) for n in names} for row in outcome.scores]


def _float(value: object) -> float:
    if not isinstance(value, (int, float, str)):
        return float("nan")
    try:
        return float(value)
    except ValueError:
        return float("nan")


# The run -----------------------------------------------------------------------------------------
@dataclass
class RagasOutcome:
    """LLM-free means, judge means with spread over runs (None: no judge), per-question scores."""

    records: list[EvalRecord]
    llm_free: dict[str, float]
    judged: dict[str, Spread] | None
    judge: str | None
    per_question: list[dict[str, float]] = field(default_factory=list)
    judge_failures: dict[str, int] = field(default_factory=dict)  # NaN rows per judge metric

    @property
    def refused(self) -> int:
        return sum(r.refused for r in self.records)

    def summary(self) -> dict[str, float | None]:
        values: dict[str, float | None] = dict(self.llm_free)
        if self.judged is not None:
            values.update({name: s.mean for name, s in self.judged.items()})
        values["refusal_rate"] = self.refused / len(self.records) if self.records else None
        return values


def run_ragas(
    records: Sequence[EvalRecord],
    settings: Settings,
    embeddings: Any,
    progress: Progress | None = None,
) -> RagasOutcome:
    """LLM-free metrics once; judge metrics ``judge_runs`` times when a judge is configured."""
    say = progress or (lambda _message: None)
    if not records:
        raise StudyragError("no questions to evaluate")
    say("scoring LLM-free metrics")
    free = score_records(records, llm_free_metrics(embeddings))
    per_question = [{**row} for row in free]
    outcome = RagasOutcome(
        records=list(records),
        llm_free={name: nan_mean([row[name] for row in free]) for name in LLM_FREE_METRICS},
        judged=None,
        judge=None,
    )
    if not judge_configured(settings):
        outcome.per_question = per_question
        return outcome
    judge = OpenAICompatibleJudge(settings)
    judge.check()
    runs: list[list[dict[str, float]]] = []
    for run in range(1, settings.eval.judge_runs + 1):
        say(f"judge run {run}/{settings.eval.judge_runs} with {judge_name(settings)}")
        runs.append(
            score_records(
                records, judge_metrics(judge, embeddings), settings.answer.openai_timeout_s * 3
            )
        )
    outcome.judge = judge_name(settings)
    outcome.judged = {
        name: spread([nan_mean([row[name] for row in run]) for run in runs])
        for name in JUDGE_METRICS
    }
    outcome.judge_failures = {
        name: sum(math.isnan(row[name]) for run in runs for row in run) for name in JUDGE_METRICS
    }
    for index, row in enumerate(per_question):
        row.update({n: nan_mean([run[index][n] for run in runs]) for n in JUDGE_METRICS})
    outcome.per_question = per_question
    return outcome


# Reporting ---------------------------------------------------------------------------------------
def judge_section(outcome: RagasOutcome, runs: int) -> str:
    if outcome.judged is None:
        return NO_JUDGE
    rows = [
        [
            name,
            s.mean,
            s.std,
            s.low,
            s.high,
            f"{s.runs}/{runs}",
            outcome.judge_failures.get(name, 0),
        ]
        for name, s in outcome.judged.items()
    ]
    table = markdown_table(
        ["metric", "mean", "std over runs", "min run", "max run", "runs scored", "failed rows"],
        rows,
    )
    return (
        f"Judge: {outcome.judge}; {runs} run(s), each run averaged over the questions.\n\n{table}"
    )


def lowest_questions(outcome: RagasOutcome, metric: str, count: int = 10) -> str:
    pairs = [
        (row.get(metric, float("nan")), record)
        for row, record in zip(outcome.per_question, outcome.records, strict=True)
    ]
    scored = sorted((p for p in pairs if not math.isnan(p[0])), key=lambda p: p[0])[:count]
    rows = [[r.qid, r.question, fmt(v), "yes" if r.refused else ""] for v, r in scored]
    return markdown_table(["id", "question", metric, "refused"], rows)


def ragas_report(outcome: RagasOutcome, label: str, settings: Settings) -> Report:
    summary = {"assistant": outcome.summary()}
    notes = (
        "Reference contexts are the indexed chunks covering each question's gold spans; the "
        "retrieved contexts are the passages the assistant was given. Refused answers are scored "
        f"as they are ({outcome.refused} of {len(outcome.records)} refused)."
    )
    sections = [
        ("What was measured", notes),
        ("LLM-judged metrics", judge_section(outcome, settings.eval.judge_runs)),
        ("Lowest context recall (ID-based)", lowest_questions(outcome, "id_based_context_recall")),
    ]
    if outcome.judged is not None:
        sections.append(("Lowest faithfulness", lowest_questions(outcome, "faithfulness")))
    return Report(
        kind="ragas",
        title="RAGAS on the study gold set",
        label=label,
        summary=summary,
        sections=sections,
        plot_errors={"assistant": {name: s.std for name, s in (outcome.judged or {}).items()}},
        data={
            "judge": outcome.judge,
            "judge_runs": settings.eval.judge_runs if outcome.judged is not None else 0,
            "judged": {k: v.to_dict() for k, v in (outcome.judged or {}).items()} or None,
            "judge_failures": outcome.judge_failures,
            "per_question": [
                {**asdict(r), "scores": s}
                for r, s in zip(outcome.records, outcome.per_question, strict=True)
            ],
        },
    )
