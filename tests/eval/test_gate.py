"""The CI retrieval gate: thresholds and per-question baseline, by hand and on the real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from studyrag.eval.eval_cli import eval_app
from studyrag.eval.gate import Baseline, GateConfig, check, gate_report, render
from studyrag.eval.gold import load_gold
from studyrag.eval.reports import write_report
from studyrag.eval.retrieval_eval import QuestionScore, RetrievalReport, evaluate
from studyrag.pipeline import StudyPipeline
from studyrag.settings import RetrievalMode
from studyrag.types import StudyragError
from tests.conftest import CORPUS, REPO

THRESHOLDS = REPO / "eval" / "gate_thresholds.json"
BASELINE = REPO / "eval" / "baseline_retrieval.json"


def _score(qid: str, rank: int | None, recall: float = 1.0) -> QuestionScore:
    hit = 1.0 if rank is not None and rank <= 5 else 0.0
    return QuestionScore(
        qid=qid,
        question=f"question {qid}?",
        kind="keyword",
        recall_at_5=recall if hit else 0.0,
        hit_at_5=hit,
        mrr_at_10=1.0 / rank if rank else 0.0,
        ndcg_at_10=1.0 / rank if rank else 0.0,
        top_ids=[f"{qid}-top{i}" for i in range(1, 4)],
        timings_ms={},
        recall_at_10=recall if rank else 0.0,
        first_relevant=rank,
    )


def _config(**overrides: object) -> GateConfig:
    values: dict[str, object] = {
        "mode": RetrievalMode.HYBRID_RERANK,
        "gold": "gold.jsonl",
        "minimum": {"recall@5": 0.5},
        "max_drop": 0.02,
        "max_lost_questions": 0,
        **overrides,
    }
    return GateConfig(**values)  # type: ignore[arg-type]


BEFORE = RetrievalReport("hybrid+rerank", [_score("q1", 1), _score("q2", 2), _score("q3", 1)])


def test_unchanged_results_pass() -> None:
    result = check(BEFORE, _config(), Baseline.from_report(BEFORE))
    assert result.passed and not result.regressions and not result.improvements
    assert render(result).startswith("retrieval gate PASSED")


def test_lost_question_fails_with_a_readable_diff() -> None:
    # q2 falls from rank 2 to rank 7 (out of the top 5); q3 improves nothing; q1 unchanged.
    after = RetrievalReport("bm25", [_score("q1", 1), _score("q2", 7), _score("q3", 1)])
    result = check(after, _config(), Baseline.from_report(BEFORE))
    assert not result.passed
    assert [c.qid for c in result.regressions] == ["q2"]
    assert any("q2" in f and "top 5" in f for f in result.failures)
    text = render(result)
    assert "retrieval gate FAILED (bm25" in text
    assert "q2 [LOST TOP-5] question q2?" in text
    assert "- baseline: gold at rank 2, recall@5 1.00; top: q2-top1" in text
    assert "+ now:      gold at rank 7, recall@5 0.00" in text
    # recall@5 fell from 1.0 to 0.667: more than the allowed 0.02 below the baseline.
    assert any(f.startswith("recall@5 dropped 0.333 below the baseline") for f in result.failures)
    # One lost question is tolerated when the budget allows it, but stays listed.
    lenient = check(
        after, _config(max_lost_questions=1, max_drop=0.5), Baseline.from_report(BEFORE)
    )
    assert lenient.passed and [c.qid for c in lenient.regressions] == ["q2"]


def test_rank_slip_inside_top5_is_listed_not_lost() -> None:
    after = RetrievalReport("hybrid+rerank", [_score("q1", 3), _score("q2", 2), _score("q3", 1)])
    result = check(after, _config(max_drop=1.0), Baseline.from_report(BEFORE))
    assert result.passed  # nothing left the top 5 and no aggregate fell too far
    assert [(c.qid, c.lost_hit) for c in result.regressions] == [("q1", False)]
    assert "q1 [worse]" in render(result)


def test_minimum_and_question_set_changes() -> None:
    after = RetrievalReport("hybrid+rerank", [_score("q1", 1), _score("q4", None)])
    result = check(after, _config(minimum={"recall@5": 0.9}), Baseline.from_report(BEFORE))
    assert "recall@5 0.500 is under its minimum 0.9" in result.failures
    assert result.new_questions == ["q4"] and result.dropped_questions == ["q2", "q3"]


def test_baseline_and_config_files_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    Baseline.from_report(BEFORE).save(path)
    loaded = Baseline.load(path)
    assert loaded.questions["q2"].first_relevant == 2
    assert loaded.questions["q2"].top_ids == ("q2-top1", "q2-top2", "q2-top3")
    with pytest.raises(StudyragError, match="update-baseline"):
        Baseline.load(tmp_path / "missing.json")
    bad = tmp_path / "thresholds.json"
    bad.write_text(json.dumps({"minimum": {"recall@3": 0.5}}))
    with pytest.raises(StudyragError, match="unknown metrics"):
        GateConfig.load(bad)


def test_gate_report_lists_regressions(tmp_path: Path) -> None:
    after = RetrievalReport("bm25", [_score("q1", 1), _score("q2", None), _score("q3", 1)])
    result = check(after, _config(), Baseline.from_report(BEFORE))
    written = write_report(gate_report(result, "gold:x"), tmp_path)
    text = written.markdown.read_text(encoding="utf-8")
    assert "# Retrieval gate: FAILED" in text
    assert "| q2 | lost top-5 | question q2? |" in text
    assert json.loads(written.json.read_text())["regressed"] == ["q2"]


# On the real index ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gate_config() -> GateConfig:
    return GateConfig.load(THRESHOLDS)


@pytest.fixture(scope="module")
def committed_baseline() -> Baseline:
    return Baseline.load(BASELINE)


@pytest.fixture(scope="module")
def gate_gold(gate_config: GateConfig):
    return load_gold(Path(gate_config.gold), CORPUS)


def test_committed_files_agree(gate_config: GateConfig, committed_baseline: Baseline) -> None:
    assert Path(gate_config.gold) == REPO / "eval" / "data" / "study_qa.jsonl"
    assert committed_baseline.mode == gate_config.mode.value
    for metric, minimum in gate_config.minimum.items():
        assert committed_baseline.summary[metric] >= minimum, metric


@pytest.mark.slow
def test_gate_passes_on_the_real_index(
    pipeline: StudyPipeline, gate_config: GateConfig, committed_baseline: Baseline, gate_gold
) -> None:
    scored = evaluate(pipeline, gate_gold, gate_config.mode)
    result = check(scored, gate_config, committed_baseline)
    assert result.passed, render(result)
    assert set(committed_baseline.questions) == {q.qid for q in gate_gold}
    missing_heading = [s for s in scored.scores if s.kind == "missing_heading"]
    assert missing_heading and all(s.hit_at_5 == 1.0 for s in missing_heading)


def test_bm25_alone_fails_the_gate_naming_questions(
    pipeline: StudyPipeline, gate_config: GateConfig, committed_baseline: Baseline, gate_gold
) -> None:
    scored = evaluate(pipeline, gate_gold, RetrievalMode.BM25)
    result = check(scored, gate_config, committed_baseline)
    assert not result.passed
    lost = [c for c in result.regressions if c.lost_hit]
    assert len(lost) > gate_config.max_lost_questions
    text = render(result)
    for change in lost:
        assert f"{change.qid} [LOST TOP-5] {change.after.question}" in text


def test_cli_gate_exit_codes(index_copy: Path, cli_env: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("STUDYRAG_DATA_DIR", str(index_copy))
    runner = CliRunner()
    retrieval_only = tmp_path / "retrieval-thresholds.json"
    committed = json.loads(THRESHOLDS.read_text())
    committed.pop("answers")  # the answer gate has its own tests (tests/eval/test_answers.py)
    committed["gold"] = str(REPO / "eval/data/study_qa.jsonl")
    retrieval_only.write_text(json.dumps(committed))
    failed = runner.invoke(
        eval_app,
        [
            "gate",
            "--mode",
            "bm25",
            "--thresholds",
            str(retrieval_only),
            "--baseline",
            str(BASELINE),
        ],
    )
    assert failed.exit_code == 1, failed.output
    assert "retrieval gate FAILED (bm25" in failed.output and "[LOST TOP-5]" in failed.output

    # A baseline recorded from bm25 itself, with bm25-level minimums: the same run passes.
    own_baseline = tmp_path / "bm25-baseline.json"
    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text(
        json.dumps(
            {
                "mode": "bm25",
                "gold": str(REPO / "eval/data/study_qa.jsonl"),
                "minimum": {"recall@5": 0.5},
                "max_lost_questions": 0,
            }
        )
    )
    common = ["--thresholds", str(thresholds), "--baseline", str(own_baseline)]
    wrote = runner.invoke(eval_app, ["gate", *common, "--update-baseline"])
    assert wrote.exit_code == 0, wrote.output
    assert json.loads(own_baseline.read_text())["mode"] == "bm25"
    passed = runner.invoke(eval_app, ["gate", *common])
    assert passed.exit_code == 0, passed.output
    assert "retrieval gate PASSED (bm25" in passed.output
