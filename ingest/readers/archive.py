"""Office and e-book files are zip archives: open one safely or say in one line why not."""

from __future__ import annotations

import io
import zipfile

from studyrag.ingest.readers.base import SkipFile

MAX_UNPACKED_BYTES = 512 * 2**20
MAX_RATIO = 200  # unpacked / packed: far past any real document, typical of a zip bomb


def open_zip(data: bytes, kind: str) -> zipfile.ZipFile:
    """The archive in ``data``; SkipFile when it is not a zip, is damaged, or unpacks too big."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
        damaged = archive.testzip() if len(data) < 32 * 2**20 else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as error:
        raise SkipFile(f"malformed {kind}: not a readable zip archive ({error})") from error
    if damaged is not None:
        raise SkipFile(f"malformed {kind}: damaged member {damaged!r} in the archive")
    if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_RATIO * max(len(data), 1) > 2**20:
        raise SkipFile(
            f"{kind} unpacks to {unpacked / 2**20:.0f} MB from {len(data) / 2**20:.1f} MB: "
            "refused as a likely zip bomb"
        )
    return archive
