"""Fusion of ranked candidate lists into one score per id.

Two functions, chosen by :class:`~studyrag.settings.FusionMethod`:

- Reciprocal Rank Fusion (Cormack et al., 2009): ``sum_i w_i / (k + rank_i)``; ranks only.
- Distribution-based score fusion (DBSF, as in Qdrant): each list's scores are mapped through
  ``(s - (mu - 3 sigma)) / (6 sigma)`` over that list's own candidates, then summed with weights.
  An id absent from a list gets 0 from it. Bruch et al. (TOIS 2023) find convex score
  combinations with fitted weights beat RRF; the weights here are fitted on the gold set's dev
  split (BENCHMARKS.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

from studyrag.retrieval.options import SearchOptions
from studyrag.retrieval.ranked import Candidates
from studyrag.settings import FusionMethod, RetrievalMode
from studyrag.timing import elapsed_ms
from studyrag.types import Hit


class Fuser:
    """Fuses a question's candidate lists into one ranking of hits, each with its evidence."""

    def run(self, found: Candidates, options: SearchOptions) -> list[Hit]:
        """Hits best first; ties keep chunk-id order so results are reproducible. Records the
        ``fusion`` time in ``found.timings_ms``."""
        begin = time.perf_counter()
        fused = self.scores(found, options)
        dense_rank, lexical_rank = found.dense.ranks(), found.lexical.ranks()
        ordered = sorted((c for c in fused if c in found.chunks), key=lambda c: (-fused[c], c))
        hits = [
            Hit(
                chunk=found.chunks[c],
                score=fused[c],
                dense_rank=dense_rank.get(c),
                bm25_rank=lexical_rank.get(c),
                dense_score=found.dense.scores.get(c),
                bm25_score=found.lexical.scores.get(c),
                fused_score=fused[c],
            )
            for c in ordered
        ]
        found.timings_ms["fusion"] = elapsed_ms(begin)
        return hits

    @staticmethod
    def scores(found: Candidates, options: SearchOptions) -> dict[str, float]:
        """One fused score per candidate; a mode with one list keeps that list's order."""
        dense, lexical = found.dense, found.lexical
        if options.mode is RetrievalMode.DENSE or not lexical.ids:
            return reciprocal_rank_fusion([dense.ids], k=options.rrf_k)
        if options.mode is RetrievalMode.BM25 or not dense.ids:
            return reciprocal_rank_fusion([lexical.ids], k=options.rrf_k)
        weights = [options.dense_weight, 1.0 - options.dense_weight]
        if options.fusion is FusionMethod.RRF:
            return reciprocal_rank_fusion([dense.ids, lexical.ids], options.rrf_k, weights)
        return distribution_score_fusion([dense.scores, lexical.scores], weights)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Fuse ranked id lists (best first, ranks from 1) into one score per id."""
    if k < 1:
        raise ValueError("k must be >= 1")
    chosen = _weights(weights, len(rankings))
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, chosen, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return scores


def distribution_score_fusion(
    lists: Sequence[Mapping[str, float]], weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Fuse ``id -> raw score`` lists by their normalised score distributions."""
    chosen = _weights(weights, len(lists))
    fused: dict[str, float] = {}
    for scores, weight in zip(lists, chosen, strict=True):
        for item, value in normalize_distribution(scores).items():
            fused[item] = fused.get(item, 0.0) + weight * value
    for scores in lists:  # an id that only one list found still gets a fused score
        for item in scores:
            fused.setdefault(item, 0.0)
    return fused


def normalize_distribution(scores: Mapping[str, float]) -> dict[str, float]:
    """Map scores to ``(s - (mu - 3 sigma)) / (6 sigma)``.

    A list whose candidates all score alike (often a single exact keyword match) has no spread to
    normalise: each of them is that list's best, so each gets 1.0, the top of the range.
    """
    if not scores:
        return {}
    values = list(scores.values())
    mean = math.fsum(values) / len(values)
    sigma = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
    if sigma <= 1e-12:
        return dict.fromkeys(scores, 1.0)
    low = mean - 3.0 * sigma
    return {item: (value - low) / (6.0 * sigma) for item, value in scores.items()}


def _weights(weights: Sequence[float] | None, count: int) -> list[float]:
    if weights is None:
        return [1.0] * count
    if len(weights) != count:
        raise ValueError(f"{len(weights)} weights for {count} lists")
    if any(w < 0 for w in weights) or not any(w > 0 for w in weights):
        raise ValueError("weights must be >= 0 with at least one > 0")
    return list(weights)
