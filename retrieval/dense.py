"""Dense candidates: the question embedded, nearest chunks from the engine."""

from __future__ import annotations

import time

import numpy as np

from studyrag.embedding import Embedder
from studyrag.index.store import ChunkStore
from studyrag.retrieval.options import SearchOptions
from studyrag.retrieval.ranked import Ranked
from studyrag.timing import elapsed_ms


class DenseRetriever:
    """Embeds a question and asks the store for its nearest chunks."""

    def __init__(self, store: ChunkStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def embed(self, query: str, timings: dict[str, float]) -> np.ndarray:
        begin = time.perf_counter()
        vector = self.embedder.embed_query(query)
        timings["embed"] = elapsed_ms(begin)
        return vector

    def run(self, query: str, options: SearchOptions, timings: dict[str, float]) -> Ranked:
        """The ``options.candidates`` nearest chunks; records ``embed`` and ``dense`` times."""
        vector = self.embed(query, timings)
        begin = time.perf_counter()
        ranked = Ranked.of_hits(
            self.store.search_dense(vector, options.candidates, options.source_filter)
        )
        timings["dense"] = elapsed_ms(begin)
        return ranked
