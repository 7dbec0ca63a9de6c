"""studyrag's retrieval inside LlamaIndex: LlamaIndex's own RetrieverEvaluator, run on the gold
set, must report the hit rate and MRR that `studyrag eval retrieval` reports."""

from __future__ import annotations

import statistics

import pytest
from llama_index.core.evaluation import RetrieverEvaluator
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from studyrag.eval.gold import load_gold
from studyrag.eval.retrieval_eval import evaluate, gold_chunks
from studyrag.integrations.llama_index import StudyragReranker, StudyragRetriever
from studyrag.settings import RetrievalMode
from tests.conftest import CORPUS, GOLD


def llama_index_scores(pipeline, mode: RetrievalMode, top_k: int) -> dict[str, float]:
    gold = load_gold(GOLD, CORPUS)
    chunks = list(pipeline.store.iter_chunks())
    evaluator = RetrieverEvaluator.from_metric_names(
        ["hit_rate", "mrr"], retriever=StudyragRetriever(pipeline, top_k=top_k, mode=mode)
    )
    results = [
        evaluator.evaluate(q.question, [c.chunk_id for c in gold_chunks(q, chunks)]) for q in gold
    ]
    return {
        name: statistics.fmean(r.metric_vals_dict[name] for r in results)
        for name in ("hit_rate", "mrr")
    }


@pytest.mark.parametrize(
    "mode",
    [RetrievalMode.HYBRID, pytest.param(RetrievalMode.HYBRID_RERANK, marks=pytest.mark.slow)],
)
def test_retriever_evaluator_agrees_with_studyrag_eval(pipeline, mode) -> None:
    ours = evaluate(pipeline, load_gold(GOLD, CORPUS), mode).summary()
    at_10 = llama_index_scores(pipeline, mode, 10)
    at_5 = llama_index_scores(pipeline, mode, 5)
    assert at_10["mrr"] == pytest.approx(ours["mrr@10"], abs=1e-9)
    assert at_5["hit_rate"] == pytest.approx(ours["hit@5"], abs=1e-9)
    assert 0.5 < ours["mrr@10"] < 1.0  # a real ranking, neither empty nor trivially perfect


def test_nodes_carry_offsets_and_evidence(pipeline) -> None:
    nodes = StudyragRetriever(pipeline, top_k=3).retrieve("How does LoRA cut fine-tuning cost?")
    assert len(nodes) == 3
    first = nodes[0]
    meta = first.node.metadata
    source = (CORPUS / meta["source"]).read_text(encoding="utf-8")
    assert meta["end"] > meta["start"] >= 0 and len(source) >= meta["end"]
    assert meta["fused_score"] is not None and meta["rerank_score"] is not None
    assert meta["dense_rank"] or meta["bm25_rank"]
    assert "rerank_score" not in first.node.get_content(metadata_mode="llm")
    assert "LoRA" in first.node.get_content()


def test_the_reranker_postprocessor_reorders_foreign_nodes(pipeline) -> None:
    texts = [
        "Photosynthesis turns light into chemical energy in plants.",
        "LoRA freezes the pretrained weights and trains two low-rank matrices per layer, "
        "so only a tiny fraction of parameters is updated.",
        "The Eiffel Tower is in Paris.",
    ]
    nodes = [
        NodeWithScore(node=TextNode(id_=f"n{i}", text=t), score=1.0) for i, t in enumerate(texts)
    ]
    reranker = StudyragReranker(pipeline, top_n=2, rank_penalty=0.0)
    ranked = reranker.postprocess_nodes(nodes, QueryBundle("How does LoRA reduce training cost?"))
    assert ranked[0].node.node_id == "n1"
    assert len(ranked) == 2
    assert ranked[0].score > ranked[1].score
