"""One owner for models: a second pipeline in the same process loads nothing again."""

from __future__ import annotations

from studyrag.pipeline import StudyPipeline
from studyrag.registry import ModelRegistry, process_models
from studyrag.settings import GeneratorBackend
from tests.conftest import make_settings


def test_pipelines_of_one_process_share_every_model(pipeline, tmp_path) -> None:
    with StudyPipeline(make_settings(tmp_path / "other")) as other:
        assert other.models is pipeline.models is process_models()
        assert other.embedder is pipeline.embedder
        assert other.reranker is pipeline.reranker
        backend = GeneratorBackend.EXTRACTIVE
        answer = pipeline.settings.answer
        assert other.generator(backend, answer) is pipeline.generator(backend, answer)


def test_a_registry_loads_each_model_once_per_key(tmp_path) -> None:
    registry = ModelRegistry()
    settings = make_settings(tmp_path / "data")
    first = registry.embedder(settings.index)
    assert registry.embedder(settings.replace().index) is first  # an equal copy: the same model
    window = settings.retrieval.rerank_max_tokens
    assert registry.reranker(window) is registry.reranker(window)
    assert registry.reranker(window - 64) is not registry.reranker(window)
    assert registry.loaded() == {"embedders": 1, "rerankers": 2, "generators": 0}
