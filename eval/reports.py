"""Run reports: Markdown + JSON + a metrics plot per run, and a history to compare runs.

Each run writes ``<root>/<timestamp>-<kind>/{report.md,report.json,metrics.png}`` and appends one
line to ``<root>/history.jsonl``. The Markdown report compares the run with the previous run of the
same kind on the same data (``label``), metric by metric.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studyrag.index.files import atomic_write_text

Summary = dict[str, dict[str, float | None]]  # configuration -> metric -> value
HISTORY_FILE = "history.jsonl"


def now_stamp() -> str:
    """Local time as ``YYYYmmdd-HHMMSS`` (sortable folder names)."""
    return time.strftime("%Y%m%d-%H%M%S")


@dataclass
class Report:
    """One evaluation run, ready to be written."""

    kind: str  # "retrieval", "ragas", "beir", "gate"
    title: str
    label: str  # what was evaluated (gold file, dataset): runs compare only with the same label
    summary: Summary
    sections: list[tuple[str, str]] = field(default_factory=list)  # (heading, Markdown body)
    data: dict[str, Any] = field(default_factory=dict)  # everything else, for the JSON file
    plot_metrics: Sequence[str] | None = None  # metrics to plot (default: all in [0, 1])
    plot_errors: Summary = field(default_factory=dict)  # error bars (e.g. std over judge runs)
    created: str = field(default_factory=now_stamp)


@dataclass(frozen=True)
class MetricDelta:
    configuration: str
    metric: str
    previous: float
    current: float

    @property
    def change(self) -> float:
        return self.current - self.previous


@dataclass(frozen=True)
class WrittenReport:
    folder: Path
    markdown: Path
    json: Path
    plot: Path | None
    previous: dict[str, Any] | None


def fmt(value: float | None, digits: int = 3) -> str:
    """A metric cell: fixed digits, or an em dash for a value nobody measured."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; floats get three decimals."""

    def cell(value: object) -> str:
        if isinstance(value, float) or value is None:
            return fmt(value)
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_table(summary: Summary) -> str:
    """Configurations as rows, metrics as columns (union of all metrics, first-seen order)."""
    metrics: list[str] = []
    for values in summary.values():
        metrics += [m for m in values if m not in metrics]
    rows = [[name, *(values.get(m) for m in metrics)] for name, values in summary.items()]
    return markdown_table(["configuration", *metrics], rows)


def read_history(root: Path) -> list[dict[str, Any]]:
    """Every recorded run, oldest first (unreadable lines are skipped)."""
    path = root / HISTORY_FILE
    if not path.exists():
        return []
    runs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            runs.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return runs


def previous_run(root: Path, kind: str, label: str) -> dict[str, Any] | None:
    """The latest recorded run of the same kind on the same data."""
    matches = [r for r in read_history(root) if r.get("kind") == kind and r.get("label") == label]
    return matches[-1] if matches else None


def compare_summaries(previous: Summary, current: Summary) -> list[MetricDelta]:
    """Deltas for every (configuration, metric) measured in both runs."""
    deltas = []
    for configuration, values in current.items():
        before = previous.get(configuration, {})
        for metric, value in values.items():
            old = before.get(metric)
            if value is None or old is None or math.isnan(value) or math.isnan(old):
                continue
            deltas.append(MetricDelta(configuration, metric, float(old), float(value)))
    return deltas


def comparison_markdown(previous: dict[str, Any] | None, current: Summary) -> str:
    """The 'compared with the previous run' section."""
    if previous is None:
        return "No previous run of this kind on this data: nothing to compare with."
    deltas = compare_summaries(previous.get("summary", {}), current)
    if not deltas:
        return f"Previous run {previous.get('created')} shares no metric with this one."
    rows = [[d.configuration, d.metric, d.previous, d.current, f"{d.change:+.3f}"] for d in deltas]
    head = f"Previous run: `{previous.get('folder')}` ({previous.get('created')})."
    return (
        head
        + "\n\n"
        + markdown_table(["configuration", "metric", "previous", "current", "change"], rows)
    )


def plot_summary(
    summary: Summary,
    path: Path,
    title: str,
    metrics: Sequence[str],
    errors: Summary | None = None,
) -> Path | None:
    """Grouped bars: one group per metric, one bar per configuration (PNG, Agg backend)."""
    if not summary or not metrics:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configurations = list(summary)
    width = 0.8 / len(configurations)
    figure, axes = plt.subplots(figsize=(max(6.0, 1.6 * len(metrics) + 2), 4.0))
    for index, configuration in enumerate(configurations):
        values = [summary[configuration].get(m) for m in metrics]
        heights = [v if v is not None and not math.isnan(v) else 0.0 for v in values]
        shift = (index - (len(configurations) - 1) / 2) * width
        positions = [m + shift for m in range(len(metrics))]
        spread = (errors or {}).get(configuration, {})
        yerr = [spread.get(m) or 0.0 for m in metrics]
        bars = axes.bar(
            positions, heights, width, label=configuration, yerr=yerr if any(yerr) else None
        )
        axes.bar_label(bars, labels=[fmt(v, 2) for v in values], fontsize=7, padding=1)
    long_labels = max(len(m) for m in metrics) > 12
    axes.set_xticks(
        range(len(metrics)),
        list(metrics),
        rotation=25 if long_labels else 0,
        ha="right" if long_labels else "center",
        fontsize=8 if long_labels else 10,
    )
    axes.set_ylim(0, 1.08)
    axes.set_title(title)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def default_plot_metrics(summary: Summary) -> list[str]:
    """Metrics whose every value lies in [0, 1] (latencies and counts are left out)."""
    metrics: list[str] = []
    for values in summary.values():
        metrics += [m for m in values if m not in metrics]
    return [m for m in metrics if all(_unit_interval(v.get(m)) for v in summary.values())]


def _unit_interval(value: float | None) -> bool:
    return value is None or (not math.isnan(value) and 0.0 <= value <= 1.0)


def _new_folder(root: Path, created: str, kind: str) -> Path:
    folder = root / f"{created}-{kind}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = root / f"{created}-{kind}-{suffix}"
    folder.mkdir(parents=True)
    return folder


def render_markdown(report: Report, comparison: str, plot: Path | None) -> str:
    parts = [f"# {report.title}", "", f"Run `{report.created}` on `{report.label}`.", ""]
    parts += ["## Summary", "", summary_table(report.summary), ""]
    if plot is not None:
        parts += [f"![metrics per configuration]({plot.name})", ""]
    for heading, body in report.sections:
        parts += [f"## {heading}", "", body.rstrip(), ""]
    parts += ["## Compared with the previous run", "", comparison, ""]
    return "\n".join(parts)


def write_report(report: Report, root: Path) -> WrittenReport:
    """Write the run's folder, append it to the history, and compare it with the previous run."""
    previous = previous_run(root, report.kind, report.label)
    folder = _new_folder(root, report.created, report.kind)
    metrics = (
        list(report.plot_metrics)
        if report.plot_metrics is not None
        else default_plot_metrics(report.summary)
    )
    plot = plot_summary(
        report.summary, folder / "metrics.png", report.title, metrics, report.plot_errors
    )
    comparison = comparison_markdown(previous, report.summary)
    markdown = folder / "report.md"
    atomic_write_text(markdown, render_markdown(report, comparison, plot))
    payload = {
        "kind": report.kind,
        "title": report.title,
        "label": report.label,
        "created": report.created,
        "summary": report.summary,
        "previous": previous.get("folder") if previous else None,
        **report.data,
    }
    json_path = folder / "report.json"
    atomic_write_text(json_path, json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    entry = {
        "kind": report.kind,
        "label": report.label,
        "created": report.created,
        "folder": folder.name,
        "summary": report.summary,
    }
    with (root / HISTORY_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return WrittenReport(folder, markdown, json_path, plot, previous)
