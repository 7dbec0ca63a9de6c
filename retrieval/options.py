"""Per-query retrieval options: one typed object every stage reads."""

from __future__ import annotations

from dataclasses import dataclass

from studyrag.settings import FusionMethod, RerankTarget, RetrievalMode


@dataclass(frozen=True)
class SearchOptions:
    """Per-query knobs (``StudyPipeline.options`` fills them from the settings)."""

    top_k: int = 5
    mode: RetrievalMode = RetrievalMode.HYBRID_RERANK
    candidates: int = 40
    rerank_depth: int = 5  # the head: every unit of these passages is scored
    rerank_tail_depth: int = 0  # down to this rank, only each passage's best tail units (0: none)
    rerank_tail_units: int = 1
    rerank_target: RerankTarget = RerankTarget.UNITS
    rerank_rank_penalty: float = 0.5
    fusion: FusionMethod = FusionMethod.DBSF
    dense_weight: float = 0.4
    rrf_k: int = 60
    sources: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.top_k < 1 or self.candidates < 1 or self.rerank_depth < 1 or self.rrf_k < 1:
            raise ValueError("top_k, candidates, rerank_depth and rrf_k must be positive")
        if self.rerank_tail_depth < 0 or self.rerank_tail_units < 1:
            raise ValueError("rerank_tail_depth must be >= 0 and rerank_tail_units >= 1")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError("dense_weight must be in [0, 1]")
        if self.rerank_rank_penalty < 0:
            raise ValueError("rerank_rank_penalty must be >= 0")

    @property
    def reranked(self) -> int:
        """How many fused passages the reranker reorders (head and tail)."""
        return max(self.rerank_depth, self.rerank_tail_depth)

    @property
    def wants_dense(self) -> bool:
        return self.mode is not RetrievalMode.BM25

    @property
    def wants_lexical(self) -> bool:
        return self.mode is not RetrievalMode.DENSE

    @property
    def source_filter(self) -> set[str] | None:
        return set(self.sources) if self.sources else None
