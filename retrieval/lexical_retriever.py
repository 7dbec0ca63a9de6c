"""Lexical (BM25) candidates behind one interface: the rank-bm25 sidecar or the engine's sparse
vectors. ``make_lexical_retriever`` picks one from the index's lexical choice."""

from __future__ import annotations

import time
from typing import Protocol

import numpy as np

from studyrag.index.bm25_sidecar import BM25Sidecar
from studyrag.index.lexical import LexicalAnalyzer
from studyrag.index.sparse import SparseBM25Encoder
from studyrag.index.store import ChunkStore
from studyrag.retrieval.options import SearchOptions
from studyrag.retrieval.ranked import Ranked
from studyrag.timing import elapsed_ms


class LexicalRetriever(Protocol):
    """BM25 candidates for a question; records its ``bm25`` time."""

    def run(self, query: str, options: SearchOptions, timings: dict[str, float]) -> Ranked: ...


class SidecarLexicalRetriever:
    """rank-bm25 over the in-memory sidecar (ids and scores only; chunks come from the store)."""

    def __init__(self, sidecar: BM25Sidecar, analyzer: LexicalAnalyzer) -> None:
        self.sidecar = sidecar
        self.analyzer = analyzer

    def run(self, query: str, options: SearchOptions, timings: dict[str, float]) -> Ranked:
        begin = time.perf_counter()
        ranked = Ranked.of_ids(
            self.sidecar.search(self.analyzer(query), options.candidates, options.source_filter)
        )
        timings["bm25"] = elapsed_ms(begin)
        return ranked


class EngineLexicalRetriever:
    """BM25 as sparse vectors with the engine's IDF modifier; can share the dense round trip."""

    def __init__(self, store: ChunkStore, encoder: SparseBM25Encoder) -> None:
        self.store = store
        self.encoder = encoder

    def run(self, query: str, options: SearchOptions, timings: dict[str, float]) -> Ranked:
        begin = time.perf_counter()
        ranked = Ranked.of_hits(
            self.store.search_sparse(
                self.encoder.query(query), options.candidates, options.source_filter
            )
        )
        timings["bm25"] = elapsed_ms(begin)
        return ranked

    def run_beside(
        self, query: str, vector: np.ndarray, options: SearchOptions, timings: dict[str, float]
    ) -> tuple[Ranked, Ranked]:
        """Dense and sparse candidates in one engine round trip (timed as ``dense+bm25``)."""
        begin = time.perf_counter()
        dense, sparse = self.store.search_both(
            vector, self.encoder.query(query), options.candidates, options.source_filter
        )
        timings["dense+bm25"] = elapsed_ms(begin)
        return Ranked.of_hits(dense), Ranked.of_hits(sparse)


def make_lexical_retriever(
    store: ChunkStore,
    analyzer: LexicalAnalyzer,
    sidecar: BM25Sidecar | None = None,
    encoder: SparseBM25Encoder | None = None,
) -> LexicalRetriever:
    """The sidecar when one is given, else the engine's sparse vectors."""
    if sidecar is not None:
        return SidecarLexicalRetriever(sidecar, analyzer)
    if encoder is None:
        raise ValueError("need a BM25 sidecar or a sparse encoder for the lexical side")
    return EngineLexicalRetriever(store, encoder)
