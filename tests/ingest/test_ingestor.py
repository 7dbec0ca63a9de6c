from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from studyrag.index.bm25_sidecar import BM25Sidecar
from studyrag.index.manifest import Manifest
from studyrag.pipeline import StudyPipeline
from studyrag.types import StudyragError
from tests.conftest import CORPUS, make_settings

SMALL = ["000_719700789a3e1e11.txt", "003_d47b52dac9159beb.txt"]


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in SMALL:
        shutil.copy(CORPUS / name, folder / name)
    return folder


@pytest.fixture
def small_pipeline(tmp_path: Path, small_corpus: Path):
    with StudyPipeline(make_settings(tmp_path / "data", corpus_dir=small_corpus)) as pipeline:
        yield pipeline


def _indexed(pipeline: StudyPipeline) -> dict[str, str]:
    return {c.chunk_id: c.content_hash for c in pipeline.store.iter_chunks()}


def test_incremental_reingest_skips_updates_and_deletes(small_pipeline, small_corpus) -> None:
    first = small_pipeline.ingest()
    assert sorted(first.added) == SMALL and first.chunks_written == first.chunks_total > 0
    before = _indexed(small_pipeline)

    again = small_pipeline.ingest()
    assert again.chunks_written == 0 and sorted(again.unchanged) == SMALL
    assert _indexed(small_pipeline) == before

    doc = small_corpus / SMALL[0]
    doc.write_text(
        doc.read_text(encoding="utf-8") + "\n13. What is a zebra-crossing test?\n\nZebra.\n",
        encoding="utf-8",
    )
    changed = small_pipeline.ingest()
    assert changed.updated == [SMALL[0]] and changed.unchanged == [SMALL[1]]
    assert 0 < changed.chunks_written < first.chunks_written
    hits = small_pipeline.search("zebra-crossing test", top_k=1)
    assert "Zebra." in hits.hits[0].chunk.text

    doc.unlink()
    removed = small_pipeline.ingest()
    assert removed.deleted == [SMALL[0]]
    left = small_pipeline.store.iter_chunks()
    assert {c.source for c in left} == {SMALL[1]}
    sidecar = BM25Sidecar.load(small_pipeline.settings.index.sidecar_path)
    assert set(sidecar.sources) == {SMALL[1]}
    assert len(sidecar) == small_pipeline.store.count() == removed.chunks_total


def test_bad_files_are_skipped_and_the_index_stays_intact(small_pipeline, small_corpus) -> None:
    small_pipeline.ingest()
    before = _indexed(small_pipeline)
    (small_corpus / "empty.txt").write_bytes(b"")
    (small_corpus / "binary.txt").write_bytes(b"\x00\x01\x02PK" * 100)
    (small_corpus / "noise.md").write_bytes(bytes(range(128, 256)) * 10)
    (small_corpus / "table.xlsx").write_bytes(b"PK\x03\x04")
    with (small_corpus / "huge.txt").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    (small_corpus / "good.md").write_text("# Notes\n\nQ1. What is a quokka?\n\nA marsupial.\n")

    report = small_pipeline.ingest([small_corpus, small_corpus / "missing.txt"])
    reasons = {Path(path).name: reason for path, reason in report.skipped}
    assert set(reasons) == {
        "empty.txt",
        "binary.txt",
        "noise.md",
        "table.xlsx",
        "huge.txt",
        "missing.txt",
    }
    assert "over the 20 MB limit" in reasons["huge.txt"]
    assert reasons["missing.txt"] == "no such file or folder"
    assert report.added == ["good.md"]
    after = _indexed(small_pipeline)
    assert before.items() <= after.items()  # nothing indexed before was lost
    assert len(after) == len(before) + report.chunks_written


def test_a_file_that_turns_bad_keeps_its_indexed_chunks(small_pipeline, small_corpus) -> None:
    small_pipeline.ingest()
    before = _indexed(small_pipeline)
    (small_corpus / SMALL[0]).write_bytes(b"\x00" * 64)
    report = small_pipeline.ingest()
    assert [Path(p).name for p, _ in report.skipped] == [SMALL[0]]
    assert _indexed(small_pipeline) == before


def test_damaged_manifest_and_sidecar_are_rebuilt(small_pipeline) -> None:
    small_pipeline.ingest()
    before = _indexed(small_pipeline)
    small_pipeline.settings.index.manifest_path.write_text("{not json", encoding="utf-8")
    small_pipeline.settings.index.sidecar_path.write_text("[]", encoding="utf-8")
    report = small_pipeline.ingest()
    assert any("manifest" in note and "corrupted" in note for note in report.notes)
    assert _indexed(small_pipeline) == before
    manifest = Manifest.load(small_pipeline.settings.index.manifest_path)
    assert manifest is not None and manifest.chunk_count == len(before)
    assert len(BM25Sidecar.load(small_pipeline.settings.index.sidecar_path)) == len(before)


def test_second_ingest_on_a_held_lock_is_refused(small_pipeline) -> None:
    from filelock import FileLock

    lock = small_pipeline.settings.index.index_dir / "ingest.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock)), pytest.raises(StudyragError, match="another ingest"):
        small_pipeline.ingest()


def test_a_second_process_on_the_same_local_store_gets_a_clear_error(tmp_path, small_pipeline):
    import subprocess
    import sys

    small_pipeline.ingest()
    code = (
        "from studyrag.pipeline import StudyPipeline\n"
        "from studyrag.settings import Settings\n"
        "from studyrag.types import StudyragError\n"
        "try:\n"
        f"    StudyPipeline(Settings(data_dir={str(small_pipeline.settings.index.data_dir)!r}))\n"
        "except StudyragError as e:\n"
        "    print('ERR', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "ERR the index at" in out.stdout and "open in another studyrag process" in out.stdout


def test_an_unchanged_ingest_loads_no_embedding_model(index_copy: Path) -> None:
    """Nothing to embed, nothing to load: torch and sentence-transformers stay unimported."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from studyrag.pipeline import StudyPipeline\n"
        "from tests.conftest import make_settings\n"
        f"with StudyPipeline(make_settings(Path({str(index_copy)!r}))) as pipeline:\n"
        "    report = pipeline.ingest()\n"
        "print(report.changed, 'sentence_transformers' in sys.modules, 'torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"},
        check=True,
    )
    assert done.stdout.split() == ["False", "False", "False"], done.stdout + done.stderr


class _ScrollCounter:
    """Watches (does not replace) the store's full scroll."""

    def __init__(self, pipeline: StudyPipeline) -> None:
        self.calls = 0
        self._scroll = pipeline.store.iter_chunks

        def counted(*args, **kwargs):
            self.calls += 1
            return self._scroll(*args, **kwargs)

        pipeline.store.iter_chunks = counted  # type: ignore[method-assign]


def test_opening_a_finished_index_trusts_the_sidecar_without_a_scroll(
    tmp_path: Path, small_pipeline
) -> None:
    small_pipeline.ingest()
    manifest = Manifest.load(small_pipeline.settings.index.manifest_path)
    sidecar = BM25Sidecar.load(small_pipeline.settings.index.sidecar_path)
    assert manifest is not None and manifest.sidecar_fingerprint == sidecar.fingerprint
    settings = small_pipeline.settings
    small_pipeline.close()
    with StudyPipeline(settings) as reopened:
        counter = _ScrollCounter(reopened)
        assert reopened.search("What is LoRA?", mode="bm25").hits
        assert counter.calls == 0 and not reopened.notes


def test_an_interrupted_ingest_makes_the_next_open_verify_the_sidecar(small_pipeline) -> None:
    small_pipeline.ingest()
    # What an ingest leaves when killed after it started changing the collection.
    path = small_pipeline.settings.index.manifest_path
    manifest = Manifest.load(path)
    assert manifest is not None
    manifest.sidecar_fingerprint = ""
    manifest.save(path)
    settings = small_pipeline.settings
    small_pipeline.close()
    with StudyPipeline(settings) as reopened:
        counter = _ScrollCounter(reopened)
        assert reopened.search("What is LoRA?", mode="bm25").hits
        assert counter.calls == 1  # fingerprinted the collection: it matched, nothing rebuilt
        assert not reopened.notes
        report = reopened.ingest()
        assert not report.changed
    assert Manifest.load(path).sidecar_fingerprint == sidecar_fingerprint(settings)


def test_an_ingest_that_changes_files_clears_the_fingerprint_first(
    small_pipeline, small_corpus
) -> None:
    small_pipeline.ingest()
    seen: list[str] = []
    original = small_pipeline.store.upsert

    def watched(*args, **kwargs):
        seen.append(Manifest.load(small_pipeline.settings.index.manifest_path).sidecar_fingerprint)
        return original(*args, **kwargs)

    small_pipeline.store.upsert = watched  # type: ignore[method-assign]
    (small_corpus / SMALL[0]).write_text("Q1. What is new?\nA brand new answer.\n", "utf-8")
    small_pipeline.ingest()
    assert seen and all(fingerprint == "" for fingerprint in seen)
    assert Manifest.load(small_pipeline.settings.index.manifest_path).sidecar_fingerprint


def sidecar_fingerprint(settings) -> str:
    return BM25Sidecar.load(settings.index.sidecar_path).fingerprint


def test_a_pdf_ingests_with_progress_in_pages_and_page_citations(tmp_path: Path) -> None:
    from tests.ingest.readers.pdf_maker import body_lines, make_pdf

    corpus = tmp_path / "docs"
    corpus.mkdir()
    pages = [
        [
            (f"Topic {n}", 72, 700, 18, "Helvetica-Bold"),
            *body_lines([f"Fact {n} is stated here."], top=660),
        ]
        for n in range(1, 61)
    ]
    make_pdf(corpus / "book.pdf", pages)
    (corpus / "broken.epub").write_bytes(b"PK\x03\x04 not a zip")
    messages: list[tuple[str, float]] = []
    with StudyPipeline(make_settings(tmp_path / "data", corpus_dir=corpus)) as pipeline:
        report = pipeline.ingest(
            progress=lambda message, fraction: messages.append((message, fraction))
        )
        assert report.added == ["book.pdf"] and report.pages_read == 60
        assert [reason for _path, reason in report.skipped] == [
            "malformed EPUB: not a readable zip archive (File is not a zip file)"
        ]
        paged = [(m, f) for m, f in messages if m.startswith("book.pdf: read")]
        assert paged[-1][0] == "book.pdf: read 60/60 pages" and len(paged) >= 3
        fractions = [f for _m, f in paged]
        assert fractions == sorted(fractions) and 0.02 <= fractions[0] <= fractions[-1] <= 0.08
        hit = pipeline.search("Where is fact 42 stated?", top_k=1).hits[0]
        assert hit.chunk.page == 42 and hit.chunk.page_unit == "page"
        assert hit.chunk.citation_label == "book.pdf · p. 42 · Topic 42"


def test_documents_that_never_were_files_take_the_same_steps(tmp_path: Path) -> None:
    """A benchmark's records: indexed, kept when unchanged, re-embedded when changed, removed
    when left out; two with one name are refused."""
    from studyrag.ingest.cleaner import AlignedText
    from studyrag.ingest.readers.text import text_document

    def document(source: str, text: str):
        digest = hashlib.sha256(text.encode()).hexdigest()
        return text_document(source, AlignedText.identity(text), sha256=digest)

    zebra = document("zebra", "# Zebras\n\nThe zebra lemma says stripes commute.")
    quokka = document("quokka", "# Quokkas\n\nQuokkas smile on Rottnest Island.")
    with StudyPipeline(make_settings(tmp_path / "data")) as pipeline:
        first = pipeline.ingest_documents([zebra, quokka])
        assert sorted(first.added) == ["quokka", "zebra"] and first.chunks_written == 2
        changed = document("quokka", "# Quokkas\n\nQuokkas are small wallabies that smile.")
        second = pipeline.ingest_documents([zebra, changed])
        assert (second.unchanged, second.updated, second.chunks_written) == (
            ["zebra"],
            ["quokka"],
            1,
        )
        assert (
            "wallabies"
            in pipeline.search("Which animal is a small wallaby?", top_k=1).hits[0].chunk.text
        )
        third = pipeline.ingest_documents([zebra])
        assert third.deleted == ["quokka"] and pipeline.chunk_count() == 1
        assert {h.chunk.source for h in pipeline.search("quokka", top_k=5).hits} == {"zebra"}
        with pytest.raises(StudyragError, match="share a source name"):
            pipeline.ingest_documents([zebra, zebra])
