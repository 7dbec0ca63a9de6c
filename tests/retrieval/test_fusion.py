import pytest

from studyrag.retrieval.fusion import reciprocal_rank_fusion


def test_rrf_matches_hand_computed_scores() -> None:
    scores = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], k=60)
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["b"] == pytest.approx(1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert sorted(scores, key=lambda x: -scores[x]) == ["a", "c", "b"]


def test_rrf_rejects_bad_k_and_handles_empty_lists() -> None:
    assert reciprocal_rank_fusion([[], []]) == {}
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"]], k=0)
