from __future__ import annotations

import math
from pathlib import Path

import pytest

from studyrag.index.bm25_sidecar import BM25Sidecar, fingerprint
from studyrag.index.lexical import LexicalAnalyzer


def _reference_bm25(query: list[str], docs: list[list[str]], k1=1.2, b=0.75) -> list[float]:
    """BM25 with Lucene's idf, written out term by term."""
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    df = {t: sum(1 for d in docs if t in d) for t in {t for d in docs for t in d}}
    idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
    scores = []
    for d in docs:
        s = 0.0
        for t in query:
            tf = d.count(t)
            s += idf.get(t, 0.0) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl))
        scores.append(s)
    return scores


def test_scores_match_the_reference_formula() -> None:
    docs = [["kv", "cache", "memori"], ["lora", "rank", "rank", "adapt"], ["cach", "hit"], ["x"]]
    sidecar = BM25Sidecar(["a", "b", "c", "d"], docs, ["s"] * 4, "f")
    expected = _reference_bm25(["rank", "kv"], docs)
    got = dict(sidecar.search(["rank", "kv"], limit=10))
    for chunk_id, score in zip("abcd", expected, strict=True):
        if score > 0:
            assert got[chunk_id] == pytest.approx(score)
    assert list(got) == sorted(got, key=lambda c: -got[c])


def test_source_filter_and_empty_cases() -> None:
    sidecar = BM25Sidecar(["a", "b"], [["lora"], ["lora", "qlora"]], ["x.txt", "y.txt"], "f")
    # "lora" is in every document: still a positive score (Okapi's idf would be negative).
    assert [c for c, _ in sidecar.search(["lora"], 5)] == ["a", "b"]
    assert [c for c, _ in sidecar.search(["lora"], 5, sources={"y.txt"})] == ["b"]
    assert sidecar.search([], 5) == []
    assert BM25Sidecar([], [], [], "f").search(["lora"], 5) == []


def test_roundtrip_and_corruption(tmp_path: Path) -> None:
    analyzer = LexicalAnalyzer()
    records = [("a", "s", "Low-rank adapters", "h1"), ("b", "s", "KV cache memory", "h2")]
    sidecar = BM25Sidecar.build(records, analyzer)
    path = tmp_path / "bm25.json"
    sidecar.save(path)
    loaded = BM25Sidecar.load(path)
    assert loaded.fingerprint == fingerprint([("b", "h2"), ("a", "h1")])
    assert loaded.search(analyzer("caching"), 2)[0][0] == "b"
    path.write_text('{"version": 1, "chunk_ids": ["a"]', encoding="utf-8")
    with pytest.raises(ValueError, match="corrupted"):
        BM25Sidecar.load(path)
    with pytest.raises(ValueError, match="missing"):
        BM25Sidecar.load(tmp_path / "nope.json")
