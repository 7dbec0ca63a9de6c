"""The settings: groups by concern, the STUDYRAG_* names users know, per-model thresholds, paths."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
from pydantic import ValidationError

from studyrag.settings import (
    GROUPS,
    AnswerThresholds,
    EmbeddingModelName,
    RetrievalMode,
    Settings,
    env_names,
    settings_error,
)
from tests.conftest import make_settings

ANSWER_STEMS = (
    "refusal_min_dense",
    "refusal_dense_weight",
    "refusal_min_evidence",
    "support_min_cosine",
)


@pytest.mark.parametrize("model", list(EmbeddingModelName))
def test_every_calibrated_threshold_exists_for_every_model(tmp_path: Path, model) -> None:
    settings = make_settings(tmp_path, embedding_model=model)
    calibrated = settings.answer.calibrated(model)
    for stem in ANSWER_STEMS:
        assert getattr(calibrated, stem) == getattr(settings.answer, f"{stem}_{model.value}")
    credit = settings.practice.credit(model)
    assert credit.low == getattr(settings.practice, f"quiz_credit_low_{model.value}")
    assert credit.high == getattr(settings.practice, f"quiz_credit_high_{model.value}")
    assert {f.name for f in fields(AnswerThresholds)} == set(ANSWER_STEMS)  # one field per stem


def test_calibrated_thresholds_follow_the_model(tmp_path: Path) -> None:
    answer = make_settings(
        tmp_path, refusal_min_dense_minilm=0.11, refusal_min_dense_bge=0.22
    ).answer
    assert answer.calibrated(EmbeddingModelName.MINILM).refusal_min_dense == 0.11
    assert answer.calibrated(EmbeddingModelName.BGE).refusal_min_dense == 0.22


def test_paths_live_under_the_data_folder(tmp_path: Path) -> None:
    settings: Settings = make_settings(tmp_path / "data")
    for path in (
        settings.index.edge_path,
        settings.feedback_path,
        settings.quiz_db_path,
        settings.index.manifest_path,
        settings.index.sidecar_path,
    ):
        assert path.is_relative_to(tmp_path / "data")
    assert settings.index.manifest_path.parent == settings.index.index_dir


def test_every_setting_keeps_its_environment_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Grouping changed no variable: each setting is read from STUDYRAG_<ITS NAME>."""
    names = [name for group in GROUPS.values() for name in group.model_fields]
    assert len(names) == len(set(names))  # a name is in one group only
    for name in (
        "top_k",
        "corpus_dir",
        "chunk_max_tokens",
        "answer_max_words",
        "quiz_pass_score",
        "app_password",
        "judge_runs",
        "embedding_model",
        "refusal_min_evidence_minilm",
    ):
        assert env_names(name)[0] == f"STUDYRAG_{name.upper()}"
    monkeypatch.setenv("STUDYRAG_TOP_K", "7")
    monkeypatch.setenv("STUDYRAG_MODE", "bm25")
    monkeypatch.setenv("STUDYRAG_CHUNK_MAX_TOKENS", "300")
    monkeypatch.setenv("STUDYRAG_QUIZ_PASS_SCORE", "75")
    monkeypatch.setenv("STUDYRAG_JUDGE_RUNS", "3")
    monkeypatch.setenv("STUDYRAG_LOCAL_MODEL", "/models/any.gguf")  # the short alias
    monkeypatch.setenv("studyrag_answer_max_words", "60")  # names are case-insensitive, as before
    settings = Settings()
    assert settings.retrieval.top_k == 7 and settings.retrieval.mode is RetrievalMode.BM25
    assert settings.ingest.chunk_max_tokens == 300
    assert settings.practice.quiz_pass_score == 75
    assert settings.eval.judge_runs == 3
    assert settings.answer.local_model_path == Path("/models/any.gguf")
    assert settings.answer.answer_max_words == 60
    assert Settings(top_k=3).retrieval.top_k == 3  # a keyword wins over the environment


def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDYRAG_TOP_K", "0")
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert settings_error(raised.value).startswith("invalid setting STUDYRAG_TOP_K:")
    with pytest.raises(ValueError, match="unknown setting 'top_kk'"):
        Settings(top_kk=3)
    monkeypatch.setenv("STUDYRAG_TOP_K", "5")
    monkeypatch.setenv("STUDYRAG_CHUNK_MAX_TOKENS", "64")
    monkeypatch.setenv("STUDYRAG_CHUNK_OVERLAP_TOKENS", "40")
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert settings_error(raised.value) == (
        "invalid settings: STUDYRAG_CHUNK_OVERLAP_TOKENS must be under half of "
        "STUDYRAG_CHUNK_MAX_TOKENS"
    )


def test_replace_validates_and_leaves_the_original(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    changed = settings.replace(top_k=9, collection="physics")
    assert (changed.retrieval.top_k, changed.index.collection) == (9, "physics")
    assert (settings.retrieval.top_k, settings.index.collection) == (5, "study")
    assert changed.answer is settings.answer  # untouched groups are shared, not copied
    with pytest.raises(ValidationError):
        settings.replace(top_k=1000)
    with pytest.raises(ValidationError):
        settings.replace(chunk_max_tokens=64, chunk_overlap_tokens=40)  # a group's own check
