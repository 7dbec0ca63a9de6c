from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from studyrag.cli import app

runner = CliRunner()


def test_search_json_has_the_documented_shape(index_copy: Path) -> None:
    result = runner.invoke(
        app, ["--data-dir", str(index_copy), "search", "what is SwiGLU?", "-k", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["query"] == "what is SwiGLU?" and len(data["results"]) == 3
    first = data["results"][0]
    for key in ("rank", "chunk_id", "source", "heading", "text", "score", "start", "end"):
        assert key in first
    assert "SwiGLU" in first["text"]
    raw = (Path(__file__).resolve().parents[1] / "corpus" / first["source"]).read_text("utf-8")
    assert "SwiGLU" in raw[first["start"] : first["end"]]


def test_batch_search_prints_one_json_object_per_question(tmp_path: Path, index_copy: Path) -> None:
    batch = tmp_path / "questions.txt"
    batch.write_text("what is DPO?\n\nwhat is the EU AI Act?\n" + "y" * 5000 + "\n", "utf-8")
    result = runner.invoke(
        app, ["--data-dir", str(index_copy), "search", "--batch", str(batch), "--json", "-k", "2"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["query"][:22] for r in rows] == ["what is DPO?", "what is the EU AI Act?", "y" * 22]
    assert all(len(r["results"]) == 2 for r in rows[:2])
    assert "characters" in rows[2]["error"]


def test_ingest_reports_skips_and_summary(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# LoRA\n\nQ1. What is LoRA?\n\nLow-rank adapters.\n", "utf-8")
    (folder / "b.bin").write_bytes(b"\x00\x01")
    data = tmp_path / "data"
    result = runner.invoke(app, ["--data-dir", str(data), "ingest", "-q", str(folder)])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.stdout and "b.bin: unsupported file type '.bin'" in result.stdout
    assert "1 added" in result.stdout
    again = runner.invoke(app, ["--data-dir", str(data), "ingest", "-q", str(folder)])
    assert "1 unchanged" in again.stdout and "0 chunks embedded" in again.stdout


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "empty"), "search", "LoRA"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: the index is empty; run `studyrag ingest` (or `make run`) first"
    ]
    bad = runner.invoke(app, ["--data-dir", str(tmp_path), "search"])
    assert bad.exit_code == 2 and "give a question or --batch FILE" in bad.stderr


def test_a_bad_setting_is_one_line_naming_its_variable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("STUDYRAG_CHUNK_MAX_TOKENS", "5000")
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "empty"), "search", "LoRA"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: invalid setting STUDYRAG_CHUNK_MAX_TOKENS: "
        "Input should be less than or equal to 512"
    ]
