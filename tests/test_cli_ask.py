"""`studyrag ask` through typer's CliRunner, on a private copy of the real index."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from studyrag.cli import app
from tests.conftest import CORPUS

runner = CliRunner()
CITATION_KEYS = {
    "n",
    "chunk_id",
    "source",
    "heading",
    "text",
    "start",
    "end",
    "page",
    "page_unit",
    "label",
}


def test_ask_json_has_the_documented_shape(index_copy: Path) -> None:
    result = runner.invoke(
        app, ["--data-dir", str(index_copy), "ask", "What is SwiGLU?", "--json", "--top-k", "3"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"answer", "refused", "citations"} <= set(data)
    assert data["refused"] is False and "SwiGLU" in data["answer"]
    assert data["citations"] and all(set(c) == CITATION_KEYS for c in data["citations"])
    for citation in data["citations"]:
        assert f"[{citation['n']}]" in data["answer"] and 1 <= citation["n"] <= 3
        raw = (CORPUS / citation["source"]).read_text(encoding="utf-8")
        assert 0 <= citation["start"] < citation["end"] <= len(raw)


def test_ask_refuses_off_topic_and_lists_the_nearest(index_copy: Path) -> None:
    question = "Who painted the ceiling of the Sistine Chapel?"
    result = runner.invoke(app, ["--data-dir", str(index_copy), "ask", question, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["refused"] is True and data["citations"] == []
    assert "does not cover" in data["answer"] and len(data["nearest"]) == 5

    text = runner.invoke(app, ["--data-dir", str(index_copy), "ask", question])
    assert text.exit_code == 0 and "Nearest passages:" in text.stdout


def test_ask_text_output_lists_sources_and_honours_source_filter(index_copy: Path) -> None:
    source = "001_2c438f64575affed.txt"
    result = runner.invoke(
        app,
        ["--data-dir", str(index_copy), "ask", "What is RMSNorm?", "--source", source, "-k", "2"],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    first_paragraph = result.stdout.split("\n\n")[0]
    assert "[1]" in first_paragraph and "Sources:" in lines
    listed = [line for line in lines if line.startswith("  [")]
    assert listed and all(source in line for line in listed)


def test_ask_errors_are_one_line(index_copy: Path, tmp_path: Path) -> None:
    empty = runner.invoke(app, ["--data-dir", str(index_copy), "ask", "   "])
    assert empty.exit_code == 2
    assert empty.stderr.strip().splitlines() == [
        "error: the question is empty; type a question about the corpus"
    ]
    llm = runner.invoke(
        app, ["--data-dir", str(index_copy), "ask", "What is LoRA?", "--backend", "openai"]
    )
    assert llm.exit_code == 2 and "STUDYRAG_OPENAI_BASE_URL" in llm.stderr
    assert len(llm.stderr.strip().splitlines()) == 1
    bad = runner.invoke(app, ["--data-dir", str(index_copy), "ask", "q", "--backend", "gpt"])
    assert bad.exit_code == 2 and "gpt" in bad.output


def test_ask_batch_json_answers_every_line_with_models_loaded_once(
    index_copy: Path, tmp_path: Path
) -> None:
    from studyrag.eval.gold import load_questions
    from tests.conftest import GOLD

    gold = [q for _qid, q in load_questions(GOLD)]
    lines = [gold[i % len(gold)] for i in range(100)]
    lines[3] = ""  # empty lines are skipped
    lines[7] = "   "
    lines[10] = "x" * 5000  # over STUDYRAG_MAX_QUERY_CHARS: an error object, the batch goes on
    batch = tmp_path / "questions.txt"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(
        app, ["--data-dir", str(index_copy), "ask", "--batch", str(batch), "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 98
    errors = [r for r in rows if "error" in r]
    assert len(errors) == 1 and "characters" in errors[0]["error"]
    answers = [r for r in rows if "error" not in r]
    assert [r["question"] for r in answers] == [q for q in lines if q.strip() and len(q) < 5000]
    for row in answers:
        assert {"answer", "refused", "citations", "quotes", "timings_ms"} <= set(row)
        assert row["timings_ms"]["total"] > 0
        by_n = {c["n"]: c for c in row["citations"]}
        for quote in row["quotes"]:
            assert by_n[quote["n"]]["text"][quote["start"] : quote["end"]] == quote["text"]


def test_ask_needs_a_question_or_a_batch(index_copy: Path) -> None:
    neither = runner.invoke(app, ["--data-dir", str(index_copy), "ask"])
    assert neither.exit_code == 2 and "--batch" in neither.stderr
    missing = runner.invoke(
        app, ["--data-dir", str(index_copy), "ask", "--batch", "/nonexistent/q.txt"]
    )
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
