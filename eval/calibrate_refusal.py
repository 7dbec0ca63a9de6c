"""Calibrate refusal across every gold set: answerable vs off-topic questions, leave one set out.

    studyrag eval calibrate-refusal [--model minilm --model bge] [--ingest]

For each embedding model every set of ``eval/suite.json`` is searched with the defaults; each
question keeps its best unit logit (rerank on) and its best dense cosine. A refusal rule is
``score < threshold`` where the score is ``logit + weight x cosine`` (rerank on) or the cosine
(rerank off). The rule is chosen so that every set answers at least ``--answered`` of its
answerable questions, then to refuse the most off-topic questions on the worst set, then on
average. Each set is also scored with the rule fitted on the others only (leave one set out), so
the table shows what a corpus nobody tuned on gets. The chosen values belong in the settings
(``refusal_dense_weight_<model>``, ``refusal_min_evidence_<model>``, ``refusal_min_dense_<model>``).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from studyrag.eval.gate import GateConfig
from studyrag.eval.gold import load_gold, load_questions
from studyrag.eval.reports import markdown_table
from studyrag.eval.suite import SuiteSet, set_settings
from studyrag.generate.refusal import best_dense, best_rerank
from studyrag.pipeline import StudyPipeline
from studyrag.settings import RetrievalMode, Settings

Progress = Callable[[str], None]
WEIGHTS = tuple(float(w) for w in range(0, 61, 2))
EVIDENCE_THRESHOLDS = tuple(t / 4 for t in range(-60, 41))
DENSE_THRESHOLDS = tuple(t / 100 for t in range(0, 91))


@dataclass(frozen=True)
class Scored:
    """One question's best scores on its own set's index."""

    set_name: str
    qid: str
    text: str
    answerable: bool
    rerank: float
    dense: float
    dense_alone: float  # the best cosine when rerank is off (other passages may come first)


@dataclass(frozen=True)
class Rule:
    """Refuse when ``rerank + weight x dense < threshold`` (rerank None: ``dense < threshold``)."""

    weight: float | None
    threshold: float

    def refuses(self, s: Scored) -> bool:
        score = s.dense_alone if self.weight is None else s.rerank + self.weight * s.dense
        return score < self.threshold

    def describe(self) -> str:
        if self.weight is None:
            return f"cosine < {self.threshold:.2f}"
        return f"logit + {self.weight:g} x cosine < {self.threshold:g}"


@dataclass(frozen=True)
class Outcome:
    answered: float  # share of answerable questions answered
    refused: float  # share of off-topic questions refused


def outcome(rule: Rule, scored: Sequence[Scored]) -> Outcome:
    answerable = [s for s in scored if s.answerable]
    off = [s for s in scored if not s.answerable]
    answered = 1 - sum(map(rule.refuses, answerable)) / len(answerable) if answerable else 1.0
    refused = sum(map(rule.refuses, off)) / len(off) if off else 1.0
    return Outcome(answered, refused)


def by_set(scored: Sequence[Scored]) -> dict[str, list[Scored]]:
    groups: dict[str, list[Scored]] = {}
    for s in scored:
        groups.setdefault(s.set_name, []).append(s)
    return groups


def choose(rules: Sequence[Rule], groups: dict[str, list[Scored]], answered: float) -> Rule:
    """Every set answers >= ``answered``; then the worst set's refusals; then the mean."""

    def key(rule: Rule) -> tuple[bool, float, float, float]:
        outcomes = [outcome(rule, rows) for rows in groups.values()]
        return (
            all(o.answered >= answered for o in outcomes),
            min(o.refused for o in outcomes),
            statistics.fmean(o.refused for o in outcomes),
            statistics.fmean(o.answered for o in outcomes),
        )

    return max(rules, key=key)


def rules(kind: str) -> list[Rule]:
    if kind == "dense":
        return [Rule(None, t) for t in DENSE_THRESHOLDS]
    return [Rule(w, t) for w in WEIGHTS for t in EVIDENCE_THRESHOLDS]


def collect(
    settings: Settings,
    entries: Sequence[SuiteSet],
    ingest: bool = False,
    progress: Progress | None = None,
) -> list[Scored]:
    """Best logit and cosine of every gold and off-topic question of every set."""
    scored: list[Scored] = []
    for entry in entries:
        config = GateConfig.load(entry.gate)
        chosen = set_settings(settings, entry, config)
        questions = [
            (q.qid, q.question, True) for q in load_gold(Path(config.gold), chosen.index.corpus_dir)
        ]
        if config.off_topic:
            questions += [(i, q, False) for i, q in load_questions(Path(config.off_topic))]
        with StudyPipeline(chosen) as pipeline:
            if ingest:
                pipeline.ingest()
            for qid, text, answerable in questions:
                result = pipeline.search(text, mode=RetrievalMode.HYBRID_RERANK)
                rerank = best_rerank(result.hits)
                dense = best_dense(result.query, result.hits, pipeline.embedder)
                plain = pipeline.search(text, mode=RetrievalMode.HYBRID)
                alone = best_dense(plain.query, plain.hits, pipeline.embedder)
                scored.append(
                    Scored(
                        entry.name,
                        qid,
                        text,
                        answerable,
                        float("-inf") if rerank is None else rerank,
                        float("-inf") if dense is None else dense,
                        float("-inf") if alone is None else alone,
                    )
                )
        if progress:
            progress(f"{entry.name}: {len(questions)} questions scored")
    return scored


def calibration_table(
    scored: Sequence[Scored], kind: str, current: Rule, answered: float = 0.97
) -> tuple[Rule, str]:
    """The shared rule and a Markdown table: per set, left out vs alone vs shared vs current."""
    groups = by_set(scored)
    candidates = rules(kind)
    shared = choose(candidates, groups, answered)
    rows = []

    def cell(rule: Rule, rows_: Sequence[Scored]) -> str:
        o = outcome(rule, rows_)
        return f"{o.answered:.3f} / {o.refused:.3f}"

    for name, rows_ in groups.items():
        others = {n: r for n, r in groups.items() if n != name}
        left_out = choose(candidates, others, answered) if others else shared
        alone = choose(candidates, {name: rows_}, answered)
        rows.append(
            [
                name,
                sum(s.answerable for s in rows_),
                sum(not s.answerable for s in rows_),
                f"{left_out.describe()}: {cell(left_out, rows_)}",
                f"{alone.describe()}: {cell(alone, rows_)}",
                cell(shared, rows_),
                cell(current, rows_),
            ]
        )
    headers = [
        "set",
        "answerable",
        "off-topic",
        "fitted on the others (answered / refused)",
        "fitted on itself",
        f"shared: {shared.describe()}",
        f"settings now: {current.describe()}",
    ]
    return shared, markdown_table(headers, rows)


def run(
    settings: Settings,
    entries: Sequence[SuiteSet],
    ingest: bool = False,
    answered: float = 0.97,
    progress: Progress | None = None,
) -> str:
    """Collect, then both rules (rerank on, rerank off) for the settings' model, as Markdown."""
    scored = collect(settings, entries, ingest, progress)
    model = settings.index.embedding_model
    thresholds = settings.answer.calibrated(model)
    out = [f"### {model.value}\n"]
    for kind, current in (
        ("evidence", Rule(thresholds.refusal_dense_weight, thresholds.refusal_min_evidence)),
        ("dense", Rule(None, thresholds.refusal_min_dense)),
    ):
        shared, table = calibration_table(scored, kind, current, answered)
        title = "rerank on" if kind == "evidence" else "rerank off"
        out.append(f"{title}: shared rule {shared.describe()}\n\n{table}\n")
    return "\n".join(out)
