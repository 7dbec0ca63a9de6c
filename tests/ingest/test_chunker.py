from __future__ import annotations

import itertools
import re
from functools import cache

import pytest

from studyrag.embedding.base import Embedder
from studyrag.ingest.chunker import DocumentShape, StructureChunker
from studyrag.ingest.cleaner import clean_text
from studyrag.ingest.readers.text import text_document
from studyrag.types import Chunk
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def embedder(pipeline) -> Embedder:
    return pipeline.embedder


@pytest.fixture(scope="module")
def chunker(embedder: Embedder) -> StructureChunker:
    return StructureChunker(embedder.count_tokens)


@cache
def _raw(prefix: str) -> tuple[str, str]:
    path = next(CORPUS.glob(f"{prefix}_*.txt"))
    return path.name, path.read_text(encoding="utf-8")


def _chunks(chunker: StructureChunker, prefix: str) -> list[Chunk]:
    name, raw = _raw(prefix)
    return chunker.run(text_document(name, clean_text(raw)))


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_chunks_are_unique_fit_the_window_and_map_back(chunker, embedder, prefix) -> None:
    name, raw = _raw(prefix)
    chunks = _chunks(chunker, prefix)
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids))
    assert all(c.source == name for c in chunks)
    tokens = embedder.count_tokens([c.index_text for c in chunks])
    assert max(tokens) + 2 <= 256
    for chunk in chunks:
        assert 0 <= chunk.start < chunk.end <= len(raw)
        # Cleaning the cited span of the original reproduces the chunk text exactly.
        assert clean_text(raw[chunk.start : chunk.end]).text == chunk.text


def test_chunk_ids_are_stable_across_runs(chunker) -> None:
    assert [c.chunk_id for c in _chunks(chunker, "003")] == [
        c.chunk_id for c in _chunks(chunker, "003")
    ]


def test_question_bank_has_one_block_per_question_plus_the_missing_heading(chunker) -> None:
    chunks = _chunks(chunker, "001")
    numbers = sorted({c.metadata["question_number"] for c in chunks if c.kind == "qa"})
    assert numbers == list(range(1, 53))  # Q26's heading is missing in the source, inferred here
    q26 = [c for c in chunks if c.metadata.get("question_number") == 26]
    assert q26 and all(c.metadata.get("heading_missing") for c in q26)
    assert any("Reciprocal Rank Fusion" in c.text for c in q26)
    q14 = [c for c in chunks if c.metadata.get("question_number") == 14]
    assert q14[0].heading_path == ("Category 3 \u2014 Fine-Tuning",)
    assert q14[0].metadata["difficulty"] in {"Easy", "Medium", "Hard"}
    assert q14[0].text.startswith("Q14. Compare full fine-tuning, LoRA, and QLoRA")


def test_code_comments_do_not_break_a_question(chunker) -> None:
    q37 = [c for c in _chunks(chunker, "001") if c.metadata.get("question_number") == 37]
    assert any("memory_store.add(" in c.text for c in q37)


def test_long_answers_are_split_with_overlap(chunker) -> None:
    q24 = [c for c in _chunks(chunker, "001") if c.metadata.get("question_number") == 24]
    assert len(q24) >= 2
    assert all(c.title.startswith("Design a production RAG pipeline") for c in q24)
    assert [c.part for c in q24] == list(range(len(q24)))
    assert all(a.end > b.start for a, b in itertools.pairwise(q24))  # overlap


def test_repeated_question_numbers_get_distinct_ids_and_sections(chunker) -> None:
    chunks = [c for c in _chunks(chunker, "003") if c.metadata.get("question_number") == 18]
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    sections = {c.heading_path[1] for c in chunks if c.part == 0}
    assert len(sections) >= 3  # Q18 appears in three sections


def test_markdown_question_headings_are_found(chunker) -> None:
    raw = _raw("003")[1]
    expected = len(re.findall(r"^(?:\*\*|### )Q\d+:", raw, flags=re.M))
    starts = [c for c in _chunks(chunker, "003") if c.kind == "qa" and c.part == 0]
    assert len(starts) == expected


def test_question_n_headings_and_mojibake_titles(chunker) -> None:
    chunks = _chunks(chunker, "004")
    numbers = sorted({c.metadata["question_number"] for c in chunks if c.kind == "qa"})
    assert numbers == [n for n in range(1, 16) if n != 7]  # Question 7 is missing in the source
    titles = {c.title for c in _chunks(chunker, "000")}
    assert "What\u2019s your rate-limiting strategy for LLM APIs?" in titles


def test_outline_questions_keep_their_sub_points(chunker) -> None:
    blocks = chunker.blocks(text_document("002", clean_text(_raw("002")[1])))
    assert blocks[0] is DocumentShape.OUTLINE
    chunks = _chunks(chunker, "002")
    moe = next(c for c in chunks if c.title == "What are Mixture of Experts (MoE) models?")
    assert "Load balancing challenges" in moe.text
    assert moe.heading_path == ("1. Fundamentals of LLMs & Generative AI", "Core Concepts")


def test_prose_document_is_chunked_by_headings(chunker) -> None:
    text = "# Title\n\nIntro paragraph.\n\n## Part A\n\nAlpha text.\n\n## Part B\n\nBeta text.\n"
    chunks = chunker.run(text_document("notes.md", clean_text(text)))
    assert [c.heading_path for c in chunks] == [
        ("Title",),
        ("Title", "Part A"),
        ("Title", "Part B"),
    ]
    assert "Beta text." in chunks[-1].text
