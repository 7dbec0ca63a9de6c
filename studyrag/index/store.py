"""The chunk store interface, and the factory that picks its engine from the index settings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from qdrant_client import models

from studyrag.settings import IndexSettings, LexicalBackend, StoreEngine
from studyrag.types import Chunk


class ChunkStore(Protocol):
    """What ingestion and retrieval need from a vector store (QdrantStore and EdgeStore)."""

    name: str
    dim: int

    def ensure_collection(self) -> None: ...
    def exists(self) -> bool: ...
    def count(self) -> int: ...
    def upsert(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        sparse: Sequence[models.SparseVector] | None = None,
        batch_size: int = 256,
    ) -> None: ...
    def delete_chunks(self, chunk_ids: Sequence[str]) -> None: ...
    def iter_chunks(self, batch: int = 512) -> Iterator[Chunk]: ...
    def chunk_sources(self) -> dict[str, str]: ...
    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Chunk]: ...
    def search_dense(
        self, vector: np.ndarray, limit: int, sources: set[str] | None = None
    ) -> list[tuple[Chunk, float]]: ...
    def search_sparse(
        self, vector: models.SparseVector, limit: int, sources: set[str] | None = None
    ) -> list[tuple[Chunk, float]]: ...
    def search_both(
        self,
        dense: np.ndarray,
        sparse: models.SparseVector,
        candidates: int,
        sources: set[str] | None = None,
    ) -> tuple[list[tuple[Chunk, float]], list[tuple[Chunk, float]]]: ...
    def optimize(self) -> None: ...
    def drop(self) -> None: ...
    def close(self) -> None: ...


def open_store(index: IndexSettings, dim: int) -> ChunkStore:
    """A Qdrant server by URL; otherwise the embedded engine the index settings name."""
    if index.qdrant_url is None and index.engine is StoreEngine.EDGE:
        from studyrag.index.edge_store import EdgeStore

        return EdgeStore(index, dim)
    from studyrag.index.qdrant_store import QdrantStore, open_client

    return QdrantStore(open_client(index), index, dim)


def store_engine_name(index: IndexSettings) -> str:
    """The engine that holds the index, in words."""
    if index.qdrant_url:
        return "Qdrant server"
    if index.engine is StoreEngine.EDGE:
        return "Qdrant Edge (embedded)"
    return "qdrant-client local mode (embedded)"


def store_location(index: IndexSettings) -> str:
    """Where the index lives, for `studyrag status` and the sidebar."""
    if index.qdrant_url:
        return index.qdrant_url
    if index.engine is StoreEngine.EDGE:
        return str(index.edge_path)
    return str(index.qdrant_path)


@dataclass(frozen=True)
class LexicalChoice:
    """Which lexical path runs for an index of a given size, and why (`studyrag status`)."""

    backend: LexicalBackend
    reason: str

    @property
    def in_engine(self) -> bool:
        return self.backend is LexicalBackend.QDRANT_SPARSE


def choose_lexical(index: IndexSettings, chunks: int) -> LexicalChoice:
    """The lexical path for ``chunks`` chunks: as set, or `auto` by engine and corpus size."""
    if index.lexical_backend is not LexicalBackend.AUTO:
        return LexicalChoice(index.lexical_backend, "set by STUDYRAG_LEXICAL_BACKEND")
    if index.qdrant_url is None and index.engine is StoreEngine.LOCAL:
        return LexicalChoice(
            LexicalBackend.SIDECAR,
            "local mode scores sparse vectors in Python, slower than the sidecar at every size",
        )
    limit = index.lexical_switch_chunks
    if chunks <= limit:
        return LexicalChoice(
            LexicalBackend.SIDECAR, f"{chunks:,} chunks, at most {limit:,}: rank-bm25 in memory"
        )
    return LexicalChoice(
        LexicalBackend.QDRANT_SPARSE,
        f"{chunks:,} chunks, over {limit:,}: the engine's sparse index (less time and memory)",
    )
