"""Structure-aware chunking: one interview question with its answer per chunk.

The cleaned text is read line by line. Question headings (``Q12.``, ``**Q4: ...**``,
``Question 3:``, ``### Q16:``, ``1. Explain ...``) open a block that runs to the next question or
heading; headings (Markdown, ``Category N -- ...``, emoji-led titles, outline sections) form the
heading path carried as metadata. A question whose heading is missing from the source (a second
``Difficulty:`` line inside one block) becomes its own block with an inferred number. Blocks larger
than the embedding window are split on line and sentence boundaries with token overlap.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from studyrag.ingest.readers.base import BlockKind, ReadDocument
from studyrag.ingest.readers.text import MD_HEADING as _MD_HEADING
from studyrag.text.question_bank import (
    CATEGORY_HEADING,
    DIFFICULTY_LINE,
    NUMBERED_HEADING,
    QUESTION_HEADING,
)
from studyrag.text.sentences import SENTENCE_END
from studyrag.text.units import BULLET
from studyrag.types import Chunk

TokenCounter = Callable[[Sequence[str]], list[int]]

_QUESTION_WORDS = frozenset(
    [
        "what",
        "why",
        "how",
        "when",
        "which",
        "who",
        "where",
        "whose",
        "explain",
        "describe",
        "define",
        "compare",
        "contrast",
        "design",
        "walk",
        "discuss",
        "list",
        "implement",
        "calculate",
        "should",
        "can",
        "is",
        "are",
        "do",
        "does",
        "give",
        "outline",
        "derive",
        "build",
        "write",
        "name",
        "identify",
        "evaluate",
    ]
)


class DocumentShape(StrEnum):
    """How a document is organised, decided from its lines."""

    QA = "qa"  # explicit question headings with answers
    OUTLINE = "outline"  # question lines followed by sub-point lines, no answers
    PROSE = "prose"  # headings and paragraphs


@dataclass(frozen=True)
class Line:
    """One block of the read document (a line, for plain text) with its offsets."""

    start: int
    end: int
    text: str
    kind: BlockKind = BlockKind.PARAGRAPH
    section: tuple[str, ...] = ()


@dataclass
class Block:
    """A run of lines that becomes one or more chunks."""

    kind: str
    heading_path: tuple[str, ...]
    title: str
    lines: list[Line] = field(default_factory=list)
    number: int | None = None
    metadata: dict[str, object] = field(default_factory=dict)
    keep_lists: bool = False  # pack a list into one chunk when it fits (section-shaped documents)


def _is_question_like(text: str) -> bool:
    stripped = text.strip().strip("*").strip()
    if stripped.endswith("?"):
        return True
    first = re.split(r"[\s:,]", stripped, maxsplit=1)[0].lower()
    return first in _QUESTION_WORDS


def _is_symbol_title(text: str) -> bool:
    """A short title led by an emoji or pictograph (``🧠 LLM Architecture``)."""
    stripped = text.strip()
    return (
        0 < len(stripped) <= 80
        and unicodedata.category(stripped[0]) == "So"
        and not stripped.endswith((".", "?", ":"))
    )


def split_lines(text: str) -> list[Line]:
    """Non-empty lines with their offsets in ``text``."""
    lines = []
    for match in re.finditer(r"[^\n]+", text):
        if match.group(0).strip():
            lines.append(Line(match.start(), match.end(), match.group(0)))
    return lines


def document_lines(document: ReadDocument) -> list[Line]:
    """The document's blocks as the chunker's lines."""
    text = document.text
    return [Line(b.start, b.end, text[b.start : b.end], b.kind, b.section) for b in document.blocks]


def detect_shape(lines: Sequence[Line]) -> DocumentShape:
    explicit = sum(1 for line in lines if QUESTION_HEADING.match(line.text))
    numbered = sum(
        1
        for line in lines
        if (m := NUMBERED_HEADING.match(line.text)) and _is_question_like(m.group("title"))
    )
    if explicit >= 2 or numbered >= 3:
        return DocumentShape.QA
    questions = sum(
        1 for line in lines if not line.text[:1].isspace() and _is_question_like(line.text)
    )
    if lines and questions >= 5 and questions / len(lines) > 0.1:
        return DocumentShape.OUTLINE
    return DocumentShape.PROSE


class _BlockBuilder:
    """Turns classified lines into blocks, tracking the heading path."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.headings: list[tuple[int, str]] = []
        self.current: Block | None = None

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(title for _, title in self.headings)

    def heading(self, level: int, title: str) -> None:
        self.current = None
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.headings.append((level, title))

    def question(self, line: Line, title: str, kind: str, number: int | None) -> Block:
        self.current = Block(kind, self.path, title, [line], number)
        self.blocks.append(self.current)
        return self.current

    def body(self, line: Line) -> Block:
        if self.current is None:
            title = self.headings[-1][1] if self.headings else ""
            self.current = Block("prose", self.path, title)
            self.blocks.append(self.current)
        self.current.lines.append(line)
        return self.current


def _qa_blocks(lines: Sequence[Line]) -> list[Block]:
    builder = _BlockBuilder()
    # A lone "# ..." line in a document with no deeper Markdown headings is a code comment.
    markdown = any(line.text.startswith("## ") for line in lines)
    for line in lines:
        text = line.text
        if m := QUESTION_HEADING.match(text):
            builder.question(line, m.group("title").strip("* "), "qa", int(m.group("num")))
        elif (m := NUMBERED_HEADING.match(text)) and _is_question_like(m.group("title")):
            builder.question(line, m.group("title").strip(), "qa", int(m.group("num")))
        elif markdown and (m := _MD_HEADING.match(text)):
            builder.heading(len(m.group("hashes")), m.group("title").strip("* "))
        elif CATEGORY_HEADING.match(text) or _is_symbol_title(text):
            builder.heading(1, text.strip())
        elif (m := DIFFICULTY_LINE.match(text)) and builder.current is not None:
            block = builder.current
            if "difficulty" in block.metadata and block.kind == "qa":
                # A second difficulty line: the source lost this question's heading.
                number = block.number + 1 if block.number is not None else None
                label = f"Q{number}" if number is not None else "Question"
                block = builder.question(line, "", "qa", number)
                block.title = f"{label} (heading missing in source)"
                block.metadata["heading_missing"] = True
            else:
                block.lines.append(line)
            block.metadata["difficulty"] = m.group("level").capitalize()
            if m.group("roles"):
                block.metadata["roles"] = [r.strip() for r in m.group("roles").split(",")]
        else:
            builder.body(line)
    return builder.blocks


def _outline_blocks(lines: Sequence[Line]) -> list[Block]:
    builder = _BlockBuilder()
    after_section = False
    for line in lines:
        text = line.text.strip()
        numbered = NUMBERED_HEADING.match(text)
        if numbered and not _is_question_like(numbered.group("title")) and len(text) <= 100:
            builder.heading(1, text)
            after_section = True
            continue
        if m := _MD_HEADING.match(text):
            builder.heading(len(m.group("hashes")), m.group("title"))
        elif after_section and len(text) <= 60 and not text.endswith((".", "?", ":")):
            builder.heading(2, text)
        elif _is_question_like(text) and text.endswith(("?", ".")):
            builder.question(line, text, "outline", None)
        else:
            builder.body(line)
        after_section = False
    return builder.blocks


def _section_blocks(lines: Sequence[Line]) -> list[Block]:
    """Sections of a document made of headings and paragraphs: a heading opens a new one."""
    builder = _BlockBuilder()
    for line in lines:
        if line.kind is BlockKind.HEADING and line.section:
            level = len(line.text) - len(line.text.lstrip("#"))
            builder.heading(max(level, 1), line.section[-1])
        builder.body(line).keep_lists = True
    return builder.blocks


def _units(block: Block) -> list[tuple[int, int]]:
    """Line spans of a block, with long lines cut at sentence ends; a multi-line block (code, a
    table) is one unit, cut at its lines only when it is over the budget (see ``_split``)."""
    units: list[tuple[int, int]] = []
    for line in block.lines:
        text = line.text
        lead = len(text) - len(text.lstrip())
        cursor = line.start + lead
        if len(text) <= 400 or "\n" in text:
            units.append((cursor, line.end))
            continue
        for match in SENTENCE_END.finditer(text, lead):  # a closing quote stays with its sentence
            units.append((cursor, line.start + match.start() + len(match.group(0).rstrip())))
            cursor = line.start + match.end()
        units.append((cursor, line.end))
    return [(s, e) for s, e in units if e > s]


def _list_runs(text: str, pieces: Sequence[tuple[int, int, int]]) -> dict[int, int]:
    """For each piece that opens a run of list items, the index just past the run."""
    runs: dict[int, int] = {}
    index = 0
    while index < len(pieces):
        if not BULLET.match(text[pieces[index][0] : pieces[index][1]]):
            index += 1
            continue
        end = index
        while end < len(pieces) and BULLET.match(text[pieces[end][0] : pieces[end][1]]):
            end += 1
        if end - index > 1:
            runs[index] = end
        index = end
    return runs


@dataclass(frozen=True)
class ChunkerConfig:
    max_tokens: int = 256
    overlap_tokens: int = 48


class StructureChunker:
    """Cuts a cleaned document into question-shaped chunks that fit the embedding window."""

    def __init__(self, count_tokens: TokenCounter, config: ChunkerConfig | None = None) -> None:
        self.count_tokens = count_tokens
        self.config = config or ChunkerConfig()
        if self.config.overlap_tokens * 2 >= self.config.max_tokens:
            raise ValueError("overlap must be under half the chunk size")

    def blocks(self, document: ReadDocument) -> tuple[DocumentShape, list[Block]]:
        lines = document_lines(document)
        shape = detect_shape(lines)
        build = {
            DocumentShape.QA: _qa_blocks,
            DocumentShape.OUTLINE: _outline_blocks,
            DocumentShape.PROSE: _section_blocks,
        }[shape]
        return shape, [b for b in build(lines) if b.lines]

    def run(self, document: ReadDocument) -> list[Chunk]:
        """Chunk one read document; offsets in the chunks are its citation offsets."""
        text = document.text
        source = document.source
        _, blocks = self.blocks(document)
        chunks: list[Chunk] = []
        for ordinal, block in enumerate(blocks):
            spans = self._split(text, block)
            label = f"q{block.number}" if block.number is not None else block.kind
            for part, (start, end) in enumerate(spans):
                original_start, original_end = document.to_original(start, end)
                metadata = dict(block.metadata)
                if block.number is not None:
                    metadata["question_number"] = block.number
                chunks.append(
                    Chunk(
                        chunk_id=f"{source}#{ordinal:03d}-{label}-p{part}",
                        source=source,
                        text=text[start:end],
                        start=original_start,
                        end=original_end,
                        heading_path=block.heading_path,
                        title=block.title,
                        kind=block.kind,
                        part=part,
                        n_parts=len(spans),
                        metadata=metadata,
                        page=document.page_at(start),
                        page_unit=str(document.page_unit),
                    )
                )
        return chunks

    def _split(self, text: str, block: Block) -> list[tuple[int, int]]:
        units = _units(block)
        context = " > ".join((*block.heading_path, block.title))
        # Room for the heading context prepended at index time and the [CLS]/[SEP] tokens.
        budget = self.config.max_tokens - self.count_tokens([context])[0] - 2
        budget = max(budget, self.config.max_tokens // 2)
        units = self._fit_blocks(text, units, budget)
        counts = self.count_tokens([text[s:e] for s, e in units])
        pieces: list[tuple[int, int, int]] = []
        for (start, end), count in zip(units, counts, strict=True):
            if count <= budget:
                pieces.append((start, end, count))
            else:
                pieces.extend(self._split_long(text, start, end, budget))
        lists = _list_runs(text, pieces) if block.keep_lists else {}
        spans: list[tuple[int, int]] = []
        first = 0
        while first < len(pieces):
            total, last = 0, first
            while last < len(pieces) and total + pieces[last][2] <= budget:
                run_end = lists.get(last)
                if run_end is not None and last > first:
                    run_tokens = sum(p[2] for p in pieces[last:run_end])
                    if total + run_tokens > budget and run_tokens <= budget:
                        break  # the list fits a chunk of its own: start it there
                total += pieces[last][2]
                last += 1
            last = max(last, first + 1)
            spans.append((pieces[first][0], pieces[last - 1][1]))
            if last >= len(pieces):
                break
            # Start the next chunk with the tail of this one, up to the overlap budget.
            back, carried = last, 0
            while back - 1 > first and carried + pieces[back - 1][2] <= self.config.overlap_tokens:
                back -= 1
                carried += pieces[back][2]
            first = back
        return spans

    def _fit_blocks(
        self, text: str, units: list[tuple[int, int]], budget: int
    ) -> list[tuple[int, int]]:
        """Multi-line units (code, tables) over the budget become one unit per line."""
        if not any("\n" in text[s:e] for s, e in units):
            return units
        multi = [(s, e) for s, e in units if "\n" in text[s:e]]
        over = {
            span
            for span, count in zip(
                multi, self.count_tokens([text[s:e] for s, e in multi]), strict=True
            )
            if count > budget
        }
        fitted: list[tuple[int, int]] = []
        for start, end in units:
            if (start, end) not in over:
                fitted.append((start, end))
                continue
            for match in re.finditer(r"[^\n]+", text[start:end]):
                if match.group(0).strip():
                    fitted.append((start + match.start(), start + match.end()))
        return fitted

    def _split_long(
        self, text: str, start: int, end: int, budget: int
    ) -> list[tuple[int, int, int]]:
        """Cut one oversized sentence at token boundaries."""
        window = text[start:end]
        step = max(budget - self.config.overlap_tokens, 1)
        # Token offsets via the counter's tokenizer are not exposed; approximate by characters.
        chars_per_token = max(len(window) / max(self.count_tokens([window])[0], 1), 1.0)
        size = max(int(budget * chars_per_token * 0.9), 1)
        stride = max(int(step * chars_per_token * 0.9), 1)
        pieces = []
        offset = 0
        while offset < len(window):
            piece_end = min(offset + size, len(window))
            if piece_end < len(window):
                space = window.rfind(" ", offset + stride // 2, piece_end)
                piece_end = space if space > offset else piece_end
            pieces.append((start + offset, start + piece_end))
            if piece_end >= len(window):
                break
            offset = max(piece_end - (size - stride), offset + 1)
        counts = self.count_tokens([text[s:e] for s, e in pieces])
        return [(s, e, c) for (s, e), c in zip(pieces, counts, strict=True)]
