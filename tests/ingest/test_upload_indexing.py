"""Uploads indexed through the real pipeline: added, searchable, refused with one line each."""

from __future__ import annotations

import threading
from pathlib import Path

from studyrag.index.bm25_sidecar import BM25Sidecar
from studyrag.index.manifest import Manifest
from studyrag.pipeline import StudyPipeline
from studyrag.types import StudyragError
from tests.conftest import REPO, make_settings

OFFICE = REPO / "eval" / "documents" / "office"


def test_uploads_are_indexed_answered_from_and_checked(index_copy: Path) -> None:
    """Into the real index: a DOCX and an HTML page are added and searchable; a bad file, a
    disguised file and a name clash are refused with one line each; the corpus stays intact."""
    html = (
        b"<html><body><h1>Zebra lemma</h1>"
        b"<p>The zebra lemma says stripes commute.</p></body></html>"
    )
    with StudyPipeline(make_settings(index_copy)) as pipeline:
        before = pipeline.status()
        progress: list[float] = []
        lines = pipeline.add_uploads(
            [
                ("../../gittutorial.docx", (OFFICE / "gittutorial.docx").read_bytes()),
                ("zebra.html", html),
                ("fake.pdf", b"not a pdf"),
                ("001_2c438f64575affed.txt", b"a clash with a corpus file"),
            ],
            lambda _message, fraction: progress.append(fraction),
        )
        texts = [line for _ok, line in lines]
        assert (True, "added gittutorial.docx") in lines and (True, "added zebra.html") in lines
        assert any(t.startswith("skipped: fake.pdf is not a PDF") for t in texts)
        assert any("already indexed from the corpus folder" in t for t in texts)
        assert progress and max(progress) <= 1.0
        after = pipeline.status()
        assert set(after.files) == set(before.files) | {"gittutorial.docx", "zebra.html"}
        assert after.chunks > before.chunks
        hit = pipeline.search("what does the zebra lemma say?", top_k=1).hits[0]
        assert hit.chunk.source == "zebra.html" and "stripes commute" in hit.chunk.text
        again = pipeline.add_uploads([("zebra.html", html)])
        assert again[0] == (True, "zebra.html is already in the index, unchanged")
        assert pipeline.status().chunks == after.chunks
        assert not (index_copy / "uploads" / "fake.pdf").exists()


def test_too_many_files_at_once_stores_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, upload_max_files=2)
    with StudyPipeline(settings) as pipeline:
        lines = pipeline.add_uploads([(f"n{i}.md", b"# x\n") for i in range(3)])
    assert lines == [(False, "3 files at once; add at most 2 (STUDYRAG_UPLOAD_MAX_FILES)")]
    assert not (tmp_path / "uploads").exists()


def test_the_same_file_twice_and_questions_during_an_upload(index_copy: Path) -> None:
    """A batch with one file twice adds it once; questions asked while it is indexed get
    passages or one clear line, never a crash; afterwards index, sidecar and manifest agree."""
    docx = (OFFICE / "gittutorial.docx").read_bytes()
    with StudyPipeline(make_settings(index_copy)) as pipeline:
        pipeline.warm_up()
        crashes: list[str] = []
        answered = 0
        stop = threading.Event()

        def asking() -> None:
            nonlocal answered
            while not stop.is_set():
                try:
                    assert pipeline.search("what is LoRA?", top_k=3).hits
                    answered += 1
                except StudyragError:
                    pass  # one clear line is fine; a crash is not
                except Exception as error:  # what the test looks for
                    crashes.append(f"{type(error).__name__}: {error}")

        thread = threading.Thread(target=asking)
        thread.start()
        try:
            lines = pipeline.add_uploads([("gittutorial.docx", docx), ("gittutorial.docx", docx)])
        finally:
            stop.set()
            thread.join()
        assert not crashes, crashes[:3]
        assert answered > 0
        assert (True, "added gittutorial.docx") in lines
        assert (False, "skipped: gittutorial.docx was sent twice; it is added once") in lines
        manifest = Manifest.load(pipeline.settings.index.manifest_path)
        assert manifest is not None
        assert pipeline.store.count() == manifest.chunk_count
        assert len(BM25Sidecar.load(pipeline.settings.index.sidecar_path)) == manifest.chunk_count
        hit = pipeline.search("how do I tell git who I am", top_k=3).hits
        assert any(h.chunk.source == "gittutorial.docx" for h in hit)
