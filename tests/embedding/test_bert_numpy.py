"""The numpy BERT forward pass against its reference, sentence-transformers, on the same weights."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from studyrag.embedding.bert_numpy import NumpyBertEncoder
from studyrag.embedding.minilm import MiniLMEmbedder
from studyrag.model_files import minilm_dir

TEXTS = [
    "how does LoRA cut fine-tuning cost?",
    "What is the KV cache of a 70B model?",
    "x",
    "Chinchilla-optimal training uses ~20 tokens per parameter; LLaMA 3 trained far beyond it. "
    * 20,  # longer than the 256-token window: truncated like the reference
]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_dir()), device="cpu", local_files_only=True)
    return np.asarray(model.encode(TEXTS, normalize_embeddings=True), dtype=np.float32)


def test_numpy_forward_matches_sentence_transformers(reference: np.ndarray) -> None:
    embedder = MiniLMEmbedder()
    ours = NumpyBertEncoder(minilm_dir(), embedder.max_tokens).encode(TEXTS)
    assert ours.shape == reference.shape
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() > 0.99999, cosines
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_padding_does_not_change_a_vector() -> None:
    encoder = NumpyBertEncoder(minilm_dir(), 256)
    alone = encoder.encode([TEXTS[0]])[0]
    batched = encoder.encode(TEXTS)[0]
    assert float(alone @ batched) > 0.99999


def test_query_embedding_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from studyrag.embedding.minilm import MiniLMEmbedder\n"
        "v = MiniLMEmbedder().embed_query('what is LoRA?')\n"
        "assert v.shape == (384,), v.shape\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"
