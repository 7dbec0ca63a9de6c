"""Retrieval as separate stages: fusion alone on hand-made lists, and the composed retriever
equal to its stages run one by one on the real index."""

from __future__ import annotations

from dataclasses import replace

import pytest

from studyrag.retrieval.fusion import Fuser, distribution_score_fusion
from studyrag.retrieval.options import SearchOptions
from studyrag.retrieval.ranked import Candidates, Ranked
from studyrag.settings import FusionMethod, RetrievalMode
from studyrag.types import Chunk


def _chunk(chunk_id: str) -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        source="s.txt",
        text=f"text {chunk_id}",
        start=0,
        end=6,
    )


def _found() -> Candidates:
    dense = Ranked.of_ids([("a", 0.9), ("b", 0.8), ("c", 0.1)])
    lexical = Ranked.of_ids([("c", 12.0), ("d", 3.0)])
    return Candidates(dense, lexical, chunks={c: _chunk(c) for c in "abcd"})


def test_fuser_weights_both_lists_and_keeps_each_hits_evidence() -> None:
    options = SearchOptions(mode=RetrievalMode.HYBRID, dense_weight=0.4)
    found = _found()
    hits = Fuser().run(found, options)
    expected = distribution_score_fusion([found.dense.scores, found.lexical.scores], [0.4, 0.6])
    assert [h.chunk.chunk_id for h in hits] == sorted(expected, key=lambda c: (-expected[c], c))
    by_id = {h.chunk.chunk_id: h for h in hits}
    assert (by_id["c"].dense_rank, by_id["c"].bm25_rank) == (3, 1)
    assert by_id["d"].dense_rank is None and by_id["d"].bm25_score == 3.0
    assert "fusion" in found.timings_ms


def test_fuser_follows_the_mode_and_the_fusion_method() -> None:
    dense_only = Fuser().run(_found(), SearchOptions(mode=RetrievalMode.DENSE))
    assert [h.chunk.chunk_id for h in dense_only] == ["a", "b", "c"]
    bm25_only = Fuser().run(_found(), SearchOptions(mode=RetrievalMode.BM25))
    assert [h.chunk.chunk_id for h in bm25_only] == ["c", "d"]
    rrf = Fuser().run(
        _found(), SearchOptions(mode=RetrievalMode.HYBRID, fusion=FusionMethod.RRF, rrf_k=1)
    )
    # with k=1 and weights 0.4/0.6, c (dense 3rd, lexical 1st) wins over a (dense 1st only)
    assert rrf[0].chunk.chunk_id == "c"


def test_options_reject_bad_values() -> None:
    with pytest.raises(ValueError):
        SearchOptions(top_k=0)
    with pytest.raises(ValueError):
        SearchOptions(dense_weight=1.5)


@pytest.mark.parametrize("mode", [RetrievalMode.HYBRID, RetrievalMode.HYBRID_RERANK])
def test_composed_retriever_equals_its_stages_run_by_hand(pipeline, mode) -> None:
    question = "how does LoRA cut the cost of fine-tuning?"
    options = pipeline.options(top_k=8, mode=mode)
    composed = pipeline.search(question, options=options).hits
    retriever = pipeline.retriever
    found = retriever.candidates.run(question, options)
    hits = Fuser().run(found, options)
    if mode is RetrievalMode.HYBRID_RERANK:
        depth = options.reranked  # the head (every unit) and the tail (its best-matching unit)
        assert depth > options.rerank_depth
        head = pipeline.unit_reranker().run(
            question,
            hits[:depth],
            rank_penalty=options.rerank_rank_penalty,
            full=options.rerank_depth,
            tail_units=options.rerank_tail_units,
        )
        hits = head + hits[depth:]
    assert [h.chunk.chunk_id for h in hits[:8]] == [h.chunk.chunk_id for h in composed]


def test_a_deeper_rerank_is_an_option_not_a_new_pipeline(pipeline) -> None:
    question = "what is the KV cache of a 70B model?"
    shallow = pipeline.options(top_k=10)
    deep = replace(shallow, rerank_depth=10)
    pipeline.search(question, options=shallow)
    before = pipeline.reranker.pairs_run
    pipeline.search(question, options=deep)
    assert pipeline.reranker.pairs_run > before  # the deeper head read units the shallow did not
    reranked = [h for h in pipeline.search(question, options=deep).hits if h.rerank_score]
    assert len(reranked) == 10
