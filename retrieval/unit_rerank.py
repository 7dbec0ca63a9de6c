"""Unit reranking: a passage is as relevant as its best unit (MaxP, Dai & Callan 2019).

The cross-encoder reads each quotable unit of the top fused passages (a sentence, a bullet item, a
formula line, under its title and labels) instead of the whole passage. Short pairs cost a
fraction of a 300-token passage, the best unit finds the right part of a long answer better than
the whole passage does, and the answer composer reuses the very same scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from studyrag.text.units import scored_text, units_of, worth_quoting
from studyrag.types import Hit

PairScorer = Callable[[str, Sequence[str]], np.ndarray]
Terms = Callable[[str], list[str]]


class UnitReranker:
    """Orders hits by their best unit's logit minus ``rank_penalty`` x their fused rank."""

    def __init__(self, scorer: PairScorer, terms: Terms | None = None) -> None:
        self.scorer = scorer
        self.terms = terms  # the analyzer that picks a tail passage's units (None: no tail cut)

    def run(
        self,
        query: str,
        hits: Sequence[Hit],
        rank_penalty: float = 0.5,
        whole: bool = False,
        full: int | None = None,
        tail_units: int = 1,
    ) -> list[Hit]:
        """The same hits with ``rerank_score`` (best unit logit) set, best first.

        Hits past the first ``full`` (default: all) are scored on their ``tail_units`` units
        that share the most query terms. ``whole`` scores each passage as one text instead (the
        classic passage reranker, kept for side-by-side benchmarks).
        """
        if rank_penalty < 0:
            raise ValueError("rank_penalty must be >= 0")
        if tail_units < 1:
            raise ValueError("tail_units must be >= 1")
        query_terms = set(self.terms(query)) if self.terms is not None else set()
        texts: list[list[str]] = []
        for rank, hit in enumerate(hits):
            units = [] if whole else units_of(hit.chunk)
            chosen = [scored_text(hit.chunk.title, units, u) for u in units if worth_quoting(u)]
            if full is not None and rank >= full and self.terms is not None:
                chosen = self._most_shared(chosen, query_terms, tail_units)
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

    def _most_shared(self, texts: list[str], query_terms: set[str], keep: int) -> list[str]:
        """The ``keep`` texts sharing the most query terms (ties: document order)."""
        assert self.terms is not None
        shared = [len(query_terms.intersection(self.terms(t))) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: (-shared[i], i))[:keep]
        return [texts[i] for i in sorted(order)]
