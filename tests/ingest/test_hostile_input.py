"""What real users do to a corpus folder: each case gets a clear result and loses nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from studyrag.pipeline import StudyPipeline
from tests.conftest import CORPUS, make_settings


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "000_719700789a3e1e11.txt", corpus / "000.txt")
    return corpus


@pytest.fixture
def pipeline_for(tmp_path: Path):
    opened: list[StudyPipeline] = []

    def open_for(corpus: Path) -> StudyPipeline:
        opened.append(StudyPipeline(make_settings(tmp_path / "data", corpus_dir=corpus)))
        return opened[-1]

    yield open_for
    for pipeline in opened:
        pipeline.close()


def test_huge_nested_looping_and_odd_files(folder: Path, pipeline_for) -> None:
    with (folder / "huge.txt").open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    deep = folder
    for level in range(40):
        deep = deep / f"d{level}"
    deep.mkdir(parents=True)
    (deep / "deep.md").write_text("# Deep\n\nThe wombat note lives forty folders down.\n")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "legacy.txt").write_bytes(
        "Caf\u00e9 cr\u00e8me: the na\u00efve ocelot.\n".encode("cp1252")
    )
    (folder / "invisible.md").write_text(
        "# Hidden\n\nThe Lo\u200bRA ad\u200dapters hide \u202ezero-width\u202c marks.\n", "utf-8"
    )
    (folder / "page.md").write_text(
        "# Page\n\n<script>alert('x')</script> The narwhal <b>bold</b> note.\n", "utf-8"
    )
    pipeline = pipeline_for(folder)
    report = pipeline.ingest()
    assert [(Path(p).name, r) for p, r in report.skipped] == [
        ("huge.txt", "200.0 MB is over the 20 MB limit (raise STUDYRAG_MAX_FILE_MB to index it)")
    ]
    assert "d0/" + "/".join(f"d{i}" for i in range(1, 40)) + "/deep.md" in report.added
    assert "legacy.txt: not UTF-8, read as cp1252" in report.notes
    assert not any("loop/" in source for source in report.added)

    def top(question: str):
        return pipeline.search(question, top_k=1, mode="bm25").hits[0].chunk

    assert top("wombat forty folders").source.endswith("deep.md")
    assert "na\u00efve ocelot" in top("naive ocelot cafe").text
    hidden = top("LoRA adapters")
    assert hidden.source == "invisible.md" and "LoRA adapters" in hidden.text
    page = top("narwhal")
    assert "<script>alert('x')</script>" in page.text  # kept as inert text; never executed


def test_a_file_changing_during_ingest_is_caught_next_run(folder: Path, pipeline_for) -> None:
    doc = folder / "000.txt"
    original = doc.read_text(encoding="utf-8")

    def change_midway(message: str, _fraction: float) -> None:
        if message.startswith("embedding"):
            doc.write_text(original + "\n13. What is the platypus rule?\n\nEggs.\n", "utf-8")

    pipeline = pipeline_for(folder)
    first = pipeline.ingest(progress=change_midway)
    assert first.added == ["000.txt"]
    assert (
        "platypus" not in pipeline.search("platypus rule", top_k=1, mode="bm25").hits[0].chunk.text
    )
    second = pipeline.ingest()
    assert second.updated == ["000.txt"]
    assert "Eggs." in pipeline.search("platypus rule", top_k=1, mode="bm25").hits[0].chunk.text


@pytest.mark.slow
def test_ten_thousand_tiny_files(tmp_path: Path, pipeline_for) -> None:
    folder = tmp_path / "many"
    for batch in range(100):
        sub = folder / f"b{batch:02d}"
        sub.mkdir(parents=True)
        for item in range(100):
            n = batch * 100 + item
            (sub / f"n{n:05d}.txt").write_text(f"Note {n}: token{n} is filed here.\n", "utf-8")
    pipeline = pipeline_for(folder)
    report = pipeline.ingest()
    assert len(report.added) == 10_000 and not report.skipped
    assert pipeline.store.count() == 10_000
    exact = pipeline.search("token7777", top_k=1, mode="bm25").hits[0].chunk
    assert exact.source == "b77/n07777.txt"
    # A token only BM25 knows: its lone lexical match is that list's best and wins the fusion.
    fused = pipeline.search("token7777", top_k=1, mode="hybrid").hits
    assert fused[0].chunk.source == "b77/n07777.txt"
    again = pipeline.ingest()
    assert len(again.unchanged) == 10_000 and again.chunks_written == 0
