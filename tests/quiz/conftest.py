"""Fixtures for study mode: the bank over the real corpus and a grader on the real models."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from studyrag.pipeline import StudyPipeline
from studyrag.quiz.bank import QuestionBank
from studyrag.quiz.grader import Grader
from tests.conftest import CORPUS, make_settings


@cache
def raw_text(source: str) -> str:
    """An original corpus file, as the bank's offsets index it."""
    return (CORPUS / source).read_text(encoding="utf-8")


def source_named(prefix: str) -> str:
    """The corpus file name starting with ``prefix`` (``"001"``)."""
    return next(CORPUS.glob(f"{prefix}_*.txt")).name


@pytest.fixture(scope="session")
def bank() -> QuestionBank:
    return QuestionBank.from_corpus(CORPUS)


@pytest.fixture(scope="session")
def grader(
    bank: QuestionBank, pipeline: StudyPipeline, tmp_path_factory: pytest.TempPathFactory
) -> Grader:
    settings = make_settings(tmp_path_factory.mktemp("quiz-grader"))
    return Grader(bank, pipeline.embedder, settings.practice, pipeline)


@pytest.fixture
def quiz_data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
