"""The Qdrant collection: embedded local mode by default, a server or cluster by URL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from qdrant_client import QdrantClient, models

from studyrag.settings import IndexSettings
from studyrag.types import Chunk, StudyragError, point_id_of

DENSE = "dense"
SPARSE = "bm25"
_SOURCE_FIELD = "source"


def open_client(index: IndexSettings) -> QdrantClient:
    """Connect to the configured Qdrant, with a one-line error when the store is unavailable."""
    if index.qdrant_url:
        key = index.qdrant_api_key.get_secret_value() if index.qdrant_api_key else None
        return QdrantClient(url=index.qdrant_url, api_key=key, timeout=30)
    index.qdrant_path.mkdir(parents=True, exist_ok=True)
    try:
        return QdrantClient(path=str(index.qdrant_path))
    except RuntimeError as error:
        if "already accessed" in str(error):
            raise StudyragError(
                f"the index at {index.qdrant_path} is open in another studyrag process "
                "(the app?); stop it or use the app's re-index button"
            ) from error
        raise


class QdrantStore:
    """Chunks as points with a named dense vector; the payload holds the whole chunk."""

    def __init__(self, client: QdrantClient, index: IndexSettings, dim: int) -> None:
        self.client = client
        self.name = index.collection_name
        self.dim = dim
        self._shards = index.qdrant_shards
        self._replication = index.qdrant_replication
        self._remote = index.qdrant_url is not None

    def ensure_collection(self) -> None:
        """Create the collection (and payload index) when it does not exist yet."""
        if self.client.collection_exists(self.name):
            info = self.client.get_collection(self.name)
            vectors = info.config.params.vectors
            size = vectors[DENSE].size if isinstance(vectors, dict) and DENSE in vectors else None
            if size != self.dim:
                raise StudyragError(
                    f"collection {self.name!r} holds {size}-d vectors but the model makes "
                    f"{self.dim}-d; delete the data folder and re-ingest"
                )
            return
        self.client.create_collection(
            self.name,
            vectors_config={
                DENSE: models.VectorParams(size=self.dim, distance=models.Distance.COSINE)
            },
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            shard_number=self._shards,
            replication_factor=self._replication,
        )
        if self._remote:  # local mode filters by brute force and ignores payload indexes
            self.client.create_payload_index(
                self.name, _SOURCE_FIELD, field_schema=models.PayloadSchemaType.KEYWORD
            )

    def exists(self) -> bool:
        return self.client.collection_exists(self.name)

    def count(self) -> int:
        if not self.exists():
            return 0
        return self.client.count(self.name, exact=True).count

    def upsert(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        sparse: Sequence[models.SparseVector] | None = None,
        batch_size: int = 256,
    ) -> None:
        for begin in range(0, len(chunks), batch_size):
            points = []
            for offset, chunk in enumerate(chunks[begin : begin + batch_size]):
                vector: dict[str, object] = {DENSE: vectors[begin + offset].tolist()}
                if sparse is not None:
                    vector[SPARSE] = sparse[begin + offset]
                points.append(
                    models.PointStruct(id=chunk.point_id, vector=vector, payload=chunk.to_payload())
                )
            self.client.upsert(self.name, points=points, wait=True)

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        if not chunk_ids:
            return
        ids = [point_id_of(c) for c in chunk_ids]
        self.client.delete(self.name, points_selector=models.PointIdsList(points=ids), wait=True)

    def iter_chunks(self, batch: int = 512) -> Iterator[Chunk]:
        """Every chunk in the collection (payloads only)."""
        if not self.exists():
            return
        offset = None
        while True:
            records, offset = self.client.scroll(
                self.name, limit=batch, offset=offset, with_payload=True, with_vectors=False
            )
            for record in records:
                yield Chunk.from_payload(record.payload or {})
            if offset is None:
                break

    def iter_points(
        self, batch: int = 512
    ) -> Iterator[tuple[list[Chunk], np.ndarray, list[models.SparseVector] | None]]:
        """Every point with its vectors, a batch at a time (for copying to another engine)."""
        offset = None
        while self.exists():
            records, offset = self.client.scroll(
                self.name, limit=batch, offset=offset, with_payload=True, with_vectors=True
            )
            if records:
                vectors = [r.vector for r in records if isinstance(r.vector, dict)]
                sparse = [s for v in vectors if isinstance(s := v.get(SPARSE), models.SparseVector)]
                yield (
                    [Chunk.from_payload(r.payload or {}) for r in records],
                    np.asarray([v[DENSE] for v in vectors], dtype=np.float32),
                    sparse if len(sparse) == len(vectors) else None,
                )
            if offset is None:
                return

    def optimize(self) -> None:
        """Nothing to do: a server optimizes by itself, local mode has no index to build."""

    def chunk_sources(self, batch: int = 2048) -> dict[str, str]:
        """``chunk_id -> source`` for every point (reads two payload fields only)."""
        found: dict[str, str] = {}
        if not self.exists():
            return found
        offset = None
        while True:
            records, offset = self.client.scroll(
                self.name,
                limit=batch,
                offset=offset,
                with_payload=["chunk_id", _SOURCE_FIELD],
                with_vectors=False,
            )
            for record in records:
                payload = record.payload or {}
                found[str(payload.get("chunk_id"))] = str(payload.get(_SOURCE_FIELD))
            if offset is None:
                return found

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        ids = [point_id_of(c) for c in chunk_ids]
        records = self.client.retrieve(self.name, ids=ids, with_payload=True, with_vectors=False)
        return [Chunk.from_payload(r.payload or {}) for r in records]

    @staticmethod
    def source_filter(sources: set[str] | None) -> models.Filter | None:
        if not sources:
            return None
        return models.Filter(
            must=[
                models.FieldCondition(key=_SOURCE_FIELD, match=models.MatchAny(any=sorted(sources)))
            ]
        )

    def search_dense(
        self, vector: np.ndarray, limit: int, sources: set[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        response = self.client.query_points(
            self.name,
            query=vector.tolist(),
            using=DENSE,
            limit=limit,
            query_filter=self.source_filter(sources),
            with_payload=True,
        )
        return [(Chunk.from_payload(p.payload or {}), float(p.score)) for p in response.points]

    def search_sparse(
        self, vector: models.SparseVector, limit: int, sources: set[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        response = self.client.query_points(
            self.name,
            query=vector,
            using=SPARSE,
            limit=limit,
            query_filter=self.source_filter(sources),
            with_payload=True,
        )
        return [(Chunk.from_payload(p.payload or {}), float(p.score)) for p in response.points]

    def search_both(
        self,
        dense: np.ndarray,
        sparse: models.SparseVector,
        candidates: int,
        sources: set[str] | None = None,
    ) -> tuple[list[tuple[Chunk, float]], list[tuple[Chunk, float]]]:
        """Dense and sparse candidates with their raw scores, in one batched round trip."""
        query_filter = self.source_filter(sources)
        requests = [
            models.QueryRequest(
                query=dense.tolist(),
                using=DENSE,
                limit=candidates,
                filter=query_filter,
                with_payload=True,
            ),
            models.QueryRequest(
                query=sparse, using=SPARSE, limit=candidates, filter=query_filter, with_payload=True
            ),
        ]
        dense_hits, sparse_hits = self.client.query_batch_points(self.name, requests)
        return (
            [(Chunk.from_payload(p.payload or {}), float(p.score)) for p in dense_hits.points],
            [(Chunk.from_payload(p.payload or {}), float(p.score)) for p in sparse_hits.points],
        )

    def drop(self) -> None:
        """Delete the collection from the engine."""
        if self.exists():
            self.client.delete_collection(self.name)

    def close(self) -> None:
        self.client.close()
