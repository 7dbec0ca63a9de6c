"""Metric functions against values computed by hand (the arithmetic is in each comment)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from studyrag.eval.beir import rank_documents, score_ranking
from studyrag.eval.gold import GoldQuestion, GoldSpan
from studyrag.eval.metrics import (
    dcg,
    first_relevant_rank,
    hit_at_k,
    mrr_at_k,
    nan_mean,
    ndcg_at_k,
    percentile,
    recall_at_k,
    spread,
)
from studyrag.eval.retrieval_eval import RetrievalReport, judge, score_question
from studyrag.types import Chunk, Hit

LOG2_3 = math.log2(3)


def test_recall_counts_gold_items_within_k() -> None:
    # Three gold spans found at ranks 1, 4 and never: 1/3 within 3, 2/3 within 5.
    assert recall_at_k([1, 4, None], 3) == pytest.approx(1 / 3)
    assert recall_at_k([1, 4, None], 5) == pytest.approx(2 / 3)
    assert recall_at_k([None], 10) == 0.0
    with pytest.raises(ValueError):
        recall_at_k([], 5)


def test_hit_and_mrr() -> None:
    relevant = [False, False, True, True]
    assert hit_at_k(relevant, 2) == 0.0
    assert hit_at_k(relevant, 3) == 1.0
    assert mrr_at_k(relevant, 10) == pytest.approx(1 / 3)  # first hit at rank 3
    assert mrr_at_k(relevant, 2) == 0.0  # not within the cut-off
    assert first_relevant_rank(relevant) == 3
    assert first_relevant_rank([False, False]) is None


def test_ndcg_binary_by_hand() -> None:
    # Ranking: miss, hit, hit; two relevant items exist.
    # DCG = 1/log2(3) + 1/log2(4) = 0.63093 + 0.5 = 1.13093; IDCG = 1 + 1/log2(3) = 1.63093.
    assert dcg([0, 1, 1], 10) == pytest.approx(1 / LOG2_3 + 0.5)
    assert ndcg_at_k([0, 1, 1], [1, 1], 10) == pytest.approx(1.1309298 / 1.6309298, abs=1e-6)
    assert ndcg_at_k([0, 1, 1], [1, 1], 10) == pytest.approx(0.693426, abs=1e-6)


def test_ndcg_graded_and_cutoff() -> None:
    # Gains 2, 0, 1 against ideal 2, 1: DCG = 2 + 0 + 1/2 = 2.5; IDCG = 2 + 1/log2(3) = 2.63093.
    assert ndcg_at_k([2, 0, 1], [2, 1], 10) == pytest.approx(2.5 / (2 + 1 / LOG2_3))
    # With k=1 only the first position counts: 2 / 2.
    assert ndcg_at_k([2, 0, 1], [2, 1], 1) == pytest.approx(1.0)
    # A perfect ranking scores 1; no relevant item at all scores 0 instead of dividing by zero.
    assert ndcg_at_k([1, 1, 0], [1, 1], 10) == pytest.approx(1.0)
    assert ndcg_at_k([0, 0], [], 10) == 0.0


def test_percentile_matches_numpy() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 95) == pytest.approx(3.85)  # position 2.85 between 3 and 4
    for q in (0, 10, 33, 90, 100):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    with pytest.raises(ValueError):
        percentile([], 50)


def test_spread_over_runs() -> None:
    # Runs 0.5, 0.7, 0.6 (and one failed run): mean 0.6, sample std sqrt(0.02 / 2) = 0.1.
    result = spread([0.5, 0.7, float("nan"), 0.6])
    assert result.mean == pytest.approx(0.6)
    assert result.std == pytest.approx(0.1)
    assert (result.low, result.high, result.runs) == (0.5, 0.7, 3)
    assert spread([0.8]).std == 0.0
    assert spread([float("nan")]).runs == 0 and math.isnan(spread([float("nan")]).mean)


def test_nan_mean_skips_unmeasured() -> None:
    assert nan_mean([1.0, None, float("nan"), 3.0]) == pytest.approx(2.0)
    assert math.isnan(nan_mean([None, float("nan")]))


def _chunk(chunk_id: str, source: str, start: int, end: int) -> Chunk:
    return Chunk(chunk_id, source, "x" * (end - start), start, end)


def test_score_question_by_hand() -> None:
    # Two gold spans in a.txt: [100, 140) and [500, 540). A chunk covers a span holding >= half.
    question = GoldQuestion(
        "q1", "?", "keyword", (GoldSpan("a.txt", "s1", 100, 140), GoldSpan("a.txt", "s2", 500, 540))
    )
    ranked = [
        _chunk("b#0", "b.txt", 100, 140),  # other file: not relevant
        _chunk("a#1", "a.txt", 480, 600),  # covers span 2 at rank 2
        _chunk("a#0", "a.txt", 0, 115),  # holds 15 of 40 chars of span 1: not enough
        _chunk("a#2", "a.txt", 110, 300),  # holds 30 of 40 chars of span 1: covers it, rank 4
    ]
    relevant, found_at = judge(question, ranked)
    assert relevant == [False, True, False, True]
    assert found_at == [4, 2]
    score = score_question(question, ranked, ideal_count=2, timings_ms={"total": 12.0})
    assert score.recall_at_5 == 1.0
    assert score.hit_at_5 == 1.0
    assert score.mrr_at_10 == pytest.approx(0.5)
    # DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3).
    expected = (1 / LOG2_3 + 1 / math.log2(5)) / (1 + 1 / LOG2_3)
    assert score.ndcg_at_10 == pytest.approx(expected)
    assert score.first_relevant == 2
    report = RetrievalReport("bm25", [score])
    assert report.summary()["mrr@10"] == pytest.approx(0.5)
    assert report.misses(1) == [score] and report.misses(5) == []


def test_beir_scoring_by_hand() -> None:
    # Ranking d3, d1, d9 with d1 and d2 relevant: nDCG = (1/log2 3) / (1 + 1/log2 3) = 0.386853.
    ndcg, recall, mrr = score_ranking(["d3", "d1", "d9"], {"d1": 1, "d2": 1})
    assert ndcg == pytest.approx(0.386853, abs=1e-6)
    assert recall == 0.5
    assert mrr == 0.5


def test_documents_take_their_best_chunk_rank() -> None:
    hits = [
        Hit(Chunk(cid, doc, "t", 0, 1), score=0.0)
        for cid, doc in [("a#p1", "a"), ("b#p0", "b"), ("a#p0", "a"), ("c#p0", "c")]
    ]
    assert rank_documents(hits, 10) == ["a", "b", "c"]
    assert rank_documents(hits, 2) == ["a", "b"]
