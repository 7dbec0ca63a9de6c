"""The evaluation suite: every gold set, one table, one gate per set with held-out floors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from studyrag.eval.answers import AnswerReport, score_answer
from studyrag.eval.eval_cli import eval_app
from studyrag.eval.gate import GateConfig
from studyrag.eval.gold import GoldQuestion, GoldSpan, load_questions
from studyrag.eval.retrieval_eval import QuestionScore, RetrievalReport
from studyrag.eval.suite import SetResult, floor_failures, load_suite, suite_table
from studyrag.settings import RetrievalMode
from studyrag.types import StudyragError
from tests.conftest import REPO

SUITE = REPO / "eval" / "suite.json"


def test_the_committed_suite_names_every_set_with_its_files() -> None:
    entries = load_suite(SUITE)
    assert [e.name for e in entries] == ["corpus", "corpus-hard", "pdf", "html", "office"]
    for entry in entries:
        config = GateConfig.load(entry.gate)
        assert Path(config.gold).is_file() and entry.retrieval_baseline.is_file()
        assert entry.answer_baseline.is_file()
        if entry.name != "corpus-hard":  # it shares the corpus index and its off-topic set
            assert config.off_topic is not None
            assert len(load_questions(Path(config.off_topic))) >= 10
        assert config.heldout_minimum, f"{entry.name} has no held-out floor"


def test_unknown_sets_and_broken_files_are_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StudyragError, match=r"no set named nope .*sets: corpus, corpus-hard"):
        load_suite(SUITE, ["nope"])
    broken = tmp_path / "suite.json"
    broken.write_text("{not json")
    with pytest.raises(StudyragError, match=r"suite .*suite\.json"):
        load_suite(broken)


def test_a_gate_file_with_an_unknown_floor_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "gate.json"
    path.write_text(json.dumps({"minimum": {"hit@1": 0.5}, "heldout_minimum": {"recall@7": 1}}))
    with pytest.raises(StudyragError, match="unknown floors \\['recall@7'\\]"):
        GateConfig.load(path)


def _gold(qid: str, split: str) -> GoldQuestion:
    return GoldQuestion(
        qid, f"question {qid}?", "paraphrase", (GoldSpan("a.txt", "x", 0, 1),), split=split
    )


def _retrieved(qid: str, rank: int | None) -> QuestionScore:
    return QuestionScore(
        qid=qid,
        question=f"question {qid}?",
        kind="paraphrase",
        recall_at_5=1.0 if rank and rank <= 5 else 0.0,
        hit_at_5=1.0 if rank and rank <= 5 else 0.0,
        mrr_at_10=1.0 / rank if rank else 0.0,
        ndcg_at_10=1.0 / rank if rank else 0.0,
        top_ids=["c1"],
        timings_ms={},
        hit_at_1=1.0 if rank == 1 else 0.0,
        first_relevant=rank,
    )


def _result(off_topic: list[tuple[str, str, bool]]) -> SetResult:
    gold = [_gold("d1", "dev"), _gold("d2", "dev"), _gold("h1", "heldout"), _gold("h2", "heldout")]
    gold = [GoldQuestion(**{**q.__dict__, "facts": (("alpha",),)}) for q in gold]
    ranks = {"d1": 1, "d2": 1, "h1": 1, "h2": 7}
    retrieval = RetrievalReport("hybrid+rerank", [_retrieved(q.qid, ranks[q.qid]) for q in gold])
    answers = AnswerReport("composer")
    for q in gold:
        refused = q.qid == "h2"
        answers.scores.append(
            score_answer(q, "" if refused else "alpha beta", refused=refused, latency_ms=100.0)
        )
    baseline = AnswerReport("first", [score_answer(q, "beta") for q in gold])
    config = GateConfig(
        mode=RetrievalMode.HYBRID_RERANK,
        gold="gold.jsonl",
        minimum={},
        heldout_minimum={"recall@1": 0.75, "fact_recall": 0.5},
        refusal_minimum={"refusal_recall": 1.0, "answered": 0.75},
    )
    return SetResult("demo", config, gold, 40, retrieval, answers, baseline, off_topic)


def test_rows_split_dev_and_heldout_and_count_refusals() -> None:
    result = _result([("o1", "off one?", True), ("o2", "off two?", False)])
    dev, heldout, whole = result.row("dev"), result.row("heldout"), result.row("all")
    assert dev["recall@1"] == 1.0 and heldout["recall@1"] == 0.5
    assert heldout["recall@5"] == 0.5 and heldout["mrr@10"] == pytest.approx((1 + 1 / 7) / 2)
    assert heldout["fact_recall"] == 0.5 and heldout["fact_recall_first100"] == 0.0
    assert whole["refusal_recall"] == 0.5  # one of two off-topic questions refused
    assert whole["refusal_precision"] == 0.5  # one right refusal, one answerable refused
    assert whole["answered"] == 0.75 and whole["chunks"] == 40.0
    assert dev["refusal_recall"] is None  # refusal is a property of the whole set
    table = suite_table({"demo/heldout": heldout})
    assert "| demo/heldout | 2 | 0.500 | 0.500 |" in table


def test_floors_name_the_heldout_metric_and_the_answered_off_topic_questions() -> None:
    failures = floor_failures(_result([("o1", "off one?", True), ("o2", "off two?", False)]))
    assert "held-out recall@1 0.500 is under its floor 0.75" in failures
    assert "refusal_recall 0.500 is under its floor 1.0" in failures
    assert "  off-topic answered: off two?" in failures
    assert not any("fact_recall" in f or "answered " in f[:9] for f in failures)
    assert floor_failures(_result([("o1", "off one?", True)])) == [
        "held-out recall@1 0.500 is under its floor 0.75"
    ]


def test_cli_suite_table_baseline_and_gate(index_copy: Path, cli_env: Path, tmp_path: Path) -> None:
    """corpus-hard on the real index: a table and JSON, baselines written, then the gate passes;
    a baseline that claims more fails with the question named."""
    gate = json.loads((REPO / "eval/gates/corpus_hard.json").read_text())
    gate["gold"] = str(REPO / "eval/data/study_hard_qa.jsonl")
    (tmp_path / "hard.json").write_text(json.dumps(gate))
    suite = tmp_path / "suite.json"
    suite.write_text(
        json.dumps({"sets": [{"name": "hard", "gate": "hard.json", "data_dir": str(index_copy)}]})
    )
    runner = CliRunner()
    common = ["suite", "--suite", str(suite), "--no-report"]
    out = tmp_path / "table.json"
    wrote = runner.invoke(eval_app, [*common, "--update-baseline", "--json", str(out)])
    assert wrote.exit_code == 0, wrote.output
    rows = json.loads(out.read_text())
    assert set(rows) == {"hard/all", "hard/heldout"} and rows["hard/all"]["questions"] == 20
    assert "| hard/all | 20 |" in wrote.output
    baseline = tmp_path / "hard.retrieval.json"
    assert set(json.loads(baseline.read_text())["questions"]) == {f"h{i:02d}" for i in range(1, 21)}

    passed = runner.invoke(eval_app, [*common, "--gate"])
    assert passed.exit_code == 0, passed.output
    assert "== hard: PASSED" in passed.output and "suite gate PASSED on 1 sets" in passed.output

    claimed = json.loads(baseline.read_text())
    missed = next(q for q, s in claimed["questions"].items() if s["hit_at_5"] == 0.0)
    claimed["questions"][missed].update(hit_at_5=1.0, recall_at_5=1.0, mrr_at_10=1.0)
    claimed["questions"][missed]["first_relevant"] = 1
    claimed["summary"]["hit@5"] = 1.0
    baseline.write_text(json.dumps(claimed))
    failed = runner.invoke(eval_app, [*common, "--gate"])
    assert failed.exit_code == 1, failed.output
    assert "== hard: FAILED" in failed.output and f"{missed} [LOST TOP-5]" in failed.output
