"""Standard ranked-retrieval metrics (pure functions, checked against hand-computed values)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def recall_at_k(found_at: Sequence[int | None], k: int) -> float:
    """Share of gold items whose first matching rank (1-based, None = never) is within ``k``."""
    if not found_at:
        raise ValueError("a question needs at least one gold item")
    return sum(1 for rank in found_at if rank is not None and rank <= k) / len(found_at)


def hit_at_k(relevant: Sequence[bool], k: int) -> float:
    """1.0 when any of the top ``k`` results is relevant."""
    return 1.0 if any(relevant[:k]) else 0.0


def mrr_at_k(relevant: Sequence[bool], k: int = 10) -> float:
    """Reciprocal rank of the first relevant result within the top ``k``."""
    for rank, is_relevant in enumerate(relevant[:k], start=1):
        if is_relevant:
            return 1.0 / rank
    return 0.0


def dcg(gains: Sequence[float], k: int) -> float:
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains[:k], start=1))


def ndcg_at_k(gains: Sequence[float], ideal_gains: Sequence[float], k: int = 10) -> float:
    """nDCG@k: DCG of the ranking over DCG of the best possible ranking of ``ideal_gains``."""
    ideal = dcg(sorted(ideal_gains, reverse=True), k)
    return dcg(gains, k) / ideal if ideal > 0 else 0.0


def first_relevant_rank(relevant: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant result, None when there is none."""
    return next((rank for rank, hit in enumerate(relevant, start=1) if hit), None)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in [0, 100]), as numpy's default method."""
    if not values:
        raise ValueError("no values")
    if not 0.0 <= q <= 100.0:
        raise ValueError("q must be in [0, 100]")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Spread:
    """Mean of repeated runs with their spread (sample standard deviation, min, max)."""

    mean: float
    std: float
    low: float
    high: float
    runs: int

    def to_dict(self) -> dict[str, float | int]:
        return {
            "mean": self.mean,
            "std": self.std,
            "min": self.low,
            "max": self.high,
            "runs": self.runs,
        }


def spread(values: Sequence[float]) -> Spread:
    """Summarise one metric over repeated runs (NaN runs are ignored)."""
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        nan = float("nan")
        return Spread(nan, nan, nan, nan, 0)
    std = statistics.stdev(finite) if len(finite) > 1 else 0.0
    return Spread(statistics.fmean(finite), std, min(finite), max(finite), len(finite))


def nan_mean(values: Sequence[float | None]) -> float:
    """Mean over the values that were measured (None and NaN skipped); NaN when none were."""
    finite = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.fmean(finite) if finite else float("nan")
