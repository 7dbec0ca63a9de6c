"""The candidate stage: runs the dense and lexical retrievers the mode needs (one engine round
trip when both live in the engine) and fetches the chunks the lexical side only named."""

from __future__ import annotations

import time

from studyrag.index.store import ChunkStore
from studyrag.retrieval.dense import DenseRetriever
from studyrag.retrieval.lexical_retriever import EngineLexicalRetriever, LexicalRetriever
from studyrag.retrieval.options import SearchOptions
from studyrag.retrieval.ranked import Candidates, Ranked
from studyrag.timing import elapsed_ms


class CandidateRetriever:
    """Dense and lexical candidates for one question."""

    def __init__(self, store: ChunkStore, dense: DenseRetriever, lexical: LexicalRetriever) -> None:
        self.store = store
        self.dense = dense
        self.lexical = lexical

    def run(self, query: str, options: SearchOptions) -> Candidates:
        found = Candidates()
        timings = found.timings_ms
        if (
            options.wants_dense
            and options.wants_lexical
            and isinstance(self.lexical, EngineLexicalRetriever)
        ):
            vector = self.dense.embed(query, timings)
            found.dense, found.lexical = self.lexical.run_beside(query, vector, options, timings)
        else:
            if options.wants_dense:
                found.dense = self.dense.run(query, options, timings)
            if options.wants_lexical:
                found.lexical = self.lexical.run(query, options, timings)
        found.chunks.update(found.dense.chunks)
        found.chunks.update(found.lexical.chunks)
        missing = [c for c in found.lexical.ids if c not in found.chunks]
        if missing:
            begin = time.perf_counter()
            found.chunks.update((c.chunk_id, c) for c in self.store.get_chunks(missing))
            timings["bm25"] = timings.get("bm25", 0.0) + elapsed_ms(begin)
        return found


__all__ = ["CandidateRetriever", "Candidates", "Ranked"]
