"""Locating answer sentences inside passages, exactly or nearly."""

from __future__ import annotations

from studyrag.generate.base import Answer, AnswerSentence, Citation
from studyrag.types import Chunk
from studyrag.ui.spans import locate, strip_markers, supporting_spans

PASSAGE = (
    "Q3. Why RMSNorm?\n\n"
    "  • **RMSNorm** removes the mean-centering step and normalizes by the root mean square only\n"
    "  • It is about 10% faster than LayerNorm with no loss in quality\n"
)


def _chunk(text: str = PASSAGE) -> Chunk:
    return Chunk(chunk_id="c1", source="doc.txt", text=text, start=0, end=len(text))


def test_strip_markers_removes_citations_and_flags() -> None:
    assert strip_markers("A fact [1][2, 3] [unsupported].") == "A fact."


def test_exact_sentence_is_found_at_its_offsets() -> None:
    sentence = "It is about 10% faster than LayerNorm with no loss in quality"
    start, end = locate(sentence + " [2].", PASSAGE)
    assert PASSAGE[start:end] == sentence


def test_cleaned_sentence_is_found_despite_markdown_and_bullets() -> None:
    sentence = "RMSNorm removes the mean-centering step and normalizes by the root mean square."
    span = locate(sentence, PASSAGE)
    assert span is not None
    found = PASSAGE[span[0] : span[1]]
    assert "removes the mean-centering step" in found and found.endswith("root mean square")


def test_unrelated_sentence_is_not_found() -> None:
    assert locate("Sourdough needs a long cold proof in the fridge overnight.", PASSAGE) is None


def test_supporting_spans_only_use_supported_sentences_citing_the_passage() -> None:
    chunk = _chunk()
    answer = Answer(
        question="why rmsnorm?",
        text="",
        refused=False,
        citations=[Citation.of_chunk(chunk, 1)],
        sentences=[
            AnswerSentence("It is about 10% faster than LayerNorm with no loss in quality.", [1]),
            AnswerSentence("RMSNorm removes the mean-centering step.", [2]),
            AnswerSentence("RMSNorm normalizes by the root mean square only.", [1], False),
        ],
    )
    spans = supporting_spans(answer, answer.citations[0])
    assert [PASSAGE[a:b] for a, b in spans] == [
        "It is about 10% faster than LayerNorm with no loss in quality"
    ]
