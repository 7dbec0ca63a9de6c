from __future__ import annotations

import pytest

from studyrag.generate.condense import condense_question, is_follow_up, topic_of

LORA = (("What is LoRA?", "LoRA freezes the weights and trains low-rank adapters [1]."),)


@pytest.mark.parametrize(
    ("question", "history", "expected"),
    [
        ("and how does QLoRA differ?", LORA, "How does QLoRA differ from LoRA?"),
        ("what about QLoRA?", LORA, "What is QLoRA?"),
        ("why is it cheaper?", LORA, "Why is LoRA cheaper?"),
        (
            "and what about its memory cost?",
            (("What is the KV cache and why is it critical for LLM inference?", "..."),),
            "What about the KV cache's memory cost?",
        ),
        (
            "and for inference?",
            (("How much memory does a 7B model need for training?", "..."),),
            "For inference? (follow-up to: How much memory does a 7B model need for training?)",
        ),
    ],
)
def test_follow_ups_become_standalone(question: str, history, expected: str) -> None:
    assert condense_question(question, history) == expected


def test_earlier_follow_ups_are_condensed_first() -> None:
    history = (*LORA, ("and how does QLoRA differ?", "QLoRA quantizes the base model [2]."))
    assert condense_question("why is it cheaper?", history) == "Why is QLoRA cheaper?"


def test_standalone_questions_pass_through_unchanged() -> None:
    question = "How does DPO skip training a separate reward model?"
    assert not is_follow_up(question)
    assert condense_question(question, LORA) == question
    assert condense_question("and how does QLoRA differ?", ()) == "and how does QLoRA differ?"


def test_topic_extraction() -> None:
    assert topic_of("What is the KV cache and why is it critical?") == "the KV cache"
    assert topic_of("Explain multi-head attention. Why multiple heads?") == "multi-head attention"
    assert topic_of("How does RoPE actually inject position?") == "RoPE"
    assert topic_of("How does the KV cache reduce latency for long prompts?") is None
