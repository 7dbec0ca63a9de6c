"""The unit reranker on real chunks with a transparent scorer, and with the real cross-encoder."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from studyrag.retrieval.unit_rerank import UnitReranker
from studyrag.settings import RetrievalMode
from studyrag.types import Chunk, Hit


def _hit(chunk_id: str, text: str, title: str = "") -> Hit:
    return Hit(Chunk(chunk_id, "doc.txt", text, 0, len(text), title=title), score=0.0)


class CountingScorer:
    """Scores a text by how often it says "needle"; remembers what it was asked."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, query: str, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.array([t.count("needle") for t in texts], dtype=np.float32)


def test_a_passage_scores_its_best_unit_minus_its_rank_penalty() -> None:
    hits = [
        _hit("a", "Plain words here.\nNothing to see in this one."),
        _hit("b", "Some filler sentence.\n- needle needle needle in one bullet\n- another item"),
        _hit("c", "A needle sentence, and another needle."),
    ]
    scorer = CountingScorer()
    ranked = UnitReranker(scorer).run("q", hits, rank_penalty=0.5)
    assert [h.chunk.chunk_id for h in ranked] == ["b", "c", "a"]
    by_id = {h.chunk.chunk_id: h for h in ranked}
    assert by_id["b"].rerank_score == 3.0 and by_id["b"].score == pytest.approx(3.0 - 0.5)
    assert by_id["c"].score == pytest.approx(2.0 - 1.0)
    # units, not passages: the bullet was scored on its own
    assert "needle needle needle in one bullet" in scorer.seen


def test_a_big_rank_penalty_keeps_the_fused_order() -> None:
    hits = [_hit("a", "No match at all here."), _hit("b", "needle needle")]
    ranked = UnitReranker(CountingScorer()).run("q", hits, rank_penalty=10.0)
    assert [h.chunk.chunk_id for h in ranked] == ["a", "b"]


def test_whole_mode_scores_each_passage_once() -> None:
    hits = [_hit("a", "One sentence. needle two."), _hit("b", "needle")]
    scorer = CountingScorer()
    UnitReranker(scorer).run("q", hits, whole=True)
    assert scorer.seen == [hits[0].chunk.index_text, hits[1].chunk.index_text]


def test_negative_penalty_is_refused() -> None:
    with pytest.raises(ValueError):
        UnitReranker(CountingScorer()).run("q", [], rank_penalty=-1.0)


def test_units_find_the_right_part_of_a_long_answer(pipeline) -> None:
    """With the real cross-encoder: fusion puts the EU AI Act answer's first part on top, the
    unit reranker the part that states the fine (gold question q075)."""
    question = "How large can EU AI Act fines get?"
    fused = pipeline.search(question, top_k=5, mode=RetrievalMode.HYBRID)
    reranked = pipeline.search(question, top_k=5, mode=RetrievalMode.HYBRID_RERANK)
    assert "7% of global revenue" not in fused.hits[0].chunk.text
    assert "7% of global revenue" in reranked.hits[0].chunk.text


def test_tail_passages_send_only_their_units_that_share_query_terms() -> None:
    """Past ``full`` hits, a passage is scored on its ``tail_units`` units with the most query
    terms (the real analyzer picks them); the head still sends every unit."""
    from studyrag.index.lexical import LexicalAnalyzer

    head = _hit("a", "First plain sentence.\nSecond plain sentence.\nThird plain sentence.")
    tail = _hit(
        "b",
        "Nothing here at all.\nThe needle sits in a haystack.\nA haystack without it.\n"
        "Unrelated closing words.",
    )
    scorer = CountingScorer()
    ranked = UnitReranker(scorer, LexicalAnalyzer()).run(
        "where is the needle in the haystack?", [head, tail], full=1, tail_units=2
    )
    assert [s for s in scorer.seen if "plain" in s] == [
        "First plain sentence.",
        "Second plain sentence.",
        "Third plain sentence.",
    ]
    assert [s for s in scorer.seen if "plain" not in s] == [
        "The needle sits in a haystack.",
        "A haystack without it.",
    ]
    assert ranked[0].chunk.chunk_id == "b" and ranked[0].rerank_score == 1.0
    with pytest.raises(ValueError):
        UnitReranker(scorer).run("q", [head], tail_units=0)
