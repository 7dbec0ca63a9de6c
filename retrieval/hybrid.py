"""Hybrid retrieval: the stages of one question composed in order.

candidates (dense + lexical, ``candidates.py``) -> fusion (``fusion.py``) -> unit rerank of the
head and, more cheaply, of a tail that grows with the index (``unit_rerank.py``). Each stage is a
small class with one ``run``; this class only wires them and times the whole. The lexical side is
the rank-bm25 sidecar or the engine's sparse vectors (``lexical.py``); either way both lists
are fused here, by the same function.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from studyrag.retrieval.candidates import CandidateRetriever
from studyrag.retrieval.fusion import Fuser
from studyrag.retrieval.options import SearchOptions
from studyrag.retrieval.unit_rerank import UnitReranker
from studyrag.settings import RerankTarget, RetrievalMode
from studyrag.timing import elapsed_ms
from studyrag.types import SearchResult


class HybridRetriever:
    """Runs one query through candidates, fusion and (for ``hybrid+rerank``) the reranker."""

    def __init__(
        self,
        candidates: CandidateRetriever,
        reranker: Callable[[], UnitReranker],
        fuser: Fuser | None = None,
    ) -> None:
        self.candidates = candidates
        self.fuser = fuser or Fuser()
        self._reranker = reranker  # called on the first reranked search: the model loads late

    def run(self, query: str, options: SearchOptions) -> SearchResult:
        """The top ``options.top_k`` hits with their evidence and per-stage timings."""
        found = self.candidates.run(query, options)
        hits = self.fuser.run(found, options)
        timings = found.timings_ms
        if options.mode is RetrievalMode.HYBRID_RERANK and hits:
            begin = time.perf_counter()
            # The head is reordered; the tail keeps its fused order below it.
            depth = options.reranked
            head = self._reranker().run(
                query,
                hits[:depth],
                rank_penalty=options.rerank_rank_penalty,
                whole=options.rerank_target is RerankTarget.PASSAGES,
                full=options.rerank_depth,
                tail_units=options.rerank_tail_units,
            )
            hits = head + hits[depth:]
            timings["rerank"] = elapsed_ms(begin)
        timings["total"] = sum(timings.values())
        return SearchResult(query=query, hits=hits[: options.top_k], timings_ms=timings)
