"""When to refuse: the best retrieval score is under a threshold calibrated per score type.

With rerank on, two witnesses must agree: the best unit's cross-encoder logit is under its
threshold *and* the best passage's dense cosine is under the model's guard. A paraphrased question
whose words the cross-encoder misses (q097: "divided by the square root of the head size" against
"the division by sqrt(d_k)") is still answered when the embedding finds it close.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from studyrag.embedding import Embedder
from studyrag.settings import Settings
from studyrag.types import Hit, SearchResult

REFUSAL_TEXT = "The corpus does not cover this question."
_REFUSAL_PHRASE = re.compile(
    r"\bnot (?:in|covered (?:by|in)|found in|answered (?:by|in)) the (?:corpus|passages)\b"
    r"|\b(?:corpus|passages?) (?:does|do) not (?:cover|contain|mention|answer|say)\b",
    re.IGNORECASE,
)


def is_refusal_text(text: str) -> bool:
    """True when a generator said the corpus does not answer the question."""
    return bool(_REFUSAL_PHRASE.search(text))


@dataclass(frozen=True)
class RefusalDecision:
    """Whether to refuse, on which score, against which threshold."""

    refuse: bool
    score: float | None
    score_kind: str  # "rerank", "dense" or "none" (no passages at all)
    threshold: float | None
    dense: float | None = None  # with rerank: the best dense cosine, the second witness
    guard: float | None = None

    @property
    def guarded(self) -> bool:
        """Answered on the embedding's word although the unit logit was low."""
        return self.dense is not None and self.guard is not None and self.dense >= self.guard

    def explain(self) -> str:
        """One line for warnings and logs."""
        if self.score is None or self.threshold is None:
            return "no passage was retrieved"
        side = "below" if self.score < self.threshold else "at or above"
        line = f"best {self.score_kind} score {self.score:.3f} is {side} {self.threshold:.3f}"
        if self.score < self.threshold and self.dense is not None and self.guard is not None:
            guard_side = "at or above" if self.guarded else "below"
            line += f"; best dense cosine {self.dense:.3f} is {guard_side} {self.guard:.3f}"
        return line


def dense_threshold(settings: Settings) -> float:
    """The cosine threshold of the active embedding model (score ranges differ per model)."""
    return settings.per_model("refusal_min_dense")


def dense_guard(settings: Settings) -> float:
    """The cosine above which a reranked question is answered whatever its unit logit."""
    return settings.per_model("refusal_guard_dense")


def best_rerank(hits: Sequence[Hit]) -> float | None:
    scores = [h.rerank_score for h in hits if h.rerank_score is not None]
    return max(scores) if scores else None


def best_dense(query: str, hits: Sequence[Hit], embedder: Embedder) -> float | None:
    """Best query-passage cosine; computed with the embedder when retrieval gave none (BM25)."""
    scores = [h.dense_score for h in hits if h.dense_score is not None]
    if scores:
        return max(scores)
    if not hits:
        return None
    vectors = embedder.embed_documents([h.chunk.index_text for h in hits])
    return float(np.max(vectors @ embedder.embed_query(query)))


class RefusalPolicy:
    """Refuse when the best passage scores under the calibrated threshold for its score type."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder

    def decide(self, result: SearchResult) -> RefusalDecision:
        if not result.hits:
            return RefusalDecision(True, None, "none", None)
        rerank = best_rerank(result.hits)
        if rerank is not None:
            dense = best_dense(result.query, result.hits, self.embedder)
            threshold = self.settings.refusal_min_rerank
            decision = RefusalDecision(
                False, rerank, "rerank", threshold, dense, dense_guard(self.settings)
            )
            refuse = self.settings.refusal and rerank < threshold and not decision.guarded
            return replace(decision, refuse=refuse)
        score = best_dense(result.query, result.hits, self.embedder)
        if score is None:
            return RefusalDecision(True, None, "none", None)
        threshold = dense_threshold(self.settings)
        refuse = self.settings.refusal and score < threshold
        return RefusalDecision(refuse, score, "dense", threshold)
