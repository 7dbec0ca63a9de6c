"""Answer quality on the gold set: key-fact recall (ALCE's STR-EM) and answer length.

Each gold question lists ``facts``: short strings a correct answer must contain (a number with
its unit, a name, a formula), each with alternatives. An answer states a fact when one
alternative appears in it after normalisation (case, whitespace and Markdown ignored). Fact recall
is the share of all facts stated; the all-facts rate the share of questions with every fact.
The same scoring runs on the simple baseline, the first N words of the top passage, so every
composer is compared with it at the same length.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studyrag.eval.gold import GoldQuestion
from studyrag.eval.reports import Report, Summary, markdown_table
from studyrag.index.files import atomic_write_text
from studyrag.types import StudyragError

if TYPE_CHECKING:
    from studyrag.assistant import Assistant
    from studyrag.generate.base import Answer

_MARKERS = re.compile(r"[ \t]*\[\s*\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\s*\]|\[unsupported\]")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SPACE = re.compile(r"\s+")
_BULLETS = re.compile(r"^\s*[•\-*]\s+", re.MULTILINE)
ANSWER_METRICS = ("fact_recall", "all_facts")
_EPSILON = 1e-9

Progress = Callable[[str], None]


def normalize_for_facts(text: str) -> str:
    """Lowercase, no Markdown emphasis, one kind of dash, no whitespace at all."""
    text = _DASHES.sub("-", text.replace("**", "").replace("`", "").lower())
    return _SPACE.sub("", text)


def plain_answer(text: str) -> str:
    """An answer as read: citation markers and bullet marks removed."""
    return _BULLETS.sub("", _MARKERS.sub("", text)).strip()


def states_fact(answer: str, alternatives: Sequence[str]) -> bool:
    """True when any alternative of the fact appears in the answer."""
    flat = normalize_for_facts(plain_answer(answer))
    return any(normalize_for_facts(a) in flat for a in alternatives)


def word_count(text: str) -> int:
    return len(plain_answer(text).split())


@dataclass(frozen=True)
class AnswerScore:
    """One question's answer, scored."""

    qid: str
    question: str
    split: str
    answer: str
    words: int
    facts: tuple[str, ...]  # the first alternative of each fact, for display
    stated: tuple[bool, ...]
    refused: bool = False
    latency_ms: float = 0.0

    @property
    def fact_recall(self) -> float:
        return sum(self.stated) / len(self.stated) if self.stated else 0.0

    @property
    def all_facts(self) -> bool:
        return bool(self.stated) and all(self.stated)

    @property
    def missing(self) -> list[str]:
        return [f for f, ok in zip(self.facts, self.stated, strict=True) if not ok]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "fact_recall": self.fact_recall, "all_facts": self.all_facts}


@dataclass
class AnswerReport:
    """Scored answers of one system (the assistant, or a baseline)."""

    system: str
    scores: list[AnswerScore] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict, repr=False)  # qid -> the Answer

    def summary(self) -> dict[str, float]:
        stated = [ok for s in self.scores for ok in s.stated]
        words = [s.words for s in self.scores] or [0]
        latency = [s.latency_ms for s in self.scores if s.latency_ms] or [0.0]
        return {
            "questions": float(len(self.scores)),
            "fact_recall": sum(stated) / len(stated) if stated else 0.0,
            "all_facts": statistics.fmean(s.all_facts for s in self.scores) if self.scores else 0,
            "median_words": float(statistics.median(words)),
            "refused": statistics.fmean(s.refused for s in self.scores) if self.scores else 0.0,
            "p50_ms": float(statistics.median(latency)),
        }

    def only(self, split: str) -> AnswerReport:
        """The same report restricted to one split ("dev" or "heldout")."""
        return AnswerReport(self.system, [s for s in self.scores if s.split == split])


def with_facts(questions: Sequence[GoldQuestion]) -> list[GoldQuestion]:
    found = [q for q in questions if q.facts]
    if not found:
        raise StudyragError("no gold question has `facts`; nothing to score answers against")
    return found


def score_answer(question: GoldQuestion, answer: str, **extra: Any) -> AnswerScore:
    return AnswerScore(
        qid=question.qid,
        question=question.question,
        split=question.split,
        answer=answer,
        words=word_count(answer),
        facts=tuple(f[0] for f in question.facts),
        stated=tuple(states_fact(answer, f) for f in question.facts),
        **extra,
    )


def evaluate_answers(
    assistant: Assistant,
    questions: Sequence[GoldQuestion],
    max_words: int | None = None,
    progress: Progress | None = None,
    system: str = "composer",
) -> AnswerReport:
    """Ask every question with facts; score the answer text the user reads."""
    from studyrag.assistant import AskRequest

    answers: dict[str, Answer] = {}
    for i, question in enumerate(with_facts(questions), start=1):
        request = AskRequest(max_words=max_words)
        answers[question.qid] = assistant.ask(question.question, request=request)
        if progress and i % 20 == 0:
            progress(f"{i} answers")
    return score_answers(questions, answers, system)


def score_answers(
    questions: Sequence[GoldQuestion], answers: Mapping[str, Answer], system: str = "composer"
) -> AnswerReport:
    """Score answers already given (``qid -> Answer``); a refusal states no fact."""
    report = AnswerReport(system)
    for question in with_facts(questions):
        answer = answers[question.qid]
        text = "" if answer.refused else answer.text
        latency = answer.timings_ms.get("total", 0.0)
        report.scores.append(
            score_answer(question, text, refused=answer.refused, latency_ms=latency)
        )
        report.answers[question.qid] = answer
    return report


def first_words_baseline(
    questions: Sequence[GoldQuestion], answers: Mapping[str, Answer], words: int
) -> AnswerReport:
    """The simple baseline: the first ``words`` words of the same top passage, nothing composed."""
    report = AnswerReport(f"first {words} words of the top passage")
    for question in with_facts(questions):
        passages = answers[question.qid].passages
        text = " ".join(passages[0].chunk.text.split()[:words]) if passages else ""
        report.scores.append(score_answer(question, text))
    return report


def comparison_table(reports: Sequence[AnswerReport]) -> str:
    """One row per system and split: fact recall, all-facts rate, median words."""
    rows = []
    for report in reports:
        for split in ("all", "dev", "heldout"):
            part = report if split == "all" else report.only(split)
            if not part.scores:
                continue
            s = part.summary()
            rows.append(
                [
                    report.system,
                    split,
                    int(s["questions"]),
                    f"{s['fact_recall']:.3f}",
                    f"{s['all_facts']:.3f}",
                    f"{s['median_words']:.0f}",
                ]
            )
    return markdown_table(
        ["system", "split", "n", "fact recall", "all facts", "median words"], rows
    )


def per_question_table(report: AnswerReport) -> str:
    rows = [
        [s.qid, s.split, f"{s.fact_recall:.2f}", s.words, ", ".join(s.missing) or "—", s.question]
        for s in report.scores
    ]
    return markdown_table(["id", "split", "facts", "words", "missing", "question"], rows)


def answers_report(reports: Sequence[AnswerReport], label: str) -> Report:
    """The run report: systems side by side, then the composer's answers question by question."""
    summary: Summary = {r.system: dict(r.summary()) for r in reports}
    main = reports[0]
    return Report(
        kind="answers",
        title="Answer quality: key facts stated",
        label=label,
        summary=summary,
        sections=[
            ("Systems", comparison_table(reports)),
            (f"Questions ({main.system})", per_question_table(main)),
        ],
        data={"questions": [s.to_dict() for s in main.scores]},
        plot_metrics=list(ANSWER_METRICS),
    )


# The CI gate ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerGateConfig:
    """The ``answers`` block of ``eval/gate_thresholds.json``."""

    minimum: dict[str, float]
    max_drop: float = 0.02
    max_lost_facts: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnswerGateConfig:
        unknown = sorted(set(data["minimum"]) - set(ANSWER_METRICS))
        if unknown:
            raise ValueError(f"unknown answer metrics {unknown}; use {list(ANSWER_METRICS)}")
        return cls(
            minimum={k: float(v) for k, v in data["minimum"].items()},
            max_drop=float(data.get("max_drop", 0.02)),
            max_lost_facts=int(data.get("max_lost_facts", 0)),
        )


@dataclass(frozen=True)
class AnswerBaseline:
    """``eval/baseline_answers.json``: a trusted run, the facts each answer stated."""

    created: str
    summary: dict[str, float]
    stated: dict[str, dict[str, bool]]  # qid -> fact -> stated
    answers: dict[str, str]

    @classmethod
    def from_report(cls, report: AnswerReport) -> AnswerBaseline:
        return cls(
            created=time.strftime("%Y-%m-%dT%H:%M:%S"),
            summary=report.summary(),
            stated={s.qid: dict(zip(s.facts, s.stated, strict=True)) for s in report.scores},
            answers={s.qid: s.answer for s in report.scores},
        )

    @classmethod
    def load(cls, path: Path) -> AnswerBaseline:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(data["created"], data["summary"], data["stated"], data["answers"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise StudyragError(
                f"answer baseline {path}: {error}; create it with `studyrag eval gate "
                "--update-baseline`"
            ) from error

    def save(self, path: Path) -> None:
        data = {
            "created": self.created,
            "summary": self.summary,
            "stated": dict(sorted(self.stated.items())),
            "answers": dict(sorted(self.answers.items())),
        }
        atomic_write_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


@dataclass
class AnswerGateResult:
    summary: dict[str, float]
    baseline: AnswerBaseline
    failures: list[str] = field(default_factory=list)
    lost: list[tuple[AnswerScore, list[str]]] = field(default_factory=list)
    gained: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def check_answers(
    report: AnswerReport, config: AnswerGateConfig, baseline: AnswerBaseline
) -> AnswerGateResult:
    """Minimums, drops against the baseline, and the budget of facts an answer may lose."""
    summary = report.summary()
    result = AnswerGateResult(summary, baseline)
    for metric, minimum in config.minimum.items():
        if summary[metric] < minimum - _EPSILON:
            result.failures.append(f"{metric} {summary[metric]:.3f} is under its minimum {minimum}")
    for metric in ANSWER_METRICS:
        before = baseline.summary.get(metric)
        if before is not None and summary[metric] < before - config.max_drop - _EPSILON:
            result.failures.append(
                f"{metric} dropped {before - summary[metric]:.3f} below the baseline "
                f"({before:.3f} -> {summary[metric]:.3f}; allowed {config.max_drop})"
            )
    for score in report.scores:
        stated_before = baseline.stated.get(score.qid, {})
        now = dict(zip(score.facts, score.stated, strict=True))
        lost = [f for f, ok in stated_before.items() if ok and not now.get(f, False)]
        if lost:
            result.lost.append((score, lost))
        elif any(ok and not stated_before.get(f, False) for f, ok in now.items()):
            result.gained.append(score.qid)
    n_lost = sum(len(facts) for _score, facts in result.lost)
    if n_lost > config.max_lost_facts:
        result.failures.append(
            f"{n_lost} fact(s) no longer stated in {len(result.lost)} answer(s) "
            f"(allowed {config.max_lost_facts})"
        )
    return result


def render_answer_gate(result: AnswerGateResult) -> str:
    """The verdict, then one before/after block per answer that lost a fact."""
    verdict = "PASSED" if result.passed else "FAILED"
    lines = [f"answer gate {verdict} (baseline {result.baseline.created})"]
    for metric in (*ANSWER_METRICS, "median_words"):
        before = result.baseline.summary.get(metric)
        was = f"{before:.3f}" if before is not None else "—"
        lines.append(f"  {metric:<12} {result.summary[metric]:.3f}  (baseline {was})")
    lines += [f"  FAIL: {failure}" for failure in result.failures]
    if result.lost:
        lines.append(f"\n{len(result.lost)} answer(s) lost facts:")
    for score, lost in result.lost:
        lines.append(f"  {score.qid} lost {lost}: {score.question}")
        old_answer = " ".join(plain_answer(result.baseline.answers.get(score.qid, "")).split())
        lines.append(f"    - baseline: {old_answer[:200]}")
        lines.append(f"    + now:      {' '.join(plain_answer(score.answer).split())[:200]}")
    if result.gained:
        gained = ", ".join(result.gained)
        lines.append(f"\n{len(result.gained)} answer(s) state more facts: {gained}")
    return "\n".join(lines)
