"""BM25 as Qdrant sparse vectors: term weights computed here, IDF applied by Qdrant.

Each document term gets the BM25 saturation weight ``tf * (k1 + 1) / (tf + k1 * (1 - b + b *
dl / avgdl))``; the collection's sparse vector uses ``Modifier.IDF`` so the server multiplies in the
inverse document frequency at query time. Query terms weigh 1. Term ids are stable 31-bit hashes
of the stemmed term, so no vocabulary has to be shared between processes.
"""

from __future__ import annotations

import zlib
from collections import Counter

from qdrant_client import models

from studyrag.index.lexical import LexicalAnalyzer


def term_id(term: str) -> int:
    """Stable id of a term (CRC32, 31 bits)."""
    return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF


class SparseBM25Encoder:
    """Turns text into BM25-weighted sparse vectors for documents and queries."""

    def __init__(
        self, analyzer: LexicalAnalyzer, k1: float = 1.2, b: float = 0.75, avgdl: float = 120.0
    ) -> None:
        if avgdl <= 0 or k1 < 0 or not 0 <= b <= 1:
            raise ValueError("need avgdl > 0, k1 >= 0 and 0 <= b <= 1")
        self.analyzer = analyzer
        self.k1, self.b, self.avgdl = k1, b, avgdl

    def _vector(self, weights: dict[int, float]) -> models.SparseVector:
        ids = sorted(weights)
        return models.SparseVector(indices=ids, values=[weights[i] for i in ids])

    def document(self, text: str) -> models.SparseVector:
        terms = self.analyzer(text)
        length = len(terms)
        weights: dict[int, float] = {}
        for term, tf in Counter(terms).items():
            norm = self.k1 * (1 - self.b + self.b * length / self.avgdl)
            key = term_id(term)
            weights[key] = weights.get(key, 0.0) + tf * (self.k1 + 1) / (tf + norm)
        return self._vector(weights)

    def query(self, text: str) -> models.SparseVector:
        return self._vector({term_id(t): 1.0 for t in set(self.analyzer(text))})
