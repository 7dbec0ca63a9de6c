"""Scaling benchmark: synthetic corpora of N chunks, sidecar vs Qdrant sparse-vector lexical path.

Usage: python bench/bench_scale.py [--sizes 1000 10000 100000] [--queries 40]
Each size runs in its own subprocess (clean peak memory). Generated text, nothing downloaded.
Prints a Markdown table: ingest throughput, peak RSS, index size on disk, and warm query latency
p50/p95 per stage for each lexical backend (hybrid retrieval, no rerank: rerank cost does not grow
with the corpus).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TOPICS = [
    "attention",
    "cache",
    "rotary",
    "tokenizer",
    "adapter",
    "quantization",
    "distillation",
    "retrieval",
    "reranker",
    "embedding",
    "gradient",
    "optimizer",
    "scheduler",
    "batching",
    "sharding",
    "replica",
    "latency",
    "throughput",
    "hallucination",
    "guardrail",
    "alignment",
    "preference",
    "reward",
    "policy",
    "sampling",
    "temperature",
    "decoding",
    "expert",
    "router",
    "memory",
    "agent",
    "planner",
    "evaluation",
    "benchmark",
    "metric",
    "recall",
    "precision",
    "fusion",
]
FILLER = [
    "the",
    "a",
    "model",
    "uses",
    "improves",
    "reduces",
    "keeps",
    "with",
    "for",
    "during",
    "when",
    "because",
    "each",
    "layer",
    "token",
    "training",
    "inference",
    "system",
    "design",
    "trade",
    "off",
    "cost",
    "quality",
    "production",
    "scale",
    "data",
]
QUESTIONS_PER_FILE = 100


def write_corpus(folder: Path, chunks: int, seed: int = 7) -> None:
    """Files of `Qn.` blocks, one short answer each: one chunk per block."""
    rng = random.Random(seed)
    for file_index in range(0, chunks, QUESTIONS_PER_FILE):
        lines = []
        for q in range(1, min(QUESTIONS_PER_FILE, chunks - file_index) + 1):
            topic = rng.sample(TOPICS, 3)
            words = [rng.choice(FILLER + TOPICS) for _ in range(rng.randint(25, 60))]
            lines.append(f"Q{q}. How does {topic[0]} relate to {topic[1]} and {topic[2]}?\n")
            lines.append(" ".join(words).capitalize() + f" (ref {file_index + q}).\n\n")
        (folder / f"doc{file_index // QUESTIONS_PER_FILE:05d}.txt").write_text("".join(lines))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def run_size(size: int, queries: int, model: str) -> dict[str, object]:
    """Runs inside a child process: ingest, then query both lexical backends."""
    from studyrag.pipeline import StudyPipeline
    from studyrag.settings import LexicalBackend, RetrievalMode, Settings

    work = Path(tempfile.mkdtemp(prefix=f"studyrag-scale-{size}-"))
    try:
        corpus = work / "corpus"
        corpus.mkdir()
        write_corpus(corpus, size)
        settings = Settings(data_dir=work / "data", corpus_dir=corpus, embedding_model=model)
        with StudyPipeline(settings) as pipeline:
            begin = time.perf_counter()
            report = pipeline.ingest()
            ingest_s = time.perf_counter() - begin
        rng = random.Random(11)
        questions = [
            f"how does {rng.choice(TOPICS)} affect {rng.choice(TOPICS)}" for _ in range(queries)
        ]
        out: dict[str, object] = {
            "size": size,
            "chunks": report.chunks_total,
            "ingest_s": ingest_s,
            "chunks_per_s": report.chunks_total / ingest_s,
            "disk_mb": sum(f.stat().st_size for f in (work / "data").rglob("*") if f.is_file())
            / 2**20,
        }
        for backend in LexicalBackend:
            with StudyPipeline(settings.model_copy(update={"lexical_backend": backend})) as p:
                begin = time.perf_counter()
                p.search("warm up the retriever", mode=RetrievalMode.HYBRID)
                open_s = time.perf_counter() - begin
                timings: dict[str, list[float]] = {}
                for question in questions:
                    result = p.search(question, top_k=10, mode=RetrievalMode.HYBRID)
                    for stage, ms in result.timings_ms.items():
                        timings.setdefault(stage, []).append(ms)
            out[backend.value] = {
                "first_query_s": open_s,
                **{s: (percentile(v, 0.5), percentile(v, 0.95)) for s, v in timings.items()},
            }
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_size(args.child, args.queries, args.model)))
        return
    # Rows print as each size finishes: a run stopped early keeps what it measured.
    print(
        "| chunks | ingest | chunks/s | peak RSS | on disk | lexical path | first query | "
        "embed p50/p95 | dense p50/p95 | bm25 p50/p95 | fusion p50/p95 | total p50/p95 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    for size in args.sizes:
        command = [sys.executable, __file__, "--child", str(size), "--queries", str(args.queries)]
        done = subprocess.run([*command, "--model", args.model], capture_output=True, text=True)
        if done.returncode != 0:
            print(f"size {size} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
            continue
        print(table_rows(json.loads(done.stdout.strip().splitlines()[-1])), flush=True)


def table_rows(row: dict[str, Any]) -> str:
    """One Markdown row per lexical path for one corpus size."""
    lines = []
    for backend in ("sidecar", "qdrant-sparse"):
        stages = row[backend]
        cells = [
            "{:.1f} / {:.1f} ms".format(*stages[s]) if s in stages else "-"
            for s in ("embed", "dense", "bm25", "fusion", "total")
        ]
        lines.append(
            f"| {row['chunks']:,} | {row['ingest_s']:.0f} s | {row['chunks_per_s']:.0f} | "
            f"{row['peak_rss_mb']:.0f} MB | {row['disk_mb']:.0f} MB | {backend} | "
            f"{stages['first_query_s']:.1f} s | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
