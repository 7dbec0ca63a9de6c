"""Unit reranking: a passage is as relevant as its best unit (MaxP, Dai & Callan 2019).

The cross-encoder reads each quotable unit of the top fused passages (a sentence, a bullet item, a
formula line, under its title and labels) instead of the whole passage. Short pairs cost a
fraction of a 300-token passage, the best unit finds the right part of a long answer better than
the whole passage does, and the answer composer reuses the very same scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from studyrag.types import Hit
from studyrag.units import scored_text, units_of, worth_quoting

PairScorer = Callable[[str, Sequence[str]], np.ndarray]


class UnitReranker:
    """Orders hits by their best unit's logit minus ``rank_penalty`` x their fused rank."""

    def __init__(self, scorer: PairScorer) -> None:
        self.scorer = scorer

    def run(
        self, query: str, hits: Sequence[Hit], rank_penalty: float = 0.5, whole: bool = False
    ) -> list[Hit]:
        """The same hits with ``rerank_score`` (best unit logit) set, best first.

        ``whole`` scores each passage as one text instead (the classic passage reranker, kept
        for side-by-side benchmarks).
        """
        if rank_penalty < 0:
            raise ValueError("rank_penalty must be >= 0")
        texts: list[list[str]] = []
        for hit in hits:
            units = [] if whole else units_of(hit.chunk)
            chosen = [scored_text(hit.chunk.title, units, u) for u in units if worth_quoting(u)]
            texts.append(chosen or [hit.chunk.index_text])  # no units: the whole passage
        flat = [t for group in texts for t in group]
        scores = self.scorer(query, flat) if flat else np.zeros(0, dtype=np.float32)
        begin = 0
        for rank, (hit, group) in enumerate(zip(hits, texts, strict=True)):
            best = float(np.max(scores[begin : begin + len(group)]))
            begin += len(group)
            hit.rerank_score = best
            hit.score = best - rank_penalty * rank
        return sorted(hits, key=lambda h: -h.score)
