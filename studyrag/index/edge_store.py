"""The collection in a Qdrant Edge shard (the embedded default), behind ChunkStore.

The embedded default. Qdrant's own engine in-process: HNSW, a
payload index on ``source``, sparse vectors with the IDF modifier, a WAL. One process per shard: a
file lock beside the shard gives the same clear message as local mode.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from uuid import UUID

import numpy as np
from filelock import FileLock, Timeout
from qdrant_client import models
from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeSparseVectorParams,
    EdgeVectorParams,
    FieldCondition,
    Filter,
    MatchAny,
    Modifier,
    PayloadSchemaType,
    Point,
    Query,
    QueryBatchRequest,
    QueryRequest,
    ScrollRequest,
    SparseVector,
    UpdateOperation,
)

from studyrag.index.qdrant_store import DENSE, SPARSE
from studyrag.settings import IndexSettings
from studyrag.types import Chunk, StudyragError, point_id_of

_SOURCE_FIELD = "source"


class EdgeStore:
    """Chunks as points of one Edge shard under the data folder."""

    def __init__(self, index: IndexSettings, dim: int) -> None:
        self.name = index.collection_name
        self.dim = dim
        self.path = index.edge_path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.path) + ".lock")
        self._dropped = False
        try:
            self._lock.acquire(timeout=0)
        except Timeout as error:
            raise StudyragError(
                f"the index at {self.path} is open in another studyrag process (the app?); "
                "stop it or use the app's re-index button"
            ) from error
        self._shard: EdgeShard | None = (
            EdgeShard.load(str(self.path)) if (self.path / "segments").exists() else None
        )

    def _config(self) -> EdgeConfig:
        return EdgeConfig(
            vectors={DENSE: EdgeVectorParams(size=self.dim, distance=Distance.Cosine)},
            sparse_vectors={SPARSE: EdgeSparseVectorParams(modifier=Modifier.Idf)},
        )

    def ensure_collection(self) -> None:
        if self._shard is not None:
            return
        self._shard = EdgeShard.create(str(self.path), self._config())
        self._shard.update(
            UpdateOperation.create_field_index(_SOURCE_FIELD, PayloadSchemaType.Keyword)
        )

    def exists(self) -> bool:
        return self._shard is not None

    def count(self) -> int:
        return self._shard.count(CountRequest(exact=True)) if self._shard else 0

    def upsert(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        sparse: Sequence[models.SparseVector] | None = None,
        batch_size: int = 256,
    ) -> None:
        shard = self._require()
        for begin in range(0, len(chunks), batch_size):
            points = []
            for offset, chunk in enumerate(chunks[begin : begin + batch_size]):
                vector: dict[str, list[float] | SparseVector | list[list[float]]] = {
                    DENSE: vectors[begin + offset].tolist()
                }
                if sparse is not None:
                    item = sparse[begin + offset]
                    vector[SPARSE] = SparseVector(list(item.indices), list(item.values))
                points.append(Point(chunk.point_id, vector, chunk.to_payload()))
            shard.update(UpdateOperation.upsert_points(points))
        shard.flush()

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        if not chunk_ids or self._shard is None:
            return
        ids: list[int | UUID | str] = [point_id_of(c) for c in chunk_ids]
        self._shard.update(UpdateOperation.delete_points(ids))
        self._shard.flush()

    def iter_chunks(self, batch: int = 512) -> Iterator[Chunk]:
        if self._shard is None:
            return
        offset = None
        while True:
            records, offset = self._shard.scroll(
                ScrollRequest(offset=offset, limit=batch, with_payload=True, with_vector=False)
            )
            for record in records:
                yield Chunk.from_payload(record.payload or {})
            if offset is None:
                return

    def optimize(self) -> None:
        """Merge segments and build HNSW where the optimizer plans it (blocks until done)."""
        if self._shard is not None:
            self._shard.optimize()

    def chunk_sources(self) -> dict[str, str]:
        return {c.chunk_id: c.source for c in self.iter_chunks()}

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        ids: list[int | UUID | str] = [point_id_of(c) for c in chunk_ids]
        records = self._require().retrieve(ids, True, False)
        return [Chunk.from_payload(r.payload or {}) for r in records]

    @staticmethod
    def source_filter(sources: set[str] | None) -> Filter | None:
        if not sources:
            return None
        return Filter(must=[FieldCondition(key=_SOURCE_FIELD, match=MatchAny(any=sorted(sources)))])

    def _request(self, query: Query, limit: int, sources: set[str] | None) -> QueryRequest:
        return QueryRequest(
            limit=limit, query=query, with_payload=True, filter=self.source_filter(sources)
        )

    def search_dense(
        self, vector: np.ndarray, limit: int, sources: set[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        points = self._require().query(
            self._request(Query.Nearest(vector.tolist(), using=DENSE), limit, sources)
        )
        return [(Chunk.from_payload(p.payload or {}), float(p.score)) for p in points]

    def search_sparse(
        self, vector: models.SparseVector, limit: int, sources: set[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        query = Query.Nearest(SparseVector(list(vector.indices), list(vector.values)), using=SPARSE)
        points = self._require().query(self._request(query, limit, sources))
        return [(Chunk.from_payload(p.payload or {}), float(p.score)) for p in points]

    def search_both(
        self,
        dense: np.ndarray,
        sparse: models.SparseVector,
        candidates: int,
        sources: set[str] | None = None,
    ) -> tuple[list[tuple[Chunk, float]], list[tuple[Chunk, float]]]:
        """Dense and sparse candidates in one planned batch."""
        requests = [
            self._request(Query.Nearest(dense.tolist(), using=DENSE), candidates, sources),
            self._request(
                Query.Nearest(
                    SparseVector(list(sparse.indices), list(sparse.values)), using=SPARSE
                ),
                candidates,
                sources,
            ),
        ]
        dense_points, sparse_points = self._require().query_batch(QueryBatchRequest(requests))
        return (
            [(Chunk.from_payload(p.payload or {}), float(p.score)) for p in dense_points],
            [(Chunk.from_payload(p.payload or {}), float(p.score)) for p in sparse_points],
        )

    def _require(self) -> EdgeShard:
        if self._shard is None:
            raise StudyragError("the index is empty; run `studyrag ingest` (or `make run`) first")
        return self._shard

    def drop(self) -> None:
        """Delete the shard's files (the store stays open, empty)."""
        if self._shard is not None:
            self._shard.close()
            self._shard = None
        shutil.rmtree(self.path, ignore_errors=True)
        self._dropped = True

    def close(self) -> None:
        if self._shard is not None:
            self._shard.close()
            self._shard = None
        self._lock.release()
        if self._dropped:
            Path(self._lock.lock_file).unlink(missing_ok=True)


def edge_shard_exists(path: Path) -> bool:
    """True when ``path`` holds an Edge shard's segments."""
    return (path / "segments").exists()
