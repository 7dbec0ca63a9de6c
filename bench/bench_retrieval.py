"""Retrieval benchmark on the study gold set: quality and latency per configuration and model.

Usage: python bench/bench_retrieval.py [--models minilm bge] [--runs 3]
Prints Markdown tables (paste into BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from studyrag.eval.gold import load_gold
from studyrag.eval.retrieval_eval import evaluate
from studyrag.pipeline import StudyPipeline
from studyrag.settings import EmbeddingModelName, RetrievalMode, Settings

REPO = Path(__file__).resolve().parents[1]
STAGES = ("embed", "dense", "bm25", "fusion", "rerank", "total")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def bench_model(model: EmbeddingModelName, runs: int) -> tuple[list[str], list[str], list[str]]:
    gold = load_gold(REPO / "eval" / "data" / "study_qa.jsonl", REPO / "corpus")
    cold, unchanged = [], []
    quality_rows, latency_rows = [], []
    workdir = Path(tempfile.mkdtemp(prefix="studyrag-bench-"))
    try:
        for run in range(runs):
            settings = Settings(
                data_dir=workdir / f"run{run}", corpus_dir=REPO / "corpus", embedding_model=model
            )
            with StudyPipeline(settings) as pipeline:
                begin = time.perf_counter()
                pipeline.ingest()
                cold.append(time.perf_counter() - begin)
                begin = time.perf_counter()
                pipeline.ingest()
                unchanged.append(time.perf_counter() - begin)
                if run < runs - 1:
                    continue
                pipeline.warm_up()
                for mode in RetrievalMode:
                    report = evaluate(pipeline, gold, mode)
                    s = report.summary()
                    quality_rows.append(
                        f"| {model.value} | {mode.value} | {s['recall@5']:.3f} | {s['hit@5']:.3f} "
                        f"| {s['mrr@10']:.3f} | {s['ndcg@10']:.3f} |"
                    )
                    cells = []
                    for stage in STAGES:
                        values = [
                            q.timings_ms[stage] for q in report.scores if stage in q.timings_ms
                        ]
                        cells.append(
                            f"{percentile(values, 0.5):.1f} / {percentile(values, 0.95):.1f}"
                            if values
                            else "-"
                        )
                    latency_rows.append(
                        f"| {model.value} | {mode.value} | " + " | ".join(cells) + " |"
                    )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ingest_rows = [
        f"| {model.value} | {statistics.median(cold):.1f} s | {statistics.median(unchanged):.2f} s "
        f"| {runs} |"
    ]
    return quality_rows, latency_rows, ingest_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="+", default=[m.value for m in EmbeddingModelName])
    parser.add_argument("--runs", type=int, default=3, help="cold ingests per model (median)")
    args = parser.parse_args()
    quality, latency, ingest = [], [], []
    for name in args.models:
        q, lat, ing = bench_model(EmbeddingModelName(name), args.runs)
        quality += q
        latency += lat
        ingest += ing
    n = len(load_gold(REPO / "eval" / "data" / "study_qa.jsonl", REPO / "corpus"))
    print(f"### Retrieval quality on the study gold set ({n} questions)\n")
    print("| model | configuration | Recall@5 | Hit@5 | MRR@10 | nDCG@10 |")
    print("|---|---|---|---|---|---|")
    print("\n".join(quality))
    print("\n### Query latency per stage, warm, ms (p50 / p95 over the gold questions)\n")
    print("| model | configuration | " + " | ".join(STAGES) + " |")
    print("|---|---|" + "---|" * len(STAGES))
    print("\n".join(latency))
    print("\n### Ingest of corpus/ (median of runs)\n")
    print("| model | cold | unchanged re-ingest | runs |")
    print("|---|---|---|---|")
    print("\n".join(ingest))


if __name__ == "__main__":
    main()
