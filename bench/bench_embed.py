"""Batch embedding paths side by side: MiniLM through torch (sentence-transformers), its fp32
ONNX export and its INT8 export, on the same passages of one document, in one run.

Usage: python bench/bench_embed.py [--pdf eval/documents/pdf/gnuplot.pdf] [--texts 512] [--runs 3]

Prints chunks/s (median of runs) and each export's cosine to the torch vectors.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

from studyrag.embedding.minilm import MiniLMEmbedder  # noqa: E402
from studyrag.ingest.chunker import ChunkerConfig, StructureChunker  # noqa: E402
from studyrag.ingest.loaders import SourceFile, load_document  # noqa: E402
from studyrag.settings import Settings  # noqa: E402


def passages(pdf: Path, count: int) -> list[str]:
    """The first ``count`` chunks of ``pdf`` as ingest embeds them (heading context included)."""
    settings = Settings()
    document = load_document(SourceFile(pdf, pdf.name), 100 * 2**20)
    embedder = MiniLMEmbedder()
    config = ChunkerConfig(settings.ingest.chunk_max_tokens, settings.ingest.chunk_overlap_tokens)
    chunks = StructureChunker(embedder.count_tokens, config).run(document)
    return [c.index_text for c in chunks][:count]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", type=Path, default=REPO / "eval/documents/pdf/gnuplot.pdf")
    parser.add_argument("--texts", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    texts = passages(args.pdf, args.texts)
    cache = Settings().index.models_dir
    paths = {
        "torch fp32 (sentence-transformers)": (MiniLMEmbedder(None), False),
        "ONNX fp32 export": (MiniLMEmbedder(cache, int8=False), False),
        "ONNX INT8 export": (MiniLMEmbedder(cache), True),
    }
    vectors: dict[str, np.ndarray] = {}
    speeds: dict[str, list[float]] = {name: [] for name in paths}
    for embedder, bulk in paths.values():
        embedder.embed_documents(texts[:64], 32, bulk)  # load and export outside the timing
    for _run in range(args.runs):  # interleaved, so load drifts hit every path alike
        for name, (embedder, bulk) in paths.items():
            begin = time.perf_counter()
            vectors[name] = embedder.embed_documents(texts, 32, bulk)
            speeds[name].append(len(texts) / (time.perf_counter() - begin))
    reference = vectors["torch fp32 (sentence-transformers)"]
    load = os.getloadavg()[0]
    print(f"{len(texts)} passages of {args.pdf.name}; {args.runs} runs; load {load:.1f}")
    print("| path | chunks/s (median) | runs | mean cosine to torch | min cosine |")
    print("|---|---|---|---|---|")
    for name in paths:
        cosine = (vectors[name] * reference).sum(axis=1)
        runs = ", ".join(f"{s:.0f}" for s in speeds[name])
        print(
            f"| {name} | {statistics.median(speeds[name]):.0f} | {runs} | "
            f"{cosine.mean():.5f} | {cosine.min():.5f} |"
        )


if __name__ == "__main__":
    main()
