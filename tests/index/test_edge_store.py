"""The Edge store (the embedded default) answers like the local-mode store on the real corpus,
migrates a local-mode index, and picks its lexical path by corpus size."""

from __future__ import annotations

import pytest

pytest.importorskip("qdrant_edge")

from studyrag.index.edge_store import EdgeStore
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def both(pipeline, tmp_path_factory):
    """The corpus's chunks in a fresh Edge shard and in a local-mode collection."""
    from studyrag.index.qdrant_store import QdrantStore, open_client
    from studyrag.index.sparse import SparseBM25Encoder
    from studyrag.settings import StoreEngine

    chunks = sorted(pipeline.store.iter_chunks(), key=lambda c: c.chunk_id)
    texts = [c.index_text for c in chunks]
    vectors = pipeline.embedder.embed_documents(texts)
    sparse = SparseBM25Encoder(pipeline.analyzer, avgdl=pipeline.settings.index.sparse_avgdl)
    sparse_vectors = [sparse.document(t) for t in texts]
    store = EdgeStore(make_settings(tmp_path_factory.mktemp("edge")).index, pipeline.embedder.dim)
    local_settings = make_settings(tmp_path_factory.mktemp("local"), engine=StoreEngine.LOCAL)
    client = open_client(local_settings.index)
    local = QdrantStore(client, local_settings.index, pipeline.embedder.dim)
    for each in (store, local):
        each.ensure_collection()
        each.upsert(chunks, vectors, sparse_vectors)
    yield store, local, chunks
    store.close()
    client.close()


@pytest.fixture(scope="module")
def edge(both):
    store, _, chunks = both
    return store, chunks


def test_every_chunk_round_trips(edge) -> None:
    store, chunks = edge
    assert store.count() == len(chunks)
    assert sorted(c.chunk_id for c in store.iter_chunks()) == [c.chunk_id for c in chunks]
    assert store.get_chunks([chunks[3].chunk_id]) == [chunks[3]]


def test_dense_and_sparse_search_match_local_mode(both, pipeline) -> None:
    from studyrag.index.sparse import SparseBM25Encoder

    store, local, _ = both
    for question in ("What is the KV cache?", "how does LoRA cut fine-tuning cost?"):
        vector = pipeline.embedder.embed_query(question)
        ours = [c.chunk_id for c, _ in store.search_dense(vector, 10)]
        assert ours == [c.chunk_id for c, _ in local.search_dense(vector, 10)]
        sparse = SparseBM25Encoder(pipeline.analyzer).query(question)
        ours = [c.chunk_id for c, _ in store.search_sparse(sparse, 10)]
        assert ours == [c.chunk_id for c, _ in local.search_sparse(sparse, 10)]


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
        f"    EdgeStore(settings.index, {store.dim})\n"
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
    """Through the pipeline: the default engine ingests into a shard with its own manifest and
    sidecar, and a second ingest finds nothing to do."""
    from studyrag.pipeline import StudyPipeline
    from studyrag.settings import StoreEngine
    from tests.conftest import CORPUS

    settings = make_settings(tmp_path / "data")
    assert settings.index.engine is StoreEngine.EDGE
    with StudyPipeline(settings) as pipeline:
        first = pipeline.ingest([CORPUS / "003_d47b52dac9159beb.txt"])
        assert first.chunks_written > 0
        assert pipeline.status().location.endswith("edge/study_minilm")
        assert settings.index.index_dir.name == "study_minilm_edge"
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


def test_an_index_of_the_previous_version_migrates_without_re_embedding(tmp_path) -> None:
    """A local-mode index (the previous default) moves into Edge with one note: same chunks, same
    answers, no embedding; quiz progress and the old index are left where they were."""
    from studyrag.pipeline import StudyPipeline
    from studyrag.settings import StoreEngine
    from studyrag.types import StudyragError
    from tests.conftest import CORPUS

    data = tmp_path / "data"
    source = CORPUS / "003_d47b52dac9159beb.txt"
    old = make_settings(data, engine=StoreEngine.LOCAL)
    with StudyPipeline(old) as pipeline:
        pipeline.ingest([source])
        before = sorted(c.chunk_id for c in pipeline.store.iter_chunks())
        expected = [h.chunk.chunk_id for h in pipeline.search("What is LoRA?").hits]
    progress = data / old.practice.quiz_db_name
    progress.write_bytes(b"quiz progress stays")
    feedback = data / "feedback.jsonl"
    feedback.write_text('{"vote": "up"}\n')

    new = make_settings(data)
    with StudyPipeline(new) as pipeline:
        with pytest.raises(StudyragError, match="previous version's engine; run `studyrag ingest`"):
            pipeline.search("What is LoRA?")
        assert any("not been moved" in n for n in pipeline.status().notes)
        report = pipeline.ingest([source])
        assert any(n.startswith("migrated the index of the previous version") for n in report.notes)
        assert report.chunks_written == 0 and report.unchanged == [source.name]
        assert sorted(c.chunk_id for c in pipeline.store.iter_chunks()) == before
        assert [h.chunk.chunk_id for h in pipeline.search("What is LoRA?").hits] == expected
        status = pipeline.status()
        assert status.files == [source.name] and status.engine.startswith("Qdrant Edge")
        assert any("delete it when you like" in n for n in status.notes)
        assert not any("migrated" in n for n in pipeline.ingest([source]).notes)
    assert progress.read_bytes() == b"quiz progress stays"
    assert feedback.read_text() == '{"vote": "up"}\n'
    assert (old.index.qdrant_path / "collection" / old.index.collection_name).exists()
    assert old.index.manifest_path.exists()


def test_the_lexical_path_follows_engine_and_corpus_size(tmp_path) -> None:
    from studyrag.index.store import choose_lexical
    from studyrag.settings import LexicalBackend, StoreEngine

    edge = make_settings(tmp_path, lexical_switch_chunks=1000)
    assert choose_lexical(edge.index, 1000).backend is LexicalBackend.SIDECAR
    assert choose_lexical(edge.index, 1001).in_engine
    assert "over 1,000" in choose_lexical(edge.index, 1001).reason
    local = make_settings(tmp_path, engine=StoreEngine.LOCAL, lexical_switch_chunks=10)
    assert choose_lexical(local.index, 10**6).backend is LexicalBackend.SIDECAR
    server = make_settings(tmp_path, qdrant_url="http://qdrant:6333", engine=StoreEngine.LOCAL)
    assert choose_lexical(server.index, 10**6).in_engine
    fixed = make_settings(tmp_path, lexical_backend=LexicalBackend.SIDECAR)
    assert choose_lexical(fixed.index, 10**7).backend is LexicalBackend.SIDECAR


def test_past_the_switch_ingest_skips_the_sidecar_and_search_uses_the_engine(tmp_path) -> None:
    """With a switch point under the corpus size, `auto` answers from the engine's sparse
    vectors, builds no sidecar, and `status` says so."""
    from studyrag.pipeline import StudyPipeline
    from tests.conftest import CORPUS

    settings = make_settings(tmp_path / "data", lexical_switch_chunks=10)
    with StudyPipeline(settings) as pipeline:
        pipeline.ingest([CORPUS / "003_d47b52dac9159beb.txt"])
        assert not settings.index.sidecar_path.exists()
        assert pipeline.status().lexical.startswith("qdrant-sparse (")
        result = pipeline.search("rank decomposition matrices", mode="bm25")
        assert result.hits and "rank decomposition" in result.hits[0].chunk.text
        from studyrag.retrieval.lexical_retriever import EngineLexicalRetriever

        assert isinstance(pipeline.retriever.candidates.lexical, EngineLexicalRetriever)
