from __future__ import annotations

import pytest

from studyrag.settings import RetrievalMode
from studyrag.types import StudyragError

Q001 = "001_2c438f64575affed.txt"


def test_hybrid_rerank_hits_explain_themselves(pipeline) -> None:
    reranked = pipeline.options().reranked  # head and tail: 10 on this 406-chunk index
    assert reranked == 10
    question = "What is the KV cache and why does it matter for inference?"
    result = pipeline.search(question, top_k=reranked)
    assert len(result.hits) == reranked
    top = result.hits[0]
    assert "KV cache" in top.chunk.text or "KV Cache" in top.chunk.text
    penalty = pipeline.settings.retrieval.rerank_rank_penalty
    fused_order = sorted(result.hits, key=lambda h: -(h.fused_score or 0.0))
    for hit in result.hits:
        assert hit.rerank_score is not None and hit.fused_score is not None
        assert hit.dense_rank is not None or hit.bm25_rank is not None
        # a reranked passage scores its best unit minus the penalty for its fused rank (the top
        # `reranked` hits are exactly the reranked ones, so their fused order is recoverable)
        assert hit.score == pytest.approx(hit.rerank_score - penalty * fused_order.index(hit))
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert {"embed", "dense", "bm25", "fusion", "rerank", "total"} <= set(result.timings_ms)


def test_rerank_reads_each_unit_once_and_the_answer_reuses_it(pipeline) -> None:
    from studyrag.assistant import Assistant

    reranker = pipeline.reranker
    question = "Why does grouped-query attention shrink the KV cache?"
    before = reranker.pairs_run
    pipeline.search(question)
    searched = reranker.pairs_run - before
    assert searched > 5  # units of the top passages, not 5 whole passages
    answer = Assistant(pipeline).ask(question)
    assert not answer.refused and answer.quotes
    # the composer's units were all scored by the rerank of the same question: no new pairs
    assert reranker.pairs_run - before == searched


@pytest.mark.parametrize("mode", list(RetrievalMode))
def test_every_mode_returns_ranked_hits(pipeline, mode) -> None:
    result = pipeline.search("reciprocal rank fusion", top_k=3, mode=mode)
    assert len(result.hits) == 3
    if mode is RetrievalMode.BM25:
        assert all(h.bm25_rank is not None and h.dense_rank is None for h in result.hits)
    if mode is RetrievalMode.DENSE:
        assert all(h.dense_rank is not None and h.bm25_rank is None for h in result.hits)
    if mode is not RetrievalMode.HYBRID_RERANK:
        assert all(h.rerank_score is None for h in result.hits)
        fused = [h.fused_score for h in result.hits]
        assert fused == sorted(fused, reverse=True)


def test_keyword_question_finds_the_missing_heading_answer(pipeline) -> None:
    result = pipeline.search("How is the RRF score computed for hybrid search?", top_k=3)
    top = result.hits[0].chunk
    assert top.source == Q001 and top.metadata.get("heading_missing") is True


def test_source_filter_limits_every_stage(pipeline) -> None:
    only = "003_d47b52dac9159beb.txt"
    result = pipeline.search("KV cache", top_k=5, sources=[only])
    assert result.hits and all(h.chunk.source == only for h in result.hits)


def test_a_bad_question_is_refused_by_search_too(pipeline) -> None:
    with pytest.raises(StudyragError, match="empty"):
        pipeline.search("\x00\x01\x02")
