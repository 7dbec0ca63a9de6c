import pytest

from studyrag.retrieval.fusion import (
    distribution_score_fusion,
    normalize_distribution,
    reciprocal_rank_fusion,
)


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


def test_weighted_rrf_scales_each_list() -> None:
    scores = reciprocal_rank_fusion([["a", "b"], ["b", "a"]], k=10, weights=[0.25, 0.75])
    assert scores["a"] == pytest.approx(0.25 / 11 + 0.75 / 12)
    assert scores["b"] == pytest.approx(0.25 / 12 + 0.75 / 11)
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0])
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"], ["b"]], weights=[0.0, 0.0])


def test_distribution_normalisation_matches_hand_computed_values() -> None:
    # mean 2, population sigma sqrt(2/3): low = 2 - 3 sigma, range 6 sigma
    sigma = (2 / 3) ** 0.5
    normalized = normalize_distribution({"a": 1.0, "b": 2.0, "c": 3.0})
    assert normalized["b"] == pytest.approx(0.5)
    assert normalized["a"] == pytest.approx((1.0 - (2.0 - 3 * sigma)) / (6 * sigma))
    assert normalized["c"] == pytest.approx(1.0 - normalized["a"])
    assert normalize_distribution({"x": 4.0, "y": 4.0}) == {"x": 1.0, "y": 1.0}
    assert normalize_distribution({}) == {}


def test_dbsf_is_scale_free_and_weighted() -> None:
    dense = {"a": 0.9, "b": 0.5, "c": 0.4}
    lexical = {"c": 30.0, "b": 10.0, "d": 5.0}
    fused = distribution_score_fusion([dense, lexical], weights=[0.4, 0.6])
    assert set(fused) == {"a", "b", "c", "d"}
    # multiplying one list's scores by 100 changes nothing: only its distribution counts
    scaled = distribution_score_fusion(
        [dense, {k: v * 100 for k, v in lexical.items()}], weights=[0.4, 0.6]
    )
    assert scaled == pytest.approx(fused)
    # an id only one list found gets only that list's share
    assert fused["a"] == pytest.approx(0.4 * normalize_distribution(dense)["a"])
    # weight moves the winner: all lexical -> c first; all dense -> a first
    only_lexical = distribution_score_fusion([dense, lexical], weights=[0.0, 1.0])
    only_dense = distribution_score_fusion([dense, lexical], weights=[1.0, 0.0])
    assert max(only_lexical, key=only_lexical.__getitem__) == "c"
    assert max(only_dense, key=only_dense.__getitem__) == "a"
