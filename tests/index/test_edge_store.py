"""WIP (issue 13): the Edge store answers like the local-mode store on the real corpus."""

from __future__ import annotations

import pytest

pytest.importorskip("qdrant_edge")

from studyrag.index.edge_store import EdgeStore
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def edge(pipeline, tmp_path_factory):
    chunks = sorted(pipeline.store.iter_chunks(), key=lambda c: c.chunk_id)
    texts = [c.index_text for c in chunks]
    vectors = pipeline.embedder.embed_documents(texts)
    from studyrag.index.sparse import SparseBM25Encoder

    sparse = SparseBM25Encoder(pipeline.analyzer, avgdl=pipeline.settings.sparse_avgdl)
    store = EdgeStore(make_settings(tmp_path_factory.mktemp("edge")), pipeline.embedder.dim)
    store.ensure_collection()
    store.upsert(chunks, vectors, [sparse.document(t) for t in texts])
    yield store, chunks
    store.close()


def test_every_chunk_round_trips(edge) -> None:
    store, chunks = edge
    assert store.count() == len(chunks)
    assert sorted(c.chunk_id for c in store.iter_chunks()) == [c.chunk_id for c in chunks]
    assert store.get_chunks([chunks[3].chunk_id]) == [chunks[3]]


def test_dense_search_matches_local_mode(edge, pipeline) -> None:
    store, _ = edge
    vector = pipeline.embedder.embed_query("What is the KV cache?")
    ours = [c.chunk_id for c, _ in store.search_dense(vector, 10)]
    theirs = [c.chunk_id for c, _ in pipeline.store.search_dense(vector, 10)]
    assert ours == theirs


def test_source_filter_and_sparse_side(edge, pipeline) -> None:
    store, chunks = edge
    only = chunks[0].source
    vector = pipeline.embedder.embed_query("LoRA")
    hits = store.search_dense(vector, 5, {only})
    assert hits and all(c.source == only for c, _ in hits)
    from studyrag.index.sparse import SparseBM25Encoder

    sparse = SparseBM25Encoder(pipeline.analyzer).query("SwiGLU activation")
    dense_hits, sparse_hits = store.search_both(vector, sparse, 5)
    assert len(dense_hits) == 5 and "SwiGLU" in sparse_hits[0][0].text


def test_a_second_process_gets_the_clear_lock_message(edge) -> None:
    import subprocess
    import sys

    store, _ = edge
    code = (
        "from studyrag.index.edge_store import EdgeStore\n"
        "from studyrag.settings import Settings\n"
        "from studyrag.types import StudyragError\n"
        f"settings = Settings(data_dir={str(store.path.parents[1])!r})\n"
        "try:\n"
        f"    EdgeStore(settings, {store.dim})\n"
        "except StudyragError as error:\n"
        "    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "another studyrag process" in out.stdout, out.stderr[-2000:]


def test_deleting_chunks(edge) -> None:
    store, chunks = edge
    before = store.count()
    store.delete_chunks([chunks[-1].chunk_id])
    assert store.count() == before - 1


def test_the_edge_engine_ingests_and_answers_end_to_end(tmp_path) -> None:
    """Through the pipeline: STUDYRAG_ENGINE=edge ingests the corpus into a shard with its own
    manifest and sidecar, and a second ingest finds nothing to do."""
    from studyrag.pipeline import StudyPipeline
    from studyrag.settings import StoreEngine
    from tests.conftest import CORPUS

    settings = make_settings(tmp_path / "data", engine=StoreEngine.EDGE)
    with StudyPipeline(settings) as pipeline:
        first = pipeline.ingest([CORPUS / "003_d47b52dac9159beb.txt"])
        assert first.chunks_written > 0
        assert pipeline.status().location.endswith("edge/study_minilm")
        assert settings.index_dir.name == "study_minilm_edge"
        hits = pipeline.search("What is LoRA?").hits
        assert hits and "LoRA" in hits[0].chunk.text
        assert not pipeline.ingest([CORPUS / "003_d47b52dac9159beb.txt"]).changed


def test_a_manifest_without_its_collection_re_indexes(tmp_path) -> None:
    from studyrag.pipeline import StudyPipeline
    from studyrag.settings import StoreEngine
    from tests.conftest import CORPUS

    settings = make_settings(tmp_path / "data", engine=StoreEngine.EDGE)
    source = CORPUS / "003_d47b52dac9159beb.txt"
    with StudyPipeline(settings) as pipeline:
        pipeline.ingest([source])
        ids = [c.chunk_id for c in pipeline.store.iter_chunks()]
        pipeline.store.delete_chunks(ids)  # the collection lost, the manifest kept
        assert pipeline.store.count() == 0
        report = pipeline.ingest([source])
        assert any("collection is empty" in note for note in report.notes)
        assert pipeline.store.count() == len(ids)
