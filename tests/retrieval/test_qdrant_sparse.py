"""The in-engine lexical path (sparse vectors, both lists in one engine call) on Qdrant Edge and on
qdrant-client local mode, which stands in for a Qdrant server (the same client API)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from qdrant_client import QdrantClient

from studyrag.eval.gold import load_gold
from studyrag.eval.retrieval_eval import evaluate
from studyrag.index.qdrant_store import open_client
from studyrag.pipeline import StudyPipeline
from studyrag.settings import FusionMethod, LexicalBackend, RetrievalMode, StoreEngine
from tests.conftest import CORPUS, GOLD, make_settings


@pytest.fixture(scope="module", params=[StoreEngine.EDGE, StoreEngine.LOCAL])
def sparse_pipeline(request, corpus_index_dir, tmp_path_factory):
    import shutil

    data = tmp_path_factory.mktemp("sparse") / "data"
    if request.param is StoreEngine.EDGE:
        shutil.copytree(corpus_index_dir, data)
    settings = make_settings(
        data, engine=request.param, lexical_backend=LexicalBackend.QDRANT_SPARSE
    )
    with StudyPipeline(settings) as pipeline:
        if request.param is StoreEngine.LOCAL:
            pipeline.ingest()
        yield pipeline


def test_weighted_rrf_matches_the_reported_ranks(sparse_pipeline) -> None:
    options = replace(
        sparse_pipeline.options(8, RetrievalMode.HYBRID), fusion=FusionMethod.RRF, dense_weight=0.3
    )
    result = sparse_pipeline.search("What is the KV cache?", options=options)
    assert len(result.hits) == 8
    k = options.rrf_k
    for hit in result.hits:
        expected = sum(
            w / (k + r) for w, r in ((0.3, hit.dense_rank), (0.7, hit.bm25_rank)) if r is not None
        )
        assert hit.fused_score == pytest.approx(expected, rel=1e-6)
    assert "KV" in result.hits[0].chunk.text


def test_default_fusion_ranks_like_the_sidecar_backend(sparse_pipeline, pipeline) -> None:
    """Both lexical backends feed the same fusion: the dense side is identical, so the top
    passage agrees on a keyword question."""
    question = "What is the KV cache?"
    sparse = sparse_pipeline.search(question, top_k=5, mode=RetrievalMode.HYBRID)
    sidecar = pipeline.search(question, top_k=5, mode=RetrievalMode.HYBRID)
    fused = [h.fused_score for h in sparse.hits]
    assert fused == sorted(fused, reverse=True)
    assert sparse.hits[0].chunk.chunk_id == sidecar.hits[0].chunk.chunk_id


def test_sparse_bm25_alone_and_with_rerank(sparse_pipeline) -> None:
    lexical = sparse_pipeline.search("SwiGLU activation", top_k=3, mode=RetrievalMode.BM25)
    assert "SwiGLU" in lexical.hits[0].chunk.text
    assert all(h.bm25_rank and h.dense_rank is None for h in lexical.hits)
    reranked = sparse_pipeline.search("What is DPO?", top_k=3)
    assert all(h.rerank_score is not None for h in reranked.hits)


@pytest.mark.slow
def test_sparse_path_quality_is_close_to_the_sidecar(sparse_pipeline, pipeline) -> None:
    gold = load_gold(GOLD, CORPUS)
    sparse = evaluate(sparse_pipeline, gold, RetrievalMode.HYBRID).summary()
    sidecar = evaluate(pipeline, gold, RetrievalMode.HYBRID).summary()
    assert sparse["recall@5"] >= sidecar["recall@5"] - 0.05
    assert sparse["mrr@10"] >= sidecar["mrr@10"] - 0.05


def test_a_url_selects_the_remote_client_with_sharding_settings(tmp_path) -> None:
    settings = make_settings(
        tmp_path, qdrant_url="http://127.0.0.1:6333", qdrant_shards=3, qdrant_replication=2
    )
    client = open_client(settings.index)
    try:
        assert isinstance(client, QdrantClient)
        assert type(client._client).__name__ == "QdrantRemote"
        assert client._client.rest_uri.startswith("http://127.0.0.1:6333")
    finally:
        client.close()
    assert not (tmp_path / "qdrant").exists()  # no local store was created
