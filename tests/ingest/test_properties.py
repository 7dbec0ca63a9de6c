"""Property-based tests: cleaning and chunking never lose track of the original text."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from studyrag.ingest.chunker import StructureChunker
from studyrag.ingest.cleaner import clean_text
from studyrag.ingest.readers.text import text_document
from studyrag.pipeline import StudyPipeline

PIECES = st.sampled_from(
    [
        "Q1. What is LoRA?\n",
        "**Q2: Why RoPE?**\n",
        "Question 3: Explain BPE\n",
        "### Q4: KV\n",
        "1. Explain attention\n",
        "# Title\n",
        "## Part\n",
        "Difficulty: Hard | Roles: MLE\n",
        "Follow-ups:\n",
        "  \u2022 bullet point\n",
        "\\text{---}",
        "\u00e2\u20ac\u2122",
        "\u00e2\u20ac",
        "\u00e2\u20ac\u0153quoted\u00e2\u20ac\u009d",
        "\u00f0\u0178\u00a7\u00a0 ",
        "\r\n",
        "\n\n",
        "\u200b",
        "\u202e",
        "\ufeff",
        "caf\u00e9 ",
        "\u05e9\u05dc\u05d5\u05dd ",
        "\U0001f600",
        "word ",
        "sentence ends here. ",
        "Another one? ",
        "\t",
        "x" * 450 + ". ",
    ]
)
DOCUMENTS = st.lists(st.one_of(PIECES, st.text(max_size=40)), max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_cleaned_characters_map_inside_the_original(raw: str) -> None:
    aligned = clean_text(raw)
    assert len(aligned.starts) == len(aligned.ends) == len(aligned.text)
    previous_start = previous_end = 0
    for start, end in zip(aligned.starts, aligned.ends, strict=True):
        assert 0 <= start <= end <= len(raw)
        assert start >= previous_start and end >= previous_end  # order is preserved
        previous_start, previous_end = start, end
    # A whole-text span maps to a span of the original that covers every kept character.
    if aligned.text:
        first, last = aligned.to_original(0, len(aligned.text))
        assert first == aligned.starts[0] and last == aligned.ends[-1]


def _occurrences(text: str, part: str) -> list[int]:
    found, at = [], text.find(part)
    while at >= 0:
        found.append(at)
        at = text.find(part, at + 1)
    return found


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=DOCUMENTS)
@example(raw="ðŸ§\xa0 \x800\x9f")  # a repaired "Ÿ" once aligned with the mojibake's own "Ÿ"
def test_chunk_offsets_always_map_back_to_the_original(pipeline: StudyPipeline, raw: str) -> None:
    """With the tokenizer ingest counts with (the embedder's), so chunks split where they do."""
    aligned = clean_text(raw)
    chunker = StructureChunker(pipeline.embedder.count_tokens)
    chunks = chunker.run(text_document("doc.txt", aligned))
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for chunk in chunks:
        assert chunk.text.strip()
        assert 0 <= chunk.start < chunk.end <= len(raw)
        # The chunk is a slice of the cleaned text whose offset map gives exactly its span.
        spans = [
            b
            for b in _occurrences(aligned.text, chunk.text)
            if aligned.to_original(b, b + len(chunk.text)) == (chunk.start, chunk.end)
        ]
        assert spans
        begin = spans[0]
        shared = Counter(zip(aligned.starts, aligned.ends, strict=True))
        for offset, char in enumerate(chunk.text):
            start, end = aligned.starts[begin + offset], aligned.ends[begin + offset]
            assert chunk.start <= start <= end <= chunk.end
            # One cleaned character for one original one ("ŉ" -> "ʼn" gives two for one).
            if char.isascii() and char.isalnum() and end - start == 1 and shared[start, end] == 1:
                assert raw[start] == char  # an untouched character is where the offset says
