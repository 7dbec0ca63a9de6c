"""One evaluation across every gold set: the same defaults, one table, one gate per set.

``eval/suite.json`` lists the sets. Each names a gate file (``GateConfig``: gold questions, the
documents they are about, minimums, held-out floors, off-topic questions) and its data folder, so
every set is scored on its own index. Per set the suite reports retrieval (Recall@1, Recall@5,
MRR@10, nDCG@10), answers (key-fact recall beside the first-100-words baseline), refusal
(off-topic refused, answerable answered) and warm answer latency, split by dev and held out.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studyrag.eval.answers import (
    AnswerBaseline,
    AnswerReport,
    check_answers,
    evaluate_answers,
    first_words_baseline,
    render_answer_gate,
)
from studyrag.eval.gate import Baseline, GateConfig, check, render
from studyrag.eval.gold import GoldQuestion, load_gold, load_questions
from studyrag.eval.metrics import percentile
from studyrag.eval.reports import Report, fmt, markdown_table
from studyrag.eval.retrieval_eval import RetrievalReport, evaluate
from studyrag.types import StudyragError

if TYPE_CHECKING:
    from studyrag.assistant import Assistant
    from studyrag.pipeline import StudyPipeline
    from studyrag.settings import Settings

Progress = Callable[[str], None]
SPLITS = ("all", "dev", "heldout")
_EPSILON = 1e-9


@dataclass(frozen=True)
class SuiteSet:
    """One gold set of the suite: its gate file, baselines and data folder."""

    name: str
    gate: Path
    retrieval_baseline: Path
    answer_baseline: Path
    data_dir: Path | None  # None: the settings' data folder (the corpus index)

    @classmethod
    def from_dict(cls, data: dict[str, Any], root: Path) -> SuiteSet:
        gate = root / data["gate"]
        stem = gate.with_suffix("")  # gates/x.json -> gates/x.retrieval.json, gates/x.answers.json
        retrieval = data.get("retrieval_baseline")
        answers = data.get("answer_baseline")
        return cls(
            name=str(data["name"]),
            gate=gate,
            retrieval_baseline=root / retrieval if retrieval else Path(f"{stem}.retrieval.json"),
            answer_baseline=root / answers if answers else Path(f"{stem}.answers.json"),
            data_dir=Path(data["data_dir"]) if data.get("data_dir") else None,
        )


def set_settings(base: Settings, entry: SuiteSet, config: GateConfig) -> Settings:
    """The settings a set runs with: its documents and its data folder, the rest unchanged."""
    overrides: dict[str, object] = {}
    if config.corpus:
        overrides["corpus_dir"] = Path(config.corpus)
    if entry.data_dir is not None:
        overrides["data_dir"] = entry.data_dir
    return base.replace(**overrides) if overrides else base


def load_suite(path: Path, only: Sequence[str] | None = None) -> list[SuiteSet]:
    """The sets of ``eval/suite.json`` (paths relative to it), optionally only some by name."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["sets"]
        sets = [SuiteSet.from_dict(row, path.parent) for row in rows]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StudyragError(f"suite {path}: {error}") from error
    if only:
        unknown = sorted(set(only) - {s.name for s in sets})
        if unknown:
            names = ", ".join(s.name for s in sets)
            raise StudyragError(f"no set named {', '.join(unknown)} in {path}; sets: {names}")
        sets = [s for s in sets if s.name in only]
    return sets


@dataclass
class SetResult:
    """Everything measured on one set."""

    name: str
    config: GateConfig
    gold: list[GoldQuestion]
    chunks: int
    retrieval: RetrievalReport
    answers: AnswerReport
    baseline: AnswerReport  # the first 100 words of the top passage
    off_topic: list[tuple[str, str, bool]] = field(default_factory=list)  # id, question, refused

    def part(self, split: str) -> tuple[RetrievalReport, AnswerReport, AnswerReport]:
        if split == "all":
            return self.retrieval, self.answers, self.baseline
        return (
            self.retrieval.only(split, self.gold),
            self.answers.only(split),
            self.baseline.only(split),
        )

    def refusal(self) -> dict[str, float | None]:
        """Off-topic refused (recall of refusal), its precision, and answerable answered."""
        refused_off = sum(r for _i, _q, r in self.off_topic)
        refused_gold = sum(s.refused for s in self.answers.scores)
        refused = refused_off + refused_gold
        answered = 1.0 - refused_gold / len(self.answers.scores) if self.answers.scores else None
        return {
            "refusal_recall": refused_off / len(self.off_topic) if self.off_topic else None,
            "refusal_precision": refused_off / refused if refused else None,
            "answered": answered,
        }

    def row(self, split: str) -> dict[str, float | None]:
        """The suite table's metrics of one split."""
        retrieved, answered, baseline = self.part(split)
        if not retrieved.scores:
            return {}
        summary = retrieved.summary()
        latencies = [s.latency_ms for s in answered.scores if s.latency_ms] or [float("nan")]
        words = [s.words for s in answered.scores if not s.refused] or [0]
        refusal = (
            self.refusal()
            if split == "all"
            else dict.fromkeys(("refusal_recall", "refusal_precision", "answered"))
        )
        return {
            "questions": float(len(retrieved.scores)),
            "recall@1": summary["hit@1"],
            "recall@5": summary["hit@5"],
            "mrr@10": summary["mrr@10"],
            "ndcg@10": summary["ndcg@10"],
            "fact_recall": answered.summary()["fact_recall"] if answered.scores else None,
            "fact_recall_first100": (
                baseline.summary()["fact_recall"] if baseline.scores else None
            ),
            "median_words": float(statistics.median(words)),
            **refusal,
            "answer_p50_ms": percentile(latencies, 50),
            "answer_p95_ms": percentile(latencies, 95),
            "chunks": float(self.chunks),
        }


@dataclass
class SuiteRun:
    results: list[SetResult]
    beir: dict[str, dict[str, float | None]] = field(default_factory=dict)  # BEIR rows

    def summary(self) -> dict[str, dict[str, float | None]]:
        rows = {
            f"{r.name}/{split}": row
            for r in self.results
            for split in SPLITS
            if (row := r.row(split))
        }
        return {**rows, **self.beir}


def beir_row(
    summary: dict[str, float | None], queries: int, chunks: int
) -> dict[str, float | None]:
    """A BEIR run in the suite's columns: nDCG@10, MRR@10 and search (not answer) latency."""
    return {
        "questions": float(queries),
        "mrr@10": summary["mrr@10"],
        "ndcg@10": summary["ndcg@10"],
        "search_p50_ms": summary["latency_p50_ms"],
        "search_p95_ms": summary["latency_p95_ms"],
        "chunks": float(chunks),
    }


def score_off_topic(assistant: Assistant, path: Path) -> list[tuple[str, str, bool]]:
    """Ask each off-topic question; True where the assistant refused."""
    return [(qid, q, assistant.ask(q).refused) for qid, q in load_questions(path)]


def run_set(
    pipeline: StudyPipeline,
    settings: Settings,
    config: GateConfig,
    name: str,
    progress: Progress | None = None,
) -> SetResult:
    """Score one set on an ingested pipeline with the settings' defaults."""
    from studyrag.assistant import Assistant

    gold = load_gold(Path(config.gold), settings.index.corpus_dir)
    say = progress or (lambda _m: None)
    pipeline.warm_up()
    say(f"{name}: retrieval on {len(gold)} questions")
    retrieval = evaluate(pipeline, gold, config.mode)
    assistant = Assistant(pipeline)
    say(f"{name}: answers")
    answers = evaluate_answers(assistant, gold)
    baseline = first_words_baseline(gold, answers.answers, settings.answer.answer_max_words)
    off_topic = score_off_topic(assistant, Path(config.off_topic)) if config.off_topic else []
    return SetResult(
        name, config, gold, pipeline.store.count(), retrieval, answers, baseline, off_topic
    )


# The gate ---------------------------------------------------------------------------------------
@dataclass
class SetVerdict:
    name: str
    passed: bool
    text: str


def gate_set(result: SetResult, entry: SuiteSet) -> SetVerdict:
    """Baseline drops and minimums (as ``eval gate``), then held-out floors and refusal floors."""
    config = result.config
    retrieval = check(result.retrieval, config, Baseline.load(entry.retrieval_baseline))
    parts = [render(retrieval)]
    passed = retrieval.passed
    if config.answers is not None:
        verdict = check_answers(
            result.answers, config.answers, AnswerBaseline.load(entry.answer_baseline)
        )
        parts.append(render_answer_gate(verdict))
        passed = passed and verdict.passed
    floors = floor_failures(result)
    parts += [f"  FAIL: {failure}" for failure in floors]
    passed = passed and not floors
    head = f"== {result.name}: {'PASSED' if passed else 'FAILED'}"
    return SetVerdict(result.name, passed, "\n".join([head, *parts]))


def floor_failures(result: SetResult) -> list[str]:
    """The held-out part's own floors and the refusal floors of one set."""
    failures = []
    config = result.config
    heldout = result.row("heldout")
    for metric, minimum in config.heldout_minimum.items():
        value = heldout.get(metric)
        if value is None or value < minimum - _EPSILON:
            failures.append(f"held-out {metric} {fmt(value)} is under its floor {minimum}")
    refusal = result.refusal()
    for metric, minimum in config.refusal_minimum.items():
        value = refusal.get(metric)
        if value is None or value < minimum - _EPSILON:
            failures.append(f"{metric} {fmt(value)} is under its floor {minimum}")
            if metric == "refusal_recall":
                answered = [q for _i, q, refused in result.off_topic if not refused]
                failures += [f"  off-topic answered: {q}" for q in answered]
    return failures


# Reporting ---------------------------------------------------------------------------------------
_COLUMNS = (
    ("questions", "n", 0),
    ("recall@1", "R@1", 3),
    ("recall@5", "R@5", 3),
    ("mrr@10", "MRR@10", 3),
    ("ndcg@10", "nDCG@10", 3),
    ("fact_recall", "facts", 3),
    ("fact_recall_first100", "facts first-100", 3),
    ("median_words", "words", 0),
    ("refusal_recall", "off-topic refused", 2),
    ("refusal_precision", "refusal precision", 2),
    ("answered", "answered", 2),
    ("answer_p50_ms", "answer p50 ms", 0),
    ("answer_p95_ms", "answer p95 ms", 0),
    ("search_p50_ms", "search p50 ms", 0),
    ("chunks", "chunks", 0),
)


def suite_table(summary: dict[str, dict[str, float | None]]) -> str:
    """One Markdown row per set and split."""
    rows = [
        [label, *(fmt(row.get(key), digits) for key, _h, digits in _COLUMNS)]
        for label, row in summary.items()
    ]
    return markdown_table(["set/split", *(h for _k, h, _d in _COLUMNS)], rows)


def suite_report(run: SuiteRun, label: str = "suite") -> Report:
    summary = run.summary()
    misses = [
        [r.name, s.qid, s.question, "—" if s.first_relevant is None else s.first_relevant]
        for r in run.results
        for s in r.retrieval.misses(1)
    ]
    return Report(
        kind="suite",
        title="Every gold set, the same defaults",
        label=label,
        summary=summary,
        sections=[
            ("Sets", suite_table(summary)),
            ("Not at rank 1", markdown_table(["set", "id", "question", "gold rank"], misses)),
        ],
        data={
            "per_question": {
                r.name: {
                    "retrieval": [s.to_dict() for s in r.retrieval.scores],
                    "answers": [s.to_dict() for s in r.answers.scores],
                    "off_topic": [
                        {"id": i, "question": q, "refused": refused}
                        for i, q, refused in r.off_topic
                    ],
                }
                for r in run.results
            }
        },
        plot_metrics=["recall@1", "recall@5", "mrr@10", "fact_recall"],
    )
