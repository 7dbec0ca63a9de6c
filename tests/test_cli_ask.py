"""`studyrag ask` through typer's CliRunner, on a private copy of the real index."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from studyrag.cli import app
from tests.conftest import CORPUS

runner = CliRunner()
CITATION_KEYS = {"n", "chunk_id", "source", "heading", "text", "start", "end"}


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
    assert "[1]" in lines[0] and "Sources:" in lines
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
