"""Thumbs up/down on answers, kept as local JSONL and exportable as eval gold rows.

One line per vote (a changed vote appends a new line; the latest line per answer wins). Each line
holds the question, the answer, its citations and the exact source spans that back it, so an
up-voted answer becomes a gold question in the ``eval/data/study_qa.jsonl`` format::

    {"id", "question", "kind": "feedback", "spans": [{"source", "text"}], "reference_answer"}
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studyrag.generate.base import Answer
from studyrag.settings import Settings
from studyrag.types import Citation
from studyrag.ui.spans import locate, strip_markers, supporting_sentences

UP, DOWN = "up", "down"
_MARGIN = 64  # characters around a chunk searched for its supporting sentences


def feedback_path(settings: Settings) -> Path:
    return settings.feedback_path


def _read_utf8(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def citation_spans(corpus_dir: Path, answer: Answer, citation: Citation) -> list[dict[str, str]]:
    """Exact substrings of the source file that back ``citation`` (gold-set span format)."""
    text = _read_utf8(corpus_dir / citation.passage.source)
    if text is None:
        return []
    chunk = citation.passage
    begin = max(0, chunk.start - _MARGIN)
    region = text[begin : chunk.end + _MARGIN]
    spans = []
    for sentence in supporting_sentences(answer, citation.n):
        found = locate(sentence, region)
        if found:
            spans.append(region[found[0] : found[1]])
    if not spans:
        whole = text[chunk.start : chunk.end].strip()
        spans = [whole] if whole else []
    return [{"source": chunk.source, "text": span} for span in dict.fromkeys(spans)]


def gold_spans(corpus_dir: Path, answer: Answer) -> list[dict[str, str]]:
    """Spans for every citation of an answer, without duplicates."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for citation in answer.citations:
        for span in citation_spans(corpus_dir, answer, citation):
            seen.setdefault((span["source"], span["text"]), span)
    return list(seen.values())


@dataclass
class FeedbackStore:
    """Votes in a JSONL file under the data folder."""

    path: Path
    corpus_dir: Path

    @classmethod
    def for_settings(cls, settings: Settings) -> FeedbackStore:
        return cls(feedback_path(settings), settings.index.corpus_dir)

    def record(self, answer_id: str, rating: str | None, answer: Answer) -> dict[str, Any]:
        """Append one vote (``"up"``, ``"down"`` or None for a withdrawn vote)."""
        row = {
            "id": answer_id,
            "rating": rating,
            "recorded_at": time.time(),
            "question": answer.question,
            "standalone_question": answer.standalone_question or answer.question,
            "answer": answer.text,
            "refused": answer.refused,
            "backend": answer.backend,
            "citations": [c.to_dict() for c in answer.citations],
            "spans": gold_spans(self.corpus_dir, answer) if rating == UP else [],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        return row

    def rows(self) -> list[dict[str, Any]]:
        """Every vote in file order (unreadable lines are skipped)."""
        if not self.path.exists():
            return []
        rows = []
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and "id" in row:
                rows.append(row)
        return rows

    def latest(self) -> dict[str, dict[str, Any]]:
        """The current vote per answer id."""
        return {row["id"]: row for row in self.rows()}

    def counts(self) -> dict[str, int]:
        votes = [row.get("rating") for row in self.latest().values()]
        return {UP: votes.count(UP), DOWN: votes.count(DOWN)}

    def gold_rows(self) -> list[dict[str, Any]]:
        """Up-voted, answered, cited questions whose spans are still in the corpus."""
        rows = []
        for answer_id, row in self.latest().items():
            if row.get("rating") != UP or row.get("refused"):
                continue
            spans = [s for s in row.get("spans", []) if self._still_there(s)]
            if not spans:
                continue
            rows.append(
                {
                    "id": f"fb-{answer_id[:12]}",
                    "question": row.get("standalone_question") or row["question"],
                    "kind": "feedback",
                    "spans": spans,
                    "reference_answer": strip_markers(row.get("answer", "")),
                }
            )
        return rows

    def export_gold(self) -> str:
        """Gold rows as JSONL text (what ``eval/data/study_qa.jsonl`` holds)."""
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.gold_rows())

    def _still_there(self, span: dict[str, str]) -> bool:
        text = _read_utf8(self.corpus_dir / span.get("source", ""))
        return bool(text and span.get("text") and span["text"] in text)
