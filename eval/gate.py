"""The CI retrieval gate: thresholds plus a committed per-question baseline.

The gate scores one configuration (hybrid+rerank by default) on the study gold set and fails when
an aggregate metric is under its minimum, when it dropped more than ``max_drop`` below the
baseline, or when more than ``max_lost_questions`` questions lost their gold passage from the top 5.
Whatever the verdict, it lists every question that got worse, before and after, so a failure reads
as a diff rather than a number.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studyrag.eval.answers import AnswerGateConfig
from studyrag.eval.reports import Report, markdown_table
from studyrag.eval.retrieval_eval import QuestionScore, RetrievalReport
from studyrag.index.files import atomic_write_text
from studyrag.settings import RetrievalMode
from studyrag.types import StudyragError

GATED_METRICS = ("hit@1", "recall@5", "hit@5", "mrr@10", "ndcg@10")
HELDOUT_METRICS = ("recall@1", "recall@5", "mrr@10", "ndcg@10", "fact_recall")
REFUSAL_METRICS = ("refusal_recall", "refusal_precision", "answered")
_EPSILON = 1e-9


@dataclass(frozen=True)
class GateConfig:
    """Contents of ``eval/gate_thresholds.json`` (relative gold and corpus paths are relative to
    it)."""

    mode: RetrievalMode
    gold: str
    minimum: dict[str, float]
    max_drop: float = 0.02
    max_lost_questions: int = 0
    answers: AnswerGateConfig | None = None  # the answer gate, when configured
    corpus: str | None = None  # the documents the gold set is about (default: the corpus folder)
    off_topic: str | None = None  # questions the documents do not cover (the suite asks them)
    # The suite's floors: the held-out split's own (suite row metrics) and refusal's.
    heldout_minimum: dict[str, float] = field(default_factory=dict)
    refusal_minimum: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> GateConfig:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            unknown = sorted(set(data["minimum"]) - set(GATED_METRICS))
            if unknown:
                raise ValueError(f"unknown metrics {unknown}; use {list(GATED_METRICS)}")
            gold = Path(data.get("gold", "data/study_qa.jsonl"))
            corpus = Path(data["corpus"]) if "corpus" in data else None
            off_topic = Path(data["off_topic"]) if "off_topic" in data else None
            heldout = {k: float(v) for k, v in data.get("heldout_minimum", {}).items()}
            refusal = {k: float(v) for k, v in data.get("refusal_minimum", {}).items()}
            unknown = sorted(set(heldout) - set(HELDOUT_METRICS)) + sorted(
                set(refusal) - set(REFUSAL_METRICS)
            )
            if unknown:
                raise ValueError(
                    f"unknown floors {unknown}; use {list(HELDOUT_METRICS + REFUSAL_METRICS)}"
                )
            return cls(
                mode=RetrievalMode(data.get("mode", RetrievalMode.HYBRID_RERANK.value)),
                gold=str(gold if gold.is_absolute() else path.parent / gold),
                minimum={k: float(v) for k, v in data["minimum"].items()},
                max_drop=float(data.get("max_drop", 0.02)),
                max_lost_questions=int(data.get("max_lost_questions", 0)),
                answers=AnswerGateConfig.from_dict(data["answers"]) if "answers" in data else None,
                corpus=(
                    None
                    if corpus is None
                    else str(corpus if corpus.is_absolute() else path.parent / corpus)
                ),
                off_topic=(
                    None
                    if off_topic is None
                    else str(off_topic if off_topic.is_absolute() else path.parent / off_topic)
                ),
                heldout_minimum=heldout,
                refusal_minimum=refusal,
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise StudyragError(f"gate thresholds {path}: {error}") from error


@dataclass(frozen=True)
class QuestionState:
    """What the gate remembers of one question."""

    question: str
    hit_at_5: float
    recall_at_5: float
    mrr_at_10: float
    first_relevant: int | None
    top_ids: tuple[str, ...]

    @classmethod
    def of(cls, score: QuestionScore) -> QuestionState:
        return cls(
            score.question,
            score.hit_at_5,
            score.recall_at_5,
            score.mrr_at_10,
            score.first_relevant,
            tuple(score.top_ids[:3]),
        )

    def describe(self) -> str:
        where = "not in top 10" if self.first_relevant is None else f"rank {self.first_relevant}"
        return f"gold at {where}, recall@5 {self.recall_at_5:.2f}; top: {', '.join(self.top_ids)}"


@dataclass(frozen=True)
class Baseline:
    """Contents of ``eval/baseline_retrieval.json``: a trusted run, question by question."""

    mode: str
    created: str
    summary: dict[str, float]
    questions: dict[str, QuestionState]

    @classmethod
    def from_report(cls, report: RetrievalReport) -> Baseline:
        return cls(
            mode=report.mode,
            created=time.strftime("%Y-%m-%dT%H:%M:%S"),
            summary=report.summary(),
            questions={s.qid: QuestionState.of(s) for s in report.scores},
        )

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            questions = {
                qid: QuestionState(**{**q, "top_ids": tuple(q["top_ids"])})
                for qid, q in data["questions"].items()
            }
            return cls(data["mode"], data["created"], data["summary"], questions)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise StudyragError(
                f"gate baseline {path}: {error}; create it with `studyrag eval gate "
                "--update-baseline`"
            ) from error

    def save(self, path: Path) -> None:
        data = {
            "mode": self.mode,
            "created": self.created,
            "summary": self.summary,
            "questions": {
                qid: {**q.__dict__, "top_ids": list(q.top_ids)}
                for qid, q in sorted(self.questions.items())
            },
        }
        atomic_write_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


@dataclass(frozen=True)
class QuestionChange:
    qid: str
    before: QuestionState
    after: QuestionState

    @property
    def lost_hit(self) -> bool:
        """The gold passage was in the top 5 and no longer is."""
        return self.before.hit_at_5 > self.after.hit_at_5

    @property
    def worse(self) -> bool:
        return self.lost_hit or (
            self.after.recall_at_5 < self.before.recall_at_5 - _EPSILON
            or self.after.mrr_at_10 < self.before.mrr_at_10 - _EPSILON
        )

    @property
    def better(self) -> bool:
        return not self.worse and (
            self.after.recall_at_5 > self.before.recall_at_5 + _EPSILON
            or self.after.mrr_at_10 > self.before.mrr_at_10 + _EPSILON
        )


@dataclass
class GateResult:
    mode: str
    summary: dict[str, float]
    baseline: Baseline
    failures: list[str] = field(default_factory=list)
    regressions: list[QuestionChange] = field(default_factory=list)
    improvements: list[QuestionChange] = field(default_factory=list)
    new_questions: list[str] = field(default_factory=list)
    dropped_questions: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def compare_questions(
    baseline: Baseline, report: RetrievalReport
) -> tuple[list[QuestionChange], list[QuestionChange]]:
    """Questions that got worse and questions that got better than in the baseline."""
    worse, better = [], []
    for score in report.scores:
        before = baseline.questions.get(score.qid)
        if before is None:
            continue
        change = QuestionChange(score.qid, before, QuestionState.of(score))
        if change.worse:
            worse.append(change)
        elif change.better:
            better.append(change)
    return worse, better


def check(report: RetrievalReport, config: GateConfig, baseline: Baseline) -> GateResult:
    """Apply thresholds, baseline drops and the lost-question budget to one evaluation."""
    summary = report.summary()
    result = GateResult(mode=report.mode, summary=summary, baseline=baseline)
    for metric, minimum in config.minimum.items():
        if summary[metric] < minimum - _EPSILON:
            result.failures.append(f"{metric} {summary[metric]:.3f} is under its minimum {minimum}")
    for metric in GATED_METRICS:
        before = baseline.summary.get(metric)
        if before is not None and summary[metric] < before - config.max_drop - _EPSILON:
            result.failures.append(
                f"{metric} dropped {before - summary[metric]:.3f} below the baseline "
                f"({before:.3f} -> {summary[metric]:.3f}; allowed {config.max_drop})"
            )
    result.regressions, result.improvements = compare_questions(baseline, report)
    lost = [c.qid for c in result.regressions if c.lost_hit]
    if len(lost) > config.max_lost_questions:
        result.failures.append(
            f"{len(lost)} question(s) lost their gold passage from the top 5: {', '.join(lost)} "
            f"(allowed {config.max_lost_questions})"
        )
    current = {s.qid for s in report.scores}
    result.new_questions = sorted(current - set(baseline.questions))
    result.dropped_questions = sorted(set(baseline.questions) - current)
    return result


def render(result: GateResult) -> str:
    """The gate's verdict as plain text: failures, then a before/after diff per question."""
    verdict = "PASSED" if result.passed else "FAILED"
    lines = [
        f"retrieval gate {verdict} ({result.mode}; baseline {result.baseline.created}, "
        f"{result.baseline.mode})"
    ]
    for metric in GATED_METRICS:
        before = result.baseline.summary.get(metric)
        was = f"{before:.3f}" if before is not None else "—"
        lines.append(f"  {metric:<9} {result.summary[metric]:.3f}  (baseline {was})")
    lines += [f"  FAIL: {failure}" for failure in result.failures]
    if result.regressions:
        lines.append(f"\n{len(result.regressions)} question(s) regressed:")
        for change in result.regressions:
            mark = "LOST TOP-5" if change.lost_hit else "worse"
            lines.append(f"  {change.qid} [{mark}] {change.after.question}")
            lines.append(f"    - baseline: {change.before.describe()}")
            lines.append(f"    + now:      {change.after.describe()}")
    if result.improvements:
        ids = ", ".join(c.qid for c in result.improvements)
        lines.append(f"\n{len(result.improvements)} question(s) improved: {ids}")
    if result.new_questions:
        lines.append(f"not in the baseline (not gated): {', '.join(result.new_questions)}")
    if result.dropped_questions:
        lines.append(f"in the baseline but not asked: {', '.join(result.dropped_questions)}")
    return "\n".join(lines)


def gate_report(result: GateResult, label: str) -> Report:
    rows = [
        [
            c.qid,
            "lost top-5" if c.lost_hit else "worse",
            c.after.question,
            c.before.describe(),
            c.after.describe(),
        ]
        for c in result.regressions
    ]
    diff = (
        markdown_table(["id", "change", "question", "baseline", "now"], rows)
        if rows
        else "No question got worse than in the baseline."
    )
    failures = "\n".join(f"- {f}" for f in result.failures) or "None: the gate passed."
    data: dict[str, Any] = {
        "passed": result.passed,
        "failures": result.failures,
        "regressed": [c.qid for c in result.regressions],
        "improved": [c.qid for c in result.improvements],
    }
    return Report(
        kind="gate",
        title=f"Retrieval gate: {'passed' if result.passed else 'FAILED'}",
        label=label,
        summary={result.mode: dict(result.summary), "baseline": dict(result.baseline.summary)},
        sections=[("Failures", failures), ("Questions that regressed", diff)],
        data=data,
        plot_metrics=list(GATED_METRICS),
    )
