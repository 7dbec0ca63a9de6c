"""Plain text and Markdown: decoded, cleaned, one block per line (a fenced code block is one).

The offsets of the blocks index the cleaned text, which maps back to the decoded file, so
citations keep pointing at the file's own characters.
"""

from __future__ import annotations

import re
from pathlib import Path

from studyrag.ingest.cleaner import AlignedText, clean_text
from studyrag.ingest.readers.base import (
    Block,
    BlockKind,
    PageProgress,
    ReadDocument,
    Reader,
    SkipFile,
)
from studyrag.ingest.readers.decode import decode_bytes
from studyrag.text.units import BULLET, FENCE

MD_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>\S.*?)\s*#*\s*$")
_LINE = re.compile(r"[^\n]+")


def text_blocks(text: str) -> list[Block]:
    """Blocks of a Markdown-like text: headings, list items, fenced code, one paragraph a line."""
    blocks: list[Block] = []
    headings: list[tuple[int, str]] = []
    fence_start: int | None = None
    for match in _LINE.finditer(text):
        line = match.group(0)
        if not line.strip():
            continue
        if FENCE.match(line):
            if fence_start is None:
                fence_start = match.start()
            else:
                section = tuple(t for _, t in headings)
                blocks.append(Block(BlockKind.CODE, fence_start, match.end(), section))
                fence_start = None
            continue
        if fence_start is not None:
            continue
        if m := MD_HEADING.match(line):
            level = len(m.group("hashes"))
            while headings and headings[-1][0] >= level:
                headings.pop()
            headings.append((level, m.group("title").strip("* ")))
            section = tuple(t for _, t in headings)
            blocks.append(Block(BlockKind.HEADING, match.start(), match.end(), section, level))
            continue
        kind = BlockKind.LIST_ITEM if BULLET.match(line) else BlockKind.PARAGRAPH
        blocks.append(Block(kind, match.start(), match.end(), tuple(t for _, t in headings)))
    if fence_start is not None:  # an unclosed fence runs to the end
        section = tuple(t for _, t in headings)
        blocks.append(Block(BlockKind.CODE, fence_start, len(text.rstrip()), section))
    return blocks


def text_document(
    source: str, aligned: AlignedText, path: Path | None = None, sha256: str = ""
) -> ReadDocument:
    """A cleaned text as a document (also for text that never was a file: BEIR passages)."""
    return ReadDocument(
        source=source,
        path=path or Path(source),
        text=aligned.text,
        blocks=text_blocks(aligned.text),
        sha256=sha256,
        format="markdown",
        aligned=aligned,
    )


class TextReader(Reader):
    format = "markdown"
    suffixes = frozenset({".txt", ".md", ".markdown", ".rst", ".text"})

    def read(
        self,
        source: str,
        path: Path,
        data: bytes,
        sha256: str,
        progress: PageProgress | None = None,
    ) -> ReadDocument:
        text, encoding = decode_bytes(data)
        if not text.strip():
            raise SkipFile("file holds only whitespace")
        document = text_document(source, clean_text(text), path, sha256)
        document.encoding = encoding
        if encoding != "utf-8":
            document.notes.append(f"not UTF-8, read as {encoding}")
        return document
