"""The one pipeline the CLI, the app and the eval suite all call."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from studyrag.index.bm25_sidecar import BM25Sidecar, fingerprint
from studyrag.index.lexical import LexicalAnalyzer
from studyrag.index.manifest import Manifest
from studyrag.index.sparse import SparseBM25Encoder
from studyrag.index.store import (
    LexicalChoice,
    choose_lexical,
    open_store,
    store_engine_name,
    store_location,
)
from studyrag.ingest.ingestor import (
    Ingestor,
    IngestReport,
    Progress,
    rebuild_sidecar,
)
from studyrag.ingest.migrate import legacy_index
from studyrag.ingest.readers.base import ReadDocument
from studyrag.ingest.uploads import StoredUpload, UploadFolder, check_upload
from studyrag.registry import ModelRegistry, process_models
from studyrag.retrieval.candidates import CandidateRetriever
from studyrag.retrieval.dense import DenseRetriever
from studyrag.retrieval.hybrid import HybridRetriever
from studyrag.retrieval.lexical_retriever import make_lexical_retriever
from studyrag.retrieval.options import SearchOptions
from studyrag.retrieval.reranker import CrossEncoderReranker
from studyrag.retrieval.unit_rerank import UnitReranker
from studyrag.settings import AnswerSettings, GeneratorBackend, RetrievalMode, Settings
from studyrag.types import SearchResult, StudyragError

if TYPE_CHECKING:
    from studyrag.generate.base import Generator

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_FINGERPRINT_CHECK_LIMIT = 50_000


@dataclass
class IndexStatus:
    """What the index holds, for the UI sidebar and `studyrag status`."""

    collection: str
    embedding_model: str
    files: list[str]
    chunks: int
    last_ingest: float | None
    location: str
    engine: str = ""
    lexical: str = ""  # the lexical path and why
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentInfo:
    """One indexed document, for the Documents page and `studyrag documents`."""

    source: str
    pages: int
    chunks: int
    indexed_at: float
    uploaded: bool  # added from the app (removable there), else read from the corpus folder
    path: Path


def tail_depth(chunks: int) -> int:
    """How far down the fused list the reranker reads: sqrt(chunks) / 4, from 10 to 40."""
    return max(10, min(40, round(math.sqrt(chunks) / 4)))


class CleanQuery(str):
    """A question that passed :func:`clean_query`; later layers take it as it is."""

    __slots__ = ()


def clean_query(query: str, max_chars: int) -> CleanQuery:
    """Validate a question once: one clear error for empty, binary or oversized input.

    The first layer that receives a question (app, assistant or pipeline) cleans it; the layers
    below get the :class:`CleanQuery` back at no cost."""
    if isinstance(query, CleanQuery) and len(query) <= max_chars:
        return query
    if not isinstance(query, str):
        raise StudyragError("the question must be text")
    text = _CONTROL.sub(" ", query).strip()
    if not text:
        raise StudyragError("the question is empty; type a question about the corpus")
    if len(text) > max_chars:
        raise StudyragError(
            f"the question is {len(text):,} characters; keep it under {max_chars:,} "
            "(STUDYRAG_MAX_QUERY_CHARS)"
        )
    return CleanQuery(text)


class StudyPipeline:
    """Owns the index (one engine handle) and the retriever built on it; its models come from
    the process's :class:`ModelRegistry`, so a second pipeline loads none again."""

    def __init__(self, settings: Settings, models: ModelRegistry | None = None) -> None:
        self.settings = settings  # the whole set, for what is built on this pipeline
        self.index = settings.index
        self.ingest_settings = settings.ingest
        self.retrieval = settings.retrieval
        self.models = models or process_models()
        self.embedder = self.models.embedder(self.index)
        self.analyzer = LexicalAnalyzer()
        self.store = open_store(self.index, self.embedder.dim)
        self.notes: list[str] = []
        self._unit_reranker: UnitReranker | None = None
        self._retriever: HybridRetriever | None = None
        self._chunk_count: int | None = None

    # Ingestion -------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path] | None = None,
        progress: Progress | None = None,
        reread: frozenset[str] = frozenset(),
    ) -> IngestReport:
        """Incrementally ingest ``paths`` (default: the corpus folder and the uploads)."""
        report = Ingestor(
            self.index, self.ingest_settings, self.store, self.embedder, self.analyzer
        ).run(list(paths) if paths else self.index.source_dirs, progress, reread)
        self._retriever = None  # the sidecar changed: reload on next query
        self._chunk_count = None
        return report

    def ingest_documents(
        self, documents: Sequence[ReadDocument], progress: Progress | None = None
    ) -> IngestReport:
        """Index documents that never were files (a benchmark's records) the way ``ingest``
        indexes files: this collection becomes exactly ``documents``."""
        report = Ingestor(
            self.index, self.ingest_settings, self.store, self.embedder, self.analyzer
        ).run_documents(documents, progress)
        self._retriever = None
        self._chunk_count = None
        return report

    def documents(self) -> list[DocumentInfo]:
        """The indexed documents with their pages, chunks and when they were indexed."""
        try:
            manifest = Manifest.load(self.index.manifest_path)
        except ValueError as error:
            raise StudyragError(f"{error}; press Re-index to rebuild it") from None
        if manifest is None:
            return []
        uploads = self.index.uploads_dir.resolve()
        return [
            DocumentInfo(
                source=entry.source,
                pages=entry.pages,
                chunks=len(entry.chunk_ids),
                indexed_at=entry.ingested_at,
                uploaded=Path(entry.path).resolve().is_relative_to(uploads),
                path=Path(entry.path),
            )
            for entry in sorted(manifest.entries.values(), key=lambda e: e.source.lower())
        ]

    def _document(self, source: str) -> DocumentInfo:
        found = next((d for d in self.documents() if d.source == source), None)
        if found is None:
            raise StudyragError(f"{source} is not in this collection's index")
        return found

    def reindex_document(self, source: str, progress: Progress | None = None) -> IngestReport:
        """Read, chunk and embed one document again (its file may not have changed)."""
        document = self._document(source)
        if not document.path.is_file():
            raise StudyragError(f"{source}'s file {document.path} is gone; press Re-index")
        return self.ingest(progress=progress, reread=frozenset({source}))

    def remove_document(self, source: str, progress: Progress | None = None) -> IngestReport:
        """Delete an uploaded document: its file, its chunks, its BM25 entries and its manifest
        entry go; if indexing fails the file is put back and the index is as it was."""
        document = self._document(source)
        if not document.uploaded:
            raise StudyragError(
                f"{source} is read from the corpus folder {self.index.corpus_dir}; delete the "
                "file there, then press Re-index"
            )
        aside = document.path.with_name(f".removing-{document.path.name}")
        if document.path.is_file():
            document.path.replace(aside)  # hidden: the ingest below no longer finds it
        try:
            report = self.ingest(progress=progress)
        except BaseException:
            if aside.is_file():
                aside.replace(document.path)
            raise
        aside.unlink(missing_ok=True)
        return report

    def drop(self) -> None:
        """Delete this collection's index (engine data, sidecar, manifest) and close it."""
        import shutil

        self.store.drop()
        self.close()
        shutil.rmtree(self.index.index_dir, ignore_errors=True)
        self._retriever = None
        self._chunk_count = None

    def chunk_count(self) -> int:
        """Chunks in the index (read once, again after each ingest)."""
        if self._chunk_count is None:
            self._chunk_count = self.store.count()
        return self._chunk_count

    def add_uploads(
        self, files: Sequence[tuple[str, bytes]], progress: Progress | None = None
    ) -> list[tuple[bool, str]]:
        """Check, store and index files sent from a browser; one ``(ok, line)`` per file, then
        the ingest summary. Nothing is stored when the batch is over the count limit."""
        limit = self.ingest_settings.upload_max_files
        if len(files) > limit:
            return [
                (
                    False,
                    f"{len(files)} files at once; add at most {limit} (STUDYRAG_UPLOAD_MAX_FILES)",
                )
            ]
        folder = UploadFolder(self.index.uploads_dir)
        uploaded = set(folder.sources())
        indexed = set(self.status().files)
        max_bytes = int(self.ingest_settings.max_file_mb * 2**20)
        lines: list[tuple[bool, str]] = []
        stored: list[StoredUpload] = []
        for name, data in files:
            try:
                source = check_upload(name, data, max_bytes)
                if source in indexed and source not in uploaded:
                    raise StudyragError(
                        f"a document named {source} is already indexed from the corpus folder; "
                        "rename the file and add it again"
                    )
                if any(s.source == source for s in stored):
                    raise StudyragError(f"{source} was sent twice; it is added once")
                stored.append(folder.store(source, data))
            except StudyragError as error:
                lines.append((False, f"skipped: {error}"))
        if not stored:
            return lines
        report = self.ingest([s.path for s in stored], progress)
        skipped = dict(report.skipped)
        for upload in stored:
            reason = skipped.get(str(upload.path))
            if reason is not None:  # stored, but no reader could use it: do not keep it
                folder.remove(upload.source)
                lines.append((False, f"skipped {upload.source}: {reason}"))
            elif upload.source in report.added:
                lines.append((True, f"added {upload.source}"))
            elif upload.source in report.updated:
                lines.append((True, f"updated {upload.source}"))
            else:
                lines.append((True, f"{upload.source} is already in the index, unchanged"))
        lines.append((True, report.summary()))
        return lines

    def status(self) -> IndexStatus:
        note: str | None = None
        try:
            manifest = Manifest.load(self.index.manifest_path)
        except ValueError as error:
            manifest, note = None, str(error)
        notes = [note] if note else []
        if old := legacy_index(self.index):
            notes.append(
                f"the previous version's index (qdrant-client local mode) is still at {old}; "
                "nothing uses it now that Qdrant Edge holds the index: delete it when you like"
                if manifest
                else f"the previous version's index at {old} has not been moved into Qdrant Edge "
                "yet; run `studyrag ingest` once (no re-embedding)"
            )
        chunks = self.store.count()
        lexical = choose_lexical(self.index, chunks)
        return IndexStatus(
            collection=self.store.name,
            embedding_model=self.embedder.name,
            files=sorted(manifest.entries) if manifest else [],
            chunks=chunks,
            last_ingest=manifest.updated_at if manifest else None,
            location=store_location(self.index),
            engine=store_engine_name(self.index),
            lexical=f"{lexical.backend.value} ({lexical.reason})",
            notes=notes,
        )

    def lexical_choice(self) -> LexicalChoice:
        """Which lexical path serves this index, and why."""
        return choose_lexical(self.index, self.store.count())

    # Retrieval -------------------------------------------------------------------------------
    @property
    def reranker(self) -> CrossEncoderReranker:
        """The cross-encoder (loaded on first use, once per process)."""
        return self.models.reranker(self.retrieval.rerank_max_tokens)

    def unit_reranker(self) -> UnitReranker:
        """The rerank stage over the cross-encoder (the model loads on the first rerank)."""
        if self._unit_reranker is None:
            self._unit_reranker = UnitReranker(self.reranker.score, self.analyzer)
        return self._unit_reranker

    def generator(self, backend: GeneratorBackend, answer: AnswerSettings) -> Generator:
        """The answer generator for ``backend``, built once per process and answer settings:
        every assistant, app session, CLI call and eval run shares it."""
        return self.models.generator(backend, answer, self.retrieval.rerank_max_tokens)

    def _load_sidecar(self) -> BM25Sidecar:
        """Load the sidecar, rebuilding it from the collection when missing, damaged or stale.

        A sidecar whose fingerprint the last finished ingest recorded is trusted after a count
        check; otherwise every chunk is re-read and fingerprinted.
        """
        path = self.index.sidecar_path
        try:
            sidecar = BM25Sidecar.load(path)
        except ValueError as error:
            self.notes.append(f"{error}; rebuilt it from the collection")
        else:
            count = self.store.count()
            if count == len(sidecar) and (
                sidecar.fingerprint == self._recorded_fingerprint()
                or count > _FINGERPRINT_CHECK_LIMIT
                or sidecar.fingerprint
                == fingerprint((c.chunk_id, c.content_hash) for c in self.store.iter_chunks())
            ):
                return sidecar
            self.notes.append("BM25 sidecar did not match the collection; rebuilt it")
        sidecar = rebuild_sidecar(self.store, self.analyzer)
        sidecar.save(path)
        return sidecar

    def _recorded_fingerprint(self) -> str:
        try:
            manifest = Manifest.load(self.index.manifest_path)
        except ValueError:
            return ""
        return manifest.sidecar_fingerprint if manifest else ""

    @property
    def retriever(self) -> HybridRetriever:
        if self._retriever is None:
            if not self.store.exists() or self.store.count() == 0:
                if legacy_index(self.index):
                    raise StudyragError(
                        "the index was written by the previous version's engine; run "
                        "`studyrag ingest` once to move it into Qdrant Edge (no re-embedding)"
                    )
                raise StudyragError(
                    "the index is empty; run `studyrag ingest` (or `make run`) first"
                )
            in_engine = self.lexical_choice().in_engine
            lexical = make_lexical_retriever(
                self.store,
                self.analyzer,
                sidecar=None if in_engine else self._load_sidecar(),
                encoder=SparseBM25Encoder(self.analyzer, avgdl=self.index.sparse_avgdl)
                if in_engine
                else None,
            )
            candidates = CandidateRetriever(
                self.store, DenseRetriever(self.store, self.embedder), lexical
            )
            self._retriever = HybridRetriever(candidates, self.unit_reranker)
        return self._retriever

    def options(
        self,
        top_k: int | None = None,
        mode: RetrievalMode | str | None = None,
        sources: Sequence[str] | None = None,
        rerank: bool = True,
    ) -> SearchOptions:
        """Per-query options from the settings (``mode`` and ``top_k`` may override them;
        ``rerank=False`` switches the cross-encoder off for this query)."""
        chosen = RetrievalMode(mode) if mode else self.retrieval.mode
        if chosen is RetrievalMode.HYBRID_RERANK and not (self.retrieval.rerank and rerank):
            chosen = RetrievalMode.HYBRID
        return SearchOptions(
            top_k=top_k or self.retrieval.top_k,
            mode=chosen,
            candidates=self.retrieval.candidates,
            rerank_depth=self.retrieval.rerank_depth,
            rerank_tail_depth=self.retrieval.rerank_tail_depth or tail_depth(self.chunk_count()),
            rerank_tail_units=self.retrieval.rerank_tail_units,
            rerank_target=self.retrieval.rerank_target,
            rerank_rank_penalty=self.retrieval.rerank_rank_penalty,
            fusion=self.retrieval.fusion,
            dense_weight=self.retrieval.fusion_dense_weight,
            rrf_k=self.retrieval.rrf_k,
            sources=frozenset(sources) if sources else None,
        )

    def clean_query(self, query: str) -> CleanQuery:
        """``query`` checked against this pipeline's length limit (see :func:`clean_query`)."""
        return clean_query(query, self.retrieval.max_query_chars)

    def search(
        self,
        query: str,
        top_k: int | None = None,
        mode: RetrievalMode | str | None = None,
        sources: Sequence[str] | None = None,
        options: SearchOptions | None = None,
    ) -> SearchResult:
        """Ranked passages for a question, each with its dense/BM25/fused/rerank evidence.

        ``options`` (for benchmarks that vary fusion) replaces the settings-derived ones.
        """
        text = self.clean_query(query)
        return self.retriever.run(text, options or self.options(top_k, mode, sources))

    def warm_up(self) -> float:
        """Load models and the sidecar now (not on the first question); returns seconds taken."""
        begin = time.perf_counter()
        self.search("warm up", top_k=1)
        return time.perf_counter() - begin

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> StudyPipeline:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
