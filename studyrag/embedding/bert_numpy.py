"""A BERT encoder forward pass in numpy, for short interactive texts without importing torch.

Importing torch and sentence-transformers takes 5-11 s; a question is ~15 tokens, which numpy
encodes in ~10 ms from the same safetensors weights. The output matches sentence-transformers
to float precision (tests/embedding/test_bert_numpy.py checks it against the reference).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from threadpoolctl import ThreadpoolController

from studyrag.embedding.base import load_tokenizer

_BLAS = ThreadpoolController()


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(variance + eps) * weight + bias, dtype=np.float32)


class _Layer:
    """One transformer block's weights, transposed once for ``x @ W``."""

    def __init__(self, weights: dict[str, np.ndarray], prefix: str) -> None:
        def w(name: str) -> np.ndarray:
            return weights[f"{prefix}{name}"]

        attention = "attention.self."
        self.qkv_weight = np.concatenate(
            [w(f"{attention}{n}.weight") for n in ("query", "key", "value")]
        ).T.copy()
        self.qkv_bias = np.concatenate(
            [w(f"{attention}{n}.bias") for n in ("query", "key", "value")]
        )
        self.out_weight = w("attention.output.dense.weight").T.copy()
        self.out_bias = w("attention.output.dense.bias")
        self.norm1 = (w("attention.output.LayerNorm.weight"), w("attention.output.LayerNorm.bias"))
        self.up_weight = w("intermediate.dense.weight").T.copy()
        self.up_bias = w("intermediate.dense.bias")
        self.down_weight = w("output.dense.weight").T.copy()
        self.down_bias = w("output.dense.bias")
        self.norm2 = (w("output.LayerNorm.weight"), w("output.LayerNorm.bias"))


class NumpyBertEncoder:
    """Mean-pooled, L2-normalised BERT sentence embeddings (sentence-transformers' recipe)."""

    def __init__(self, model_dir: Path, max_tokens: int) -> None:
        config = json.loads((model_dir / "config.json").read_text())
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise ValueError(f"{model_dir} is not a BERT model with GELU")
        self.heads = int(config["num_attention_heads"])
        self.hidden = int(config["hidden_size"])
        self.eps = float(config["layer_norm_eps"])
        weights = load_file(str(model_dir / "model.safetensors"))
        self.words = weights["embeddings.word_embeddings.weight"]
        self.positions = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self.layers = [
            _Layer(weights, f"encoder.layer.{i}.") for i in range(int(config["num_hidden_layers"]))
        ]
        self.tokenizer = load_tokenizer(model_dir, max_tokens)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, hidden)`` float32 unit vectors, one per text."""
        # One BLAS thread: a question is a few small matrices, and with a Qdrant Edge shard open
        # in the process OpenBLAS's second thread made it 3x slower (30 against 10 ms).
        with _BLAS.limit(limits=1, user_api="blas"):
            return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        count, length = ids.shape
        size = self.hidden // self.heads
        x = self.words[ids] + self.positions[:length] + self.token_type
        x = _layer_norm(x, *self.norm, self.eps)
        padding = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(size))
        for layer in self.layers:
            qkv = x @ layer.qkv_weight + layer.qkv_bias
            q, k, v = (
                qkv[..., i * self.hidden : (i + 1) * self.hidden]
                .reshape(count, length, self.heads, size)
                .transpose(0, 2, 1, 3)
                for i in range(3)
            )
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + padding
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(count, length, self.hidden)
            x = _layer_norm(context @ layer.out_weight + layer.out_bias + x, *layer.norm1, self.eps)
            h = x @ layer.up_weight + layer.up_bias
            h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))  # exact GELU, as BERT's "gelu"
            x = _layer_norm(h @ layer.down_weight + layer.down_bias + x, *layer.norm2, self.eps)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)
