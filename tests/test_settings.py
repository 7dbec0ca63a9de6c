"""The settings object: per-model thresholds and derived paths."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from studyrag.settings import EmbeddingModelName, ModelThresholds, Settings
from tests.conftest import make_settings

STEMS = (
    "refusal_min_dense",
    "refusal_dense_weight",
    "refusal_min_evidence",
    "support_min_cosine",
    "quiz_credit_low",
    "quiz_credit_high",
)


@pytest.mark.parametrize("model", list(EmbeddingModelName))
def test_every_calibrated_threshold_exists_for_every_model(tmp_path: Path, model) -> None:
    settings = make_settings(tmp_path, embedding_model=model)
    for stem in STEMS:
        assert getattr(settings.calibrated, stem) == getattr(settings, f"{stem}_{model.value}")


def test_calibrated_thresholds_follow_the_active_model(tmp_path: Path) -> None:
    minilm = make_settings(tmp_path, refusal_min_dense_minilm=0.11, refusal_min_dense_bge=0.22)
    bge = minilm.model_copy(update={"embedding_model": EmbeddingModelName.BGE})
    assert minilm.calibrated.refusal_min_dense == 0.11
    assert bge.calibrated.refusal_min_dense == 0.22
    assert {f.name for f in fields(ModelThresholds)} == set(STEMS)  # one field per stem


def test_paths_live_under_the_data_folder(tmp_path: Path) -> None:
    settings: Settings = make_settings(tmp_path / "data")
    for path in (
        settings.edge_path,
        settings.feedback_path,
        settings.quiz_db_path,
        settings.manifest_path,
        settings.sidecar_path,
    ):
        assert path.is_relative_to(tmp_path / "data")
    assert settings.manifest_path.parent == settings.index_dir
