from __future__ import annotations

import pytest

from studyrag.generate.refusal import RefusalPolicy, is_refusal_text
from studyrag.pipeline import StudyPipeline
from studyrag.settings import EmbeddingModelName, RetrievalMode, Settings
from studyrag.types import SearchResult

ANSWERABLE = "How does DPO manage to skip training a separate reward model?"
OFF_TOPIC = "How long should sourdough dough proof at room temperature before baking?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The corpus does not cover this question.", True),
        ("This is not in the corpus.", True),
        ("The passages do not mention QLoRA's memory cost.", True),
        ("LoRA trains low-rank adapters [1].", False),
        ("The corpus covers LoRA in depth [2].", False),
    ],
)
def test_refusal_phrases(text: str, expected: bool) -> None:
    assert is_refusal_text(text) is expected


def test_a_low_unit_logit_is_answered_when_the_embedding_finds_the_passage(
    pipeline: StudyPipeline,
) -> None:
    """Gold q097: the cross-encoder misses the paraphrase ("head size" vs "d_k"); the dense
    cosine in the evidence keeps it answered. On the logit alone it would be refused."""
    question = "Why are the query-key dot products divided by the square root of the head size?"
    result = pipeline.search(question)
    decision = RefusalPolicy(pipeline.settings.answer, pipeline.embedder).decide(result)
    assert decision.rerank is not None and decision.rerank < -6.0
    assert decision.dense is not None and decision.dense > 0.3
    assert not decision.refuse and decision.score is not None
    assert decision.score == pytest.approx(
        decision.rerank + pipeline.settings.answer.refusal_dense_weight_minilm * decision.dense
    )
    assert "at or above" in decision.explain() and "unit logit" in decision.explain()
    logit_only = pipeline.settings.replace(refusal_dense_weight_minilm=0.0).answer
    assert RefusalPolicy(logit_only, pipeline.embedder).decide(result).refuse


def test_a_shared_word_is_not_enough_when_the_embedding_finds_nothing_near(
    pipeline: StudyPipeline,
) -> None:
    """An off-topic question that shares one rare word with the corpus still has a far cosine."""
    result = pipeline.search("How do I bake a loaf of sourdough with a LoRA?")
    decision = RefusalPolicy(pipeline.settings.answer, pipeline.embedder).decide(result)
    assert decision.dense is not None and decision.dense < 0.4
    assert decision.refuse


def test_rerank_score_decides_with_rerank_on(pipeline: StudyPipeline) -> None:
    policy = RefusalPolicy(pipeline.settings.answer, pipeline.embedder)
    answered = policy.decide(pipeline.search(ANSWERABLE))
    refused = policy.decide(pipeline.search(OFF_TOPIC))
    assert answered.score_kind == refused.score_kind == "evidence"
    assert not answered.refuse and refused.refuse
    assert refused.score is not None and answered.score is not None
    assert refused.score < pipeline.settings.answer.refusal_min_evidence_minilm <= answered.score
    assert "below" in refused.explain() and "at or above" in answered.explain()


@pytest.mark.parametrize("mode", [RetrievalMode.HYBRID, RetrievalMode.DENSE, RetrievalMode.BM25])
def test_dense_cosine_decides_without_rerank(pipeline: StudyPipeline, mode: RetrievalMode) -> None:
    policy = RefusalPolicy(pipeline.settings.answer, pipeline.embedder)
    answered = policy.decide(pipeline.search(ANSWERABLE, mode=mode))
    refused = policy.decide(pipeline.search(OFF_TOPIC, mode=mode))
    assert answered.score_kind == refused.score_kind == "dense"
    assert answered.threshold == pipeline.settings.answer.refusal_min_dense_minilm
    assert not answered.refuse and refused.refuse


def test_thresholds_are_per_embedding_model() -> None:
    answer = Settings(_env_file=None).answer  # type: ignore[call-arg]
    minilm = answer.calibrated(EmbeddingModelName.MINILM)
    bge = answer.calibrated(EmbeddingModelName.BGE)
    assert minilm.refusal_min_dense == answer.refusal_min_dense_minilm
    assert bge.refusal_min_dense == answer.refusal_min_dense_bge
    assert minilm.refusal_min_dense != bge.refusal_min_dense


def test_no_passages_is_a_refusal_and_the_switch_turns_it_off(pipeline: StudyPipeline) -> None:
    policy = RefusalPolicy(pipeline.settings.answer, pipeline.embedder)
    empty = policy.decide(SearchResult(query="x", hits=[]))
    assert empty.refuse and empty.score is None and empty.explain() == "no passage was retrieved"
    lenient = RefusalPolicy(pipeline.settings.replace(refusal=False).answer, pipeline.embedder)
    assert not lenient.decide(pipeline.search(OFF_TOPIC)).refuse
