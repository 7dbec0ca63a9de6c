"""A cited passage inside its source document: the surrounding text, cleaned as ingested."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from studyrag.index.manifest import Manifest
from studyrag.ingest.loaders import SkipFile, SourceFile, load_document
from studyrag.ingest.readers import ReadDocument
from studyrag.settings import Settings
from studyrag.types import Chunk, StudyragError

CONTEXT_BEFORE = 300  # short, so the passage shows without scrolling
CONTEXT_AFTER = 900


@dataclass(frozen=True)
class DocumentContext:
    """The passage with the cleaned text before and after it."""

    source: str
    before: str
    passage: str
    after: str
    start: int  # offsets of the passage in the cleaned document
    end: int
    length: int  # characters in the cleaned document
    truncated_before: bool
    truncated_after: bool


def source_path(settings: Settings, source: str) -> Path:
    """The file a source was ingested from: the manifest's record, else under the corpus."""
    try:
        manifest = Manifest.load(settings.index.manifest_path)
    except ValueError:
        manifest = None
    entry = manifest.entries.get(source) if manifest else None
    if entry and Path(entry.path).is_file():
        return Path(entry.path)
    corpus = settings.index.corpus_dir.resolve()
    candidate = (corpus / source).resolve()
    if not candidate.is_relative_to(corpus) or not candidate.is_file():
        raise StudyragError(f"{source} is no longer in the corpus; re-index to refresh")
    return candidate


@lru_cache(maxsize=8)
def _read(path: str, mtime_ns: int, size: int) -> ReadDocument:
    file = Path(path)
    try:
        return load_document(SourceFile(file, file.name), size + 1)
    except SkipFile as error:
        raise StudyragError(f"{file.name} can no longer be read: {error}") from error


def read_document(path: Path) -> ReadDocument:
    """A file read into the document model, as ingest reads it (cached by mtime)."""
    stat = path.stat()
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


def _snap_back(text: str, index: int) -> int:
    cut = text.rfind("\n", 0, index)
    return cut + 1 if cut > 0 else 0


def _snap_forward(text: str, index: int) -> int:
    cut = text.find("\n", index)
    return len(text) if cut < 0 else cut


def document_context(
    settings: Settings, chunk: Chunk, before: int = CONTEXT_BEFORE, after: int = CONTEXT_AFTER
) -> DocumentContext:
    """The text around ``chunk`` in its source file, cut at line boundaries."""
    document = read_document(source_path(settings, chunk.source))
    text = document.text
    start, end = _cleaned_span(document, chunk.start, chunk.end)
    if text[start:end].strip() != chunk.text.strip():
        found = text.find(chunk.text)  # the file changed since ingest: find the passage itself
        if found < 0:
            raise StudyragError(f"{chunk.source} changed since it was indexed; re-index")
        start, end = found, found + len(chunk.text)
    return _around(chunk.source, text, start, end, before, after)


def span_context(
    settings: Settings, source: str, start: int, end: int, before: int = 200, after: int = 200
) -> DocumentContext:
    """A ``[start, end)`` span of a source file's original text, with the lines around it."""
    document = read_document(source_path(settings, source))
    if not 0 <= start < end:
        raise StudyragError(f"no text at {source} characters {start}-{end}")
    first, last = _cleaned_span(document, start, end)
    if last <= first:
        raise StudyragError(f"{source} changed since the question bank was read; re-index")
    return _around(source, document.text, first, last, before, after)


def _cleaned_span(document: ReadDocument, start: int, end: int) -> tuple[int, int]:
    """Citation offsets to offsets of the document's text (the same for non-text formats)."""
    if document.aligned is None:
        return start, min(end, len(document.text))
    starts, ends = document.aligned.starts, document.aligned.ends
    first = bisect.bisect_left(starts, start)
    return first, max(first, bisect.bisect_left(ends, end + 1))


def _around(
    source: str, text: str, start: int, end: int, before: int, after: int
) -> DocumentContext:
    begin = _snap_back(text, max(0, start - before))
    finish = _snap_forward(text, min(len(text), end + after))
    return DocumentContext(
        source=source,
        before=text[begin:start],
        passage=text[start:end],
        after=text[end:finish],
        start=start,
        end=end,
        length=len(text),
        truncated_before=begin > 0,
        truncated_after=finish < len(text),
    )
