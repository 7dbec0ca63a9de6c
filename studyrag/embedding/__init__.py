"""Dense embedders: one per file, chosen by :class:`~studyrag.settings.EmbeddingModelName`."""

from __future__ import annotations

from pathlib import Path

from studyrag.embedding.base import Embedder
from studyrag.settings import EmbeddingModelName


def load_embedder(name: EmbeddingModelName, int8_cache: Path | None = None) -> Embedder:
    """Load a packaged embedding model by name (imports its runtime lazily).

    ``int8_cache``: where MiniLM may keep its INT8 export for ingest batches (bge already is INT8).
    """
    if name is EmbeddingModelName.MINILM:
        from studyrag.embedding.minilm import MiniLMEmbedder

        return MiniLMEmbedder(int8_cache)
    from studyrag.embedding.bge_onnx import BgeOnnxEmbedder

    return BgeOnnxEmbedder()


__all__ = ["Embedder", "load_embedder"]
