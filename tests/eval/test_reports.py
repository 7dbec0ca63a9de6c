"""Reports: folder layout, history, comparison with the previous run, and the plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studyrag.eval.reports import (
    Report,
    compare_summaries,
    default_plot_metrics,
    markdown_table,
    previous_run,
    read_history,
    write_report,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _report(ndcg: float, label: str = "gold:a", created: str = "20250101-000000") -> Report:
    return Report(
        kind="retrieval",
        title="Retrieval",
        label=label,
        summary={
            "bm25": {"ndcg@10": 0.5, "latency_ms": 12.0},
            "hybrid": {"ndcg@10": ndcg, "latency_ms": 30.0},
        },
        sections=[("Misses", "q7 missed")],
        data={"per_question": {"bm25": [1, 2]}},
        created=created,
    )


def test_markdown_table_escapes_and_formats() -> None:
    table = markdown_table(["a", "b"], [["x|y", 0.12345], ["z", None]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| x\\|y | 0.123 |", "| z | — |"]


def test_compare_summaries_by_hand() -> None:
    deltas = compare_summaries(
        {"hybrid": {"ndcg@10": 0.70, "mrr@10": 0.60}},
        {"hybrid": {"ndcg@10": 0.75, "mrr@10": None}, "dense": {"ndcg@10": 0.6}},
    )
    assert [(d.configuration, d.metric) for d in deltas] == [("hybrid", "ndcg@10")]
    assert deltas[0].change == pytest.approx(0.05)


def test_plot_metrics_leave_out_latencies() -> None:
    assert default_plot_metrics(_report(0.7).summary) == ["ndcg@10"]


def test_write_report_twice_compares_with_previous(tmp_path: Path) -> None:
    first = write_report(_report(0.70, created="20250101-000000"), tmp_path)
    assert first.previous is None
    assert first.folder.name == "20250101-000000-retrieval"
    assert first.plot is not None and first.plot.read_bytes().startswith(PNG_MAGIC)
    text = first.markdown.read_text(encoding="utf-8")
    assert "| hybrid | 0.700 | 30.000 |" in text
    assert "## Misses" in text and "nothing to compare" in text
    payload = json.loads(first.json.read_text(encoding="utf-8"))
    assert payload["summary"]["hybrid"]["ndcg@10"] == 0.70
    assert payload["per_question"] == {"bm25": [1, 2]}

    # Same second, same kind: a distinct folder, compared with the first run.
    second = write_report(_report(0.75, created="20250101-000000"), tmp_path)
    assert second.folder.name == "20250101-000000-retrieval-2"
    assert second.previous is not None and second.previous["folder"] == first.folder.name
    text = second.markdown.read_text(encoding="utf-8")
    assert "| hybrid | ndcg@10 | 0.700 | 0.750 | +0.050 |" in text
    assert json.loads(second.json.read_text(encoding="utf-8"))["previous"] == first.folder.name

    history = read_history(tmp_path)
    assert [h["folder"] for h in history] == [first.folder.name, second.folder.name]


def test_previous_run_matches_kind_and_label(tmp_path: Path) -> None:
    write_report(_report(0.7, label="gold:a"), tmp_path)
    assert previous_run(tmp_path, "retrieval", "gold:b") is None
    assert previous_run(tmp_path, "beir", "gold:a") is None
    third = write_report(_report(0.8, label="gold:b"), tmp_path)
    assert third.previous is None  # a different gold set is not "the previous run"
    (tmp_path / "history.jsonl").open("a").write("not json\n")
    assert len(read_history(tmp_path)) == 2  # a damaged line is skipped, not fatal
