"""One owner for the models of a process: the embedder, the cross-encoder and the answer
generators are each loaded once and shared by every pipeline, app session, CLI call, eval run
and quiz grader in it."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from studyrag.embedding import Embedder, load_embedder
from studyrag.offline import pin_offline
from studyrag.retrieval.reranker import CrossEncoderReranker
from studyrag.settings import AnswerSettings, GeneratorBackend, IndexSettings

if TYPE_CHECKING:
    from studyrag.generate.base import Generator


class ModelRegistry:
    """Loads each model on first use and keeps it; keyed by what changes the model."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._embedders: dict[tuple[str, str], Embedder] = {}
        self._rerankers: dict[int, CrossEncoderReranker] = {}
        self._generators: dict[tuple[GeneratorBackend, AnswerSettings, int], Generator] = {}

    def embedder(self, index: IndexSettings) -> Embedder:
        """The dense embedder of ``index.embedding_model`` (with its ONNX exports' folder)."""
        int8 = index.embed_int8_min_chunks >= 0
        key = (index.embedding_model.value, f"{index.models_dir}:{int8}")
        pin_offline()
        with self._lock:
            if key not in self._embedders:
                self._embedders[key] = load_embedder(index.embedding_model, index.models_dir, int8)
            return self._embedders[key]

    def reranker(self, window: int) -> CrossEncoderReranker:
        """The cross-encoder, per token window (``RetrievalSettings.rerank_max_tokens``)."""
        pin_offline()
        with self._lock:
            if window not in self._rerankers:
                self._rerankers[window] = CrossEncoderReranker(window)
            return self._rerankers[window]

    def generator(
        self, backend: GeneratorBackend, answer: AnswerSettings, rerank_window: int
    ) -> Generator:
        """The answer generator for ``backend``, per distinct answer settings (a GGUF loads
        once); the extractive one scores with the cross-encoder of ``rerank_window`` tokens."""
        from studyrag.generate import make_generator

        pin_offline()
        key = (backend, answer, rerank_window)
        with self._lock:
            if key not in self._generators:
                scorer = self.reranker(rerank_window).score
                self._generators[key] = make_generator(backend, answer, scorer)
            return self._generators[key]

    def loaded(self) -> dict[str, int]:
        """How many of each kind are loaded."""
        with self._lock:
            return {
                "embedders": len(self._embedders),
                "rerankers": len(self._rerankers),
                "generators": len(self._generators),
            }


_PROCESS_MODELS = ModelRegistry()


def process_models() -> ModelRegistry:
    """The registry every pipeline of this process shares unless given its own."""
    return _PROCESS_MODELS
