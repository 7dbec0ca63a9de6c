"""The BM25 sidecar: rank-bm25 over the collection's chunks, persisted beside it.

The sidecar stores each chunk's terms (not a pickle) and a fingerprint of the chunk set it was
built from; a sidecar whose fingerprint differs from the collection's is stale and is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

from studyrag.index.files import atomic_write_json
from studyrag.index.lexical import LexicalAnalyzer

SIDECAR_VERSION = 1


class LuceneBM25(BM25Okapi):  # type: ignore[misc]  # rank-bm25 has no types: its class is Any
    """BM25Okapi with Lucene's idf, ``log(1 + (N - n + 0.5) / (n + 0.5))``.

    rank-bm25's Okapi idf turns negative for terms in more than half of the documents, which in a
    small corpus silently drops common-but-relevant terms; Lucene's variant (also the default of
    Anserini and bm25s) is always positive.
    """

    def _calc_idf(self, nd: dict[str, int]) -> None:
        self.idf = {
            word: math.log(1.0 + (self.corpus_size - freq + 0.5) / (freq + 0.5))
            for word, freq in nd.items()
        }


def fingerprint(items: Iterable[tuple[str, str]]) -> str:
    """Order-independent digest of ``(chunk_id, content_hash)`` pairs."""
    digest = hashlib.sha256()
    for chunk_id, content_hash in sorted(items):
        digest.update(f"{chunk_id}\t{content_hash}\n".encode())
    return digest.hexdigest()


class BM25Sidecar:
    """BM25Okapi over chunk terms; ``search`` returns ``(chunk_id, score)`` best first."""

    def __init__(
        self,
        chunk_ids: Sequence[str],
        terms: Sequence[list[str]],
        sources: Sequence[str],
        fingerprint_: str,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        self.chunk_ids = list(chunk_ids)
        self.terms = [list(t) for t in terms]
        self.sources = list(sources)
        self.fingerprint = fingerprint_
        self.k1, self.b = k1, b
        # rank-bm25 divides by the corpus size: an empty index has no model.
        self._bm25 = LuceneBM25(self.terms, k1=k1, b=b) if self.terms else None

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def search(
        self,
        query_terms: list[str],
        limit: int,
        sources: set[str] | None = None,
    ) -> list[tuple[str, float]]:
        if self._bm25 is None or not query_terms:
            return []
        scores = np.asarray(self._bm25.get_scores(query_terms), dtype=np.float64)
        if sources is not None:
            mask = np.array([s in sources for s in self.sources], dtype=bool)
            scores = np.where(mask, scores, -np.inf)
        order = np.argsort(-scores, kind="stable")[:limit]
        return [(self.chunk_ids[i], float(scores[i])) for i in order if scores[i] > 0]

    def save(self, path: Path) -> None:
        atomic_write_json(
            path,
            {
                "version": SIDECAR_VERSION,
                "fingerprint": self.fingerprint,
                "k1": self.k1,
                "b": self.b,
                "chunk_ids": self.chunk_ids,
                "sources": self.sources,
                "terms": self.terms,
            },
        )

    @classmethod
    def load(cls, path: Path) -> BM25Sidecar:
        """Load a sidecar; raises ValueError when it is missing or corrupted."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data["version"] != SIDECAR_VERSION:
                raise ValueError(f"unknown sidecar version {data['version']!r}")
            if not len(data["chunk_ids"]) == len(data["terms"]) == len(data["sources"]):
                raise ValueError("sidecar arrays differ in length")
            return cls(
                data["chunk_ids"],
                data["terms"],
                data["sources"],
                data["fingerprint"],
                k1=float(data["k1"]),
                b=float(data["b"]),
            )
        except FileNotFoundError as error:
            raise ValueError(f"BM25 sidecar {path} is missing") from error
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"BM25 sidecar {path} is corrupted ({error})") from error

    @classmethod
    def build(
        cls, records: Iterable[tuple[str, str, str, str]], analyzer: LexicalAnalyzer
    ) -> BM25Sidecar:
        """Build from ``(chunk_id, source, index_text, content_hash)`` records."""
        rows = sorted(records)
        return cls(
            [r[0] for r in rows],
            [analyzer(r[2]) for r in rows],
            [r[1] for r in rows],
            fingerprint((r[0], r[3]) for r in rows),
        )
