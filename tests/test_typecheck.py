"""The type checker runs over the whole package, and it catches a wrong call."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow  # mypy over the package: seconds with make test's cache, ~1 min cold

sys.path.insert(0, str(REPO / "scripts"))
from typecheck import build_tree  # noqa: E402


def _mypy(program: str) -> subprocess.CompletedProcess[str]:
    config, cache = str(REPO / "pyproject.toml"), str(REPO / ".mypy_cache")
    command = [sys.executable, "-m", "mypy", "--config-file", config, "--cache-dir", cache]
    return subprocess.run(
        [*command, "-c", program],
        cwd=build_tree(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_wrong_call_into_the_package_is_an_error() -> None:
    wrong = _mypy("from studyrag.index.sparse import term_id\nterm_id(3)\n")
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert 'Argument 1 to "term_id" has incompatible type "int"; expected "str"' in wrong.stdout
    # An ingest/ module is reached through its import path, as the package installs it.
    moved = _mypy(
        "from studyrag.ingest.chunker import ChunkerConfig\nChunkerConfig(max_tokens='x')\n"
    )
    assert moved.returncode == 1 and '"ChunkerConfig" has incompatible type "str"' in moved.stdout


def test_the_right_call_passes() -> None:
    right = _mypy("from studyrag.index.sparse import term_id\nx: int = term_id('lora')\n")
    assert right.returncode == 0, right.stdout + right.stderr


def test_a_component_given_the_whole_settings_is_an_error() -> None:
    """Each component takes its settings group; handing it the whole Settings does not check."""
    program = (
        "from studyrag.settings import Settings\n"
        "from studyrag.quiz.grader import Cutoffs\n"
        "settings = Settings()\n"
        "Cutoffs.from_settings({}, settings.index.embedding_model)\n"
    )
    wrong = _mypy(program.format("settings"))
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert 'has incompatible type "Settings"; expected "PracticeSettings"' in wrong.stdout
    right = _mypy(program.format("settings.practice"))
    assert right.returncode == 0, right.stdout + right.stderr
