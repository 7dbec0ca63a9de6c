"""Feedback votes are kept as JSONL and up-voted answers export as loadable gold rows."""

from __future__ import annotations

import json
from pathlib import Path

from studyrag.eval.gold import load_gold
from studyrag.generate.base import Answer, AnswerSentence, Citation
from studyrag.types import Chunk
from studyrag.ui.feedback import DOWN, UP, FeedbackStore

DOC = (
    "Q3. Why did LLaMA switch to RMSNorm?\n\n"
    "Answer\n\n"
    "  • **RMSNorm** removes the mean-centering step and normalizes by the root mean square only\n"
    "  • It is about 10% faster than LayerNorm with no loss in quality\n"
)


def _answer(corpus: Path, refused: bool = False) -> Answer:
    (corpus / "norms.txt").write_text(DOC, encoding="utf-8")
    start = DOC.index("Answer")
    chunk = Chunk("norms:0", "norms.txt", DOC[start:], start, len(DOC), ("Q3",))
    return Answer(
        question="why rmsnorm?",
        text="RMSNorm removes the mean-centering step and normalizes by the root mean square "
        "only [1]. It is about 10% faster than LayerNorm with no loss in quality [1].",
        refused=refused,
        citations=[Citation.of_chunk(chunk, 1)],
        sentences=[
            AnswerSentence(
                "RMSNorm removes the mean-centering step and normalizes by the root mean "
                "square only.",
                [1],
            ),
            AnswerSentence("It is about 10% faster than LayerNorm with no loss in quality.", [1]),
        ],
        backend="extractive",
        standalone_question="Why did LLaMA-style models switch to RMSNorm?",
    )


def _store(tmp_path: Path) -> FeedbackStore:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    return FeedbackStore(tmp_path / "data" / "feedback.jsonl", corpus)


def test_a_vote_is_one_jsonl_line_with_question_answer_and_citations(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.record("a1", UP, _answer(store.corpus_dir))
    lines = store.path.read_text("utf-8").splitlines()
    assert len(lines) == 1
    row = json.loads(lines[0])
    assert row["rating"] == UP and row["question"] == "why rmsnorm?"
    assert row["answer"].endswith("[1].")
    assert row["citations"][0]["source"] == "norms.txt"
    assert [s["text"] for s in row["spans"]] == [
        "RMSNorm** removes the mean-centering step and normalizes by the root mean square only",
        "It is about 10% faster than LayerNorm with no loss in quality",
    ]


def test_the_latest_vote_per_answer_wins(tmp_path: Path) -> None:
    store = _store(tmp_path)
    answer = _answer(store.corpus_dir)
    store.record("a1", UP, answer)
    store.record("a1", DOWN, answer)
    store.record("a2", UP, answer)
    assert store.counts() == {UP: 1, DOWN: 1}
    assert [r["id"] for r in store.gold_rows()] == ["fb-a2"]


def test_export_is_in_the_gold_format_and_loads_as_gold(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from studyrag.cli import app

    store = _store(tmp_path)
    store.record("abc", UP, _answer(store.corpus_dir))
    exported = tmp_path / "gold.jsonl"
    monkeypatch.setenv("STUDYRAG_CORPUS_DIR", str(store.corpus_dir))
    command = ["--data-dir", str(tmp_path / "data"), "export-feedback", str(exported)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0 and "wrote 1 gold rows" in result.output
    nowhere = CliRunner().invoke(app, [*command[:3], str(tmp_path / "missing" / "gold.jsonl")])
    assert nowhere.exit_code == 2 and "cannot write" in nowhere.output
    assert "Traceback" not in nowhere.output
    row = json.loads(exported.read_text("utf-8"))
    assert set(row) == {"id", "question", "kind", "spans", "reference_answer"}
    assert row["kind"] == "feedback" and "[1]" not in row["reference_answer"]
    gold = load_gold(exported, store.corpus_dir)
    assert gold[0].question == "Why did LLaMA-style models switch to RMSNorm?"
    assert [s.source for s in gold[0].spans] == ["norms.txt", "norms.txt"]


def test_refusals_down_votes_and_vanished_spans_are_not_exported(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.record("refused", UP, _answer(store.corpus_dir, refused=True))
    store.record("down", DOWN, _answer(store.corpus_dir))
    store.record("gone", UP, _answer(store.corpus_dir))
    (store.corpus_dir / "norms.txt").write_text("rewritten entirely", "utf-8")
    assert store.gold_rows() == []
    assert store.export_gold() == ""


def test_damaged_lines_are_skipped(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.record("a1", UP, _answer(store.corpus_dir))
    with store.path.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n[1, 2]\n")
    assert [r["id"] for r in store.rows()] == ["a1"]
