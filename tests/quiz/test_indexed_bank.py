"""The practice bank comes from what the collection has indexed, and follows every ingest."""

from __future__ import annotations

from pathlib import Path

import pytest

from studyrag.pipeline import StudyPipeline
from studyrag.quiz.bank import indexed_bank
from studyrag.quiz.grader import Grader
from studyrag.quiz.progress import ProgressStore
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
        first = {q.id: q.prompt for q in indexed_bank(settings.index, settings.ingest)}
        assert len(first) == 2
        assert {q.source for q in indexed_bank(settings.index, settings.ingest)} == {"serving.md"}

        serving.write_text(TWO + THIRD, encoding="utf-8")
        tuning.write_text(OTHER, encoding="utf-8")
        assert {q.id for q in indexed_bank(settings.index, settings.ingest)} == set(
            first
        )  # not ingested yet
        pipeline.ingest()
        grown = {q.id: q.prompt for q in indexed_bank(settings.index, settings.ingest)}
        assert len(grown) == 5 and set(first) <= set(grown)  # unchanged questions keep their id
        assert {q.source for q in indexed_bank(settings.index, settings.ingest)} == {
            "serving.md",
            "tuning.md",
        }

        serving.unlink()
        pipeline.ingest()
        assert {q.source for q in indexed_bank(settings.index, settings.ingest)} == {
            "tuning.md"
        }  # its questions went

    elsewhere = make_settings(tmp_path / "empty", corpus_dir=CORPUS)
    with pytest.raises(StudyragError, match="nothing is indexed in this collection yet"):
        indexed_bank(
            elsewhere.index, elsewhere.ingest
        )  # corpus/ is not indexed here: its questions are not offered


GUIDE = """<html><body><h1>Git guide</h1>
<h2>Staging</h2>
<p>Use <code>git add</code> to record the new contents of a file in the index before a commit.</p>
<p>The staging area is also known as the <em>index</em> in most of the documentation.</p>
<h2>History</h2>
<p>The <code>git log</code> command lists the commits reachable from the current branch.</p>
</body></html>"""


def test_written_questions_follow_a_re_index_and_keep_progress_where_text_did_not_change(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    guide = folder / "guide.html"
    guide.write_text(GUIDE, encoding="utf-8")
    settings = make_settings(tmp_path / "data", corpus_dir=folder)
    with StudyPipeline(settings) as pipeline:
        pipeline.ingest()
        bank = indexed_bank(settings.index, settings.ingest)
        staging = [q for q in bank if q.heading_path[-1] == "Staging"]
        history = [q for q in bank if q.heading_path[-1] == "History"]
        assert staging and history and {q.kind for q in bank} >= {"cloze", "section"}
        cloze = next(q for q in staging if q.is_cloze and q.term == "git add")

        grader = Grader(bank, pipeline.embedder, settings.practice, pipeline)
        right = grader.grade(cloze, "Git Add")
        wrong = grader.grade(cloze, "git commit")
        assert (right.score, wrong.score) == (100, 0)
        assert right.reference.passages[0].start == cloze.answer_start
        with ProgressStore.for_settings(settings) as store:
            store.record(cloze, right.score, len(right.covered), len(right.points))

        guide.write_text(GUIDE.replace("reachable from", "reachable, newest first, from"))
        pipeline.ingest()
        after = indexed_bank(settings.index, settings.ingest)
        assert {q.id for q in staging} <= {q.id for q in after}  # unchanged text, same ids
        assert not {q.id for q in history} & {q.id for q in after}  # the edited section's changed
        with ProgressStore.for_settings(settings) as store:
            assert store.state(cloze.id) is not None  # its history survived the re-index
            assert after.get(cloze.id).term == "git add"
