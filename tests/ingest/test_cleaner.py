from __future__ import annotations

import pytest

from studyrag.ingest.cleaner import AlignedText, clean_text
from tests.conftest import CORPUS


def test_mojibake_is_repaired_and_offsets_point_at_the_damaged_bytes() -> None:
    raw = "Why it\u00e2\u20ac\u2122s crucial \u00e2\u20ac\u201d really"
    aligned = clean_text(raw)
    assert aligned.text == "Why it\u2019s crucial \u2014 really"
    apostrophe = aligned.text.index("\u2019")
    start, end = aligned.to_original(apostrophe, apostrophe + 1)
    assert raw[start:end] == "\u00e2\u20ac\u2122"
    word = aligned.text.index("really")
    assert aligned.to_original(word, word + 6) == (raw.index("really"), raw.index("really") + 6)


def test_truncated_right_quote_is_restored() -> None:
    # cp1252 cannot hold byte 0x9D, so the closing quote lost its last byte.
    assert (
        clean_text("\u00e2\u20ac\u0153Hi there\u00e2\u20ac\nnext").text
        == "\u201cHi there\u201d\nnext"
    )


def test_latex_residue_becomes_punctuation() -> None:
    raw = "training \\text{---} alignment \\text{--} safety \\text{MoE}"
    aligned = clean_text(raw)
    assert aligned.text == "training \u2014 alignment \u2013 safety MoE"
    dash = aligned.text.index("\u2014")
    start, end = aligned.to_original(dash, dash + 1)
    assert raw[start:end] == "\\text{---}"


def test_line_endings_and_invisible_characters() -> None:
    raw = "a\r\nb\u200bc\u202e\r\nd"
    aligned = clean_text(raw)
    assert aligned.text == "a\nbc\nd"
    assert aligned.to_original(len(aligned.text) - 1, len(aligned.text)) == (len(raw) - 1, len(raw))


def test_clean_text_is_identity_on_clean_input() -> None:
    raw = "Plain text, nothing to fix.\nSecond line."
    aligned = clean_text(raw)
    assert aligned.text == raw
    assert aligned.to_original(6, 10) == (6, 10)


def test_to_original_rejects_spans_outside_the_text() -> None:
    with pytest.raises(ValueError):
        AlignedText.identity("abc").to_original(2, 5)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_corpus_cleaning_keeps_every_unchanged_character_aligned(path) -> None:
    raw = path.read_text(encoding="utf-8")
    aligned = clean_text(raw)
    assert "\\text{" not in aligned.text
    assert "\u00e2\u20ac" not in aligned.text  # no cp1252 mojibake of U+20xx punctuation left
    for index, char in enumerate(aligned.text):
        start, end = aligned.starts[index], aligned.ends[index]
        assert 0 <= start <= end <= len(raw)
        if end - start == 1 and raw[start] == char:
            continue
        # A changed character maps to the span it replaced, which is never longer than 12 chars.
        assert end - start <= 12, (index, char, raw[start:end])


def test_repair_anchors_only_on_ascii() -> None:
    """A repaired "Ÿ" is not the mojibake's own "Ÿ": the digit keeps its own offset."""
    raw = "ðŸ§\xa0 \x800\x9f"
    aligned = clean_text(raw)
    assert aligned.text == "🧠 €0Ÿ"
    zero = aligned.text.index("0")
    assert (aligned.starts[zero], aligned.ends[zero]) == (raw.index("0"), raw.index("0") + 1)
    space = aligned.text.index(" ")
    assert raw[aligned.starts[space]] == " "
