"""Move an index written by the previous engine (qdrant-client local mode) into Qdrant Edge.

The points are copied as they are (vectors, sparse vectors, payloads: no re-embedding), then the
manifest, last: a migration cut short leaves no Edge manifest, so the next ingest copies again
(upserts by the same ids). The old index is never deleted here; `studyrag status` says where it is
and how to remove it.
"""

from __future__ import annotations

from pathlib import Path

from studyrag.index.manifest import Manifest
from studyrag.index.store import ChunkStore
from studyrag.settings import IndexSettings, StoreEngine
from studyrag.types import StudyragError

_COPY_BATCH = 512


def legacy_settings(index: IndexSettings) -> IndexSettings:
    """The same index settings pointed at the previous embedded engine (local mode)."""
    return index.model_copy(update={"engine": StoreEngine.LOCAL})


def legacy_index(index: IndexSettings) -> Path | None:
    """The previous engine's collection folder when Edge runs and one was left behind."""
    if index.qdrant_url or index.engine is not StoreEngine.EDGE:
        return None
    old = legacy_settings(index)
    folder = old.qdrant_path / "collection" / old.collection_name
    return folder if folder.exists() and old.manifest_path.exists() else None


def needs_migration(index: IndexSettings) -> bool:
    """True when Edge has no manifest yet and the previous engine's index exists."""
    return legacy_index(index) is not None and not index.manifest_path.exists()


def migrate_legacy_index(index: IndexSettings, target: ChunkStore) -> str:
    """Copy the local-mode collection and its manifest into ``target``; returns a one-line note."""
    from studyrag.index.qdrant_store import QdrantStore, open_client

    old = legacy_settings(index)
    try:
        manifest = Manifest.load(old.manifest_path)
    except ValueError as error:
        return f"an index from the previous engine is at {old.qdrant_path} but {error}; re-indexing"
    if manifest is None:
        return ""
    client = open_client(old)
    try:
        source = QdrantStore(client, old, target.dim)
        if not source.exists():
            return ""
        copied = 0
        for chunks, dense, sparse in source.iter_points(_COPY_BATCH):
            if dense.shape[1] != target.dim:
                raise StudyragError(
                    f"the previous index at {old.qdrant_path} holds {dense.shape[1]}-d vectors, "
                    f"the model makes {target.dim}-d; re-ingest with `studyrag ingest`"
                )
            target.upsert(chunks, dense, sparse)
            copied += len(chunks)
    finally:
        client.close()
    manifest.sidecar_fingerprint = ""  # the sidecar is rebuilt from the new collection
    manifest.save(index.manifest_path)
    return (
        f"migrated the index of the previous version (qdrant-client local mode, {copied} chunks "
        f"of {len(manifest.entries)} files) into Qdrant Edge without re-embedding; the old index "
        f"is kept at {old.qdrant_path} until you delete it"
    )
