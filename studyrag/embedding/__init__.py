"""Dense embedders: one per file, chosen by :class:`~studyrag.settings.EmbeddingModelName`."""

from __future__ import annotations

from pathlib import Path

from studyrag.embedding.base import Embedder
from studyrag.settings import EmbeddingModelName


def load_embedder(
    name: EmbeddingModelName, export_cache: Path | None = None, int8: bool = True
) -> Embedder:
    """Load a packaged embedding model by name (imports its runtime lazily).

    ``export_cache``: where MiniLM keeps its ONNX exports for batches (fp32, and INT8 for large
    ingests unless ``int8`` is False); bge already is ONNX INT8.
    """
    if name is EmbeddingModelName.MINILM:
        from studyrag.embedding.minilm import MiniLMEmbedder

        return MiniLMEmbedder(export_cache, int8)
    from studyrag.embedding.bge_onnx import BgeOnnxEmbedder

    return BgeOnnxEmbedder()


__all__ = ["Embedder", "load_embedder"]
