"""Shared fixtures: one real index over the real corpus, built once per test session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from studyrag.generate.base import Answer
from studyrag.offline import pin_offline
from studyrag.pipeline import StudyPipeline
from studyrag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
DOCUMENTS = REPO / "eval" / "documents"  # the shared real documents (PDF, HTML, office)
GOLD = REPO / "eval" / "data" / "study_qa.jsonl"
OFF_TOPIC = REPO / "eval" / "data" / "off_topic.jsonl"


# Tests that use these fixtures, or live in a module that builds a pipeline or a model, are
# integration tests; the rest are unit tests (`make test-fast` runs only those).
_INTEGRATION_FIXTURES = {"pipeline", "corpus_index_dir", "gold_answers", "index_copy"}
_INTEGRATION_CALLS = (
    "StudyPipeline(",
    "load_embedder(",
    "MiniLMEmbedder(",
    "BgeOnnxEmbedder(",
    "CrossEncoderReranker(",
    "AppTest",
    "subprocess",
    "Grader(",
    "load_server(",
    "LocalLlamaGenerator(",
)


def pytest_configure(config: pytest.Config) -> None:
    pin_offline()  # before any test module imports a model library


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    sources: dict[Path, bool] = {}
    for item in items:
        path = Path(str(item.fspath))
        if path not in sources:
            text = path.read_text(encoding="utf-8")
            sources[path] = any(call in text for call in _INTEGRATION_CALLS)
        if sources[path] or _INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings isolated from the developer's environment and data folder."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        corpus_dir=overrides.pop("corpus_dir", CORPUS),  # type: ignore[arg-type]
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def corpus_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the ingested corpus (built once, copied by tests that mutate)."""
    data_dir = tmp_path_factory.mktemp("corpus-index")
    with StudyPipeline(make_settings(data_dir)) as pipeline:
        pipeline.ingest()
    return data_dir


@pytest.fixture(scope="session")
def pipeline(corpus_index_dir: Path) -> Iterator[StudyPipeline]:
    """A read-mostly pipeline over the ingested corpus, shared by the whole session."""
    with StudyPipeline(make_settings(corpus_index_dir)) as shared:
        yield shared


@pytest.fixture(scope="session")
def gold_answers(pipeline: StudyPipeline) -> dict[str, Answer]:
    """Every gold question asked once with the default settings: ``qid -> Answer``."""
    from studyrag.assistant import Assistant
    from studyrag.eval.gold import load_gold

    assistant = Assistant(pipeline)
    return {q.qid: assistant.ask(q.question) for q in load_gold(GOLD, CORPUS)}


@pytest.fixture
def index_copy(corpus_index_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the ingested corpus index, for tests that change it."""
    target = tmp_path / "data"
    shutil.copytree(corpus_index_dir, target)
    return target
