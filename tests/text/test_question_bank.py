"""The question-bank format rules: what each marker matches, and what it leaves alone."""

from __future__ import annotations

import re

import pytest

from studyrag.text import question_bank as rules

CASES: list[tuple[re.Pattern[str], str, bool]] = [
    (rules.QUESTION_HEADING, "## Q12. What is LoRA?", True),
    (rules.QUESTION_HEADING, "**Question 3: Why does RoPE rotate?**", True),
    (rules.QUESTION_HEADING, "q12. lower-case is not a bank heading", False),
    (rules.QUESTION_HEADING_START, "q12. lower-case starts like one", True),
    (rules.QUESTION_HEADING_START, "Quantization cuts memory.", False),
    (rules.NUMBERED_HEADING, "12. What is LoRA?", True),
    (rules.NUMBERED_HEADING, "12.5 percent", False),
    (rules.CATEGORY_HEADING, "Category 3 — Fine-tuning", True),
    (rules.CATEGORY_HEADING, "Category 3", False),
    (rules.PART_LABEL, "Chapter 4 Attention", True),
    (rules.PART_LABEL, "The chapter explains attention", False),
    (rules.DIFFICULTY_LINE, "Difficulty: Medium | Roles: ML engineer", True),
    (rules.DIFFICULTY_LINE, "The difficulty is medium", False),
    (rules.METADATA_LINE, "Expected Answer:", True),
    (rules.METADATA_LINE, "Answers differ by model", False),
    (rules.ANSWER_MARKER, "**Expected answer**", True),
    (rules.ANSWER_MARKER, "The answer is 42", False),
    (rules.FOLLOW_UPS_LABEL, "Follow-up questions:", True),
    (rules.FOLLOW_UPS_LABEL, "**Follow-ups**", False),  # the units see it with markup stripped
    (rules.FOLLOW_UPS_MARKER, "**Follow-ups:**", True),
    (rules.FOLLOW_UPS_MARKER, "Follow up with the team", False),
]


@pytest.mark.parametrize(("rule", "line", "matches"), CASES)
def test_each_rule_matches_its_marker_only(rule: re.Pattern[str], line: str, matches: bool) -> None:
    assert bool(rule.match(line)) is matches


def test_a_heading_gives_its_number_and_title() -> None:
    found = rules.QUESTION_HEADING.match("### Q7: How does DPO skip the reward model?")
    assert found is not None
    assert (found["num"], found["title"]) == ("7", "How does DPO skip the reward model?")
    assert rules.TOPIC_PREFIX.sub("", "Category 3 — Fine-tuning") == "Fine-tuning"
