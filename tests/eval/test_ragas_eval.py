"""RAGAS path: LLM-free metrics by hand, and the judge metrics over real local HTTP.

The records below are data written by hand (not stand-ins for a component); the expected scores
follow from RAGAS' formulas and the judge server's word-overlap rule (tests/eval/conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from studyrag.embedding import load_embedder
from studyrag.eval.gold import GoldQuestion, GoldSpan
from studyrag.eval.ragas_eval import (
    NO_JUDGE,
    EmbedderEmbeddings,
    EvalRecord,
    OpenAICompatibleJudge,
    make_record,
    ragas_report,
    run_ragas,
)
from studyrag.eval.reports import write_report
from studyrag.generate.base import Answer, Passage
from studyrag.settings import EmbeddingModelName, Settings
from studyrag.types import Chunk, Hit, StudyragError

CTX_ROPE = "RoPE rotates query and key vectors in 2D subspaces by an angle set by the position."
CTX_OTHER = "Quantization stores weights as 4-bit integers to cut serving memory."
CTX_ROPE_2 = "ALiBi subtracts a per-head linear distance penalty; no learned parameters needed."
CTX_BREAD = "Sourdough dough proofs at room temperature for several hours before baking."


def _settings(**overrides: object) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def embeddings() -> Iterator[EmbedderEmbeddings]:
    # Any studyrag embedder works behind the adapter; the ONNX one loads in a second.
    yield EmbedderEmbeddings(load_embedder(EmbeddingModelName.BGE))


@pytest.fixture
def records() -> list[EvalRecord]:
    return [
        EvalRecord(
            qid="r1",
            question="How does RoPE encode position?",
            kind="keyword",
            # Statement 1 is in the context, statement 2 is not: faithfulness 1/2.
            response="RoPE rotates query and key vectors by position. "
            "Bananas grow on tall tropical plants.",
            refused=False,
            retrieved_ids=["a#1", "x#9"],
            retrieved_contexts=[CTX_ROPE, CTX_OTHER],
            # Sentence 1 is attributable to the retrieved context, sentence 2 is not: recall 1/2.
            reference="RoPE rotates query and key vectors. It was invented by bakers in Paris.",
            reference_ids=["a#1", "a#2"],
            reference_contexts=[CTX_ROPE, CTX_ROPE_2],
        ),
        EvalRecord(
            qid="r2",
            question="How long does sourdough proof?",
            kind="keyword",
            response="Sourdough proofs at room temperature for hours.",
            refused=False,
            retrieved_ids=["c#1"],
            retrieved_contexts=[CTX_BREAD],
            reference="Sourdough proofs at room temperature.",
            reference_ids=["c#1"],
            reference_contexts=[CTX_BREAD],
        ),
    ]


def test_llm_free_metrics_by_hand(records: list[EvalRecord], embeddings, tmp_path: Path) -> None:
    outcome = run_ragas(records, _settings(), embeddings)
    free = outcome.llm_free
    # ID recall: r1 retrieved 1 of its 2 references, r2 1 of 1 -> (0.5 + 1) / 2.
    assert free["id_based_context_recall"] == pytest.approx(0.75)
    # ID precision: r1 1 of 2 retrieved is a reference, r2 1 of 1 -> 0.75.
    assert free["id_based_context_precision"] == pytest.approx(0.75)
    # String recall: CTX_ROPE_2 matches no retrieved text (similarity < 0.5) -> (0.5 + 1) / 2.
    assert free["non_llm_context_recall"] == pytest.approx(0.75)
    # String precision: r1 verdicts [1, 0] -> AP 1.0; r2 [1] -> 1.0.
    assert free["non_llm_context_precision_with_reference"] == pytest.approx(1.0)
    assert 0.0 < free["non_llm_string_similarity"] < 1.0
    assert 0.3 < free["semantic_similarity"] <= 1.0
    assert outcome.judged is None and outcome.judge is None
    summary = outcome.summary()
    assert not any(name in summary for name in ("faithfulness", "answer_relevancy"))
    assert summary["refusal_rate"] == 0.0

    written = write_report(ragas_report(outcome, "gold:test", _settings()), tmp_path)
    markdown = written.markdown.read_text(encoding="utf-8")
    assert NO_JUDGE in markdown
    assert "| faithfulness" not in markdown
    payload = json.loads(written.json.read_text(encoding="utf-8"))
    assert payload["judged"] is None and payload["judge_runs"] == 0
    assert "faithfulness" not in payload["summary"]["assistant"]


def test_judge_metrics_over_real_http(records, embeddings, judge_server, tmp_path: Path) -> None:
    settings = _settings(judge_base_url=judge_server.url, judge_model="tiny-judge", judge_runs=2)
    outcome = run_ragas(records, settings, embeddings)
    assert outcome.judged is not None
    faithfulness = outcome.judged["faithfulness"]
    # r1: 1 of 2 statements supported, r2: 1 of 1 -> mean 0.75 in both runs.
    assert faithfulness.mean == pytest.approx(0.75)
    assert (faithfulness.std, faithfulness.runs) == (0.0, 2)
    recall = outcome.judged["context_recall"]
    assert recall.mean == pytest.approx(0.75)  # r1 1 of 2 reference sentences, r2 1 of 1
    relevancy = outcome.judged["answer_relevancy"]
    assert 0.0 < relevancy.mean <= 1.0 and relevancy.runs == 2
    assert outcome.judge_failures == {"faithfulness": 0, "answer_relevancy": 0, "context_recall": 0}
    assert [row["faithfulness"] for row in outcome.per_question] == [0.5, 1.0]

    # Every request reached the server: 2 runs x 2 samples, relevancy asks 3 questions each.
    assert judge_server.count("ping") == 1
    assert judge_server.count("statements") == 4
    assert judge_server.count("nli") == 4
    assert judge_server.count("context_recall") == 4
    assert judge_server.count("relevance") == 12
    assert judge_server.count("unknown") == 0
    assert set(judge_server.models) == {"tiny-judge"}

    markdown = write_report(ragas_report(outcome, "gold:t", settings), tmp_path).markdown
    text = markdown.read_text(encoding="utf-8")
    assert NO_JUDGE not in text
    assert "tiny-judge at http://127.0.0.1" in text
    assert "| faithfulness | 0.750 | 0.000 | 0.750 | 0.750 | 2/2 | 0 |" in text


def test_unreachable_judge_fails_in_one_line(records, embeddings) -> None:
    settings = _settings(judge_base_url="http://127.0.0.1:9/v1", openai_timeout_s=2.0)
    with pytest.raises(StudyragError, match="did not answer"):
        run_ragas(records, settings, embeddings)


def test_judge_treats_a_cut_generation_as_unfinished(judge_server) -> None:
    from langchain_core.outputs import Generation, LLMResult

    judge = OpenAICompatibleJudge(_settings(judge_base_url=judge_server.url))
    cut = LLMResult(
        generations=[[Generation(text="{", generation_info={"finish_reason": "length"})]]
    )
    done = LLMResult(
        generations=[[Generation(text="{}", generation_info={"finish_reason": "stop"})]]
    )
    assert not judge.is_finished(cut) and judge.is_finished(done)


def test_make_record_pairs_answer_passages_with_gold_chunks() -> None:
    chunks = [
        Chunk("a.txt#0", "a.txt", "alpha", 0, 50),
        Chunk("a.txt#1", "a.txt", "beta", 50, 120),
        Chunk("b.txt#0", "b.txt", "gamma", 0, 80),
    ]
    question = GoldQuestion("q1", "What?", "keyword", (GoldSpan("a.txt", "s", 60, 100),), "ref")
    answer = Answer(
        question="What?",
        text="Beta [1].",
        refused=False,
        passages=[Passage(1, Hit(chunks[2], 1.0)), Passage(2, Hit(chunks[1], 0.5))],
    )
    record = make_record(question, answer, chunks)
    assert record.retrieved_ids == ["b.txt#0", "a.txt#1"]
    assert record.retrieved_contexts == ["gamma", "beta"]
    assert record.reference_ids == ["a.txt#1"] and record.reference_contexts == ["beta"]
    empty = make_record(question, Answer("What?", "Not covered.", refused=True), chunks)
    assert empty.to_sample()["retrieved_contexts"] == [""]  # scored as nothing retrieved
    assert empty.refused and empty.to_sample()["reference_context_ids"] == ["a.txt#1"]


# The real assistant through the CLI ---------------------------------------------------------------
def _ragas_cli(reports: Path, *extra: str):
    from typer.testing import CliRunner

    from studyrag.eval.eval_cli import eval_app
    from tests.conftest import GOLD

    args = ["ragas", "--gold", str(GOLD), "--limit", "3", "--reports-dir", str(reports), *extra]
    return CliRunner().invoke(eval_app, args)


@pytest.mark.slow
def test_cli_ragas_with_the_real_assistant_and_judge(
    index_copy: Path, cli_env: Path, judge_server, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STUDYRAG_DATA_DIR", str(index_copy))
    result = _ragas_cli(tmp_path / "r", "--judge-url", judge_server.url, "--judge-runs", "2")
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in (tmp_path / "r").iterdir() if p.is_dir()]
    payload = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert len(payload["per_question"]) == 3
    faithfulness = payload["judged"]["faithfulness"]
    assert faithfulness["runs"] == 2 and 0.0 <= faithfulness["mean"] <= 1.0
    assert 0.0 <= payload["summary"]["assistant"]["id_based_context_recall"] <= 1.0
    assert judge_server.count("unknown") == 0 and judge_server.count("nli") >= 1
    assert NO_JUDGE not in result.output


@pytest.mark.slow
def test_cli_ragas_without_judge_says_so(
    index_copy: Path, cli_env: Path, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STUDYRAG_DATA_DIR", str(index_copy))
    monkeypatch.delenv("STUDYRAG_JUDGE_BASE_URL", raising=False)
    result = _ragas_cli(tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert NO_JUDGE in result.output
    assert "faithfulness" not in result.output.split(NO_JUDGE)[0]
