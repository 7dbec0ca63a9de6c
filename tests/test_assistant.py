"""The assistant against the real index: grounded answers, honest refusals, follow-ups."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from studyrag.assistant import REFUSAL_ANSWER, AskRequest, Assistant
from studyrag.eval.gold import GoldQuestion, load_gold, load_questions
from studyrag.generate.base import Answer
from studyrag.generate.citations import parse_answer
from studyrag.pipeline import StudyPipeline
from studyrag.text.sentences import normalize
from studyrag.types import StudyragError
from tests.conftest import CORPUS, GOLD, OFF_TOPIC

OFF_TOPIC_EXTRA = Path(__file__).resolve().parents[1] / "eval" / "data" / "off_topic_extra.jsonl"
GOLD_SAMPLE = ("q003", "q027", "q060", "q070", "q094")


@pytest.fixture(scope="module")
def assistant(pipeline: StudyPipeline) -> Assistant:
    return Assistant(pipeline)


@pytest.fixture(scope="module")
def gold() -> dict[str, GoldQuestion]:
    return {q.qid: q for q in load_gold(GOLD, CORPUS)}


@pytest.fixture(scope="module")
def off_topic() -> dict[str, str]:
    return dict(load_questions(OFF_TOPIC) + load_questions(OFF_TOPIC_EXTRA))


def cites_gold(answer: Answer, question: GoldQuestion) -> bool:
    return any(span.covered_by(c.chunk) for c in answer.citations for span in question.spans)


def quoted_from(sentence: str, passage: str) -> bool:
    """Extractive sentences are quotes: (nearly) every word occurs in the cited passage."""
    words = re.findall(r"\w+", normalize(sentence))
    have = set(re.findall(r"\w+", normalize(passage)))
    return sum(w in have for w in words) >= 0.95 * len(words)


def assert_citations_resolve(answer: Answer) -> None:
    """Every [n] in the text is a citation; each points at a given passage and a real span."""
    given = {p.n: p.chunk for p in answer.passages}
    in_text = {n for s in parse_answer(answer.text) for n in s.cited}
    assert in_text == {c.n for c in answer.citations}
    for citation in answer.citations:
        assert given[citation.n] == citation.chunk
        raw = (CORPUS / citation.chunk.source).read_text(encoding="utf-8")
        assert 0 <= citation.chunk.start < citation.chunk.end <= len(raw)
        for sentence in answer.sentences:
            if citation.n in sentence.citations:
                assert sentence.supported
                assert quoted_from(sentence.text, citation.chunk.text)


@pytest.mark.parametrize("qid", GOLD_SAMPLE)
def test_gold_answers_cite_the_gold_span(assistant: Assistant, gold, qid: str) -> None:
    question = gold[qid]
    # Room for more than the default budget: grounding is under test here, not length.
    answer = assistant.ask(question.question, request=AskRequest(max_words=150))
    assert not answer.refused and answer.backend == "extractive"
    assert cites_gold(answer, question), answer.text
    assert_citations_resolve(answer)


@pytest.mark.slow
def test_whole_gold_set_is_answered_and_cited(gold_answers: dict[str, Answer], gold) -> None:
    answered = cited = retrieved = 0
    for question in gold.values():
        answer = gold_answers[question.qid]
        assert_citations_resolve(answer)
        answered += not answer.refused
        if any(span.covered_by(p.chunk) for p in answer.passages for span in question.spans):
            retrieved += 1
            cited += cites_gold(answer, question)
    assert answered >= 0.9 * len(gold)
    assert cited >= 0.85 * retrieved


def test_off_topic_questions_are_refused_with_the_nearest_passages(
    assistant: Assistant, off_topic
) -> None:
    """The whole off-topic set: most are refused, and every refusal has the refusal's shape
    (the one test of refusals at this layer; the app and the CLI test how they show one)."""
    answers = [assistant.ask(q) for q in off_topic.values()]
    refused = [a for a in answers if a.refused]
    assert len(refused) >= 0.85 * len(answers)
    for answer in refused:
        assert answer.text == REFUSAL_ANSWER
        assert answer.citations == [] and answer.sentences == []
        assert (
            len(answer.passages) == assistant.pipeline.retrieval.top_k
        )  # the nearest ones, to look at
        assert answer.warnings and "below" in answer.warnings[0]
        assert answer.to_dict()["citations"] == [] and answer.to_dict()["refused"] is True


def test_follow_up_is_condensed_before_retrieval(assistant: Assistant) -> None:
    first = assistant.ask("What is LoRA?")
    follow = assistant.ask("and how does QLoRA differ?", history=[("What is LoRA?", first.text)])
    assert follow.question == "and how does QLoRA differ?"
    assert follow.standalone_question == "How does QLoRA differ from LoRA?"
    assert not follow.refused and "QLoRA" in follow.text
    assert_citations_resolve(follow)


def test_stream_yields_text_then_the_final_answer(assistant: Assistant) -> None:
    items = list(assistant.ask_stream("What is SwiGLU?"))
    *pieces, answer = items
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert isinstance(answer, Answer) and "SwiGLU" in answer.text
    stages = set(answer.timings_ms)
    assert {"condense", "embed", "rerank", "retrieval", "generate", "validate", "total"} <= stages
    assert answer.timings_ms["total"] >= answer.timings_ms["generate"] > 0


def test_sources_and_top_k_limit_the_passages(assistant: Assistant) -> None:
    source = "003_d47b52dac9159beb.txt"
    answer = assistant.ask(
        "What is LoRA?", request=AskRequest(top_k=2, sources=frozenset([source]))
    )
    assert len(answer.passages) == 2
    assert {p.chunk.source for p in answer.passages} == {source}
    assert all(c.chunk.source == source for c in answer.citations)


def test_a_bad_question_is_one_line_from_the_assistant(assistant: Assistant) -> None:
    """Every bad input is covered once, in tests/test_clean_query.py; here: the assistant checks."""
    with pytest.raises(StudyragError, match="characters; keep it under") as error:
        assistant.ask("x" * 100_000)
    assert "\n" not in str(error.value)


def test_unknown_backend_is_a_clear_error(assistant: Assistant) -> None:
    with pytest.raises(StudyragError, match="unknown backend 'gpt'"):
        AskRequest(backend="gpt")  # type: ignore[arg-type]


def test_assistants_share_the_pipelines_generators(pipeline) -> None:
    """The pipeline owns the generators: two assistants (two app sessions) get the same one, and
    different settings (another answer length) a different one."""
    from studyrag.assistant import Assistant

    first = Assistant(pipeline).generator()
    assert Assistant(pipeline).generator() is first
    shorter = pipeline.settings.replace(answer_max_words=40).answer
    assert Assistant(pipeline, shorter).generator() is not first
