"""When to refuse: the retrieval evidence is under a threshold calibrated per score type.

With rerank on, the evidence is one line through both witnesses: the best unit's cross-encoder
logit plus ``refusal_dense_weight`` x the best passage's dense cosine. A paraphrased question
whose words the cross-encoder misses (q097: "divided by the square root of the head size" against
"the division by sqrt(d_k)") is still answered when the embedding finds it close, and a question
that shares one word with the documents ("an index on a PostgreSQL table" in a git tutorial) is
refused when the embedding finds nothing near. The weight and threshold were chosen across every
gold set by leave-one-corpus-out (BENCHMARKS.md, "Refusal that travels").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from studyrag.embedding import Embedder
from studyrag.settings import AnswerSettings, AnswerThresholds
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
    score_kind: str  # "evidence" (rerank + dense), "dense" or "none" (no passages at all)
    threshold: float | None
    rerank: float | None = None  # with rerank: the best unit logit ...
    dense: float | None = None  # ... and the best dense cosine that make up the evidence

    def explain(self) -> str:
        """One line for warnings and logs."""
        if self.score is None or self.threshold is None:
            return "no passage was retrieved"
        side = "below" if self.score < self.threshold else "at or above"
        line = f"best {self.score_kind} score {self.score:.3f} is {side} {self.threshold:.3f}"
        if self.rerank is not None and self.dense is not None:
            line += f" (unit logit {self.rerank:.3f}, dense cosine {self.dense:.3f})"
        return line


def evidence(rerank: float, dense: float, thresholds: AnswerThresholds) -> float:
    """The reranked evidence: unit logit + the model's dense weight x cosine."""
    return rerank + thresholds.refusal_dense_weight * dense


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

    def __init__(self, answer: AnswerSettings, embedder: Embedder) -> None:
        self.enabled = answer.refusal
        # Score ranges differ per embedding model: the thresholds of the one that embedded.
        self.thresholds = answer.calibrated(embedder.name)
        self.embedder = embedder

    def decide(self, result: SearchResult) -> RefusalDecision:
        if not result.hits:
            return RefusalDecision(True, None, "none", None)
        rerank = best_rerank(result.hits)
        if rerank is not None:
            dense = best_dense(result.query, result.hits, self.embedder) or 0.0
            score = evidence(rerank, dense, self.thresholds)
            threshold = self.thresholds.refusal_min_evidence
            refuse = self.enabled and score < threshold
            return RefusalDecision(refuse, score, "evidence", threshold, rerank, dense)
        nearest = best_dense(result.query, result.hits, self.embedder)
        if nearest is None:
            return RefusalDecision(True, None, "none", None)
        threshold = self.thresholds.refusal_min_dense
        refuse = self.enabled and nearest < threshold
        return RefusalDecision(refuse, nearest, "dense", threshold)
