"""MiniLM's INT8 export: built once from the packaged weights, close to fp32, used by large
ingests only."""

from __future__ import annotations

import numpy as np
import pytest

from studyrag.embedding.minilm import MiniLMEmbedder
from tests.conftest import CORPUS, make_settings


@pytest.fixture(scope="module")
def int8_embedder(tmp_path_factory: pytest.TempPathFactory) -> MiniLMEmbedder:
    return MiniLMEmbedder(tmp_path_factory.mktemp("models"))


def corpus_passages(count: int) -> list[str]:
    text = (CORPUS / "001_2c438f64575affed.txt").read_text(encoding="utf-8")
    return [p for p in text.split("\n\n") if len(p.split()) > 8][:count]


def test_bulk_vectors_stay_close_to_fp32(int8_embedder: MiniLMEmbedder) -> None:
    texts = corpus_passages(40)
    assert len(texts) == 40
    fp32 = int8_embedder.embed_documents(texts)
    int8 = int8_embedder.embed_documents(texts, bulk=True)
    cosines = (fp32 * int8).sum(axis=1)
    assert not np.allclose(fp32, int8)  # the quantized path really ran
    assert cosines.mean() > 0.985 and cosines.min() > 0.96
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)


def test_the_fp32_export_gives_the_networks_vectors(int8_embedder: MiniLMEmbedder) -> None:
    from studyrag.embedding.base import normalize_rows

    texts = corpus_passages(40)
    onnx = int8_embedder.embed_documents(texts)
    network = int8_embedder._model.encode(texts, batch_size=32, convert_to_numpy=True)
    assert np.allclose(onnx, normalize_rows(np.asarray(network, dtype=np.float32)), atol=1e-4)
    assert int8_embedder._export_cache is not None and not int8_embedder.onnx_error
    assert len(list(int8_embedder._export_cache.glob("minilm-fp32-*.onnx"))) == 1


def test_the_export_is_built_once_and_reused(int8_embedder: MiniLMEmbedder) -> None:
    from studyrag.embedding.int8_export import ensure_int8_model

    int8_embedder.embed_documents(corpus_passages(20), bulk=True)
    cache = int8_embedder._export_cache
    assert cache is not None
    files = list(cache.glob("minilm-int8-*.onnx"))
    assert len(files) == 1 and not list(cache.glob("*.tmp"))
    stamp = files[0].stat().st_mtime_ns
    assert ensure_int8_model(int8_embedder._path, cache, "minilm") == files[0]
    assert files[0].stat().st_mtime_ns == stamp


def test_a_large_ingest_takes_the_int8_path_and_a_small_one_does_not(tmp_path) -> None:
    from studyrag.pipeline import StudyPipeline

    source = CORPUS / "003_d47b52dac9159beb.txt"
    settings = make_settings(
        tmp_path / "data", models_dir=tmp_path / "models", embed_int8_min_chunks=10
    )
    with StudyPipeline(settings) as pipeline:
        report = pipeline.ingest([source])
        assert report.chunks_written > 10
        assert any("INT8 export" in note for note in report.notes)
        assert "rank decomposition" in pipeline.search("What is LoRA?").hits[0].chunk.text
    small = make_settings(tmp_path / "small", models_dir=tmp_path / "models2")
    with StudyPipeline(small) as pipeline:
        report = pipeline.ingest([source])
        assert not any("INT8" in note for note in report.notes)
    assert not list((tmp_path / "models2").glob("*-int8-*"))  # only the fp32 export


def test_an_export_that_cannot_be_built_falls_back_to_fp32(tmp_path) -> None:
    """A models folder that cannot be written: the ingest goes on in fp32 and says why once."""
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    embedder = MiniLMEmbedder(blocked / "models")
    texts = corpus_passages(20)
    vectors = embedder.embed_documents(texts, bulk=True)
    assert np.allclose(vectors, embedder.embed_documents(texts), atol=1e-5)
    assert not embedder.has_bulk_path
    assert embedder.bulk_error.startswith("INT8 embedder unavailable (")
    assert embedder.onnx_error.startswith("fp32 ONNX export unavailable (")
