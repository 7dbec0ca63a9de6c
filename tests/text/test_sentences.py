from __future__ import annotations

from studyrag.text.sentences import clean_sentence, normalize, split_sentences


def test_offsets_point_at_the_exact_text() -> None:
    text = "Intro line.\n- **LoRA:** Freezes weights, e.g. the base model. It adds adapters.\n\nEnd"
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "Intro line.",
        "- **LoRA:** Freezes weights, e.g. the base model.",
        "It adds adapters.",
        "End",
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_lines_are_hard_boundaries_and_spaced_periods_are_not() -> None:
    text = "attention_score(i, j) = q_i . k_j - m * |i - j| where m is a slope\nNext line"
    assert [s.text for s in split_sentences(text)] == [
        "attention_score(i, j) = q_i . k_j - m * |i - j| where m is a slope",
        "Next line",
    ]


def test_clean_sentence_drops_bullets_and_markdown_only() -> None:
    assert clean_sentence("  - **Benefit:** Reduces   memory by `3x`.") == (
        "Benefit: Reduces memory by 3x."
    )
    assert clean_sentence("12. Use a smaller model") == "Use a smaller model"
    assert normalize("**A**  b\nC") == "a b c"
