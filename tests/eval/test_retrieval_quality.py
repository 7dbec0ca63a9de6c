"""Fusion earns its place on the study gold set (the hybrid+rerank floor is the gate: test_gate)."""

from __future__ import annotations

import pytest

from studyrag.eval.gold import load_gold
from studyrag.eval.retrieval_eval import evaluate
from studyrag.settings import RetrievalMode
from tests.conftest import CORPUS, GOLD


@pytest.fixture(scope="module")
def gold():
    return load_gold(GOLD, CORPUS)


def test_fusion_beats_either_retriever_alone(pipeline, gold) -> None:
    scores = {
        m: evaluate(pipeline, gold, m).summary()
        for m in (RetrievalMode.BM25, RetrievalMode.DENSE, RetrievalMode.HYBRID)
    }
    hybrid = scores[RetrievalMode.HYBRID]
    assert hybrid["recall@5"] > scores[RetrievalMode.DENSE]["recall@5"]
    assert hybrid["recall@5"] >= scores[RetrievalMode.BM25]["recall@5"]
    assert hybrid["mrr@10"] > scores[RetrievalMode.DENSE]["mrr@10"]
