"""BEIR loader and runner on a tiny BEIR-layout dataset the tests write themselves."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from studyrag.embedding import load_embedder
from studyrag.eval.beir import (
    beir_markdown,
    beir_settings,
    configurations,
    dataset_documents,
    load_beir,
    read_published_baselines,
    read_qrels,
    run_beir,
)
from studyrag.eval.eval_cli import eval_app
from studyrag.settings import EmbeddingModelName, LexicalBackend, RetrievalMode, Settings
from studyrag.types import StudyragError

BeirWriter = Callable[..., Path]


def _settings(data_dir: Path) -> Settings:
    # The ONNX model loads in a second; the runner is the same for either model.
    return Settings(_env_file=None, data_dir=data_dir, embedding_model="bge")  # type: ignore[call-arg]


def test_load_keeps_judged_queries_and_positive_qrels(tiny_beir: Path) -> None:
    dataset = load_beir(tiny_beir, "test")
    assert dataset.name == "tiny"
    assert len(dataset.corpus) == 5
    assert list(dataset.queries) == ["1", "2", "3"]  # query 4 has no judgement
    assert dataset.qrels["3"] == {"d5": 1}  # the score-0 row is not a relevant document
    assert dataset.qrels["2"] == {"d4": 2}


def test_load_rejects_a_folder_that_is_not_beir(tmp_path: Path, beir_writer: BeirWriter) -> None:
    with pytest.raises(StudyragError, match=r"corpus\.jsonl is missing"):
        load_beir(tmp_path)
    bad = beir_writer(tmp_path / "bad")
    (bad / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n1\td1\thigh\n")
    with pytest.raises(StudyragError, match="not an integer"):
        read_qrels(bad / "qrels" / "test.tsv")


def test_published_baselines_parse_the_readme(tiny_beir: Path) -> None:
    rows = read_published_baselines(tiny_beir / "README.md")
    assert [(r.system, r.ndcg_at_10, r.recall_at_100) for r in rows] == [
        ("BM25 (someone)", 0.665, 0.908),
        ("dense thing", 0.645, None),
    ]


def test_real_scifact_readme_baselines() -> None:
    # An unchanged copy of ../shared/benchmarks/scifact/README.md (the dataset itself is 8 MB).
    readme = Path(__file__).parent / "data" / "scifact_README.md"
    systems = {r.system: r.ndcg_at_10 for r in read_published_baselines(readme)}
    assert systems["BM25 + cross-encoder rerank of top 100"] == 0.688


def test_benchmark_gets_its_own_collection_and_folder(tmp_path: Path) -> None:
    base = _settings(tmp_path)
    own = beir_settings(base, "sci fact!")
    assert own.index.collection_name == f"beir_sci-fact_{base.index.embedding_model.value}"
    assert own.index.qdrant_path == tmp_path / "beir" / "qdrant"
    assert (
        own.retrieval.rerank_depth == base.retrieval.rerank_depth
        and own.retrieval.candidates >= 200
    )


def test_records_become_documents_the_ingest_chunker_reads(tmp_path: Path) -> None:
    from studyrag.eval.beir import BeirDataset
    from studyrag.ingest.chunker import StructureChunker

    long_text = " ".join(f"Sentence number {i} talks about topic {i % 13}." for i in range(200))
    corpus = {"d1": ("A title", "Short text."), "d2": ("Long", long_text), "d3": ("", "No title.")}
    dataset = BeirDataset("x", "test", corpus, {}, {}, "")
    short, long, untitled = dataset_documents(dataset)
    assert (short.source, short.text) == ("d1", "# A title\n\nShort text.")
    assert untitled.text == "No title." and len({short.sha256, long.sha256}) == 2
    embedder = load_embedder(EmbeddingModelName.BGE)
    chunker = StructureChunker(embedder.count_tokens)  # ingest's chunker, ingest's settings
    (chunk,) = chunker.run(short)
    assert chunk.source == "d1" and chunk.title == "A title"
    assert chunk.index_text.startswith("A title\n") and chunk.index_text.endswith("Short text.")
    pieces = chunker.run(long)
    assert len(pieces) > 1 and all(c.source == "d2" and c.title == "Long" for c in pieces)
    assert "Sentence number 199" in pieces[-1].text


def test_run_scores_every_configuration_and_reuses_the_index(
    tmp_path: Path, beir_writer: BeirWriter
) -> None:
    dataset = beir_writer(tmp_path / "tiny", long_doc_sentences=80)
    settings = _settings(tmp_path / "data")
    messages: list[str] = []
    run = run_beir(settings, dataset, list(RetrievalMode), progress=messages.append)
    assert run.queries == 3
    assert run.index.documents == 6 and run.index.split_documents == 1
    assert run.index.chunks > 6 and not run.index.reused
    summary = run.summary()
    assert list(summary) == [
        "bm25",
        "dense",
        "hybrid",
        f"hybrid+rerank@{settings.retrieval.rerank_depth}",
    ]
    for mode, values in summary.items():
        # Each query names its document plainly: every configuration ranks it first.
        assert values["ndcg@10"] == pytest.approx(1.0), mode
        assert values["recall@100"] == 1.0 and values["mrr@10"] == 1.0
        assert values["latency_p95_ms"] >= values["latency_p50_ms"] > 0
    for result in run.results:
        for query in result.queries:
            assert query.first_relevant == 1
    assert any(m.startswith("tiny: embedded") for m in messages)  # the ingest pipeline's progress

    again = run_beir(settings, dataset, [RetrievalMode.BM25])
    assert again.index.reused and again.index.chunks == run.index.chunks
    assert again.index.chunks_written == 0  # no document changed: nothing embedded again
    table = beir_markdown(again)
    assert "kept the index of 6 documents" in table
    assert "| studyrag bm25 | 1.000 | 1.000 | 1.000 |" in table
    assert "| published: BM25 (someone) | 0.665 | 0.908 | — |" in table


def test_cli_beir_writes_a_report(
    tmp_path: Path, tiny_beir: Path, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = tiny_beir
    monkeypatch.setenv("STUDYRAG_EMBEDDING_MODEL", "bge")
    reports = tmp_path / "reports"
    result = CliRunner().invoke(
        eval_app, ["beir", str(dataset), "--mode", "bm25", "--reports-dir", str(reports)]
    )
    assert result.exit_code == 0, result.output
    assert "| studyrag bm25 |" in result.output
    (folder,) = [p for p in reports.iterdir() if p.is_dir()]
    payload = json.loads((folder / "report.json").read_text())
    assert payload["kind"] == "beir" and payload["summary"]["bm25"]["ndcg@10"] == 1.0
    assert (folder / "metrics.png").is_file()
    missing = CliRunner().invoke(eval_app, ["beir", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "not a BEIR-layout dataset" in missing.output


def test_configurations_expand_rerank_depths() -> None:
    plan = configurations([RetrievalMode.BM25, RetrievalMode.HYBRID_RERANK], [20, 100])
    assert [c.label for c in plan] == ["bm25", "hybrid+rerank@20", "hybrid+rerank@100"]


def test_shallow_rerank_keeps_the_first_stage_tail(tmp_path: Path, tiny_beir: Path) -> None:
    results: list[str] = []
    run = run_beir(
        _settings(tmp_path / "data"),
        tiny_beir,
        [RetrievalMode.HYBRID_RERANK],
        rerank_depths=[1, 3],
        on_result=lambda result: results.append(result.mode),
    )
    assert results == ["hybrid+rerank@1", "hybrid+rerank@3"]
    assert run.settings["rerank_depths"] == [1, 3]
    shallow = run.results[0]
    # Below the one reranked chunk the hybrid order continues (dense ranks all five documents).
    assert all(q.documents == 5 for q in shallow.queries)
    assert shallow.summary()["recall@100"] == 1.0


def test_qdrant_sparse_backend_finds_the_documents(tmp_path: Path, tiny_beir: Path) -> None:
    base = _settings(tmp_path / "data")
    settings = base.replace(**{"lexical_backend": LexicalBackend.QDRANT_SPARSE})
    run = run_beir(settings, tiny_beir, [RetrievalMode.BM25, RetrievalMode.HYBRID])
    assert run.index.chunks >= 5
    for mode, values in run.summary().items():
        assert values["ndcg@10"] == pytest.approx(1.0), mode
