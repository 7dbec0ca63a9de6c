"""Hybrid retrieval: dense + lexical candidates, fused with fitted weights, optionally reranked.

The lexical side is the rank-bm25 sidecar (embedded default) or Qdrant sparse vectors with the IDF
modifier (scale-out: both candidate lists come back from Qdrant in one batched round trip). Either
way the two lists are fused here, by the same function, so both backends rank alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from studyrag.embedding import Embedder
from studyrag.index.bm25_sidecar import BM25Sidecar
from studyrag.index.lexical import LexicalAnalyzer
from studyrag.index.sparse import SparseBM25Encoder
from studyrag.index.store import ChunkStore
from studyrag.retrieval.fusion import distribution_score_fusion, reciprocal_rank_fusion
from studyrag.retrieval.unit_rerank import UnitReranker
from studyrag.settings import FusionMethod, RerankTarget, RetrievalMode
from studyrag.types import Chunk, Hit, SearchResult


@dataclass(frozen=True)
class SearchOptions:
    """Per-query knobs (defaults come from the settings)."""

    top_k: int = 5
    mode: RetrievalMode = RetrievalMode.HYBRID_RERANK
    candidates: int = 40
    rerank_depth: int = 5
    rerank_target: RerankTarget = RerankTarget.UNITS
    rerank_rank_penalty: float = 0.5
    fusion: FusionMethod = FusionMethod.DBSF
    dense_weight: float = 0.4
    rrf_k: int = 60
    sources: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.top_k < 1 or self.candidates < 1 or self.rerank_depth < 1 or self.rrf_k < 1:
            raise ValueError("top_k, candidates, rerank_depth and rrf_k must be positive")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError("dense_weight must be in [0, 1]")
        if self.rerank_rank_penalty < 0:
            raise ValueError("rerank_rank_penalty must be >= 0")

    def fuse(
        self,
        dense: dict[str, float],
        dense_ranking: list[str],
        lexical: dict[str, float],
        lexical_ranking: list[str],
    ) -> dict[str, float]:
        """One fused score per candidate; a mode with one list keeps that list's order."""
        weights = [self.dense_weight, 1.0 - self.dense_weight]
        if self.mode is RetrievalMode.DENSE or not lexical_ranking:
            return reciprocal_rank_fusion([dense_ranking], k=self.rrf_k)
        if self.mode is RetrievalMode.BM25 or not dense_ranking:
            return reciprocal_rank_fusion([lexical_ranking], k=self.rrf_k)
        if self.fusion is FusionMethod.RRF:
            return reciprocal_rank_fusion([dense_ranking, lexical_ranking], self.rrf_k, weights)
        return distribution_score_fusion([dense, lexical], weights)


@dataclass
class _Candidates:
    chunks: dict[str, Chunk] = field(default_factory=dict)
    dense: list[str] = field(default_factory=list)
    lexical: list[str] = field(default_factory=list)
    dense_scores: dict[str, float] = field(default_factory=dict)
    lexical_scores: dict[str, float] = field(default_factory=dict)

    def add(self, hits: list[tuple[Chunk, float]], ranking: list[str], scores: dict[str, float]):
        for chunk, score in hits:
            self.chunks[chunk.chunk_id] = chunk
            ranking.append(chunk.chunk_id)
            scores[chunk.chunk_id] = score


class HybridRetriever:
    """Runs one query through the configured stages and explains every hit."""

    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        sidecar: BM25Sidecar | None,
        analyzer: LexicalAnalyzer,
        reranker: UnitReranker | None,
        sparse: SparseBM25Encoder | None = None,
    ) -> None:
        if sidecar is None and sparse is None:
            raise ValueError("need a BM25 sidecar or a sparse encoder for the lexical side")
        self.store = store
        self.embedder = embedder
        self.sidecar = sidecar
        self.analyzer = analyzer
        self.reranker = reranker
        self.sparse = sparse

    def run(self, query: str, options: SearchOptions) -> SearchResult:
        timings: dict[str, float] = {}
        sources = set(options.sources) if options.sources else None
        if self.sparse is not None:
            found = self._candidates_in_qdrant(query, options, sources, timings)
        else:
            found = self._candidates_with_sidecar(query, options, sources, timings)

        begin = time.perf_counter()
        dense_rank = {c: r for r, c in enumerate(found.dense, start=1)}
        lexical_rank = {c: r for r, c in enumerate(found.lexical, start=1)}
        fused = options.fuse(found.dense_scores, found.dense, found.lexical_scores, found.lexical)
        # Ties (equal fused scores) keep the chunk-id order, so results are reproducible.
        ordered = sorted((c for c in fused if c in found.chunks), key=lambda c: (-fused[c], c))
        hits = [
            Hit(
                chunk=found.chunks[c],
                score=fused[c],
                dense_rank=dense_rank.get(c),
                bm25_rank=lexical_rank.get(c),
                dense_score=found.dense_scores.get(c),
                bm25_score=found.lexical_scores.get(c),
                fused_score=fused[c],
            )
            for c in ordered
        ]
        timings["fusion"] = timings.get("fusion", 0.0) + _ms(begin)

        if options.mode is RetrievalMode.HYBRID_RERANK and self.reranker is not None and hits:
            begin = time.perf_counter()
            # The head is reordered; the tail keeps its fused order below it.
            head = self.reranker.run(
                query,
                hits[: options.rerank_depth],
                rank_penalty=options.rerank_rank_penalty,
                whole=options.rerank_target is RerankTarget.PASSAGES,
            )
            hits = head + hits[options.rerank_depth :]
            timings["rerank"] = _ms(begin)

        timings["total"] = sum(timings.values())
        return SearchResult(query=query, hits=hits[: options.top_k], timings_ms=timings)

    def _candidates_with_sidecar(
        self,
        query: str,
        options: SearchOptions,
        sources: set[str] | None,
        timings: dict[str, float],
    ) -> _Candidates:
        found = _Candidates()
        if options.mode is not RetrievalMode.BM25:
            begin = time.perf_counter()
            vector = self.embedder.embed_query(query)
            timings["embed"] = _ms(begin)
            begin = time.perf_counter()
            hits = self.store.search_dense(vector, options.candidates, sources)
            found.add(hits, found.dense, found.dense_scores)
            timings["dense"] = _ms(begin)
        if options.mode is not RetrievalMode.DENSE:
            assert self.sidecar is not None
            begin = time.perf_counter()
            for chunk_id, score in self.sidecar.search(
                self.analyzer(query), options.candidates, sources
            ):
                found.lexical.append(chunk_id)
                found.lexical_scores[chunk_id] = score
            missing = [c for c in found.lexical if c not in found.chunks]
            if missing:
                found.chunks.update((c.chunk_id, c) for c in self.store.get_chunks(missing))
            timings["bm25"] = _ms(begin)
        return found

    def _candidates_in_qdrant(
        self,
        query: str,
        options: SearchOptions,
        sources: set[str] | None,
        timings: dict[str, float],
    ) -> _Candidates:
        assert self.sparse is not None
        found = _Candidates()
        sparse_vector = self.sparse.query(query)
        if options.mode is RetrievalMode.BM25:
            begin = time.perf_counter()
            hits = self.store.search_sparse(sparse_vector, options.candidates, sources)
            found.add(hits, found.lexical, found.lexical_scores)
            timings["bm25"] = _ms(begin)
            return found
        begin = time.perf_counter()
        vector = self.embedder.embed_query(query)
        timings["embed"] = _ms(begin)
        begin = time.perf_counter()
        if options.mode is RetrievalMode.DENSE:
            hits = self.store.search_dense(vector, options.candidates, sources)
            found.add(hits, found.dense, found.dense_scores)
            timings["dense"] = _ms(begin)
            return found
        dense_hits, sparse_hits = self.store.search_both(
            vector, sparse_vector, options.candidates, sources
        )
        found.add(dense_hits, found.dense, found.dense_scores)
        found.add(sparse_hits, found.lexical, found.lexical_scores)
        timings["dense+bm25"] = _ms(begin)  # one engine round trip
        return found


def _ms(begin: float) -> float:
    return (time.perf_counter() - begin) * 1000.0
