"""The unit reranker on hand-made passages and on the index, always with the real cross-encoder
(a recorder around it shows which texts it was given)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from studyrag.retrieval.unit_rerank import UnitReranker
from studyrag.settings import RetrievalMode
from studyrag.types import Chunk, Hit


def _hit(chunk_id: str, text: str, title: str = "") -> Hit:
    return Hit(Chunk(chunk_id, "doc.txt", text, 0, len(text), title=title), score=0.0)


class Recorder:
    """The real cross-encoder (``pipeline.reranker.score``), remembering what it was asked."""

    def __init__(self, pipeline) -> None:
        self.score = pipeline.reranker.score
        self.seen: list[str] = []

    def __call__(self, query: str, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return self.score(query, texts)

    def best(self, query: str, hit: Hit) -> float:
        """The best real score among the texts this hit sent."""
        sent = [t for t in self.seen if t in hit.chunk.index_text or t == hit.chunk.index_text]
        return float(np.max(self.score(query, sent)))


LORA = "How does LoRA cut the number of trainable parameters?"


def test_a_passage_scores_its_best_unit_minus_its_rank_penalty(pipeline) -> None:
    hits = [
        _hit("a", "Plain words here.\nNothing to see in this one."),
        _hit(
            "b",
            "Some filler sentence about the weather.\n"
            "- LoRA freezes the weights and trains two small low-rank matrices instead\n"
            "- another item on a different topic",
        ),
        _hit("c", "Quantization stores model weights in fewer bits to save memory."),
    ]
    scorer = Recorder(pipeline)
    ranked = UnitReranker(scorer).run(LORA, hits, rank_penalty=0.5)
    assert ranked[0].chunk.chunk_id == "b"
    for rank, hit in enumerate(hits):
        assert hit.rerank_score == pytest.approx(scorer.best(LORA, hit), abs=1e-4)
        assert hit.score == pytest.approx(hit.rerank_score - 0.5 * rank, abs=1e-4)
    # units, not passages: the bullet was scored on its own
    bullet = "LoRA freezes the weights and trains two small low-rank matrices instead"
    assert any(t.endswith(bullet) for t in scorer.seen)
    assert not any("weather" in t and "LoRA" in t for t in scorer.seen)


def test_a_big_rank_penalty_keeps_the_fused_order(pipeline) -> None:
    hits = [
        _hit("a", "No match at all here."),
        _hit("b", "LoRA trains low-rank adapter matrices beside the frozen weights."),
    ]
    ranked = UnitReranker(Recorder(pipeline)).run(LORA, hits, rank_penalty=100.0)
    assert [h.chunk.chunk_id for h in ranked] == ["a", "b"]
    assert ranked[1].rerank_score > ranked[0].rerank_score  # b is the better passage all the same


def test_whole_mode_scores_each_passage_once(pipeline) -> None:
    hits = [_hit("a", "One sentence. LoRA two."), _hit("b", "LoRA")]
    scorer = Recorder(pipeline)
    UnitReranker(scorer).run(LORA, hits, whole=True)
    assert scorer.seen == [hits[0].chunk.index_text, hits[1].chunk.index_text]


def test_negative_penalty_is_refused(pipeline) -> None:
    with pytest.raises(ValueError):
        UnitReranker(Recorder(pipeline)).run("q", [], rank_penalty=-1.0)


def test_units_find_the_right_part_of_a_long_answer(pipeline) -> None:
    """With the real cross-encoder: fusion puts the EU AI Act answer's first part on top, the
    unit reranker the part that states the fine (gold question q075)."""
    question = "How large can EU AI Act fines get?"
    fused = pipeline.search(question, top_k=5, mode=RetrievalMode.HYBRID)
    reranked = pipeline.search(question, top_k=5, mode=RetrievalMode.HYBRID_RERANK)
    assert "7% of global revenue" not in fused.hits[0].chunk.text
    assert "7% of global revenue" in reranked.hits[0].chunk.text


def test_tail_passages_send_only_their_units_that_share_query_terms(pipeline) -> None:
    """Past ``full`` hits, a passage is scored on its ``tail_units`` units with the most query
    terms (the real analyzer picks them); the head still sends every unit."""
    from studyrag.index.lexical import LexicalAnalyzer

    head = _hit("a", "First plain sentence.\nSecond plain sentence.\nThird plain sentence.")
    tail = _hit(
        "b",
        "Nothing here at all.\nThe needle sits in a haystack.\nA haystack without it.\n"
        "Unrelated closing words.",
    )
    scorer = Recorder(pipeline)
    query = "where is the needle in the haystack?"
    ranked = UnitReranker(scorer, LexicalAnalyzer()).run(query, [head, tail], full=1, tail_units=2)
    assert [s for s in scorer.seen if "plain" in s] == [
        "First plain sentence.",
        "Second plain sentence.",
        "Third plain sentence.",
    ]
    assert [s for s in scorer.seen if "plain" not in s] == [
        "The needle sits in a haystack.",
        "A haystack without it.",
    ]
    needle = float(scorer.score(query, ["The needle sits in a haystack."])[0])
    assert ranked[0].chunk.chunk_id == "b" and ranked[0].rerank_score == pytest.approx(needle)
    with pytest.raises(ValueError):
        UnitReranker(scorer).run("q", [head], tail_units=0)
