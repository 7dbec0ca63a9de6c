"""The "show in document" view: a passage with the cleaned text around it."""

from __future__ import annotations

from pathlib import Path

import pytest

from studyrag.pipeline import StudyPipeline
from studyrag.settings import Settings
from studyrag.types import Chunk, StudyragError
from studyrag.ui.document import document_context, source_path
from tests.conftest import make_settings

BEFORE = "Intro line one.\nItâ€™s a mojibake line before.\n"
PASSAGE = "Q7. What is GQA?\nGrouped-query attention shares keys across heads."
AFTER = "\nAfter line.\nLast line."


def _corpus(tmp_path: Path) -> tuple[Settings, Chunk]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.txt").write_text(BEFORE + PASSAGE + AFTER, encoding="utf-8")
    start = len(BEFORE)
    chunk = Chunk("notes:0", "notes.txt", PASSAGE, start, start + len(PASSAGE))
    return make_settings(tmp_path / "data", corpus_dir=corpus), chunk


def test_context_has_the_passage_with_cleaned_text_around_it(tmp_path: Path) -> None:
    settings, chunk = _corpus(tmp_path)
    context = document_context(settings, chunk)
    assert context.passage == PASSAGE
    assert context.before == "Intro line one.\nIt’s a mojibake line before.\n"  # repaired
    assert context.after == AFTER
    assert not context.truncated_before and not context.truncated_after


def test_a_small_window_cuts_at_line_boundaries(tmp_path: Path) -> None:
    settings, chunk = _corpus(tmp_path)
    context = document_context(settings, chunk, before=5, after=5)
    assert context.before == "It’s a mojibake line before.\n"
    assert context.after == "\nAfter line."
    assert context.truncated_before and context.truncated_after


def test_a_file_edited_after_ingest_still_shows_the_passage(tmp_path: Path) -> None:
    settings, chunk = _corpus(tmp_path)
    (settings.index.corpus_dir / "notes.txt").write_text("New first line.\n" + PASSAGE, "utf-8")
    assert document_context(settings, chunk).passage == PASSAGE


def test_a_missing_or_escaping_source_is_a_clear_error(tmp_path: Path) -> None:
    settings, chunk = _corpus(tmp_path)
    with pytest.raises(StudyragError, match="no longer in the corpus"):
        source_path(settings, "../../etc/passwd")
    (settings.index.corpus_dir / "notes.txt").unlink()
    with pytest.raises(StudyragError, match="no longer in the corpus"):
        document_context(settings, chunk)


def test_every_indexed_chunk_is_found_in_its_document(pipeline: StudyPipeline) -> None:
    chunks = list(pipeline.store.iter_chunks())
    assert len(chunks) > 100
    for chunk in chunks:
        context = document_context(pipeline.settings, chunk)
        assert context.passage.strip() == chunk.text.strip(), chunk.chunk_id
