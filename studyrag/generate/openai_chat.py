"""Any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server, OpenAI), streamed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import openai
from openai.types.chat import ChatCompletionMessageParam

from studyrag.generate.chat import ChatGenerator
from studyrag.generate.prompt import Message
from studyrag.settings import AnswerSettings
from studyrag.types import StudyragError

OPENAI_URL = "https://api.openai.com/v1"
_NO_KEY = "not-needed"  # local servers ignore the key, but the client requires one


class OpenAIChatGenerator(ChatGenerator):
    """Talks to ``answer.openai_base_url`` with ``answer.openai_model``; temperature 0."""

    name = "openai"

    def __init__(self, answer: AnswerSettings) -> None:
        super().__init__(answer)
        key = answer.openai_api_key.get_secret_value() if answer.openai_api_key else None
        if answer.openai_base_url is None and key is None:
            raise StudyragError(
                "the openai backend needs STUDYRAG_OPENAI_BASE_URL (e.g. "
                "http://127.0.0.1:11434/v1 for Ollama) or STUDYRAG_OPENAI_API_KEY for OpenAI"
            )
        self.base_url = answer.openai_base_url or OPENAI_URL
        self.model = answer.openai_model
        self.client = openai.OpenAI(
            base_url=self.base_url,
            api_key=key or _NO_KEY,
            timeout=answer.openai_timeout_s,
            max_retries=1,
        )

    def chat(self, messages: list[Message], stream: bool) -> Iterator[str]:
        try:
            if not stream:
                response = self.client.chat.completions.create(
                    model=self.model,
                    messages=cast("list[ChatCompletionMessageParam]", messages),
                    temperature=0.0,
                    max_tokens=self.max_tokens,
                    stream=False,
                )
                if response.choices:
                    yield response.choices[0].message.content or ""
                return
            events = self.client.chat.completions.create(
                model=self.model,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                temperature=0.0,
                max_tokens=self.max_tokens,
                stream=True,
            )
            with events:
                for event in events:
                    if event.choices and event.choices[0].delta.content:
                        yield event.choices[0].delta.content
        except openai.APIStatusError as error:
            raise StudyragError(
                f"{self.base_url} answered HTTP {error.status_code} for model {self.model!r}: "
                f"{_first_line(error.message)}"
            ) from error
        except openai.APITimeoutError as error:
            raise StudyragError(
                f"{self.base_url} did not answer in time (STUDYRAG_OPENAI_TIMEOUT_S)"
            ) from error
        except openai.APIConnectionError as error:
            raise StudyragError(
                f"cannot reach {self.base_url}: is the server running? ({_first_line(str(error))})"
            ) from error
        except openai.OpenAIError as error:
            raise StudyragError(f"{self.base_url} failed: {_first_line(str(error))}") from error


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]
