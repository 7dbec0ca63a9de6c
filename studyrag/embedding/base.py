"""The embedder interface: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import numpy as np
from tokenizers import Encoding, Tokenizer

from studyrag.settings import EmbeddingModelName


@cache
def _tokenizer_json(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_tokenizer(
    model_dir: Path, max_tokens: int | None = None, strategy: str = "longest_first"
) -> Tokenizer:
    """The model folder's ``tokenizer.json`` (read once per process), configured for one use:
    with ``max_tokens``, truncated to it and padded to the longest text of a batch; without,
    neither (to measure whole texts)."""
    tokenizer = Tokenizer.from_str(_tokenizer_json(model_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    if max_tokens is not None:
        tokenizer.enable_truncation(max_length=max_tokens, strategy=strategy)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


class Embedder(ABC):
    """A dense text encoder with its own tokenizer (used to size chunks to its window)."""

    name: EmbeddingModelName
    dim: int
    max_tokens: int
    tokenizer: Tokenizer
    has_bulk_path: bool = False  # embed_documents(bulk=True) is faster (and a little coarser)
    bulk_error: str = ""  # why the bulk path was given up, when it was

    @abstractmethod
    def embed_documents(
        self, texts: Sequence[str], batch_size: int = 32, bulk: bool = False
    ) -> np.ndarray:
        """Encode passages; returns an ``(n, dim)`` float32 array of unit vectors.

        ``bulk``: part of a large ingest, where an embedder may trade a little precision for
        throughput (MiniLM: its INT8 export).
        """

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """Encode one search query; returns a ``(dim,)`` float32 unit vector."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts without special tokens, as the model would see them."""
        if not texts:
            return []
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """L2-normalise each row (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)


def encode_by_length(
    texts: Sequence[str],
    batch_size: int,
    dim: int,
    tokenizer: Tokenizer,
    run: Callable[[list[Encoding]], np.ndarray],
) -> np.ndarray:
    """Encode ``texts`` in batches sorted by length (little padding); ``run`` turns one batch's
    encodings into its ``(n, dim)`` vectors. Rows come back in input order, L2-normalised."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for begin in range(0, len(order), batch_size):
        batch = order[begin : begin + batch_size]
        out[batch] = run(tokenizer.encode_batch([texts[i] for i in batch]))
    return normalize_rows(out)
