"""Data passed between stages: chunks out of ingestion, hits out of retrieval."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

_POINT_NAMESPACE = uuid.UUID("5b3f8c1e-6a1d-4f7e-9a52-6c1b8e0d2a11")


class StudyragError(Exception):
    """An error the user can act on; its message is the one line they see."""


def point_id_of(chunk_id: str) -> str:
    """The Qdrant point id of a chunk id (a stable UUID5), without building a Chunk."""
    return str(uuid.uuid5(_POINT_NAMESPACE, chunk_id))


def heading_line(heading_path: tuple[str, ...], title: str) -> str:
    """``Section > Subsection > Title``; the title is not repeated when the path ends with it."""
    parts = [*heading_path]
    if title and (not parts or parts[-1] != title):
        parts.append(title)
    return " > ".join(parts)


def page_locator(page: int | None, page_unit: str) -> str:
    """``p. 42``, ``slide 7``, or "" for formats without pages."""
    if page is None or not page_unit:
        return ""
    return f"p. {page}" if page_unit == "page" else f"{page_unit} {page}"


def citation_line(source: str, locator: str, heading: str) -> str:
    """``R-intro.pdf · p. 42 · 6.2 Lists``: the parts a citation has, joined."""
    return " · ".join(part for part in (source, locator, heading) if part)


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage: a question with its answer, or part of a long one.

    ``start``/``end`` are character offsets into the source file's decoded text, so a citation can
    point at the exact span; ``text`` is the cleaned passage shown to the user.
    """

    chunk_id: str
    source: str
    text: str
    start: int
    end: int
    heading_path: tuple[str, ...] = ()
    title: str = ""
    kind: str = "prose"  # "qa", "outline" or "prose"
    part: int = 0
    n_parts: int = 1
    metadata: dict[str, Any] = field(default_factory=dict)
    page: int | None = None  # paginated formats: the page (slide) the passage starts on
    page_unit: str = ""  # "page", "slide", or "" for formats without pages

    @property
    def locator(self) -> str:
        """Where a student finds the passage: "p. 42", "slide 7", or "" without pages."""
        return page_locator(self.page, self.page_unit)

    @property
    def citation_label(self) -> str:
        """``R-intro.pdf · p. 42 · 6.2 Lists``: file, page or slide, section path."""
        return citation_line(self.source, self.locator, self.heading)

    @property
    def heading(self) -> str:
        """Heading path and title as one readable line."""
        return heading_line(self.heading_path, self.title)

    @property
    def index_text(self) -> str:
        """What the embedder and BM25 see: the heading context, then the passage."""
        context = self.heading
        if context and not self.text.startswith(self.title or "\0"):
            return f"{context}\n{self.text}"
        if self.heading_path:
            return f"{' > '.join(self.heading_path)}\n{self.text}"
        return self.text

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.heading}\n{self.text}".encode()).hexdigest()[:16]

    @property
    def point_id(self) -> str:
        """Qdrant point id: stable for a chunk id."""
        return point_id_of(self.chunk_id)

    def to_payload(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["heading_path"] = list(self.heading_path)
        payload["content_hash"] = self.content_hash
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Chunk:
        names = cls.__dataclass_fields__
        values = {k: v for k, v in payload.items() if k in names}
        values["heading_path"] = tuple(values.get("heading_path", ()))
        return cls(**values)


@dataclass(frozen=True)
class Citation:
    """A cited span of an original corpus file, ``source[start:end]``.

    An answer's ``[n]`` marker carries ``n`` and the cited passage; a practice question's model
    answer or key point carries the span alone (``n`` 0), or the passage when it came from one.
    """

    source: str
    start: int
    end: int
    n: int = 0
    chunk: Chunk | None = field(default=None, compare=False, hash=False, repr=False)

    @classmethod
    def of_chunk(cls, chunk: Chunk, n: int = 0) -> Citation:
        """The span of a whole passage (numbered ``n`` in an answer)."""
        return cls(chunk.source, chunk.start, chunk.end, n, chunk)

    @property
    def passage(self) -> Chunk:
        """The cited passage; only citations made from a passage have one."""
        if self.chunk is None:
            raise ValueError(f"citation {self} has no passage")
        return self.chunk

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"source": self.source, "start": self.start, "end": self.end}
        if self.n:
            data["n"] = self.n
        if self.chunk is not None:
            data |= {
                "chunk_id": self.chunk.chunk_id,
                "heading": self.chunk.heading,
                "text": self.chunk.text,
                "page": self.chunk.page,
                "page_unit": self.chunk.page_unit or None,
                "label": self.chunk.citation_label,
            }
        return data

    def to_list(self) -> list[Any]:
        return [self.source, self.start, self.end]

    def __str__(self) -> str:
        return f"[{self.source}, {self.start}, {self.end}]"


@dataclass
class Hit:
    """A retrieved chunk with every score that explains why it was chosen."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
    dense_score: float | None = None
    bm25_score: float | None = None
    fused_score: float | None = None
    rerank_score: float | None = None

    def to_dict(self, rank: int) -> dict[str, Any]:
        """The CLI/JSON shape of a result."""
        return {
            "rank": rank,
            "chunk_id": self.chunk.chunk_id,
            "source": self.chunk.source,
            "heading": self.chunk.heading,
            "text": self.chunk.text,
            "score": round(self.score, 6),
            "start": self.chunk.start,
            "end": self.chunk.end,
            "page": self.chunk.page,
            "page_unit": self.chunk.page_unit or None,
            "citation": self.chunk.citation_label,
            "dense_rank": self.dense_rank,
            "bm25_rank": self.bm25_rank,
            "fused_score": _round(self.fused_score),
            "rerank_score": _round(self.rerank_score),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


@dataclass
class SearchResult:
    """Ranked hits for one query plus per-stage timings in milliseconds."""

    query: str
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "results": [hit.to_dict(rank) for rank, hit in enumerate(self.hits, start=1)],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
