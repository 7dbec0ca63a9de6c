"""Pure helpers of the chat rendering: labels and the "why these passages" tables."""

from __future__ import annotations

from studyrag.generate.base import Answer, Citation, Passage
from studyrag.types import Chunk, Hit
from studyrag.ui.turns import citation_label, passages_frame, short_heading, timings_frame


def _hit(n: int, dense: int | None, bm25: int | None) -> Hit:
    chunk = Chunk(f"c{n}", f"doc_{n}.txt", "text", 0, 4, ("Part *one*", f"Q{n}"))
    return Hit(chunk, 1.0, dense, bm25, fused_score=0.03, rerank_score=2.5 - n)


def test_long_headings_keep_their_innermost_levels() -> None:
    heading = "Category 1 — Transformer Architecture > " + "Compare RoPE and ALiBi " * 3
    short = short_heading(heading, limit=80)
    assert short.startswith("… > Compare RoPE") and len(short) <= 84
    assert short_heading("A > B", limit=80) == "A > B"
    assert short_heading("x" * 50, limit=20) == "x" * 19 + "…"


def test_citation_labels_are_escaped_markdown() -> None:
    citation = Citation.of_chunk(_hit(2, 1, None).chunk, 2)
    assert citation_label(citation) == "[2] doc\\_2\\.txt · Part \\*one\\* \\> Q2"


def test_why_table_has_every_score_and_marks_cited_passages() -> None:
    passages = [Passage(1, _hit(1, 1, None)), Passage(2, _hit(2, None, 3))]
    answer = Answer(
        "q", "a [2].", False, [Citation.of_chunk(passages[1].chunk, 2)], passages=passages
    )
    frame = passages_frame(answer)
    assert list(frame.columns[:6]) == [
        "n",
        "cited",
        "dense rank",
        "BM25 rank",
        "fused",
        "rerank",
    ]
    assert frame["cited"].tolist() == [False, True]
    assert frame["BM25 rank"].tolist()[1] == 3 and frame["rerank"].tolist() == [1.5, 0.5]


def test_timings_leave_out_the_total() -> None:
    answer = Answer("q", "a", False, timings_ms={"embed": 12.34, "rerank": 300.0, "total": 400.0})
    assert timings_frame(answer).to_dict("records") == [
        {"stage": "embed", "ms": 12.3},
        {"stage": "rerank", "ms": 300.0},
    ]
