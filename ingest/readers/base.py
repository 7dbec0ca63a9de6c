"""The document model every reader produces, and the reader interface.

A read document is its cleaned text in one Markdown-like normal form (``## Heading`` lines,
``- item`` lines, fenced code, ``| cell | cell |`` rows) plus an ordered list of :class:`Block` s,
each with exact ``[start, end)`` offsets into that text, the section path above it and, for
paginated formats, the page (slide) it starts on. Everything after the reader — chunker, text
units, citations, UI, practice — works from this model; no format-specific logic follows it.
"""

from __future__ import annotations

import bisect
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from studyrag.ingest.cleaner import AlignedText
from studyrag.types import StudyragError

PageProgress = Callable[[int, int], None]
"""Called with (pages read, pages in all) while a paginated document is read."""


class SkipFile(StudyragError):
    """A file that cannot be ingested; the message says why, in one line."""


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    CODE = "code"
    TABLE = "table"
    CAPTION = "caption"


class Mark(StrEnum):
    """How a document marks a term inline (what practice questions blank out)."""

    CODE = "code"  # <code>, <kbd>, a monospace run, `backticks`
    STRONG = "strong"  # <strong>, <b>, a bold run, **stars**
    EMPHASIS = "emphasis"  # <em>, <i>, <cite>, an italic run
    DEFINED = "defined"  # <dfn>, a definition list's term
    ABBREVIATION = "abbreviation"  # <abbr title="expansion">


@dataclass(frozen=True)
class MarkedTerm:
    """A term the document marks inline, as it reads in the block's text."""

    mark: Mark
    text: str
    expansion: str = ""  # an abbreviation's expansion, when the document gives it


class PageUnit(StrEnum):
    """What a document's numbered locations are called in a citation."""

    NONE = ""
    PAGE = "page"
    SLIDE = "slide"


@dataclass(frozen=True)
class Block:
    """One structural element: ``ReadDocument.text[start:end]`` is exactly its text."""

    kind: BlockKind
    start: int
    end: int
    section: tuple[str, ...] = ()  # headings above it; a heading's own path ends with itself
    level: int = 0  # a heading's level, 1 = top
    page: int | None = None  # 1-based page or slide where it starts
    rows: tuple[tuple[str, ...], ...] = ()  # a table's cells
    terms: tuple[MarkedTerm, ...] = ()  # terms marked inline (code, bold, italics, defined)


@dataclass
class ReadDocument:
    """A file read into the document model."""

    source: str
    path: Path
    text: str
    blocks: list[Block]
    sha256: str
    format: str  # "text", "markdown", "html", "pdf", "docx", "pptx", "epub"
    encoding: str = "utf-8"
    page_unit: PageUnit = PageUnit.NONE
    pages: int = 0
    # Text formats only: maps offsets of ``text`` to the decoded file (mojibake repair etc.);
    # for every other format the offsets of ``text`` are the citation offsets themselves.
    aligned: AlignedText | None = None
    notes: list[str] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list, init=False, repr=False)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Citation offsets of a ``[start, end)`` span of ``text``."""
        return self.aligned.to_original(start, end) if self.aligned else (start, end)

    def block_at(self, offset: int) -> Block | None:
        """The block that holds (or last began before) ``offset`` of ``text``."""
        if not self._starts:
            self._starts = [b.start for b in self.blocks]
        index = bisect.bisect_right(self._starts, offset) - 1
        return self.blocks[index] if index >= 0 else None

    def page_at(self, offset: int) -> int | None:
        block = self.block_at(offset)
        return block.page if block else None


MONOSPACE_FONT = re.compile(
    r"mono|courier|consol|menlo|typewriter|cmtt|sftt|lmmono|inconsolata|code", re.IGNORECASE
)
"""Font names that mark code (PDF fonts, DOCX and PPTX runs)."""


def monospace_runs(runs: Sequence[Any]) -> bool:  # python-docx / python-pptx runs (untyped)
    """Every run with text is set in a monospace font (a code line in an office document)."""
    shown = [r for r in runs if r.text.strip()]
    return bool(shown) and all(r.font.name and MONOSPACE_FONT.search(r.font.name) for r in shown)


_CODE_STYLE = re.compile(r"verbatim|code|source|literal", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def squash(text: str) -> str:
    """Inline whitespace runs (newlines included) to one space, trimmed."""
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


def run_mark(run: Any, style: str = "") -> Mark | None:
    """How a DOCX or PPTX text run marks its text: a monospace font or code style, bold,
    italics (None: plain)."""
    font = run.font  # python-docx and python-pptx runs alike
    if (font.name and MONOSPACE_FONT.search(font.name)) or _CODE_STYLE.search(style):
        return Mark.CODE
    if font.bold:
        return Mark.STRONG
    if font.italic:
        return Mark.EMPHASIS
    return None


def run_terms(runs: Iterable[tuple[str, Mark | None]]) -> list[MarkedTerm]:
    """Marked terms of a paragraph's runs (text, mark): neighbouring runs with the same mark
    make one term, as a word processor splits a bold phrase into several runs."""
    terms: list[MarkedTerm] = []
    current: Mark | None = None
    parts: list[str] = []
    for text, mark in [*runs, ("", None)]:
        if mark is current and mark is not None:
            parts.append(text)
            continue
        if current is not None and (term := squash("".join(parts))):
            terms.append(MarkedTerm(current, term))
        current, parts = mark, [text]
    return terms


def _kept_terms(text: str, terms: Sequence[MarkedTerm]) -> tuple[MarkedTerm, ...]:
    """The terms that read as written in ``text``, each once, in order."""
    kept: dict[tuple[Mark, str], MarkedTerm] = {}
    for term in terms:
        squashed = MarkedTerm(term.mark, squash(term.text), squash(term.expansion))
        if squashed.text and squashed.text in text:
            kept.setdefault((squashed.mark, squashed.text), squashed)
    return tuple(kept.values())


class DocumentBuilder:
    """Appends blocks in reading order and renders the normal-form text with their offsets."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.blocks: list[Block] = []
        self._headings: list[tuple[int, str]] = []
        self._min_level = 0

    @property
    def section(self) -> tuple[str, ...]:
        return tuple(title for _, title in self._headings)

    def __len__(self) -> int:
        return len(self.blocks)

    def _add(
        self,
        kind: BlockKind,
        text: str,
        page: int | None,
        terms: Sequence[MarkedTerm] = (),
        level: int = 0,
        rows: tuple[tuple[str, ...], ...] = (),
    ) -> None:
        if self._parts:
            self._parts.append("\n\n")
            self._length += 2
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        section = self.section
        kept = _kept_terms(text, terms)
        self.blocks.append(Block(kind, start, self._length, section, level, page, rows, kept))

    def heading(self, title: str, level: int, page: int | None = None) -> None:
        title = squash(title).strip("#").strip()
        if not title:
            return
        level = max(1, min(level, 6))
        while self._headings and self._headings[-1][0] >= level:
            self._headings.pop()
        self._headings.append((level, title))
        self._add(BlockKind.HEADING, f"{'#' * level} {title}", page, level=level)

    def paragraph(
        self, text: str, page: int | None = None, terms: Sequence[MarkedTerm] = ()
    ) -> None:
        if text := squash(text):
            self._add(BlockKind.PARAGRAPH, text, page, terms)

    def caption(self, text: str, page: int | None = None, terms: Sequence[MarkedTerm] = ()) -> None:
        if text := squash(text):
            self._add(BlockKind.CAPTION, text, page, terms)

    def list_item(
        self,
        text: str,
        depth: int = 0,
        marker: str = "-",
        page: int | None = None,
        terms: Sequence[MarkedTerm] = (),
    ) -> None:
        if text := squash(text):
            self._add(BlockKind.LIST_ITEM, f"{'  ' * depth}{marker} {text}", page, terms)

    def code(self, text: str, page: int | None = None) -> None:
        lines = [line.rstrip() for line in text.replace("\t", "    ").splitlines()]
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            body = "\n".join(lines).replace("```", "` ` `")
            self._add(BlockKind.CODE, f"```\n{body}\n```", page)

    def table(self, rows: Sequence[Sequence[str]], page: int | None = None) -> None:
        cells = tuple(
            tuple(squash(cell).replace("|", "/") for cell in row)
            for row in rows
            if any(squash(cell) for cell in row)
        )
        if not cells:
            return
        if max(len(row) for row in cells) == 1:  # a one-column "table" is a list of lines
            for row in cells:
                self.paragraph(row[0], page)
            return
        text = "\n".join("| " + " | ".join(row) + " |" for row in cells)
        self._add(BlockKind.TABLE, text, page, rows=cells)

    def text(self) -> str:
        return "".join(self._parts)


class Reader(ABC):
    """Reads one file format into a :class:`ReadDocument`."""

    format: str
    suffixes: frozenset[str]

    @abstractmethod
    def read(
        self,
        source: str,
        path: Path,
        data: bytes,
        sha256: str,
        progress: PageProgress | None = None,
    ) -> ReadDocument:
        """Read ``data`` (the bytes of ``path``), or raise :class:`SkipFile` with the reason."""

    def finish(
        self,
        builder: DocumentBuilder,
        source: str,
        path: Path,
        sha256: str,
        *,
        encoding: str = "utf-8",
        page_unit: PageUnit = PageUnit.NONE,
        pages: int = 0,
        notes: list[str] | None = None,
    ) -> ReadDocument:
        """The built document, or SkipFile when no block holds text."""
        if not any(b.kind is not BlockKind.HEADING for b in builder.blocks):
            raise SkipFile(f"no text in this {self.format.upper()} file")
        return ReadDocument(
            source=source,
            path=path,
            text=builder.text(),
            blocks=builder.blocks,
            sha256=sha256,
            format=self.format,
            encoding=encoding,
            page_unit=page_unit,
            pages=pages,
            notes=notes or [],
        )
