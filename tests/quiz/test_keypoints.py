"""Key points: one per bullet or paragraph, each citing its exact span of the original file."""

from __future__ import annotations

from studyrag.ingest.chunker import split_lines
from studyrag.ingest.cleaner import clean_text
from studyrag.quiz.keypoints import (
    answer_units,
    display,
    extract_key_points,
    passage_lines,
    sentence_spans,
    split_sentences,
)
from tests.quiz.conftest import raw_text

ANSWER = (
    "Retrieval metrics:\n"
    "  \u2022 Recall@K: What fraction of relevant documents were retrieved in the top K?\n"
    "  \u2022 **MRR:** Average of 1/rank for the first relevant document.\n"
    "= 2 * 80 * 8192\n"
    "Why it matters. The KV cache is often the bottleneck, e.g. for long contexts. It grows "
    "with batch size.\n"
    "See RAG Architecture and Vector Databases for the retrieval side.\n"
)


def _points(text: str, max_chars: int = 350):
    aligned = clean_text(text)
    return extract_key_points(split_lines(aligned.text), aligned, "doc.txt", max_chars)


def test_bullets_become_points_under_their_label() -> None:
    points = _points(ANSWER)
    assert [p.text for p in points] == [
        "Recall@K: What fraction of relevant documents were retrieved in the top K?",
        "MRR: Average of 1/rank for the first relevant document.",
        "Why it matters. The KV cache is often the bottleneck, e.g. for long contexts. "
        "It grows with batch size.",
    ]
    assert [p.label for p in points] == ["Retrieval metrics"] * 3
    # The formula line and the cross-reference are not gradable points.
    assert not any("8192" in p.text or p.text.startswith("See") for p in points)


def test_citations_point_at_the_source_span() -> None:
    for point in _points(ANSWER):
        cited = ANSWER[point.citation.start : point.citation.end]
        assert display(cited) == point.text
        assert point.citation.source == "doc.txt"
        assert str(point.citation).startswith("[doc.txt, ")


def test_long_paragraphs_are_cut_at_sentence_ends() -> None:
    paragraph = " ".join(f"Sentence {i} explains one idea about attention." for i in range(9))
    points = _points(paragraph, max_chars=120)
    assert len(points) > 3
    assert all(len(p.text) <= 120 for p in points)
    assert sum(len(p.pieces) for p in points) == 9


def test_sentence_splitting_keeps_abbreviations() -> None:
    text = "Use a cache, e.g. Redis. It is fast vs. Postgres. Done!"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Use a cache, e.g. Redis.",
        "It is fast vs. Postgres.",
        "Done!",
    ]
    assert split_sentences("One idea here.\nAnother line\n\nThird. Fourth.") == [
        "One idea here.",
        "Another line",
        "Third.",
        "Fourth.",
    ]


def test_answer_units_add_the_clauses_of_long_sentences() -> None:
    answer = (
        "RoPE rotates query and key vectors by position, so their dot product depends on "
        "relative position; it extrapolates with NTK scaling. Short one."
    )
    assert answer_units(answer) == [
        "RoPE rotates query and key vectors by position, so their dot product depends on "
        "relative position; it extrapolates with NTK scaling.",
        "RoPE rotates query and key vectors by position",
        "their dot product depends on relative position",
        "it extrapolates with NTK scaling",
        "Short one.",
    ]


def test_labels_give_points_their_context() -> None:
    points = _points("RoPE:\n- Encodes position by rotating query and key vectors\n")
    assert points[0].in_context == ("RoPE: Encodes position by rotating query and key vectors",)


def test_every_bank_key_point_cites_its_text_in_the_original(bank) -> None:
    checked = 0
    for question in bank:
        for point in bank.key_points(question):
            raw = raw_text(point.citation.source)
            cited = clean_text(raw[point.citation.start : point.citation.end]).text
            assert display(cited) == point.text, question.id
            checked += 1
    assert checked > 1000


def test_passage_lines_select_the_lines_inside_a_span() -> None:
    aligned = clean_text("first line\nsecond line\nthird line\n")
    lines = passage_lines(aligned, 11, 22)
    assert [line.text for line in lines] == ["second line"]
