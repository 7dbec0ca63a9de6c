"""Incremental ingestion: files -> clean -> chunk -> embed -> Qdrant + BM25 sidecar + manifest.

Order of writes makes every interruption recoverable: new points are upserted before stale ones are
deleted, the sidecar is rebuilt from the collection, and the manifest is written last. A run killed
anywhere leaves the previous index queryable, and the next run re-processes whatever the manifest
does not yet record.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from studyrag.embedding import Embedder
from studyrag.index.bm25_sidecar import BM25Sidecar
from studyrag.index.lexical import LexicalAnalyzer
from studyrag.index.manifest import Manifest, ManifestEntry
from studyrag.index.sparse import SparseBM25Encoder
from studyrag.index.store import ChunkStore, choose_lexical
from studyrag.ingest.chunker import ChunkerConfig, StructureChunker
from studyrag.ingest.loaders import (
    SkipFile,
    SourceFile,
    discover,
    read_bytes,
    read_file_bytes,
)
from studyrag.ingest.migrate import migrate_legacy_index, needs_migration
from studyrag.ingest.readers import ReadDocument
from studyrag.settings import IndexSettings, IngestSettings
from studyrag.types import Chunk, StudyragError

CHUNKER_VERSION = "structure-2"  # 2: the document model (readers per format, pages)
_WRITE_BATCH = 256
Progress = Callable[[str, float], None]


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    chunks_written: int = 0
    chunks_total: int = 0
    pages_read: int = 0
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.deleted)} deleted, "
            f"{len(self.skipped)} skipped; "
            + (f"{self.pages_read} pages read; " if self.pages_read else "")
            + f"{self.chunks_written} chunks embedded, {self.chunks_total} in the index "
            f"({self.seconds:.1f} s)"
        )


_READING = (0.02, 0.08)  # the share of the progress bar that reading the files takes


def _reading_fraction(within: float) -> float:
    """Where the progress bar stands when ``within`` (0-1) of the files have been read."""
    return _READING[0] + (_READING[1] - _READING[0]) * within


def _vanished(manifest: Manifest, seen: set[str], roots: list[Path]) -> list[str]:
    """Indexed files gone from a scanned folder (explicitly named files are never removed)."""
    return [
        source
        for source, entry in manifest.entries.items()
        if source not in seen
        and any(Path(entry.path).resolve().is_relative_to(root) for root in roots)
        and not Path(entry.path).exists()
    ]


def _page_progress(
    progress: Progress, source: str, position: int, files: int
) -> Callable[[int, int], None]:
    """Progress in pages for one paginated file, as a fraction of the reading phase."""

    def report(done: int, total: int) -> None:
        within = (position + done / max(total, 1)) / max(files, 1)
        progress(f"{source}: read {done}/{total} pages", _reading_fraction(within))

    return report


def rebuild_sidecar(store: ChunkStore, analyzer: LexicalAnalyzer) -> BM25Sidecar:
    """Build the BM25 sidecar from the chunks stored in the collection."""
    return BM25Sidecar.build(
        ((c.chunk_id, c.source, c.index_text, c.content_hash) for c in store.iter_chunks()),
        analyzer,
    )


class Ingestor:
    """Runs incremental ingestion into one collection."""

    def __init__(
        self,
        index: IndexSettings,
        ingest: IngestSettings,
        store: ChunkStore,
        embedder: Embedder,
        analyzer: LexicalAnalyzer,
    ) -> None:
        self.index = index
        self.ingest = ingest
        self.store = store
        self.embedder = embedder
        self.analyzer = analyzer
        self.sparse = SparseBM25Encoder(analyzer, avgdl=index.sparse_avgdl)
        self.chunker = StructureChunker(
            embedder.count_tokens,
            ChunkerConfig(ingest.chunk_max_tokens, ingest.chunk_overlap_tokens),
        )

    def run(
        self,
        paths: Sequence[Path],
        progress: Progress | None = None,
        reread: frozenset[str] = frozenset(),
    ) -> IngestReport:
        """Ingest files and folders; one writer at a time per index. Sources in ``reread`` are
        read and chunked again even when their bytes did not change."""
        return self._locked(lambda say: self._run(list(paths), say, reread), progress)

    def run_documents(
        self, documents: Sequence[ReadDocument], progress: Progress | None = None
    ) -> IngestReport:
        """Index documents read elsewhere (a benchmark's records) through the same steps as
        files: the collection becomes exactly these documents, and one whose text did not change
        (its sha256) is kept as it is."""
        return self._locked(lambda say: self._run_documents(documents, say), progress)

    def _locked(
        self, work: Callable[[Progress], IngestReport], progress: Progress | None
    ) -> IngestReport:
        lock_file = self.index.index_dir / "ingest.lock"
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            with FileLock(str(lock_file), timeout=0):
                return work(progress or (lambda _msg, _frac: None))
        except Timeout as error:
            raise StudyragError(
                "another ingest is already running on this index; wait for it to finish"
            ) from error

    def _load_manifest(self, report: IngestReport) -> Manifest:
        try:
            manifest = Manifest.load(self.index.manifest_path)
        except ValueError as error:
            report.notes.append(f"{error}; rebuilding it from the corpus")
            return Manifest()
        if manifest is None:
            return Manifest()
        if (
            manifest.embedding_model != self.embedder.name
            or manifest.chunker_version != CHUNKER_VERSION
        ):
            report.notes.append("chunker or model changed since the last ingest; re-indexing all")
            return Manifest()
        if manifest.entries and self.store.count() == 0:
            report.notes.append(
                "the manifest lists files but the collection is empty; re-indexing all"
            )
            return Manifest()
        return manifest

    def _run(self, paths: list[Path], progress: Progress, reread: frozenset[str]) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        manifest = self._open(report, progress)
        files, refused, roots = discover(paths)
        report.skipped.extend((str(p), reason) for p, reason in refused)
        progress(f"found {len(files)} files", 0.02)
        to_index, seen = self._read_changed(files, manifest, reread, progress, report)
        deleted = _vanished(manifest, seen, roots)
        return self._index(manifest, to_index, seen, deleted, progress, report, started)

    def _run_documents(self, documents: Sequence[ReadDocument], progress: Progress) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        manifest = self._open(report, progress)
        seen = {document.source for document in documents}
        if len(seen) != len(documents):
            raise StudyragError("two documents share a source name; each needs its own")
        to_index: list[tuple[SourceFile, ReadDocument]] = []
        for document in documents:
            entry = manifest.entries.get(document.source)
            if entry and entry.sha256 == document.sha256:
                report.unchanged.append(document.source)
            else:
                to_index.append((SourceFile(document.path, document.source), document))
        progress(f"{len(to_index)} of {len(documents)} documents to index", 0.05)
        deleted = [source for source in manifest.entries if source not in seen]
        return self._index(manifest, to_index, seen, deleted, progress, report, started)

    def _index(
        self,
        manifest: Manifest,
        to_index: list[tuple[SourceFile, ReadDocument]],
        seen: set[str],
        deleted: list[str],
        progress: Progress,
        report: IngestReport,
        started: float,
    ) -> IngestReport:
        """Chunk, embed and store what was read; bring the manifest, the store and the BM25
        sidecar in line."""
        per_source = self._chunk(to_index, report)
        self._write_chunks(per_source, bool(deleted), manifest, progress, report)
        self._record(manifest, to_index, per_source, deleted, report)
        if report.changed:
            self._remove_strays(manifest, seen, report)
        self._finish(manifest, progress, report)
        report.seconds = time.perf_counter() - started
        progress("done", 1.0)
        return report

    def _open(self, report: IngestReport, progress: Progress) -> Manifest:
        """The collection ready for writing (the previous version's index moved in) and its
        manifest."""
        self.store.ensure_collection()
        if needs_migration(self.index):
            progress("migrating the previous version's index into Qdrant Edge", 0.01)
            if note := migrate_legacy_index(self.index, self.store):
                report.notes.append(note)
        manifest = self._load_manifest(report)
        if not manifest.entries and self.store.count():
            report.notes.append("no manifest for a non-empty collection; re-checking every file")
        return manifest

    def _read_changed(
        self,
        files: list[SourceFile],
        manifest: Manifest,
        reread: frozenset[str],
        progress: Progress,
        report: IngestReport,
    ) -> tuple[list[tuple[SourceFile, ReadDocument]], set[str]]:
        """Read every file whose bytes changed since the manifest (or asked to be re-read);
        returns them and the sources of every file found."""
        to_index: list[tuple[SourceFile, ReadDocument]] = []
        seen: set[str] = set()
        for position, file in enumerate(files):
            try:
                data = read_file_bytes(file.path, self.ingest.max_file_bytes)
                digest = hashlib.sha256(data).hexdigest()
                seen.add(file.source)
                entry = manifest.entries.get(file.source)
                if entry and entry.sha256 == digest and file.source not in reread:
                    report.unchanged.append(file.source)
                    continue
                pages = _page_progress(progress, file.source, position, len(files))
                document = read_bytes(file, data, pages, digest)
                report.notes.extend(f"{file.source}: {note}" for note in document.notes)
                report.pages_read += document.pages
                to_index.append((file, document))
            except SkipFile as skip:
                report.skipped.append((str(file.path), str(skip)))
            if (position + 1) % max(1, len(files) // 10) == 0 or position + 1 == len(files):
                fraction = _reading_fraction((position + 1) / len(files))
                progress(f"read {position + 1}/{len(files)} files", fraction)
        return to_index, seen

    def _chunk(
        self, to_index: list[tuple[SourceFile, ReadDocument]], report: IngestReport
    ) -> dict[str, list[Chunk]]:
        """Each read document's chunks (a document left empty by cleaning is skipped)."""
        per_source: dict[str, list[Chunk]] = {}
        for file, document in to_index:
            chunks = self.chunker.run(document)
            if not chunks:
                report.skipped.append((str(file.path), "no text left after cleaning"))
                continue
            per_source[document.source] = chunks
        return per_source

    def _write_chunks(
        self,
        per_source: dict[str, list[Chunk]],
        deleting: bool,
        manifest: Manifest,
        progress: Progress,
        report: IngestReport,
    ) -> None:
        """Embed and store the new chunks (the INT8 path past the bulk floor)."""
        new_chunks = [c for chunks in per_source.values() for c in chunks]
        if (new_chunks or deleting) and manifest.sidecar_fingerprint:
            # The collection is about to change: until this run ends, nothing may trust the sidecar.
            manifest.sidecar_fingerprint = ""
            manifest.save(self.index.manifest_path)
        if new_chunks:
            floor = self.index.embed_int8_min_chunks
            bulk = self.embedder.has_bulk_path and 0 <= floor <= len(new_chunks)
            if bulk:
                report.notes.append(
                    f"{len(new_chunks)} chunks to embed: {self.embedder.name}'s INT8 export runs "
                    f"them (from {floor} chunks; STUDYRAG_EMBED_INT8_MIN_CHUNKS)"
                )
            self._write(new_chunks, progress, bulk)
            if bulk and not self.embedder.has_bulk_path:
                report.notes.append(self.embedder.bulk_error)
        report.chunks_written = len(new_chunks)

    def _record(
        self,
        manifest: Manifest,
        to_index: list[tuple[SourceFile, ReadDocument]],
        per_source: dict[str, list[Chunk]],
        deleted: list[str],
        report: IngestReport,
    ) -> None:
        """The manifest follows what was written: new entries, replaced chunks deleted from the
        store, vanished files removed."""
        now = time.time()
        for file, document in to_index:
            written = per_source.get(document.source)
            if written is None:
                continue
            previous = manifest.entries.get(document.source)
            new_ids = [c.chunk_id for c in written]
            if previous:
                self.store.delete_chunks([c for c in previous.chunk_ids if c not in set(new_ids)])
                report.updated.append(document.source)
            else:
                report.added.append(document.source)
            manifest.entries[document.source] = ManifestEntry(
                source=document.source,
                path=str(file.path.resolve()),
                sha256=document.sha256,
                chunk_ids=new_ids,
                ingested_at=now,
                encoding=document.encoding,
                pages=document.pages,
            )
        for source in deleted:
            self.store.delete_chunks(manifest.entries.pop(source).chunk_ids)
            report.deleted.append(source)
        manifest.updated_at = now

    def _finish(self, manifest: Manifest, progress: Progress, report: IngestReport) -> None:
        """Optimize the store, bring the BM25 sidecar up to date, save the manifest."""
        if report.chunks_written:
            self.store.optimize()
        if not choose_lexical(self.index, manifest.chunk_count).in_engine:
            progress("updating the BM25 sidecar", 0.95)
            manifest.sidecar_fingerprint = self._sync_sidecar(manifest, report)
        manifest.embedding_model = self.embedder.name
        manifest.chunker_version = CHUNKER_VERSION
        manifest.save(self.index.manifest_path)
        report.chunks_total = manifest.chunk_count

    def _remove_strays(self, manifest: Manifest, seen: set[str], report: IngestReport) -> None:
        """Delete points of re-read files that the manifest does not list (an interrupted run)."""
        expected = {c for entry in manifest.entries.values() for c in entry.chunk_ids}
        stray = [
            chunk_id
            for chunk_id, source in self.store.chunk_sources().items()
            if chunk_id not in expected and (source in seen or source in report.deleted)
        ]
        if stray:
            self.store.delete_chunks(stray)
            report.notes.append(f"removed {len(stray)} chunks left by an interrupted ingest")

    def _write(self, chunks: list[Chunk], progress: Progress, bulk: bool) -> None:
        """Embed, sparse-encode and upsert a slice at a time: the next slice embeds in a worker
        thread (onnxruntime and torch release the GIL) while this one is encoded and written,
        and only one slice's vectors are held at a time."""
        from concurrent.futures import ThreadPoolExecutor

        def embed(part: list[Chunk]) -> np.ndarray:
            texts = [c.index_text for c in part]
            return self.embedder.embed_documents(texts, self.index.embed_batch_size, bulk)

        slices = [chunks[i : i + _WRITE_BATCH] for i in range(0, len(chunks), _WRITE_BATCH)]
        done = 0
        progress(f"embedding {len(chunks)} chunks", 0.1)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="studyrag-embed") as pool:
            pending = pool.submit(embed, slices[0])
            for index, part in enumerate(slices):
                vectors = pending.result()
                if index + 1 < len(slices):
                    pending = pool.submit(embed, slices[index + 1])
                fraction = 0.1 + 0.85 * (done + len(part)) / len(chunks)
                progress(f"embedded {done + len(part)}/{len(chunks)} chunks", fraction)
                sparse = [self.sparse.document(c.index_text) for c in part]
                self.store.upsert(part, vectors, sparse)
                done += len(part)
                progress(f"wrote {done}/{len(chunks)} chunks", fraction)

    def _sync_sidecar(self, manifest: Manifest, report: IngestReport) -> str:
        """Rebuild the sidecar when the collection changed or the sidecar is stale or damaged;
        returns the fingerprint of the sidecar now on disk."""
        path = self.index.sidecar_path
        if not report.changed and path.exists():
            try:
                sidecar = BM25Sidecar.load(path)
                if (
                    len(sidecar) == manifest.chunk_count
                    and sidecar.fingerprint == manifest.sidecar_fingerprint
                ):
                    return sidecar.fingerprint
                report.notes.append("BM25 sidecar out of date; rebuilt it from the collection")
            except ValueError as error:
                report.notes.append(f"{error}; rebuilt it from the collection")
        sidecar = rebuild_sidecar(self.store, self.analyzer)
        sidecar.save(path)
        return sidecar.fingerprint
