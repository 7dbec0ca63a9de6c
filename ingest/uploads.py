"""Files a student adds from the browser: checked by name, size and content, then stored.

Nothing the browser sends is trusted on disk: the name is reduced to a plain file name of safe
characters, the type must be one a reader takes, and the first bytes must match it (a PDF starts
with ``%PDF-``; DOCX, PPTX and EPUB are zip files; text formats hold no NUL byte). Stored files
live in the collection's uploads folder and are indexed like any other document.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from studyrag.index.files import atomic_write_bytes
from studyrag.ingest.readers import SkipFile, reader_for
from studyrag.types import StudyragError

_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()+-]+")
_ZIP_FORMATS = frozenset({".docx", ".pptx", ".epub"})
_MAX_NAME = 120


@dataclass(frozen=True)
class StoredUpload:
    """An accepted upload: its safe name (the document's source name) and where it is."""

    source: str
    path: Path
    unchanged: bool  # the same bytes were already stored under this name


def safe_name(name: str) -> str:
    """The browser's file name as a plain, safe file name: no folders, no hidden files, no odd
    characters, at most 120 characters, its suffix kept."""
    base = PurePosixPath(name.replace("\\", "/")).name
    clean = _UNSAFE.sub("_", base).strip(" ._")
    stem, dot, suffix = clean.rpartition(".")
    if not dot or not stem or not suffix:
        raise StudyragError(f"{name!r} has no usable file name with a type (like notes.pdf)")
    return f"{stem[: _MAX_NAME - len(suffix) - 1]}.{suffix}"


def check_upload(name: str, data: bytes, max_bytes: int) -> str:
    """The safe name of an acceptable upload; one clear line (StudyragError) otherwise."""
    source = safe_name(name)
    try:
        reader_for(Path(source))
    except SkipFile as error:
        raise StudyragError(f"{source}: {error}") from None
    if not data:
        raise StudyragError(f"{source} is empty")
    if len(data) > max_bytes:
        raise StudyragError(
            f"{source} is {len(data) / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB limit "
            "(STUDYRAG_MAX_FILE_MB)"
        )
    suffix = Path(source).suffix.lower()
    if suffix == ".pdf" and not data.startswith(b"%PDF-"):
        raise StudyragError(f"{source} is not a PDF (its content does not start with %PDF-)")
    if suffix in _ZIP_FORMATS and not data.startswith(b"PK\x03\x04"):
        kind = suffix[1:].upper()
        raise StudyragError(f"{source} is not a {kind} file (it is not a zip package)")
    if suffix not in _ZIP_FORMATS and suffix != ".pdf" and b"\x00" in data[:8192]:
        raise StudyragError(f"{source} looks binary, not {suffix[1:]} text")
    return source


class UploadFolder:
    """A collection's uploads folder: one file per document name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def store(self, source: str, data: bytes) -> StoredUpload:
        """Write an upload that passed :func:`check_upload` (atomically; same name replaces)."""
        path = self.folder / source
        if path.resolve().parent != self.folder.resolve():  # belt and braces after safe_name
            raise StudyragError(f"{source!r} is not a plain file name")
        if path.is_file() and _digest(path.read_bytes()) == _digest(data):
            return StoredUpload(source, path, unchanged=True)
        atomic_write_bytes(path, data)
        return StoredUpload(source, path, unchanged=False)

    def remove(self, source: str) -> None:
        (self.folder / safe_name(source)).unlink(missing_ok=True)

    def sources(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if p.is_file() and p.name[0] != ".")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
