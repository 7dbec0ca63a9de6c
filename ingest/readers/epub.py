"""EPUB: the spine's XHTML chapters in order, each read like an HTML page."""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

from bs4 import BeautifulSoup

from studyrag.ingest.readers.archive import open_zip
from studyrag.ingest.readers.base import (
    DocumentBuilder,
    PageProgress,
    ReadDocument,
    Reader,
    SkipFile,
)
from studyrag.ingest.readers.html import parse_html, read_html_into


def _spine(archive: zipfile.ZipFile) -> list[str]:
    """Member names of the spine's documents, in reading order (navigation documents left out)."""
    try:
        container = BeautifulSoup(archive.read("META-INF/container.xml"), "xml")
        rootfile = container.find("rootfile")
        opf_path = str(rootfile["full-path"]) if rootfile else ""
        opf = BeautifulSoup(archive.read(opf_path), "xml")
    except (KeyError, TypeError) as error:
        raise SkipFile(f"malformed EPUB: no package document ({error})") from error
    base = posixpath.dirname(opf_path)
    items = {
        str(item.get("id")): item
        for item in opf.find_all("item")
        if item.get("id") and item.get("href")
    }
    names = []
    for ref in opf.find_all("itemref"):
        item = items.get(str(ref.get("idref")))
        if item is None or "nav" in str(item.get("properties", "")).split():
            continue
        names.append(posixpath.normpath(posixpath.join(base, str(item["href"]))))
    return names


class EpubReader(Reader):
    format = "epub"
    suffixes = frozenset({".epub"})

    def read(
        self,
        source: str,
        path: Path,
        data: bytes,
        sha256: str,
        progress: PageProgress | None = None,
    ) -> ReadDocument:
        archive = open_zip(data, "EPUB")
        builder = DocumentBuilder()
        with archive:
            names = _spine(archive)
            for done, name in enumerate(names, start=1):
                try:
                    page = archive.read(name)
                except KeyError:
                    continue  # a spine entry the archive lacks: skip that chapter
                read_html_into(parse_html(page.decode("utf-8", "replace")), builder)
                if progress:
                    progress(done, len(names))
        if not names:
            raise SkipFile("malformed EPUB: its spine lists no chapters")
        return self.finish(builder, source, path, sha256)
