"""Find corpus files and read them into the document model; refuse bad ones with a reason."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from studyrag.ingest.readers import PageProgress, ReadDocument, Reader, SkipFile, reader_for
from studyrag.ingest.readers.decode import decode_bytes

__all__ = [
    "SkipFile",
    "SourceFile",
    "decode_bytes",
    "discover",
    "load_document",
    "read_bytes",
    "read_file_bytes",
]


@dataclass(frozen=True)
class SourceFile:
    """A candidate file and the name it is indexed under."""

    path: Path
    source: str  # stable name: path relative to the folder it was found in


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


def read_file_bytes(path: Path, max_bytes: int) -> bytes:
    """Read a file after the checks that need no content (type, size, permissions)."""
    reader_for(path)
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
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise SkipFile(f"cannot read ({error.strerror or error})") from error
    if len(data) > max_bytes:
        raise SkipFile("file grew past the size limit while being read")
    return data


def read_bytes(
    file: SourceFile,
    data: bytes,
    progress: PageProgress | None = None,
    sha256: str | None = None,
) -> ReadDocument:
    """Read a file's already-read bytes into the document model (``sha256``: their digest, when
    the caller has it already)."""
    if not data:
        raise SkipFile("empty file")
    reader: Reader = reader_for(file.path)
    digest = sha256 or hashlib.sha256(data).hexdigest()
    return reader.read(file.source, file.path, data, digest, progress)


def load_document(
    file: SourceFile, max_bytes: int, progress: PageProgress | None = None
) -> ReadDocument:
    """Read one file into the document model, or raise :class:`SkipFile` with the reason."""
    return read_bytes(file, read_file_bytes(file.path, max_bytes), progress)
