"""Calibrate the refusal thresholds: gold (answerable) vs off-topic questions, per score type.

    studyrag eval calibrate-refusal [--data-dir DIR] [--model minilm --model bge]

For each embedding model it ingests the corpus (into a temporary folder unless ``--data-dir``),
takes the best score each question reaches (the cross-encoder logit with rerank on, the dense
cosine with rerank off) and prints refusal precision/recall per threshold. "Positive" means
refused: precision = refused off-topic / all refused, recall = refused off-topic / all off-topic.
The chosen thresholds belong in the settings defaults (``refusal_min_*``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from studyrag.eval.gold import load_gold, load_questions
from studyrag.generate.refusal import best_dense, best_rerank, dense_threshold
from studyrag.pipeline import StudyPipeline
from studyrag.settings import EmbeddingModelName, RetrievalMode, Settings

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "data" / "study_qa.jsonl"
OFF_TOPIC = (
    ROOT / "eval" / "data" / "off_topic.jsonl",
    ROOT / "eval" / "data" / "off_topic_extra.jsonl",
)


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    answerable: bool


@dataclass(frozen=True)
class Scored:
    question: Question
    score: float
    dense: float = float("-inf")  # best dense cosine (the guard of a reranked question)


@dataclass(frozen=True)
class Row:
    """Refusal quality at one threshold (refuse when score < threshold)."""

    threshold: float
    precision: float
    recall: float
    false_refusals: int  # answerable questions refused
    answerable: int
    off_topic: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def calibration_questions(corpus_dir: Path) -> list[Question]:
    """Every gold question (answerable) and every off-topic question (not answerable)."""
    questions = [Question(q.qid, q.question, True) for q in load_gold(GOLD, corpus_dir)]
    for path in OFF_TOPIC:
        questions.extend(Question(qid, text, False) for qid, text in load_questions(path))
    return questions


def score_questions(
    pipeline: StudyPipeline, questions: Iterable[Question], kind: str, top_k: int = 5
) -> list[Scored]:
    """The best score of each question: ``kind`` is "rerank" or "dense" (rerank off)."""
    scored = []
    for question in questions:
        mode = RetrievalMode.HYBRID_RERANK if kind == "rerank" else RetrievalMode.HYBRID
        result = pipeline.search(question.text, top_k=top_k, mode=mode)
        dense = best_dense(result.query, result.hits, pipeline.embedder)
        score = best_rerank(result.hits) if kind == "rerank" else dense
        scored.append(
            Scored(
                question,
                float("-inf") if score is None else score,
                float("-inf") if dense is None else dense,
            )
        )
    return scored


def guard_table(
    scored: Sequence[Scored], thresholds: Sequence[float], guards: Sequence[float]
) -> str:
    """Refuse when the unit logit is under a threshold and the dense cosine under a guard."""
    lines = [
        "| unit logit under | dense under | refusal precision | refusal recall | F1 "
        "| answerable refused |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for threshold in thresholds:
        for guard in guards:
            kept = [
                Scored(s.question, s.score if s.dense < guard else float("inf")) for s in scored
            ]
            row = evaluate(kept, threshold)
            lines.append(
                f"| {threshold:.2f} | {guard:.2f} | {row.precision:.3f} | {row.recall:.3f} "
                f"| {row.f1:.3f} | {row.false_refusals}/{row.answerable} |"
            )
    return "\n".join(lines)


def evaluate(scored: Sequence[Scored], threshold: float) -> Row:
    """Precision/recall of "refuse when best score < threshold"."""
    refused = [s for s in scored if s.score < threshold]
    off_topic = sum(1 for s in scored if not s.question.answerable)
    right = sum(1 for s in refused if not s.question.answerable)
    return Row(
        threshold=threshold,
        precision=right / len(refused) if refused else 1.0,
        recall=right / off_topic if off_topic else 1.0,
        false_refusals=len(refused) - right,
        answerable=len(scored) - off_topic,
        off_topic=off_topic,
    )


def choose_threshold(scored: Sequence[Scored], step: float) -> Row:
    """The threshold with the best F1; ties go to the lower one (fewer false refusals)."""
    grid = candidate_thresholds(scored, step)
    return max((evaluate(scored, t) for t in grid), key=lambda r: (round(r.f1, 6), -r.threshold))


def candidate_thresholds(scored: Sequence[Scored], step: float) -> list[float]:
    finite = [s.score for s in scored if s.score != float("-inf")]
    low, high = min(finite), max(finite)
    count = int((high - low) / step) + 2
    return [round(low + i * step, 4) for i in range(count)]


def sweep_table(scored: Sequence[Scored], chosen: float, step: float, width: int = 6) -> str:
    """A Markdown table of thresholds around the chosen one."""
    lines = [
        "| threshold | refusal precision | refusal recall | F1 | answerable refused |",
        "|---:|---:|---:|---:|---:|",
    ]
    for i in range(-width, width + 1):
        row = evaluate(scored, round(chosen + i * step, 4))
        mark = " **(chosen)**" if i == 0 else ""
        lines.append(
            f"| {row.threshold:.3f}{mark} | {row.precision:.3f} | {row.recall:.3f} | "
            f"{row.f1:.3f} | {row.false_refusals}/{row.answerable} |"
        )
    return "\n".join(lines)


def calibrate_model(settings: Settings, questions: Sequence[Question]) -> list[str]:
    """Ingest (when needed), score, and report both score types for one embedding model."""
    out = []
    with StudyPipeline(settings) as pipeline:
        if pipeline.status().chunks == 0:
            pipeline.ingest()
        for kind, step in (("rerank", 0.25), ("dense", 0.01)):
            scored = score_questions(pipeline, questions, kind)
            best = choose_threshold(scored, step)
            current = settings.refusal_min_rerank if kind == "rerank" else dense_threshold(settings)
            now = evaluate(scored, current)
            out.append(
                f"\n### {settings.embedding_model.value}: {kind} "
                f"({best.answerable} answerable, {best.off_topic} off-topic)\n\n"
                f"best F1 threshold: {best.threshold:.3f} (precision {best.precision:.3f}, "
                f"recall {best.recall:.3f}, {best.false_refusals} answerable refused); "
                f"settings default {current:.3f}: precision {now.precision:.3f}, "
                f"recall {now.recall:.3f}, {now.false_refusals} answerable refused\n"
            )
            out.append(sweep_table(scored, best.threshold, step))
            print(out[-2] + out[-1], flush=True)
            if kind == "rerank":
                out.append(
                    "\nWith the dense guard (refuse only when both are under):\n\n"
                    + guard_table(scored, (-7.0, -6.5, -6.0, -5.5), (0.32, 0.34, 0.36, 0.38))
                )
                print(out[-1], flush=True)
    return out


def run(
    models: Sequence[EmbeddingModelName], corpus_dir: Path, data_dir: Path | None = None
) -> None:
    """Calibrate each model's refusal thresholds on an ingested copy of ``corpus_dir``."""
    questions = calibration_questions(corpus_dir)
    with tempfile.TemporaryDirectory(prefix="studyrag-calibrate-") as temp:
        for model in models:
            settings = Settings(
                data_dir=data_dir or Path(temp), corpus_dir=corpus_dir, embedding_model=model
            )
            calibrate_model(settings, questions)
