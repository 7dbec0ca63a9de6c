"""`studyrag quiz` through typer's CliRunner, on the real corpus and the real embedder."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from studyrag import cli as main_cli
from studyrag.quiz.quiz_cli import quiz_app
from tests.conftest import CORPUS
from tests.quiz.conftest import source_named

runner = CliRunner()
PARTIAL = (
    "The KV cache stores the keys and values of earlier tokens so they do not need to be "
    "recomputed at every generation step."
)


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, index_copy: Path):
    """Run a quiz command with its own data folder (no options left over from other tests)."""
    monkeypatch.setattr(main_cli._State, "overrides", {})
    env = {"STUDYRAG_DATA_DIR": str(index_copy), "STUDYRAG_CORPUS_DIR": str(CORPUS)}

    def run(*args: str, stdin: str | None = None):
        return runner.invoke(quiz_app, list(args), env=env, input=stdin)

    return run


def _kv_cache_id() -> str:
    return f"{Path(source_named('001')).stem}-q3"


@pytest.mark.slow  # loads the embedder in-process, grades three answers: 20-35 s here
def test_ask_grades_records_and_weak_mode_brings_the_question_back(invoke) -> None:
    result = invoke("ask", "--id", _kv_cache_id(), "--answer", PARTIAL, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["question_id"] == _kv_cache_id() and 0 < data["score"] < 70
    assert data["covered"] and data["missed"] and len(data["follow_ups"]) == 3
    assert data["missed"][0]["citation"][0] == source_named("001")
    expected = "again" if data["score"] < 50 else "hard"  # 0 < score < 70: a miss or a hard one
    assert data["next_review"]["rating"] == expected
    assert data["next_review"]["due_at"] - time.time() < 3600  # a learning step, in minutes

    again = invoke("ask", "--weak", "--answer", PARTIAL, "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["question_id"] == _kv_cache_id()

    progress = json.loads(invoke("progress", "--json").stdout)
    [topic] = progress["topics"]
    assert (topic["topic"], topic["attempts"], topic["weak"]) == ("Transformer Architecture", 2, 1)
    assert progress["history"][0]["attempts"] == 2
    assert progress["due_today"] == [_kv_cache_id()] and topic["due_today"] == 1
    assert 0 <= topic["retention"] <= 1 and "default parameters" in progress["scheduler"]
    text = invoke("progress").stdout
    assert "Due today: 1" in text and "retention" in text and "Next 7 days: today 1" in text

    listed = invoke("list", "--weak", "--json")
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [_kv_cache_id()]


def test_ask_reads_a_typed_answer_and_prints_the_grade(invoke, tmp_path: Path) -> None:
    result = invoke("ask", "--id", _kv_cache_id(), "--no-record", stdin=f"{PARTIAL}\n\n")
    assert result.exit_code == 0, result.output
    assert "What is the KV cache" in result.stdout
    assert "Score:" in result.stdout and "Missed (" in result.stdout
    assert f"({source_named('001')} · " in result.stdout and " · characters " in result.stdout
    assert "Follow-ups an interviewer may chain" in result.stdout
    answer_file = tmp_path / "answer.txt"
    answer_file.write_text(PARTIAL, encoding="utf-8")
    from_file = invoke("ask", "--id", _kv_cache_id(), "--answer-file", str(answer_file), "--json")
    assert from_file.exit_code == 0, from_file.output
    assert json.loads(from_file.stdout)["score"] > 0
    assert "No attempts yet" not in invoke("progress").stdout


def test_list_filters_by_topic_and_difficulty(invoke) -> None:
    result = invoke("list", "--topic", "rag", "--difficulty", "easy", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all("rag" in r["topic"].lower() and r["difficulty"] == "Easy" for r in rows)
    assert all(r["last_score"] is None for r in rows)
    text = invoke("list", "--kind", "outline")
    assert text.exit_code == 0 and "question(s)" in text.output
    assert len(text.stdout.splitlines()) >= 100


def test_show_prints_key_points_with_citations(invoke) -> None:
    result = invoke("show", _kv_cache_id())
    assert result.exit_code == 0, result.output
    assert "The KV cache stores the key and value tensors" in result.stdout
    assert "? How does PagedAttention" in result.stdout


def test_user_errors_are_one_line(invoke) -> None:
    unknown = invoke("ask", "--id", "nope", "--answer", "x")
    assert unknown.exit_code == 2 and "no question 'nope'" in unknown.output
    level = invoke("ask", "--difficulty", "Extreme", "--answer", "x")
    assert level.exit_code == 2 and "unknown difficulty" in level.output
    weak = invoke("ask", "--weak", "--answer", "x")
    assert weak.exit_code == 2 and "nothing answered poorly yet" in weak.output
    empty = invoke("ask", "--id", _kv_cache_id(), "--answer", "  ")
    assert empty.exit_code == 2 and "the answer is empty" in empty.output
    assert "Traceback" not in unknown.output + level.output + weak.output + empty.output


def test_calibrate_sweeps_cutoffs_on_a_few_questions(invoke) -> None:
    result = invoke("calibrate", "--limit", "3")
    assert result.exit_code == 0, result.output
    assert "current cutoffs" in result.output
    for scenario in ("model", "half", "median", "unrelated", "off_domain"):
        assert f"  {scenario} " in result.output


def test_export_writes_an_anki_deck_and_csv(invoke, tmp_path: Path) -> None:
    deck, table = tmp_path / "bank.apkg", tmp_path / "bank.csv"
    result = invoke("export", "--anki", str(deck), "--csv", str(table))
    assert result.exit_code == 0, result.output
    # corpus/'s 233 own questions, and 10 written for README.md and the sections around them
    assert "wrote 243 notes" in result.output and "wrote 243 rows" in result.output
    assert deck.stat().st_size > 10_000
    with table.open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.reader(handle))) == 1 + 243
    nothing = invoke("export")
    assert nothing.exit_code == 2 and "--anki" in nothing.output


def test_optimize_says_plainly_when_the_defaults_stay(invoke) -> None:
    result = invoke("optimize")
    assert result.exit_code == 0, result.output
    assert "FSRS default parameters: 0 spaced reviews so far" in result.output
