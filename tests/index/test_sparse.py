import os
import subprocess
import sys
import zlib

import pytest

from studyrag.index.lexical import LexicalAnalyzer
from studyrag.index.sparse import SparseBM25Encoder, term_id


def test_document_weights_follow_bm25_saturation() -> None:
    encoder = SparseBM25Encoder(LexicalAnalyzer(), k1=1.2, b=0.75, avgdl=4.0)
    vector = encoder.document("cache cache memory model")  # terms: cach x2, memori, model
    weights = dict(zip(vector.indices, vector.values, strict=True))
    norm = 1.2 * (1 - 0.75 + 0.75 * 4 / 4.0)
    assert weights[term_id("cach")] == pytest.approx(2 * 2.2 / (2 + norm))
    assert weights[term_id("memori")] == pytest.approx(2.2 / (1 + norm))
    assert vector.indices == sorted(vector.indices)


def test_query_vector_is_binary_and_ids_are_stable() -> None:
    encoder = SparseBM25Encoder(LexicalAnalyzer())
    vector = encoder.query("KV cache, KV caching")
    assert sorted(vector.indices) == sorted({term_id("kv"), term_id("cach")})
    assert set(vector.values) == {1.0}
    # Stable across processes and runs (stored in the index): CRC32 in 31 bits, not hash().
    assert term_id("lora") == zlib.crc32(b"lora") & 0x7FFFFFFF == 881_021_184
    assert term_id("lora") != term_id("loras") and 0 <= term_id("cach") < 2**31
    script = "from studyrag.index.sparse import term_id; print(term_id('lora'))"
    for seed in ("1", "2"):
        other = subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        assert int(other.stdout) == term_id("lora")


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        SparseBM25Encoder(LexicalAnalyzer(), avgdl=0)
