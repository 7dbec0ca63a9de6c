"""The openai backend against a real local HTTP server speaking the chat-completions protocol."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest

from studyrag.assistant import AskRequest, Assistant
from studyrag.generate.base import Answer, Passage
from studyrag.generate.citations import UNSUPPORTED_MARK
from studyrag.generate.openai_chat import OpenAIChatGenerator
from studyrag.pipeline import StudyPipeline
from studyrag.settings import AnswerSettings, GeneratorBackend, Settings
from studyrag.types import Chunk, Hit, StudyragError
from tests.generate.fake_openai import FakeOpenAI

OPENAI = AskRequest(backend=GeneratorBackend.OPENAI)

QUESTION = "How does DPO manage to skip training a separate reward model?"
KV = "The KV cache stores the key and value tensors of previous tokens so they are not recomputed."


def llm_settings(base: Settings, url: str) -> AnswerSettings:
    return base.replace(openai_base_url=url, openai_model="smol-test").answer


def passages() -> list[Passage]:
    chunk = Chunk("kv.md#0", "kv.md", KV, 0, len(KV), heading_path=("Inference",))
    return [Passage(1, Hit(chunk, 1.0))]


def quote_first_passage(request: dict[str, Any]) -> str:
    """A well-behaved model: the first sentence of passage 1, cited."""
    user = request["messages"][-1]["content"]
    block = re.search(r'<passage n="1">\n(.*?)\n</passage>', user, re.S)
    assert block is not None
    body = block.group(1).split("\n", 2)[2]  # after Source: and Heading:
    first = re.split(r"(?<=[.!?])\s", " ".join(body.split()))[0]
    return f"{first.rstrip('.')} [1]."


def test_non_streaming_reply_and_request_shape(fake_openai: FakeOpenAI, tmp_path) -> None:
    fake_openai.replies.append(f"{KV[:-1]} [1].")
    generator = OpenAIChatGenerator(
        llm_settings(Settings(_env_file=None, data_dir=tmp_path), fake_openai.url)
    )  # type: ignore[call-arg]
    assert generator.generate("What is the KV cache?", passages()) == f"{KV[:-1]} [1]."
    request = fake_openai.requests[-1]
    assert request["model"] == "smol-test" and request["temperature"] == 0.0
    assert not request.get("stream")
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert "What is the KV cache?" in request["messages"][1]["content"]


def test_streaming_yields_tokens_as_they_arrive(fake_openai: FakeOpenAI, tmp_path) -> None:
    reply = "The KV cache stores key and value tensors [1]. It avoids recomputation [1]."
    fake_openai.replies.append(reply)
    generator = OpenAIChatGenerator(
        llm_settings(Settings(_env_file=None, data_dir=tmp_path), fake_openai.url)
    )  # type: ignore[call-arg]
    pieces = list(generator.stream("What is the KV cache?", passages()))
    assert len(pieces) > 5 and "".join(pieces) == reply
    assert fake_openai.requests[-1]["stream"] is True


def test_server_error_is_one_clear_line(fake_openai: FakeOpenAI, tmp_path) -> None:
    fake_openai.status = 503
    generator = OpenAIChatGenerator(
        llm_settings(Settings(_env_file=None, data_dir=tmp_path), fake_openai.url)
    )  # type: ignore[call-arg]
    with pytest.raises(StudyragError, match=r"answered HTTP 503 for model 'smol-test'") as error:
        list(generator.stream("q", passages()))
    assert "\n" not in str(error.value)


def test_unreachable_endpoint_and_missing_configuration(tmp_path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = Settings(_env_file=None, data_dir=tmp_path, openai_timeout_s=5)  # type: ignore[call-arg]
    generator = OpenAIChatGenerator(llm_settings(base, f"http://127.0.0.1:{port}/v1"))
    with pytest.raises(StudyragError, match="cannot reach"):
        generator.generate("q", passages())
    with pytest.raises(StudyragError, match="STUDYRAG_OPENAI_BASE_URL"):
        OpenAIChatGenerator(base.answer)


@pytest.fixture
def assistant(pipeline: StudyPipeline, fake_openai: FakeOpenAI) -> Assistant:
    return Assistant(pipeline, llm_settings(pipeline.settings, fake_openai.url))


def test_assistant_streams_then_returns_the_validated_answer(
    assistant: Assistant, fake_openai: FakeOpenAI
) -> None:
    fake_openai.replies.append(quote_first_passage)
    items = list(assistant.ask_stream(QUESTION, request=OPENAI))
    *pieces, answer = items
    assert isinstance(answer, Answer) and all(isinstance(p, str) for p in pieces)
    assert len(pieces) > 3
    assert answer.backend == "openai" and not answer.refused
    assert [c.n for c in answer.citations] == [1] and answer.sentences[0].supported
    assert answer.citations[0].chunk == answer.passages[0].chunk
    assert answer.text.endswith("[1].") and UNSUPPORTED_MARK not in answer.text
    assert {"retrieval", "generate", "validate", "total"} <= set(answer.timings_ms)


def test_fabricated_and_dangling_citations_are_not_shown(
    assistant: Assistant, fake_openai: FakeOpenAI
) -> None:
    fake_openai.replies.append(
        lambda request: (
            f"{quote_first_passage(request)[:-1]}[9]. "
            "DPO was invented in 1850 by Napoleon to train cannons [2]."
        )
    )
    answer = assistant.ask(QUESTION, request=OPENAI)
    assert [c.n for c in answer.citations] == [1]
    assert "[9]" not in answer.text and "[2]" not in answer.text
    assert answer.text.endswith(f"Napoleon to train cannons. {UNSUPPORTED_MARK}")
    assert [s.supported for s in answer.sentences] == [True, False]
    assert any("[9]: no such passage" in w for w in answer.warnings)
    assert any("not supported by the passages it cites" in w for w in answer.warnings)


def test_model_saying_not_in_corpus_is_a_refusal(
    assistant: Assistant, fake_openai: FakeOpenAI
) -> None:
    fake_openai.replies.append("The corpus does not cover this question.")
    answer = assistant.ask(QUESTION, request=AskRequest(backend="openai"))  # type: ignore[arg-type]
    assert answer.refused and answer.citations == [] and answer.passages
    assert "does not cover" in answer.text
    assert any("found no answer" in w for w in answer.warnings)


def test_follow_up_is_condensed_by_the_model(assistant: Assistant, fake_openai: FakeOpenAI) -> None:
    fake_openai.replies += ["How does QLoRA differ from LoRA?", quote_first_passage]
    history = [("What is LoRA?", "LoRA freezes the weights and trains adapters [1].")]
    answer = assistant.ask("and how does QLoRA differ?", history, request=OPENAI)
    condense, answering = fake_openai.requests[-2:]
    assert "What is LoRA?" in condense["messages"][-1]["content"]
    assert "and how does QLoRA differ?" in condense["messages"][-1]["content"]
    assert answer.standalone_question == "How does QLoRA differ from LoRA?"
    assert "How does QLoRA differ from LoRA?" in answering["messages"][-1]["content"]
    assert "QLoRA" in " ".join(p.chunk.text for p in answer.passages[:3])
