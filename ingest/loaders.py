"""Find and read corpus files; refuse bad ones with one clear reason each."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from studyrag.types import StudyragError

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".rst", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}
_SNIFF_BYTES = 8192
# Legacy encodings tried, by detection, when a file is not UTF-8: a closed list keeps random bytes
# from being "detected" as some exotic code page.
LEGACY_ENCODINGS = (
    "cp1252",
    "latin_1",
    "cp1251",
    "utf_16",
    "shift_jis",
    "gb18030",
    "euc_kr",
    "big5",
)


class SkipFile(StudyragError):
    """A file that cannot be ingested; the message says why, in one line."""


@dataclass(frozen=True)
class SourceFile:
    """A candidate file and the name it is indexed under."""

    path: Path
    source: str  # stable name: path relative to the folder it was found in


@dataclass(frozen=True)
class LoadedDocument:
    """A file's decoded text. Chunk offsets index into ``text``."""

    source: str
    path: Path
    text: str
    sha256: str
    encoding: str


def discover(paths: list[Path]) -> tuple[list[SourceFile], list[tuple[Path, str]], list[Path]]:
    """Walk files and folders (no symlinked folders, no hidden entries).

    Returns the candidate files, the refused paths with a reason, and the folders that were
    scanned (a file indexed under one of them and no longer found there counts as deleted).
    """
    found: dict[str, SourceFile] = {}
    refused: list[tuple[Path, str]] = []
    roots: list[Path] = []
    for given in paths:
        if not given.exists():
            refused.append((given, "no such file or folder"))
            continue
        if given.is_file():
            found.setdefault(given.name, SourceFile(given, given.name))
            continue
        roots.append(given.resolve())
        for directory, subdirs, files in os.walk(given, followlinks=False, onerror=None):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                file_path = Path(directory) / name
                source = file_path.relative_to(given).as_posix()
                found.setdefault(source, SourceFile(file_path, source))
    return sorted(found.values(), key=lambda f: f.source), refused, roots


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    if not head:
        return False
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return control / len(head) > 0.1


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode text: UTF-8 first, then the charset-normalizer guess; refuse binary data."""
    if _looks_binary(data[:_SNIFF_BYTES]):
        raise SkipFile("binary file, not text")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)).best()
    if best is None or best.encoding is None or best.chaos > 0.2:
        raise SkipFile(
            f"cannot decode as UTF-8 (byte {utf8_error.start}) nor detect its encoding; "
            "re-save it as UTF-8"
        )
    return str(best), best.encoding


def _html_text(data: bytes) -> str:
    from bs4 import BeautifulSoup

    text, _ = decode_bytes(data)
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    return soup.get_text("\n")


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        return "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError) as error:
        raise SkipFile(f"malformed PDF ({error})") from error


def _docx_text(path: Path) -> str:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as error:
        raise SkipFile(f"malformed DOCX ({error})") from error
    return "\n\n".join(p.text for p in document.paragraphs)


_EXTRACTORS: dict[str, Callable[[Path, bytes], tuple[str, str]]] = {
    ".pdf": lambda path, _data: (_pdf_text(path), "pdf"),
    ".docx": lambda path, _data: (_docx_text(path), "docx"),
    ".html": lambda _path, data: (_html_text(data), "html"),
    ".htm": lambda _path, data: (_html_text(data), "html"),
}


def read_file_bytes(path: Path, max_bytes: int) -> bytes:
    """Read a file after the checks that need no content (type, size, permissions)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise SkipFile(f"unsupported file type {suffix or '(none)'!r} (supported: {kinds})")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise SkipFile(f"cannot read ({error.strerror or error})") from error
    if size > max_bytes:
        raise SkipFile(
            f"{size / 2**20:.1f} MB is over the {max_bytes / 2**20:g} MB limit "
            "(raise STUDYRAG_MAX_FILE_MB to index it)"
        )
    if size == 0:
        raise SkipFile("empty file")
    try:
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError as error:
        raise SkipFile(f"cannot read ({error.strerror or error})") from error


def load_document(file: SourceFile, max_bytes: int) -> LoadedDocument:
    """Read and decode one file, or raise :class:`SkipFile` with the reason."""
    data = read_file_bytes(file.path, max_bytes)
    if len(data) > max_bytes:
        raise SkipFile("file grew past the size limit while being read")
    suffix = file.path.suffix.lower()
    extract = _EXTRACTORS.get(suffix)
    text, encoding = extract(file.path, data) if extract else decode_bytes(data)
    if not text.strip():
        raise SkipFile("no text in file" if extract else "file holds only whitespace")
    return LoadedDocument(
        source=file.source,
        path=file.path,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


def iter_loaded(
    files: list[SourceFile], max_bytes: int
) -> Iterator[LoadedDocument | tuple[SourceFile, str]]:
    """Load each file, yielding the document or ``(file, reason)`` when it is skipped."""
    for file in files:
        try:
            yield load_document(file, max_bytes)
        except SkipFile as skip:
            yield file, str(skip)
