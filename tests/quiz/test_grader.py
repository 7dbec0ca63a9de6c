"""Grading with the real embedder: model answer high, half in between, unrelated low."""

from __future__ import annotations

import pytest

from studyrag.quiz.bank import QuestionBank
from studyrag.quiz.calibrate_grading import OFF_DOMAIN, half_answer
from studyrag.quiz.grader import Cutoffs, Grader
from studyrag.types import StudyragError
from tests.quiz.conftest import raw_text, source_named

# One question per document shape: numbered bank, Markdown, prose frameworks, emoji-led list.
GRADED = [("001", 25), ("003", 8), ("004", 1), ("000", 4)]
GOOD_KV_ANSWER = (
    "When a model generates text it produces one token at a time, and at each step it attends to "
    "every earlier token. Without caching you would recompute the key and value projections of "
    "all previous tokens at every step. The KV cache keeps those key and value tensors in memory, "
    "so only the new token's K and V are computed and appended. Its size is about 2 x layers x "
    "d_model x sequence length x batch x bytes, roughly 20 GB for LLaMA 3 70B at 8K tokens in "
    "fp16. That makes it the main memory bottleneck in serving, which is why GQA, PagedAttention "
    "and quantized KV caches exist."
)
PARTIAL_KV_ANSWER = (
    "The KV cache stores the keys and values of earlier tokens so they do not need to be "
    "recomputed at every generation step."
)


def _question(bank: QuestionBank, prefix: str, number: int):
    source = source_named(prefix)
    return next(q for q in bank if q.source == source and q.number == number)


def _far_answer(bank: QuestionBank, prefix: str) -> str:
    """A model answer on another subject: the EU AI Act (001 Q52), or ReAct agents (001 Q35)."""
    other = _question(bank, "001", 52) if prefix != "001" else _question(bank, "001", 35)
    return other.answer


@pytest.mark.parametrize(("prefix", "number"), GRADED)
def test_model_answer_high_half_between_unrelated_low(grader: Grader, bank, prefix, number):
    question = _question(bank, prefix, number)
    assert len(bank.key_points(question)) >= 5
    model = grader.grade(question, question.answer).score
    half = grader.grade(question, half_answer(grader, question)).score
    off_domain = grader.grade(question, OFF_DOMAIN).score
    wrong_question = grader.grade(question, _far_answer(bank, prefix)).score
    assert model >= 80
    assert 30 <= half <= 85 and half <= model - 15
    assert off_domain <= 20 and wrong_question <= 20
    assert half >= max(off_domain, wrong_question) + 20


def test_a_paraphrased_answer_beats_a_partial_one(grader: Grader, bank) -> None:
    question = _question(bank, "001", 3)
    good = grader.grade(question, GOOD_KV_ANSWER)
    partial = grader.grade(question, PARTIAL_KV_ANSWER)
    unrelated = grader.grade(question, OFF_DOMAIN)
    assert good.score >= 50
    assert good.score > partial.score > unrelated.score
    assert len(good.covered) > len(partial.covered)


def test_result_cites_covered_and_missed_points_and_chains_follow_ups(grader: Grader, bank) -> None:
    question = _question(bank, "001", 3)
    result = grader.grade(question, PARTIAL_KV_ANSWER)
    assert result.covered and result.missed
    assert len(result.covered) + len(result.missed) == len(bank.key_points(question))
    raw = raw_text(question.source)
    for grade in result.points:
        citation = grade.point.citation
        assert citation.source == question.source
        assert question.answer_start <= citation.start < citation.end <= question.answer_end
        assert grade.point.pieces[0].split()[0] in raw[citation.start : citation.end]
    data = result.to_dict()
    assert data["follow_ups"] == list(question.follow_ups) and len(data["follow_ups"]) == 3
    assert data["graded_against"] == "model answer" and data["note"] == ""
    assert data["covered"][0]["evidence"] and data["missed"][0]["evidence"] == ""
    assert data["covered"][0]["citation"][0] == question.source


@pytest.mark.slow  # retrieval + rerank + grading: 11-23 s on the shared machine
def test_outline_questions_are_graded_against_other_documents(grader: Grader, bank) -> None:
    outline = source_named("002")
    question = next(q for q in bank if q.source == outline and "speculative decoding" in q.title)
    assert not question.has_answer
    reference = grader.reference(question)
    assert not reference.from_model_answer
    assert "No model answer" in reference.note and outline in reference.note
    assert reference.passages and all(c.source != outline for c in reference.passages)
    assert 1 <= len(reference.points) <= grader.practice.quiz_outline_points
    assert all(p.citation.source != outline for p in reference.points)
    texts = [p.text.lower() for p in reference.points]
    assert any("speculative" in t or "draft" in t for t in texts)
    assert reference.follow_ups  # chained from the answered question the passage belongs to
    retold = grader.grade(question, "\n".join(p.text for p in reference.points))
    assert retold.score >= 80
    assert retold.to_dict()["graded_against"] == "retrieved passages"
    assert grader.grade(question, OFF_DOMAIN).score <= 20


@pytest.mark.slow  # retrieval + rerank + grading: 11-23 s on the shared machine
def test_a_one_sentence_outline_answer_earns_credit_for_its_clauses(grader: Grader, bank) -> None:
    outline = source_named("002")
    question = next(q for q in bank if q.source == outline and "(RoPE)" in q.title)
    answer = (
        "RoPE rotates query and key vectors by an angle proportional to position, so their dot "
        "product depends on relative position; it extrapolates better with NTK or YaRN scaling."
    )
    result = grader.grade(question, answer)
    assert any("relative position" in g.point.text for g in result.covered)
    assert result.score >= 15 and result.score > grader.grade(question, OFF_DOMAIN).score + 10


def test_outline_question_without_an_index_is_a_clear_error(grader: Grader, bank) -> None:
    question = next(q for q in bank if not q.has_answer)
    offline = Grader(bank, grader.scorer.embedder, grader.practice)
    with pytest.raises(StudyragError, match="needs the index"):
        offline.grade(question, "Attention lets tokens look at each other.")


def test_empty_and_oversized_answers_are_refused(grader: Grader, bank) -> None:
    question = _question(bank, "001", 1)
    with pytest.raises(StudyragError, match="empty"):
        grader.grade(question, "   \n")
    with pytest.raises(StudyragError, match="QUIZ_MAX_ANSWER_CHARS"):
        grader.grade(question, "x" * (grader.practice.quiz_max_answer_chars + 1))


def test_typos_still_count_lexically(grader: Grader) -> None:
    weights = grader.scorer.weights
    point = weights.analyzer("Quantization reduces the precision of model weights")
    typed = weights.analyzer("quantisation reduce precison of the wieghts")
    assert weights.recall(point, typed) > 0.6
    assert weights.recall(point, weights.analyzer("bread needs flour")) == 0.0


def test_cutoffs_map_similarity_to_credit() -> None:
    cutoffs = Cutoffs(low=0.4, high=0.6, lexical_weight=0.5)
    assert cutoffs.credit(0.2, 0.2) == 0.0
    assert cutoffs.credit(0.5, 0.5) == pytest.approx(0.5)
    assert cutoffs.credit(1.0, 1.0) == 1.0
    with pytest.raises(StudyragError):
        Cutoffs(low=0.6, high=0.6, lexical_weight=0.3)
