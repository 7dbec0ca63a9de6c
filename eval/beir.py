"""Public benchmarks in BEIR layout: load, index into their own collection, score every retriever.

A BEIR dataset is ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl`` (``_id``,
``text``) and ``qrels/<split>.tsv`` (``query-id corpus-id score``). Each document (title + text) is
one chunk, split only when it exceeds the embedding window; a document scores as its best chunk.
The index lives in its own collection *and* its own data folder, so the study index's client never
loads benchmark points.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from studyrag.eval.metrics import (
    first_relevant_rank,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    recall_at_k,
)
from studyrag.eval.reports import Report, markdown_table
from studyrag.index.manifest import Manifest
from studyrag.ingest.cleaner import AlignedText
from studyrag.ingest.readers.base import ReadDocument
from studyrag.ingest.readers.text import text_document
from studyrag.pipeline import StudyPipeline
from studyrag.settings import RetrievalMode, Settings
from studyrag.types import Hit, StudyragError

Progress = Callable[[str], None]
RECALL_DEPTH = 100  # Recall@100, as the BEIR paper reports
BEIR_PAPER_RERANK_DEPTH = 100  # the BEIR paper reranks the top 100 BM25 candidates


@dataclass(frozen=True)
class BeirDataset:
    """One BEIR split: documents, the queries that have judgements, and the judgements."""

    name: str
    split: str
    corpus: dict[str, tuple[str, str]]  # doc id -> (title, text)
    queries: dict[str, str]  # query id -> text (only queries judged in this split)
    qrels: dict[str, dict[str, int]]  # query id -> doc id -> graded relevance (> 0)
    digest: str  # sha256 of corpus.jsonl


@dataclass(frozen=True)
class PublishedBaseline:
    system: str
    ndcg_at_10: float | None
    recall_at_100: float | None
    source: str


@dataclass
class IndexStats:
    """How the benchmark index was built: through the ingest pipeline users run (or kept, when
    no document changed since the last run)."""

    documents: int
    chunks: int
    split_documents: int
    seconds: float
    chunks_written: int = 0
    reused: bool = False
    notes: tuple[str, ...] = ()  # the ingest report's notes (e.g. the INT8 embedding path)

    @property
    def docs_per_second(self) -> float:
        return self.documents / self.seconds if self.seconds > 0 else float("nan")

    @property
    def chunks_per_second(self) -> float:
        return self.chunks_written / self.seconds if self.seconds > 0 else float("nan")


@dataclass
class QueryScore:
    qid: str
    ndcg_at_10: float
    recall_at_100: float
    mrr_at_10: float
    first_relevant: int | None
    latency_ms: float
    documents: int = 0  # how many documents the ranking held (up to 100)


@dataclass
class ConfigurationResult:
    """Scores of one retriever configuration over a split."""

    mode: str
    queries: list[QueryScore] = field(default_factory=list)

    def mean(self, name: str) -> float:
        return statistics.fmean(getattr(q, name) for q in self.queries) if self.queries else 0.0

    def summary(self) -> dict[str, float | None]:
        latencies = [q.latency_ms for q in self.queries] or [float("nan")]
        return {
            "ndcg@10": self.mean("ndcg_at_10"),
            "recall@100": self.mean("recall_at_100"),
            "mrr@10": self.mean("mrr_at_10"),
            "latency_mean_ms": statistics.fmean(latencies),
            "latency_p50_ms": percentile(latencies, 50),
            "latency_p95_ms": percentile(latencies, 95),
        }


@dataclass
class BeirRun:
    dataset: str
    split: str
    queries: int
    index: IndexStats
    results: list[ConfigurationResult]
    published: list[PublishedBaseline]
    settings: dict[str, object]

    def summary(self) -> dict[str, dict[str, float | None]]:
        return {r.mode: r.summary() for r in self.results}


# Loading -----------------------------------------------------------------------------------------
def _read_jsonl(path: Path) -> Iterable[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as error:
                raise StudyragError(f"{path}:{number}: not JSON ({error.msg})") from error


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """``query-id corpus-id score`` rows (tab-separated, header optional); keeps scores > 0."""
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if not row or (number == 1 and row[0] == "query-id"):
                continue
            if len(row) < 3:
                raise StudyragError(f"{path}:{number}: expected 3 tab-separated columns")
            try:
                score = int(row[2])
            except ValueError as error:
                raise StudyragError(
                    f"{path}:{number}: score {row[2]!r} is not an integer"
                ) from error
            if score > 0:
                qrels.setdefault(row[0], {})[row[1]] = score
    return qrels


def load_beir(path: Path, split: str = "test") -> BeirDataset:
    """Load one split of a BEIR-layout folder; queries without judgements are dropped."""
    corpus_file, queries_file = path / "corpus.jsonl", path / "queries.jsonl"
    qrels_file = path / "qrels" / f"{split}.tsv"
    for needed in (corpus_file, queries_file, qrels_file):
        if not needed.is_file():
            raise StudyragError(f"{needed} is missing: {path} is not a BEIR-layout dataset")
    corpus = {
        str(row["_id"]): (str(row.get("title") or ""), str(row.get("text") or ""))
        for row in _read_jsonl(corpus_file)
    }
    qrels = read_qrels(qrels_file)
    all_queries = {str(row["_id"]): str(row["text"]) for row in _read_jsonl(queries_file)}
    missing = sorted(q for q in qrels if q not in all_queries)
    if missing:
        raise StudyragError(f"{qrels_file}: queries {missing[:5]} are not in {queries_file}")
    queries = {qid: all_queries[qid] for qid in sorted(qrels, key=_natural_key)}
    digest = hashlib.sha256(corpus_file.read_bytes()).hexdigest()
    return BeirDataset(path.resolve().name, split, corpus, queries, qrels, digest)


def _natural_key(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (1 << 62, text)


_BASELINE_ROW = re.compile(r"^\|(?P<cells>.+)\|\s*$")


def read_published_baselines(readme: Path) -> list[PublishedBaseline]:
    """Rows of a README table whose 2nd/3rd cells are nDCG@10 / Recall@100 numbers."""
    if not readme.is_file():
        return []
    baselines = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = _BASELINE_ROW.match(line.strip())
        if not match:
            continue
        cells = [c.strip() for c in match.group("cells").split("|")]
        if len(cells) < 3:
            continue
        ndcg, recall = _number(cells[1]), _number(cells[2])
        if ndcg is None and recall is None:
            continue
        source = cells[3] if len(cells) > 3 else ""
        baselines.append(PublishedBaseline(cells[0], ndcg, recall, source))
    return baselines


def _number(cell: str) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


# Indexing ----------------------------------------------------------------------------------------
def beir_settings(settings: Settings, dataset: str) -> Settings:
    """The benchmark's own collection (``beir_<name>``) in its own data folder.

    Candidate lists grow to 200 chunks per retriever so that Recall@100 measures the retrievers,
    not the product's short candidate lists; everything else is the product's settings.
    """
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", dataset).strip("-")[:50] or "dataset"
    return settings.replace(
        collection=f"beir_{slug}",
        data_dir=settings.index.data_dir / "beir",
        candidates=max(settings.retrieval.candidates, 2 * RECALL_DEPTH),
    )


@dataclass(frozen=True)
class Configuration:
    """A retriever configuration to benchmark; reranking carries its depth."""

    mode: RetrievalMode
    rerank_depth: int | None = None

    @property
    def label(self) -> str:
        if self.mode is RetrievalMode.HYBRID_RERANK:
            return f"{self.mode.value}@{self.rerank_depth}"
        return self.mode.value


def configurations(
    modes: Sequence[RetrievalMode], rerank_depths: Sequence[int]
) -> list[Configuration]:
    """One configuration per mode, and one per rerank depth for hybrid+rerank."""
    plan: list[Configuration] = []
    for mode in modes:
        if mode is RetrievalMode.HYBRID_RERANK:
            plan += [Configuration(mode, depth) for depth in rerank_depths]
        else:
            plan.append(Configuration(mode))
    return plan


def dataset_documents(dataset: BeirDataset) -> list[ReadDocument]:
    """Each record as a document, its title a heading over its text (as a saved page reads),
    for the same reader model, chunker and embedder every file goes through."""
    documents = []
    for doc_id, (title, text) in dataset.corpus.items():
        body = text if text.strip() else title
        markdown = (
            f"# {' '.join(title.split())}\n\n{body}" if title.strip() and text.strip() else body
        )
        digest = hashlib.sha256(markdown.encode("utf-8")).hexdigest()
        documents.append(text_document(doc_id, AlignedText.identity(markdown), sha256=digest))
    return documents


def index_dataset(
    pipeline: StudyPipeline,
    dataset: BeirDataset,
    reindex: bool = False,
    progress: Progress | None = None,
) -> IndexStats:
    """Index every document with ``StudyPipeline.ingest_documents``: the chunks, embeddings
    (the INT8 export past its floor, as ``studyrag ingest``), sparse vectors and BM25 sidecar of
    a user's ingest. A document unchanged since the last run is kept.

    Call it before the pipeline's first search: the retriever loads the sidecar once.
    """
    say = progress or (lambda _message: None)
    if reindex and pipeline.store.exists():
        pipeline.store.drop()
        Path(pipeline.index.manifest_path).unlink(missing_ok=True)
    documents = dataset_documents(dataset)
    last = [-1.0]

    def ingest_progress(message: str, fraction: float) -> None:
        if fraction - last[0] >= 0.1 or fraction >= 1.0:  # a line per tenth, not per slice
            last[0] = fraction
            say(f"{dataset.name}: {message}")

    report = pipeline.ingest_documents(documents, ingest_progress)
    manifest = Manifest.load(pipeline.index.manifest_path)
    entries = manifest.entries.values() if manifest is not None else []
    return IndexStats(
        documents=len(documents),
        chunks=sum(len(e.chunk_ids) for e in entries),
        split_documents=sum(len(e.chunk_ids) > 1 for e in entries),
        seconds=report.seconds,
        chunks_written=report.chunks_written,
        reused=not report.changed,
        notes=tuple(report.notes),
    )


# Scoring -----------------------------------------------------------------------------------------
def rank_documents(hits: Sequence[Hit], limit: int) -> list[str]:
    """Document ids best first; a document takes the rank of its best chunk (max over chunks)."""
    seen: dict[str, None] = {}
    for hit in hits:
        seen.setdefault(hit.chunk.source, None)
        if len(seen) == limit:
            break
    return list(seen)


def score_ranking(ranking: Sequence[str], judged: dict[str, int]) -> tuple[float, float, float]:
    """nDCG@10 (graded gains), Recall@100 and MRR@10 of one ranked document list."""
    gains = [float(judged.get(doc, 0)) for doc in ranking]
    relevant = [judged.get(doc, 0) > 0 for doc in ranking]
    found_at = [
        next((rank for rank, d in enumerate(ranking, 1) if d == doc), None) for doc in judged
    ]
    return (
        ndcg_at_k(gains, [float(g) for g in judged.values()], 10),
        recall_at_k(found_at, RECALL_DEPTH),
        mrr_at_k(relevant, 10),
    )


def first_stage_tail(pipeline: StudyPipeline, text: str, depth: int) -> list[Hit]:
    """The hybrid ranking a reranker reorders the head of (its tail is kept as ranked)."""
    return pipeline.search(text, top_k=depth, mode=RetrievalMode.HYBRID).hits


def evaluate_configuration(
    pipeline: StudyPipeline,
    dataset: BeirDataset,
    configuration: Configuration,
    progress: Progress | None = None,
) -> ConfigurationResult:
    """Run every judged query through one configuration and score the top 100 documents.

    A reranker reorders only its head (``rerank_depth`` chunks); below it the list continues in
    first-stage (hybrid) order, so Recall@100 stays comparable across depths. Latency is the
    configuration's own search only.
    """
    say = progress or (lambda _message: None)
    mode, label = configuration.mode, configuration.label
    depth = max(pipeline.retrieval.candidates, 2 * RECALL_DEPTH)  # chunks, before collapsing
    rerank = mode is RetrievalMode.HYBRID_RERANK
    options = replace(
        pipeline.options(top_k=depth, mode=mode),
        rerank_depth=configuration.rerank_depth or pipeline.retrieval.rerank_depth,
    )
    result = ConfigurationResult(mode=label)
    pipeline.search("warm up", options=options)  # load models and sidecar outside the timing
    for number, (qid, text) in enumerate(dataset.queries.items(), start=1):
        begin = time.perf_counter()
        hits = pipeline.search(text, options=options).hits
        latency = (time.perf_counter() - begin) * 1000.0
        if rerank:
            hits = [*hits, *first_stage_tail(pipeline, text, depth)]
        ranking = rank_documents(hits, RECALL_DEPTH)
        ndcg, recall, mrr = score_ranking(ranking, dataset.qrels[qid])
        relevant = [dataset.qrels[qid].get(doc, 0) > 0 for doc in ranking]
        result.queries.append(
            QueryScore(qid, ndcg, recall, mrr, first_relevant_rank(relevant), latency, len(ranking))
        )
        if number % 50 == 0 or number == len(dataset.queries):
            say(
                f"{label}: {number}/{len(dataset.queries)} queries, "
                f"nDCG@10 so far {result.mean('ndcg_at_10'):.3f}"
            )
    return result


def _subset(dataset: BeirDataset, max_queries: int | None) -> BeirDataset:
    if max_queries is None:
        return dataset
    kept = dict(list(dataset.queries.items())[:max_queries])
    qrels = {q: dataset.qrels[q] for q in kept}
    return BeirDataset(dataset.name, dataset.split, dataset.corpus, kept, qrels, dataset.digest)


def run_beir(
    settings: Settings,
    path: Path,
    modes: Sequence[RetrievalMode],
    split: str = "test",
    reindex: bool = False,
    max_queries: int | None = None,
    progress: Progress | None = None,
    rerank_depths: Sequence[int] | None = None,
    on_result: Callable[[ConfigurationResult], None] | None = None,
) -> BeirRun:
    """Index a BEIR folder into its own collection and score each configuration on a split.

    ``rerank_depths`` defaults to the product's ``rerank_depth``; ``on_result`` sees each
    configuration as soon as it is scored (long runs keep what finished if stopped).
    """
    dataset = _subset(load_beir(path, split), max_queries)
    load_before = os.getloadavg()[0]
    own = beir_settings(settings, dataset.name)
    plan = configurations(modes, rerank_depths or [own.retrieval.rerank_depth])
    results: list[ConfigurationResult] = []
    with StudyPipeline(own) as pipeline:
        stats = index_dataset(pipeline, dataset, reindex, progress)
        window = pipeline.embedder.max_tokens
        for configuration in plan:  # one pipeline; the rerank depth is a per-query option
            result = evaluate_configuration(pipeline, dataset, configuration, progress)
            results.append(result)
            if on_result is not None:
                on_result(result)
    order = [c.label for c in plan]
    results.sort(key=lambda r: order.index(r.mode))
    return BeirRun(
        dataset=dataset.name,
        split=split,
        queries=len(dataset.queries),
        index=stats,
        results=results,
        published=read_published_baselines(path / "README.md"),
        settings={
            "collection": own.index.collection_name,
            "embedding_model": own.index.embedding_model.value,
            "candidates": own.retrieval.candidates,
            "rerank_depths": [c.rerank_depth for c in plan if c.rerank_depth],
            "rrf_k": own.retrieval.rrf_k,
            "window_tokens": window,
            # Latencies depend on what else runs: the 1-minute load before and after, per core.
            "cpus": os.cpu_count(),
            "load_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        },
    )


# Reporting ---------------------------------------------------------------------------------------
def results_table(run: BeirRun) -> str:
    """Our configurations, then the README's published systems, in one Markdown table."""
    rows: list[list[object]] = []
    for result in run.results:
        values = result.summary()
        rows.append(
            [
                f"studyrag {result.mode}",
                values["ndcg@10"],
                values["recall@100"],
                values["mrr@10"],
                f"{values['latency_p50_ms']:.0f} / {values['latency_p95_ms']:.0f}",
            ]
        )
    for baseline in run.published:
        rows.append(
            [f"published: {baseline.system}", baseline.ndcg_at_10, baseline.recall_at_100, None, ""]
        )
    headers = ["system", "nDCG@10", "Recall@100", "MRR@10", "latency p50 / p95 ms"]
    return markdown_table(headers, rows)


def index_line(run: BeirRun) -> str:
    stats = run.index
    if stats.reused:
        how = f"kept the index of {stats.documents:,} documents (no document changed)"
    else:
        how = (
            f"indexed {stats.documents:,} documents through the ingest pipeline in "
            f"{stats.seconds:.0f} s ({stats.chunks_per_second:.0f} chunks/s)"
        )
    return (
        f"{run.dataset} ({run.split}: {run.queries} queries): {how}; {stats.chunks:,} chunks "
        f"({stats.split_documents} documents split)."
    )


def beir_markdown(run: BeirRun) -> str:
    return f"{index_line(run)}\n\n{results_table(run)}"


def beir_report(run: BeirRun) -> Report:
    """The run as a report (plot: nDCG@10, Recall@100, MRR@10 per configuration)."""
    settings = ", ".join(f"{k}={v}" for k, v in run.settings.items())
    return Report(
        kind="beir",
        title=f"BEIR {run.dataset} ({run.split})",
        label=f"beir:{run.dataset}:{run.split}:{run.queries}:{run.settings['embedding_model']}",
        summary=run.summary(),
        sections=[
            ("Index", index_line(run) + f"\n\nSettings: {settings}."),
            ("Ours beside the published baselines", results_table(run)),
        ],
        data={
            "index": asdict(run.index),
            "settings": run.settings,
            "published": [asdict(b) for b in run.published],
            "per_query": {r.mode: [asdict(q) for q in r.queries] for r in run.results},
        },
        plot_metrics=["ndcg@10", "recall@100", "mrr@10"],
    )
