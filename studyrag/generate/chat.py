"""What every LLM backend shares: the prompt, streaming, and LLM follow-up condensation."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence

from studyrag.generate.base import Generator, Passage
from studyrag.generate.condense import History, condense_question
from studyrag.generate.prompt import Message, answer_messages, condense_messages
from studyrag.settings import AnswerSettings

_MAX_CONDENSED_CHARS = 600


class ChatGenerator(Generator):
    """A generator backed by a chat model; subclasses only send messages and stream text back."""

    streams = True

    def __init__(self, answer: AnswerSettings) -> None:
        self.max_sentences = answer.answer_max_sentences
        self.max_tokens = answer.answer_max_tokens
        self.history_turns = answer.history_turns

    @abstractmethod
    def chat(self, messages: list[Message], stream: bool) -> Iterator[str]:
        """Send the messages; yield the reply's text (in pieces when ``stream``)."""

    def messages(self, question: str, passages: Sequence[Passage]) -> list[Message]:
        return answer_messages(question, passages, self.max_sentences)

    def generate(self, question: str, passages: Sequence[Passage]) -> str:
        return "".join(self.chat(self.messages(question, passages), stream=False))

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        yield from self.chat(self.messages(question, passages), stream=True)

    def condense(self, question: str, history: History) -> str:
        """The model rewrites the follow-up; the deterministic rules are the fallback."""
        if not history:
            return question
        reply = "".join(
            self.chat(condense_messages(question, history, self.history_turns), stream=False)
        )
        return clean_condensed(reply) or condense_question(question, history)


def clean_condensed(reply: str) -> str | None:
    """The first non-empty line of a rewrite, without quotes or a label; None when unusable."""
    for line in reply.strip().splitlines():
        text = line.strip().strip("\"'`").strip()
        if text.lower().startswith("standalone question:"):
            text = text.split(":", 1)[1].strip().strip("\"'`")
        if text:
            return text if len(text) <= _MAX_CONDENSED_CHARS else None
    return None
