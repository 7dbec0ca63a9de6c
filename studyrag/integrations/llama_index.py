"""studyrag's retrieval inside LlamaIndex.

``StudyragRetriever`` is a LlamaIndex ``BaseRetriever``: a query engine built on it gets studyrag's
hybrid retrieval (dense + BM25, fused, unit rerank) and nodes whose metadata carry the evidence
(dense/BM25 ranks and scores, fused and rerank scores) and the passage's character offsets in its
source file. ``StudyragReranker`` is studyrag's unit reranker as a ``BaseNodePostprocessor`` for
nodes from any retriever.

    from llama_index.core.query_engine import RetrieverQueryEngine
    engine = RetrieverQueryEngine.from_args(StudyragRetriever(pipeline), llm=...)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from studyrag.pipeline import StudyPipeline
from studyrag.retrieval.unit_rerank import UnitReranker
from studyrag.settings import RetrievalMode
from studyrag.types import Chunk, Hit

# Evidence and offsets go to the node's metadata, but neither to the embedder nor to an LLM.
_HIDDEN = [
    "chunk_id",
    "start",
    "end",
    "dense_rank",
    "bm25_rank",
    "dense_score",
    "bm25_score",
    "fused_score",
    "rerank_score",
]


def node_of(hit: Hit) -> NodeWithScore:
    """A studyrag hit as a LlamaIndex node (id = chunk id) with its evidence in metadata."""
    chunk = hit.chunk
    metadata: dict[str, Any] = {
        "source": chunk.source,
        "heading": " > ".join(chunk.heading_path),
        "chunk_id": chunk.chunk_id,
        "start": chunk.start,
        "end": chunk.end,
        "dense_rank": hit.dense_rank,
        "bm25_rank": hit.bm25_rank,
        "dense_score": hit.dense_score,
        "bm25_score": hit.bm25_score,
        "fused_score": hit.fused_score,
        "rerank_score": hit.rerank_score,
    }
    node = TextNode(
        id_=chunk.chunk_id,
        text=chunk.text,
        metadata=metadata,
        excluded_embed_metadata_keys=list(_HIDDEN),
        excluded_llm_metadata_keys=list(_HIDDEN),
    )
    return NodeWithScore(node=node, score=hit.score)


def hit_of(node: NodeWithScore) -> Hit:
    """A LlamaIndex node as a studyrag hit (offsets and source when the node has them)."""
    meta = node.node.metadata
    chunk = Chunk(
        chunk_id=node.node.node_id,
        source=str(meta.get("source", "")),
        text=node.node.get_content(),
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
    )
    return Hit(chunk=chunk, score=float(node.score or 0.0))


class StudyragRetriever(BaseRetriever):
    """studyrag's retrieval as a LlamaIndex retriever (the pipeline's settings by default)."""

    def __init__(
        self,
        pipeline: StudyPipeline,
        top_k: int | None = None,
        mode: RetrievalMode | str | None = None,
        sources: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self._pipeline = pipeline
        self._options = pipeline.options(top_k, mode, sources)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        result = self._pipeline.search(query_bundle.query_str, options=self._options)
        return [node_of(hit) for hit in result.hits]


class StudyragReranker(BaseNodePostprocessor):
    """studyrag's unit reranker: the cross-encoder reads each sentence, bullet and formula of the
    first ``depth`` nodes; a node scores its best unit minus ``rank_penalty`` x its rank."""

    top_n: int = 5
    depth: int = 5
    rank_penalty: float = 0.5
    _reranker: UnitReranker = PrivateAttr()

    def __init__(self, pipeline: StudyPipeline, top_n: int = 5, **kwargs: Any) -> None:
        defaults = {
            "depth": pipeline.retrieval.rerank_depth,
            "rank_penalty": pipeline.retrieval.rerank_rank_penalty,
        }
        super().__init__(top_n=top_n, **{**defaults, **kwargs})
        self._reranker = UnitReranker(pipeline.reranker.score)

    @classmethod
    def class_name(cls) -> str:
        return "StudyragReranker"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None:
            raise ValueError("StudyragReranker needs the query")
        if not nodes:
            return []
        by_id = {n.node.node_id: n for n in nodes}
        head = self._reranker.run(
            query_bundle.query_str,
            [hit_of(n) for n in nodes[: self.depth]],
            rank_penalty=self.rank_penalty,
        )
        ranked = []
        for hit in head:
            node = by_id[hit.chunk.chunk_id]
            node.node.metadata["rerank_score"] = hit.rerank_score
            ranked.append(NodeWithScore(node=node.node, score=hit.score))
        return (ranked + list(nodes[self.depth :]))[: self.top_n]
