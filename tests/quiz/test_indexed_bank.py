"""The practice bank comes from what the collection has indexed, and follows every ingest."""

from __future__ import annotations

from pathlib import Path

import pytest

from studyrag.pipeline import StudyPipeline
from studyrag.quiz.bank import indexed_bank
from studyrag.types import StudyragError
from tests.conftest import CORPUS, make_settings

TWO = (
    "# Serving notes\n\n"
    "Q1. What is a KV cache?\n\nIt stores the keys and values of past tokens.\n\n"
    "Q2. What is speculative decoding?\n\nA small model drafts tokens the large one verifies.\n"
)
THIRD = "\nQ3. What is paged attention?\n\nKV cache blocks allocated like virtual memory pages.\n"
OTHER = (
    "# Tuning notes\n\n"
    "Q1. What is LoRA?\n\nLow-rank adapters are trained beside the frozen weights.\n\n"
    "Q2. What is QLoRA?\n\nLoRA on a 4-bit quantized base model.\n"
)


def test_the_bank_follows_ingest_and_never_reads_an_unindexed_folder(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    serving, tuning = folder / "serving.md", folder / "tuning.md"
    serving.write_text(TWO, encoding="utf-8")
    settings = make_settings(tmp_path / "data", corpus_dir=folder)
    with StudyPipeline(settings) as pipeline:
        pipeline.ingest()
        first = {q.id: q.prompt for q in indexed_bank(settings)}
        assert len(first) == 2
        assert {q.source for q in indexed_bank(settings)} == {"serving.md"}

        serving.write_text(TWO + THIRD, encoding="utf-8")
        tuning.write_text(OTHER, encoding="utf-8")
        assert {q.id for q in indexed_bank(settings)} == set(first)  # not ingested yet
        pipeline.ingest()
        grown = {q.id: q.prompt for q in indexed_bank(settings)}
        assert len(grown) == 5 and set(first) <= set(grown)  # unchanged questions keep their id
        assert {q.source for q in indexed_bank(settings)} == {"serving.md", "tuning.md"}

        serving.unlink()
        pipeline.ingest()
        assert {q.source for q in indexed_bank(settings)} == {"tuning.md"}  # its questions went

    elsewhere = make_settings(tmp_path / "empty", corpus_dir=CORPUS)
    with pytest.raises(StudyragError, match="nothing is indexed in this collection yet"):
        indexed_bank(elsewhere)  # corpus/ is not indexed here: its questions are not offered
