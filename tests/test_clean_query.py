"""Question validation, once for every layer (app, CLI, assistant, pipeline all call it)."""

from __future__ import annotations

import pytest

from studyrag.pipeline import CleanQuery, clean_query
from studyrag.types import StudyragError


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "the question is empty"),
        ("   \n\t", "the question is empty"),
        ("\x00\x01\x02\x7f", "the question is empty"),
        ("\u200b\ufeff", "the question is empty"),
        ("x" * 100_000, "100,000 characters; keep it under 2,000"),
        (b"\x00\xff\x10", "the question must be text"),
        (None, "the question must be text"),
    ],
)
def test_bad_questions_get_one_clear_line(question: object, message: str) -> None:
    with pytest.raises(StudyragError, match=message) as error:
        clean_query(question, 2_000)  # type: ignore[arg-type]
    assert "\n" not in str(error.value)


def test_control_characters_are_removed_and_space_trimmed() -> None:
    assert clean_query("  what is\x00 LoRA?\u202e ", 100) == "what is  LoRA?"


def test_a_clean_question_is_not_cleaned_again() -> None:
    first = clean_query("  What is LoRA? ", 100)
    assert isinstance(first, CleanQuery) and first == "What is LoRA?"
    assert clean_query(first, 100) is first
    with pytest.raises(StudyragError, match="keep it under 5"):
        clean_query(first, 5)  # a smaller limit still applies
