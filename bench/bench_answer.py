"""Answer benchmark: key facts stated, refusal precision/recall, extractive answer latency.

Key facts (ALCE-style STR-EM on the gold set's `facts`), side by side in one run: the unit
composer at its default word budget and at 60 / 120 words, and the baseline "first N words of the
top passage" at the composer's median length.

Usage: python bench/bench_answer.py [--data-dir DIR] [--runs 3] [--sample 20]
Without --data-dir the corpus is ingested into a fresh temporary folder. Every question goes
through the real Assistant (extractive backend, settings thresholds). Latency is measured over
``--runs`` warm passes on ``--sample`` gold questions. Prints Markdown (paste into BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from studyrag.assistant import AskRequest, Assistant
from studyrag.eval.answers import (
    AnswerReport,
    comparison_table,
    evaluate_answers,
    first_words_baseline,
)
from studyrag.eval.gold import load_gold, load_questions
from studyrag.eval.metrics import percentile
from studyrag.pipeline import StudyPipeline
from studyrag.settings import GeneratorBackend, Settings

REPO = Path(__file__).resolve().parents[1]
EXTRACTIVE = AskRequest(backend=GeneratorBackend.EXTRACTIVE)
OFF_TOPIC = (REPO / "eval/data/off_topic.jsonl", REPO / "eval/data/off_topic_extra.jsonl")


@dataclass(frozen=True)
class Question:
    text: str
    answerable: bool


def calibration_questions(corpus_dir: Path) -> list[Question]:
    """Every gold question (answerable) and every off-topic question about `corpus/`."""
    gold = load_gold(REPO / "eval" / "data" / "study_qa.jsonl", corpus_dir)
    questions = [Question(q.question, True) for q in gold]
    for path in OFF_TOPIC:
        questions += [Question(text, False) for _qid, text in load_questions(path)]
    return questions


@dataclass(frozen=True)
class Outcome:
    question: Question
    refused: bool


def refusal_rows(outcomes: Sequence[Outcome]) -> list[str]:
    """Positive = refused: precision over refusals, recall over off-topic questions."""
    off_topic = [o for o in outcomes if not o.question.answerable]
    answerable = [o for o in outcomes if o.question.answerable]
    refused = [o for o in outcomes if o.refused]
    right = sum(1 for o in refused if not o.question.answerable)
    precision = right / len(refused) if refused else 1.0
    recall = right / len(off_topic) if off_topic else 1.0
    answered = sum(1 for o in answerable if not o.refused)
    return [
        f"| refusal precision (off-topic among refused) | {precision:.3f} "
        f"({right}/{len(refused)}) |",
        f"| refusal recall (off-topic refused) | {recall:.3f} ({right}/{len(off_topic)}) |",
        f"| answerable questions answered | {answered / len(answerable):.3f} "
        f"({answered}/{len(answerable)}) |",
    ]


def latency_rows(totals: Sequence[float], generate: Sequence[float]) -> list[str]:
    return [
        f"| extractive answer latency p50 / p95 (end to end) | {percentile(totals, 50):.0f} / "
        f"{percentile(totals, 95):.0f} ms |",
        "| of which `generate` (composing; the unit scores come from the rerank) p50 / p95 | "
        f"{percentile(generate, 50):.0f} / {percentile(generate, 95):.0f} ms |",
    ]


def fact_rows(assistant: Assistant, settings: Settings) -> list[str]:
    """Composer at three budgets and the first-N-words baseline, every split."""
    gold = load_gold(REPO / "eval" / "data" / "study_qa.jsonl", settings.index.corpus_dir)
    default = evaluate_answers(
        assistant, gold, system=f"composer ({settings.answer.answer_max_words} w)"
    )
    reports: list[AnswerReport] = [default]
    for words in (60, 120):
        reports.append(evaluate_answers(assistant, gold, words, system=f"composer ({words} w)"))
    median = int(default.summary()["median_words"])
    reports.append(first_words_baseline(gold, default.answers, median))
    return ["Key facts stated (gold set, `facts`)", "", comparison_table(reports), ""]


def run(settings: Settings, runs: int, sample: int) -> list[str]:
    questions = calibration_questions(settings.index.corpus_dir)
    with StudyPipeline(settings) as pipeline:
        if pipeline.status().chunks == 0:
            begin = time.perf_counter()
            pipeline.ingest()
            print(f"ingested the corpus in {time.perf_counter() - begin:.1f} s", flush=True)
        assistant = Assistant(pipeline)
        assistant.ask("What is LoRA?", request=EXTRACTIVE)  # warm every model
        facts = fact_rows(assistant, settings)
        outcomes = [
            Outcome(q, assistant.ask(q.text, request=EXTRACTIVE).refused) for q in questions
        ]
        timed = [q for q in questions if q.answerable][:sample]
        totals: list[float] = []
        generate: list[float] = []
        for _ in range(runs):
            for question in timed:
                answer = assistant.ask(question.text, request=EXTRACTIVE)
                totals.append(answer.timings_ms["total"])
                generate.append(answer.timings_ms["generate"])
    answer, retrieval = settings.answer, settings.retrieval
    header = [
        f"Answering ({settings.index.embedding_model.value}, {retrieval.mode.value}, top_k "
        f"{retrieval.top_k}; refusal: unit logit + {answer.refusal_dense_weight_minilm:g} x "
        f"dense cosine < {answer.refusal_min_evidence_minilm:g} (minilm); "
        f"{len(timed)} questions x {runs} warm runs for latency)",
        "",
        "| metric | value |",
        "|---|---:|",
    ]
    return facts + header + refusal_rows(outcomes) + latency_rows(totals, generate)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Refusal quality and extractive latency.")
    parser.add_argument("--data-dir", type=Path, help="an ingested data folder (default: temp)")
    parser.add_argument("--corpus-dir", type=Path, default=REPO / "corpus")
    parser.add_argument("--runs", type=int, default=3, help="warm latency passes")
    parser.add_argument("--sample", type=int, default=20, help="gold questions timed per pass")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="studyrag-bench-answer-") as temp:
        settings = Settings(data_dir=args.data_dir or Path(temp), corpus_dir=args.corpus_dir)
        lines = run(settings, max(1, args.runs), max(1, args.sample))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
