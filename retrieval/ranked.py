"""What the candidate stages hand to fusion: ranked id lists with scores and timings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from studyrag.types import Chunk


@dataclass
class Ranked:
    """One stage's candidates, best first; ``chunks`` holds those the stage already fetched."""

    ids: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    chunks: dict[str, Chunk] = field(default_factory=dict)

    @classmethod
    def of_hits(cls, hits: Iterable[tuple[Chunk, float]]) -> Ranked:
        ranked = cls()
        for chunk, score in hits:
            ranked.ids.append(chunk.chunk_id)
            ranked.scores[chunk.chunk_id] = score
            ranked.chunks[chunk.chunk_id] = chunk
        return ranked

    @classmethod
    def of_ids(cls, scored: Iterable[tuple[str, float]]) -> Ranked:
        ranked = cls()
        for chunk_id, score in scored:
            ranked.ids.append(chunk_id)
            ranked.scores[chunk_id] = score
        return ranked

    def ranks(self) -> dict[str, int]:
        """Rank (from 1) of every id."""
        return {c: r for r, c in enumerate(self.ids, start=1)}


@dataclass
class Candidates:
    """The dense and lexical lists of one question (either may be empty), with stage timings."""

    dense: Ranked = field(default_factory=Ranked)
    lexical: Ranked = field(default_factory=Ranked)
    chunks: dict[str, Chunk] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
