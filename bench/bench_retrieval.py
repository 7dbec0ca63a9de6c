"""Retrieval benchmark on the study gold set: quality and latency per configuration and model.

Usage: python bench/bench_retrieval.py [--models minilm bge] [--runs 2]

Side by side in one run, per embedding model: bm25 only, dense only, the previous default
(equal-weight RRF + the cross-encoder over 20 whole passages), fusion alone (the new weights, no
cross-encoder) and the new default (fusion + the cross-encoder over the units of the top 5).
Recall@1 counts a question when its top passage holds a gold span. Every figure is given for the
whole gold set and for its dev and held-out splits. Prints Markdown (paste into BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from studyrag.eval.gold import GoldQuestion, load_gold
from studyrag.eval.metrics import percentile
from studyrag.eval.retrieval_eval import RetrievalReport, evaluate
from studyrag.pipeline import StudyPipeline
from studyrag.retrieval.options import SearchOptions
from studyrag.settings import (
    EmbeddingModelName,
    FusionMethod,
    RerankTarget,
    RetrievalMode,
    Settings,
)

REPO = Path(__file__).resolve().parents[1]
STAGES = ("embed", "dense", "bm25", "fusion", "rerank", "total")
DEPTH = 10


def configurations(pipeline: StudyPipeline) -> list[tuple[str, SearchOptions]]:
    """The compared configurations, all at depth 10."""
    new = pipeline.options(DEPTH, RetrievalMode.HYBRID_RERANK)
    return [
        ("bm25 only", replace(new, mode=RetrievalMode.BM25)),
        ("dense only", replace(new, mode=RetrievalMode.DENSE)),
        (
            "old default: RRF + passage rerank@20",
            replace(
                new,
                fusion=FusionMethod.RRF,
                dense_weight=0.5,
                rerank_depth=20,
                rerank_target=RerankTarget.PASSAGES,
                rerank_rank_penalty=0.0,
            ),
        ),
        ("fusion only (new weights)", replace(new, mode=RetrievalMode.HYBRID)),
        ("new default: fusion + unit rerank@5", new),
    ]


def quality_row(model: str, label: str, report: RetrievalReport, gold: list[GoldQuestion]) -> str:
    cells = []
    for part in (report, report.only("dev", gold), report.only("heldout", gold)):
        s = part.summary()
        cells.append(f"{s['hit@1']:.3f} / {s['recall@5']:.3f} / {s['mrr@10']:.3f}")
    return f"| {model} | {label} | " + " | ".join(cells) + " |"


def latency_row(model: str, label: str, report: RetrievalReport) -> str:
    cells = []
    for stage in STAGES:
        values = [q.timings_ms[stage] for q in report.scores if stage in q.timings_ms]
        cells.append(
            f"{percentile(values, 50):.1f} / {percentile(values, 95):.1f}" if values else "-"
        )
    return f"| {model} | {label} | " + " | ".join(cells) + " |"


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
                for label, options in configurations(pipeline):
                    report = evaluate(pipeline, gold, options.mode, DEPTH, options, label)
                    quality_rows.append(quality_row(model.value, label, report, gold))
                    latency_rows.append(latency_row(model.value, label, report))
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
    parser.add_argument("--runs", type=int, default=2, help="cold ingests per model (median)")
    args = parser.parse_args()
    quality, latency, ingest = [], [], []
    for name in args.models:
        q, lat, ing = bench_model(EmbeddingModelName(name), args.runs)
        quality += q
        latency += lat
        ingest += ing
    gold = load_gold(REPO / "eval" / "data" / "study_qa.jsonl", REPO / "corpus")
    dev = sum(1 for q in gold if q.split == "dev")
    print(
        f"### Retrieval quality on the study gold set ({len(gold)} questions: {dev} dev, "
        f"{len(gold) - dev} held out)\n"
    )
    print("Each cell: Recall@1 / Recall@5 / MRR@10.\n")
    print("| model | configuration | all | dev | held out |")
    print("|---|---|---|---|---|")
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
