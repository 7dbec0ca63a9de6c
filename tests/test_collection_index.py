"""Collections, documents and deletion through the real pipeline and engine: each collection
is its own index; a deleted upload leaves the index, the BM25 sidecar, the manifest and the
answers; a collection deleted takes its index with it; the CLI does the same by --collection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from studyrag.cli import app
from studyrag.collections import CollectionCatalog
from studyrag.index.bm25_sidecar import BM25Sidecar
from studyrag.index.manifest import Manifest
from studyrag.pipeline import StudyPipeline
from studyrag.settings import RetrievalMode
from studyrag.types import StudyragError
from tests.conftest import REPO, make_settings

PDF = REPO / "eval" / "documents" / "pdf"
ZEBRA = (
    b"<html><body><h1>Zebra lemma</h1><h2>Statement</h2>"
    b"<p>The zebra lemma says that stripes commute with every horse.</p></body></html>"
)
OKAPI = b"# Okapi notes\n\n## Habitat\n\nThe okapi lives in the Ituri rainforest of Congo.\n"
runner = CliRunner()


def test_a_collection_holds_only_its_documents_and_deletion_follows_everywhere(
    index_copy: Path,
) -> None:
    home = make_settings(index_copy)
    catalog = CollectionCatalog(home)
    course = catalog.create("Zoology")
    settings = catalog.settings_for(course)
    with StudyPipeline(settings) as pipeline:
        lines = pipeline.add_uploads([("zebra.html", ZEBRA), ("okapi.md", OKAPI)])
        assert (True, "added zebra.html") in lines and (True, "added okapi.md") in lines
        listed = {d.source: d for d in pipeline.documents()}
        assert set(listed) == {"zebra.html", "okapi.md"}
        assert all(d.uploaded and d.chunks >= 1 for d in listed.values())
        assert listed["zebra.html"].path.parent == settings.index.uploads_dir
        hits = pipeline.search("what does the zebra lemma say", top_k=5).hits
        assert {h.chunk.source for h in hits} <= {"zebra.html", "okapi.md"}  # not corpus/

        again = pipeline.reindex_document("okapi.md")
        assert again.updated == ["okapi.md"] and again.chunks_written >= 1

        report = pipeline.remove_document("zebra.html")
        assert report.deleted == ["zebra.html"]
        assert not (settings.index.uploads_dir / "zebra.html").exists()
        assert not list(settings.index.uploads_dir.glob(".removing-*"))
        manifest = Manifest.load(settings.index.manifest_path)
        assert manifest is not None and set(manifest.entries) == {"okapi.md"}
        sidecar = BM25Sidecar.load(settings.index.sidecar_path)
        assert len(sidecar) == pipeline.store.count() == len(manifest.entries["okapi.md"].chunk_ids)
        for mode in (RetrievalMode.BM25, RetrievalMode.DENSE, RetrievalMode.HYBRID_RERANK):
            found = pipeline.search("zebra lemma stripes commute", top_k=5, mode=mode).hits
            assert all(h.chunk.source == "okapi.md" for h in found), mode
        assert [d.source for d in pipeline.documents()] == ["okapi.md"]
        assert pipeline.ingest().deleted == []  # a re-index does not bring it back

    with StudyPipeline(home) as corpus:  # the corpus folder's collection is untouched
        assert "zebra.html" not in corpus.status().files and corpus.status().chunks > 100

    edge = settings.index.edge_path
    assert edge.exists()
    with StudyPipeline(settings) as pipeline:
        pipeline.drop()
    catalog.forget(course)
    assert not edge.exists() and not settings.index.index_dir.exists()
    assert (
        settings.index.collection_folder is not None
        and not settings.index.collection_folder.exists()
    )


def test_a_corpus_folder_document_is_not_deleted_from_the_app(index_copy: Path) -> None:
    with StudyPipeline(make_settings(index_copy)) as pipeline:
        first = pipeline.documents()[0]
        assert not first.uploaded
        before = pipeline.status().chunks
        with pytest.raises(
            StudyragError, match=r"read from the corpus folder .* then press Re-index"
        ):
            pipeline.remove_document(first.source)
        assert pipeline.status().chunks == before and first.path.is_file()


def test_the_cli_works_in_a_collection(tmp_path: Path) -> None:
    data = tmp_path / "data"
    notes = tmp_path / "okapi.md"
    notes.write_bytes(OKAPI)
    base = ["--data-dir", str(data)]
    created = runner.invoke(app, [*base, "collections", "create", "Zoology 101"])
    assert created.exit_code == 0 and "id zoology-101" in created.stdout, created.output
    ingested = runner.invoke(
        app, [*base, "--collection", "zoology 101", "ingest", "-q", str(notes)]
    )
    assert ingested.exit_code == 0 and "1 added" in ingested.stdout, ingested.output
    listed = runner.invoke(app, [*base, "--collection", "zoology-101", "documents", "--json"])
    rows = json.loads(listed.stdout)
    assert [r["source"] for r in rows] == ["okapi.md"] and rows[0]["chunks"] >= 1
    asked = runner.invoke(
        app, [*base, "--collection", "Zoology 101", "search", "where do okapis live", "--json"]
    )
    assert json.loads(asked.stdout)["results"][0]["source"] == "okapi.md"
    missing = runner.invoke(app, [*base, "--collection", "Botany", "documents"])
    assert missing.exit_code == 2 and "no collection named 'Botany'" in missing.output
    shown = runner.invoke(app, [*base, "collections", "list"])
    assert "Zoology 101\tid zoology-101" in shown.stdout
    home = runner.invoke(app, [*base, "collections", "delete", "study", "--yes"])
    assert home.exit_code == 2 and "cannot be deleted" in home.output
    deleted = runner.invoke(app, [*base, "collections", "delete", "Zoology 101", "--yes"])
    assert deleted.exit_code == 0 and "deleted Zoology 101" in deleted.stdout, deleted.output
    assert not (data / "edge" / "zoology-101_minilm").exists()
    assert "Zoology" not in runner.invoke(app, [*base, "collections", "list"]).stdout
