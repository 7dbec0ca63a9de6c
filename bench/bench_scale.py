"""Scaling benchmark: both embedded engines side by side on synthetic corpora of N chunks.

Usage: python bench/bench_scale.py [--sizes 1000 10000 100000] [--engines edge local]
       [--queries 40] [--vectors-only 300000]

For each size and engine: one child process ingests (chunks/s, its peak RSS, size on disk), then
one child per lexical path (rank-bm25 sidecar, the engine's sparse vectors) runs warm hybrid
queries without rerank (rerank cost does not grow with the corpus) and reports p50/p95 per stage
and its own peak RSS; `auto` marks the path the settings would choose at that size.
`--vectors-only N` adds an engine-only row: N random 384-d vectors and sparse vectors written
straight into an Edge shard (no embedding), then dense, sparse and both-in-one-batch queries.
Generated data, nothing downloaded; each measurement in its own process for a clean peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from studyrag.eval.metrics import percentile

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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mb(folder: Path) -> float:
    """Blocks in use (Edge preallocates WAL segments as sparse files)."""
    return sum(f.stat().st_blocks * 512 for f in folder.rglob("*") if f.is_file()) / 2**20


def settings_for(work: Path, engine: str, model: str, **extra: object):
    from studyrag.settings import Settings

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=work / "data",
        corpus_dir=work / "corpus",
        embedding_model=model,
        engine=engine,
        **extra,
    )


def child_ingest(work: Path, size: int, engine: str, model: str) -> dict[str, object]:
    """Write the corpus and ingest it with one engine."""
    from studyrag.pipeline import StudyPipeline

    corpus = work / "corpus"
    corpus.mkdir(parents=True)
    write_corpus(corpus, size)
    with StudyPipeline(settings_for(work, engine, model)) as pipeline:
        begin = time.perf_counter()
        report = pipeline.ingest()
        seconds = time.perf_counter() - begin
        lexical = pipeline.lexical_choice().backend.value
    return {
        "chunks": report.chunks_total,
        "ingest_s": seconds,
        "chunks_per_s": report.chunks_total / seconds,
        "ingest_rss_mb": peak_rss_mb(),
        "disk_mb": disk_mb(work / "data"),
        "auto": lexical,
    }


def child_query(work: Path, engine: str, lexical: str, model: str, queries: int) -> dict:
    """Warm hybrid queries (no rerank) on one lexical path."""
    from studyrag.pipeline import StudyPipeline
    from studyrag.settings import RetrievalMode

    rng = random.Random(11)
    questions = [
        f"how does {rng.choice(TOPICS)} affect {rng.choice(TOPICS)}" for _ in range(queries)
    ]
    settings = settings_for(work, engine, model, lexical_backend=lexical)
    with StudyPipeline(settings) as pipeline:
        begin = time.perf_counter()
        pipeline.search("warm up the retriever", mode=RetrievalMode.HYBRID)
        first = time.perf_counter() - begin
        timings: dict[str, list[float]] = {}
        for question in questions:
            result = pipeline.search(question, top_k=10, mode=RetrievalMode.HYBRID)
            stages = dict(result.timings_ms)
            stages["search"] = stages["total"] - stages.get("embed", 0.0)
            for stage, ms in stages.items():
                timings.setdefault(stage, []).append(ms)
    return {
        "first_query_s": first,
        "rss_mb": peak_rss_mb(),
        **{s: (percentile(v, 50), percentile(v, 95)) for s, v in timings.items()},
    }


def child_vectors(work: Path, count: int, queries: int) -> dict[str, object]:
    """Engine only: random vectors straight into an Edge shard, then timed queries."""
    import numpy as np
    from qdrant_client import models

    from studyrag.index.edge_store import EdgeStore
    from studyrag.types import Chunk

    rng = np.random.default_rng(5)
    store = EdgeStore(settings_for(work, "edge", "minilm"), 384)
    store.ensure_collection()
    begin = time.perf_counter()
    batch = 5000
    for start in range(0, count, batch):
        n = min(batch, count - start)
        vectors = rng.standard_normal((n, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        chunks = [
            Chunk(
                f"doc{(start + i) // 100:05d}.txt#{start + i}",
                f"doc{(start + i) // 100:05d}.txt",
                f"synthetic passage {start + i}",
                0,
                0,
            )
            for i in range(n)
        ]
        sparse = [
            models.SparseVector(
                indices=sorted(rng.choice(50_000, 30, replace=False).tolist()),
                values=rng.random(30).tolist(),
            )
            for _ in range(n)
        ]
        store.upsert(chunks, vectors, sparse, batch_size=1000)
    write_s = time.perf_counter() - begin
    begin = time.perf_counter()
    store.optimize()
    optimize_s = time.perf_counter() - begin
    timings: dict[str, list[float]] = {"dense": [], "bm25": [], "dense+bm25": []}
    for _ in range(queries + 1):
        query = rng.standard_normal(384).astype(np.float32)
        query /= np.linalg.norm(query)
        sparse = models.SparseVector(
            indices=sorted(rng.choice(50_000, 6, replace=False).tolist()), values=[1.0] * 6
        )
        begin = time.perf_counter()
        store.search_dense(query, 40)
        timings["dense"].append((time.perf_counter() - begin) * 1000)
        begin = time.perf_counter()
        store.search_sparse(sparse, 40)
        timings["bm25"].append((time.perf_counter() - begin) * 1000)
        begin = time.perf_counter()
        store.search_both(query, sparse, 40)
        timings["dense+bm25"].append((time.perf_counter() - begin) * 1000)
    store.close()
    return {
        "count": count,
        "write_s": write_s,
        "optimize_s": optimize_s,
        "rss_mb": peak_rss_mb(),
        "disk_mb": disk_mb(work / "data"),
        **{s: (percentile(v[1:], 50), percentile(v[1:], 95)) for s, v in timings.items()},
    }


def run_child(*args: str) -> dict | None:
    """One measurement in a fresh interpreter; its JSON result, or None (the error is printed)."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True
    )
    if done.returncode != 0:
        print(f"child {args} failed:\n{done.stderr[-2000:]}", file=sys.stderr, flush=True)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


STAGES = ("embed", "dense", "bm25", "dense+bm25", "fusion", "search", "total")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000, 100_000])
    parser.add_argument("--engines", nargs="+", default=["edge", "local"])
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--vectors-only", type=int, default=0)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, work, *rest = args.child
        if kind == "ingest":
            out = child_ingest(Path(work), int(rest[0]), rest[1], args.model)
        elif kind == "query":
            out = child_query(Path(work), rest[0], rest[1], args.model, args.queries)
        else:
            out = child_vectors(Path(work), int(rest[0]), args.queries)
        print(json.dumps(out))
        return
    # Rows print as each measurement finishes: a run stopped early keeps what it measured.
    print(
        "| chunks | engine | ingest | chunks/s | ingest peak RSS | on disk | lexical path | "
        "query peak RSS | first query | " + " | ".join(f"{s} p50/p95" for s in STAGES) + " |"
    )
    print("|" + "---|" * (9 + len(STAGES)), flush=True)
    for size in args.sizes:
        for engine in args.engines:
            work = Path(tempfile.mkdtemp(prefix=f"studyrag-scale-{size}-{engine}-"))
            try:
                ingest = run_child("ingest", str(work), str(size), engine)
                if ingest is None:
                    continue
                for lexical in ("sidecar", "qdrant-sparse"):
                    query = run_child("query", str(work), engine, lexical)
                    if query is not None:
                        print(table_row(ingest, engine, lexical, query), flush=True)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    if args.vectors_only:
        work = Path(tempfile.mkdtemp(prefix="studyrag-scale-vectors-"))
        try:
            row = run_child("vectors", str(work), str(args.vectors_only))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if row:
            print()
            print(
                "| vectors (engine only, Edge) | write | optimize (HNSW) | peak RSS | on disk | "
                "dense p50/p95 | sparse p50/p95 | dense+sparse batch p50/p95 |"
            )
            print("|---|---|---|---|---|---|---|---|")
            cells = " | ".join(
                "{:.1f} / {:.1f} ms".format(*row[s]) for s in ("dense", "bm25", "dense+bm25")
            )
            print(
                f"| {row['count']:,} | {row['write_s']:.0f} s | {row['optimize_s']:.0f} s | "
                f"{row['rss_mb']:.0f} MB | {row['disk_mb']:.0f} MB | {cells} |"
            )
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


def table_row(ingest: dict[str, Any], engine: str, lexical: str, query: dict[str, Any]) -> str:
    """One Markdown row: one corpus size, one engine, one lexical path."""
    cells = ["{:.1f} / {:.1f} ms".format(*query[s]) if s in query else "-" for s in STAGES]
    chosen = " (auto)" if ingest["auto"] == lexical else ""
    return (
        f"| {ingest['chunks']:,} | {engine} | {ingest['ingest_s']:.0f} s | "
        f"{ingest['chunks_per_s']:.0f} | {ingest['ingest_rss_mb']:.0f} MB | "
        f"{ingest['disk_mb']:.0f} MB | {lexical}{chosen} | {query['rss_mb']:.0f} MB | "
        f"{query['first_query_s']:.1f} s | " + " | ".join(cells) + " |"
    )


if __name__ == "__main__":
    main()
