"""Run a gold set through the retriever and score it."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from studyrag.eval.gold import GoldQuestion
from studyrag.eval.metrics import first_relevant_rank, hit_at_k, mrr_at_k, ndcg_at_k, recall_at_k
from studyrag.eval.reports import Report, markdown_table
from studyrag.pipeline import StudyPipeline
from studyrag.retrieval.options import SearchOptions
from studyrag.settings import RetrievalMode
from studyrag.types import Chunk


@dataclass
class QuestionScore:
    qid: str
    question: str
    kind: str
    recall_at_5: float
    hit_at_5: float
    mrr_at_10: float
    ndcg_at_10: float
    top_ids: list[str]
    timings_ms: dict[str, float]
    recall_at_10: float = 0.0
    hit_at_1: float = 0.0  # the top passage holds a gold span ("Recall@1" in BENCHMARKS.md)
    first_relevant: int | None = None  # rank of the first passage covering a gold span (<= 10)
    gold_sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RetrievalReport:
    mode: str
    scores: list[QuestionScore] = field(default_factory=list)

    def mean(self, name: str) -> float:
        return statistics.fmean(getattr(s, name) for s in self.scores) if self.scores else 0.0

    def summary(self) -> dict[str, float]:
        return {
            "hit@1": self.mean("hit_at_1"),
            "recall@5": self.mean("recall_at_5"),
            "recall@10": self.mean("recall_at_10"),
            "hit@5": self.mean("hit_at_5"),
            "mrr@10": self.mean("mrr_at_10"),
            "ndcg@10": self.mean("ndcg_at_10"),
        }

    def only(self, split: str, gold: Sequence[GoldQuestion]) -> RetrievalReport:
        """The scores of one split ("dev" or "heldout") of the gold set."""
        chosen = {q.qid for q in gold if q.split == split}
        return RetrievalReport(self.mode, [s for s in self.scores if s.qid in chosen])

    def misses(self, k: int = 5) -> list[QuestionScore]:
        """Questions with no relevant passage in the top ``k`` (``k`` up to the eval depth)."""
        return [s for s in self.scores if s.first_relevant is None or s.first_relevant > k]

    def latency_ms(self) -> float:
        """Mean end-to-end search time per question."""
        totals = [s.timings_ms.get("total", 0.0) for s in self.scores]
        return statistics.fmean(totals) if totals else 0.0


def judge(question: GoldQuestion, ranked: list[Chunk]) -> tuple[list[bool], list[int | None]]:
    """Per-result relevance, and per gold span the first rank that covers it."""
    relevant = [any(span.covered_by(c) for span in question.spans) for c in ranked]
    found_at: list[int | None] = []
    for span in question.spans:
        found_at.append(
            next((rank for rank, c in enumerate(ranked, 1) if span.covered_by(c)), None)
        )
    return relevant, found_at


def gold_chunks(question: GoldQuestion, chunks: Sequence[Chunk]) -> list[Chunk]:
    """The indexed chunks that cover at least one of the question's gold spans."""
    return [c for c in chunks if any(span.covered_by(c) for span in question.spans)]


def score_question(
    question: GoldQuestion, ranked: list[Chunk], ideal_count: int, timings_ms: dict[str, float]
) -> QuestionScore:
    """Every metric of one question from its ranked passages."""
    relevant, found_at = judge(question, ranked)
    return QuestionScore(
        qid=question.qid,
        question=question.question,
        kind=question.kind,
        recall_at_5=recall_at_k(found_at, 5),
        hit_at_5=hit_at_k(relevant, 5),
        mrr_at_10=mrr_at_k(relevant, 10),
        ndcg_at_10=ndcg_at_k([1.0 if r else 0.0 for r in relevant], [1.0] * ideal_count, 10),
        top_ids=[c.chunk_id for c in ranked],
        timings_ms=timings_ms,
        recall_at_10=recall_at_k(found_at, 10),
        hit_at_1=hit_at_k(relevant, 1),
        first_relevant=first_relevant_rank(relevant[:10]),
        gold_sources=sorted({s.source for s in question.spans}),
    )


def evaluate(
    pipeline: StudyPipeline,
    gold: list[GoldQuestion],
    mode: RetrievalMode,
    depth: int = 10,
    options: SearchOptions | None = None,
    label: str | None = None,
) -> RetrievalReport:
    """Score one retriever configuration on a gold set (``options`` overrides the settings')."""
    all_chunks = list(pipeline.store.iter_chunks())
    report = RetrievalReport(mode=label or mode.value)
    chosen = options or pipeline.options(depth, mode)
    for question in gold:
        result = pipeline.search(question.question, options=chosen)
        ranked = [h.chunk for h in result.hits]
        ideal = len(gold_chunks(question, all_chunks))
        report.scores.append(score_question(question, ranked, ideal, result.timings_ms))
    return report


def evaluate_modes(
    pipeline: StudyPipeline, gold: list[GoldQuestion], modes: Sequence[RetrievalMode]
) -> list[RetrievalReport]:
    """Score several configurations on the same gold set."""
    return [evaluate(pipeline, gold, mode) for mode in modes]


# Reporting ---------------------------------------------------------------------------------------
def misses_table(report: RetrievalReport, k: int = 5) -> str:
    """One row per question whose gold passage is not in the top ``k``."""
    rows = [
        [
            s.qid,
            s.kind,
            s.question,
            "not in top 10" if s.first_relevant is None else f"rank {s.first_relevant}",
            ", ".join(s.top_ids[:2]),
        ]
        for s in report.misses(k)
    ]
    if not rows:
        return f"Every question has a gold passage in the top {k}."
    headers = ["id", "kind", "question", "gold found at", "retrieved instead (top 2)"]
    return markdown_table(headers, rows)


def summary_with_latency(report: RetrievalReport) -> dict[str, float | None]:
    return {**report.summary(), "latency_ms": report.latency_ms()}


def retrieval_report(reports: Sequence[RetrievalReport], label: str) -> Report:
    """All configurations of one gold-set run as a report, misses per configuration."""
    sections = [
        (
            f"Misses at 5: {r.mode} ({len(r.misses(5))} of {len(r.scores)} questions)",
            misses_table(r, 5),
        )
        for r in reports
    ]
    return Report(
        kind="retrieval",
        title="Retrieval on the study gold set",
        label=label,
        summary={r.mode: summary_with_latency(r) for r in reports},
        sections=sections,
        data={"per_question": {r.mode: [s.to_dict() for s in r.scores] for r in reports}},
        plot_metrics=["recall@5", "recall@10", "hit@5", "mrr@10", "ndcg@10"],
    )
