"""Dense embedders: one per file, chosen by :class:`~studyrag.settings.EmbeddingModelName`."""

from __future__ import annotations

from studyrag.embedding.base import Embedder
from studyrag.settings import EmbeddingModelName


def load_embedder(name: EmbeddingModelName) -> Embedder:
    """Load a packaged embedding model by name (imports its runtime lazily)."""
    if name is EmbeddingModelName.MINILM:
        from studyrag.embedding.minilm import MiniLMEmbedder

        return MiniLMEmbedder()
    from studyrag.embedding.bge_onnx import BgeOnnxEmbedder

    return BgeOnnxEmbedder()


__all__ = ["Embedder", "load_embedder"]
