"""One reader per file format behind one interface (:class:`Reader`), chosen by suffix."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from studyrag.ingest.readers.base import (
    Block,
    BlockKind,
    DocumentBuilder,
    PageProgress,
    PageUnit,
    ReadDocument,
    Reader,
    SkipFile,
)


@cache
def readers() -> tuple[Reader, ...]:
    """Every reader, one per format (their libraries load on first read)."""
    from studyrag.ingest.readers.docx import DocxReader
    from studyrag.ingest.readers.epub import EpubReader
    from studyrag.ingest.readers.html import HtmlReader
    from studyrag.ingest.readers.pdf import PdfReader
    from studyrag.ingest.readers.pptx import PptxReader
    from studyrag.ingest.readers.text import TextReader

    return (TextReader(), HtmlReader(), PdfReader(), DocxReader(), PptxReader(), EpubReader())


def supported_suffixes() -> frozenset[str]:
    return frozenset(suffix for reader in readers() for suffix in reader.suffixes)


def reader_for(path: Path) -> Reader:
    """The reader of a file's suffix; SkipFile when no reader takes it."""
    suffix = path.suffix.lower()
    for reader in readers():
        if suffix in reader.suffixes:
            return reader
    kinds = ", ".join(sorted(supported_suffixes()))
    raise SkipFile(f"unsupported file type {suffix or '(none)'!r} (supported: {kinds})")


__all__ = [
    "Block",
    "BlockKind",
    "DocumentBuilder",
    "PageProgress",
    "PageUnit",
    "ReadDocument",
    "Reader",
    "SkipFile",
    "reader_for",
    "readers",
    "supported_suffixes",
]
