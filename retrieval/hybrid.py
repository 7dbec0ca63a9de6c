"""Hybrid retrieval: dense (Qdrant) + BM25 sidecar, fused by RRF, reranked by a cross-encoder."""

from __future__ import annotations

import time
from dataclasses import dataclass

from studyrag.embedding import Embedder
from studyrag.index.bm25_sidecar import BM25Sidecar
from studyrag.index.lexical import LexicalAnalyzer
from studyrag.index.qdrant_store import QdrantStore
from studyrag.retrieval.fusion import reciprocal_rank_fusion
from studyrag.retrieval.reranker import CrossEncoderReranker
from studyrag.settings import RetrievalMode
from studyrag.types import Chunk, Hit, SearchResult


@dataclass(frozen=True)
class SearchOptions:
    """Per-query knobs (defaults come from the settings)."""

    top_k: int = 5
    mode: RetrievalMode = RetrievalMode.HYBRID_RERANK
    candidates: int = 40
    rerank_depth: int = 30
    rrf_k: int = 60
    sources: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.top_k < 1 or self.candidates < 1 or self.rerank_depth < 1:
            raise ValueError("top_k, candidates and rerank_depth must be positive")


class HybridRetriever:
    """Runs one query through the configured stages and explains every hit."""

    def __init__(
        self,
        store: QdrantStore,
        embedder: Embedder,
        sidecar: BM25Sidecar,
        analyzer: LexicalAnalyzer,
        reranker: CrossEncoderReranker | None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.sidecar = sidecar
        self.analyzer = analyzer
        self.reranker = reranker

    def run(self, query: str, options: SearchOptions) -> SearchResult:
        timings: dict[str, float] = {}
        mode = options.mode
        sources = set(options.sources) if options.sources else None
        chunks: dict[str, Chunk] = {}
        dense_ranked: list[str] = []
        bm25_ranked: list[str] = []
        dense_scores: dict[str, float] = {}
        bm25_scores: dict[str, float] = {}

        if mode is not RetrievalMode.BM25:
            begin = time.perf_counter()
            vector = self.embedder.embed_query(query)
            timings["embed"] = _ms(begin)
            begin = time.perf_counter()
            for chunk, score in self.store.search_dense(vector, options.candidates, sources):
                chunks[chunk.chunk_id] = chunk
                dense_ranked.append(chunk.chunk_id)
                dense_scores[chunk.chunk_id] = score
            timings["dense"] = _ms(begin)

        if mode is not RetrievalMode.DENSE:
            begin = time.perf_counter()
            terms = self.analyzer(query)
            for chunk_id, score in self.sidecar.search(terms, options.candidates, sources):
                bm25_ranked.append(chunk_id)
                bm25_scores[chunk_id] = score
            missing = [c for c in bm25_ranked if c not in chunks]
            if missing:
                chunks.update((c.chunk_id, c) for c in self.store.get_chunks(missing))
            timings["bm25"] = _ms(begin)

        begin = time.perf_counter()
        dense_rank = {c: r for r, c in enumerate(dense_ranked, start=1)}
        bm25_rank = {c: r for r, c in enumerate(bm25_ranked, start=1)}
        fused = reciprocal_rank_fusion(
            [r for r in (dense_ranked, bm25_ranked) if r], k=options.rrf_k
        )
        ordered = sorted((c for c in fused if c in chunks), key=lambda c: (-fused[c], c))
        hits = [
            Hit(
                chunk=chunks[c],
                score=fused[c],
                dense_rank=dense_rank.get(c),
                bm25_rank=bm25_rank.get(c),
                dense_score=dense_scores.get(c),
                bm25_score=bm25_scores.get(c),
                fused_score=fused[c],
            )
            for c in ordered
        ]
        timings["fusion"] = _ms(begin)

        if mode is RetrievalMode.HYBRID_RERANK and self.reranker is not None and hits:
            begin = time.perf_counter()
            head = hits[: options.rerank_depth]
            scores = self.reranker.score(query, [h.chunk.index_text for h in head])
            for hit, score in zip(head, scores, strict=True):
                hit.rerank_score = float(score)
                hit.score = float(score)
            head.sort(key=lambda h: -h.score)
            hits = head
            timings["rerank"] = _ms(begin)

        timings["total"] = sum(timings.values())
        return SearchResult(query=query, hits=hits[: options.top_k], timings_ms=timings)


def _ms(begin: float) -> float:
    return (time.perf_counter() - begin) * 1000.0
