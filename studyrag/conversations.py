"""Saved conversations: every question, answer, citation and timing, kept in SQLite.

One database per data folder (``conversations.sqlite3``); each conversation belongs to one
collection. Answers are stored whole (passages, citations, quoted spans, support), so a reopened
conversation renders exactly as it was and its follow-ups get their context back.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from studyrag.generate.base import Answer, AnswerSentence, Passage, Quote
from studyrag.types import Chunk, Citation, Hit, StudyragError

MAX_TITLE = 80
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    collection TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_recent ON conversations (collection, updated_at DESC);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT,
    error TEXT,
    backend TEXT NOT NULL,
    seconds REAL NOT NULL,
    asked_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_of ON turns (conversation_id, position);
"""


@dataclass
class Turn:
    """One question and what came back: an answer, or an error the user can act on."""

    question: str
    answer: Answer | None = None
    error: str | None = None
    backend: str = ""
    seconds: float = 0.0
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    asked_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Conversation:
    """A saved conversation's summary, for the list."""

    id: str
    collection: str
    title: str
    created_at: float
    updated_at: float
    turns: int


# Answers as JSON ------------------------------------------------------------------------------
def _chunk(payload: dict[str, Any] | None) -> Chunk | None:
    return Chunk.from_payload(payload) if payload else None


def answer_record(answer: Answer) -> dict[str, Any]:
    """Everything an answer holds, as JSON-ready values (the inverse of :func:`answer_from`)."""
    return {
        "question": answer.question,
        "text": answer.text,
        "refused": answer.refused,
        "backend": answer.backend,
        "standalone_question": answer.standalone_question,
        "warnings": list(answer.warnings),
        "timings_ms": dict(answer.timings_ms),
        "sentences": [asdict(s) for s in answer.sentences],
        "quotes": [asdict(q) for q in answer.quotes],
        "citations": [
            {
                "source": c.source,
                "start": c.start,
                "end": c.end,
                "n": c.n,
                "chunk": c.chunk.to_payload() if c.chunk else None,
            }
            for c in answer.citations
        ],
        "passages": [
            {
                "n": p.n,
                "chunk": p.hit.chunk.to_payload(),
                **{k: v for k, v in asdict(p.hit).items() if k != "chunk"},
            }
            for p in answer.passages
        ],
    }


def answer_from(record: dict[str, Any]) -> Answer:
    """The answer :func:`answer_record` stored."""
    passages = []
    for row in record.get("passages", []):
        values = {k: v for k, v in row.items() if k not in ("n", "chunk")}
        chunk = _chunk(row["chunk"])
        assert chunk is not None
        passages.append(Passage(int(row["n"]), Hit(chunk=chunk, **values)))
    return Answer(
        question=record["question"],
        text=record["text"],
        refused=bool(record["refused"]),
        citations=[
            Citation(c["source"], c["start"], c["end"], c.get("n", 0), _chunk(c.get("chunk")))
            for c in record.get("citations", [])
        ],
        sentences=[AnswerSentence(**s) for s in record.get("sentences", [])],
        passages=passages,
        quotes=[Quote(**q) for q in record.get("quotes", [])],
        warnings=list(record.get("warnings", [])),
        backend=record.get("backend", ""),
        standalone_question=record.get("standalone_question", ""),
        timings_ms=dict(record.get("timings_ms", {})),
    )


def default_title(question: str) -> str:
    """A conversation's first question, shortened to a title."""
    text = " ".join(question.split())
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1].rstrip() + "…"


# The store ------------------------------------------------------------------------------------
class ConversationStore:
    """Saved conversations in one SQLite file; safe to share between app sessions (each call
    opens its own connection; SQLite serialises the writers)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.path, timeout=10)
        except sqlite3.Error as error:
            message = f"cannot open saved conversations at {self.path}: {error}"
            raise StudyragError(message) from None
        try:
            db.execute("PRAGMA foreign_keys=ON")
            with db:
                yield db
        except sqlite3.DatabaseError as error:
            raise StudyragError(
                f"saved conversations at {self.path} could not be read or written ({error}); "
                "move the file away to start a new list"
            ) from None
        finally:
            db.close()

    def create(self, collection: str, title: str) -> Conversation:
        now = time.time()
        conversation = Conversation(
            uuid.uuid4().hex, collection, default_title(title) or "Conversation", now, now, 0
        )
        with self._connect() as db:
            db.execute(
                "INSERT INTO conversations VALUES (?, ?, ?, ?, ?)",
                (conversation.id, collection, conversation.title, now, now),
            )
        return conversation

    def add_turn(self, conversation_id: str, turn: Turn) -> None:
        """Append a turn (its answer whole) and mark the conversation as just used."""
        answer = json.dumps(answer_record(turn.answer)) if turn.answer is not None else None
        with self._connect() as db:
            updated = db.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?",
                (time.time(), conversation_id),
            )
            if updated.rowcount == 0:
                raise StudyragError("that conversation was deleted; start a new one")
            (position,) = db.execute(
                "SELECT COUNT(*) FROM turns WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    turn.id,
                    conversation_id,
                    position,
                    turn.question,
                    answer,
                    turn.error,
                    turn.backend,
                    turn.seconds,
                    turn.asked_at,
                ),
            )

    def get(self, conversation_id: str) -> Conversation:
        with self._connect() as db:
            row = db.execute(
                "SELECT c.id, c.collection, c.title, c.created_at, c.updated_at, "
                "(SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id) "
                "FROM conversations c WHERE c.id = ?",
                (conversation_id,),
            ).fetchone()
        if row is None:
            raise StudyragError("that conversation is no longer saved (deleted?)")
        return Conversation(*row)

    def recent(self, collection: str, limit: int = 20, search: str = "") -> list[Conversation]:
        """The collection's conversations, most recently used first; ``search`` filters titles
        and questions."""
        like = f"%{search.strip()}%"
        with self._connect() as db:
            rows = db.execute(
                "SELECT c.id, c.collection, c.title, c.created_at, c.updated_at, "
                "(SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id) "
                "FROM conversations c WHERE c.collection = ? AND (? = '%%' OR c.title LIKE ? "
                "OR EXISTS (SELECT 1 FROM turns t WHERE t.conversation_id = c.id "
                "AND t.question LIKE ?)) ORDER BY c.updated_at DESC LIMIT ?",
                (collection, like, like, like, limit),
            ).fetchall()
        return [Conversation(*row) for row in rows]

    def count(self, collection: str) -> int:
        with self._connect() as db:
            (n,) = db.execute(
                "SELECT COUNT(*) FROM conversations WHERE collection = ?", (collection,)
            ).fetchone()
        return int(n)

    def turns(self, conversation_id: str) -> list[Turn]:
        """A conversation's turns in order, answers restored."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, question, answer, error, backend, seconds, asked_at FROM turns "
                "WHERE conversation_id = ? ORDER BY position",
                (conversation_id,),
            ).fetchall()
        return [
            Turn(
                question=question,
                answer=answer_from(json.loads(answer)) if answer else None,
                error=error,
                backend=backend,
                seconds=seconds,
                id=turn_id,
                asked_at=asked_at,
            )
            for turn_id, question, answer, error, backend, seconds, asked_at in rows
        ]

    def rename(self, conversation_id: str, title: str) -> None:
        text = default_title(title)
        if not text:
            raise StudyragError("give the conversation a title")
        with self._connect() as db:
            db.execute("UPDATE conversations SET title = ? WHERE id = ?", (text, conversation_id))

    def delete(self, conversation_id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def delete_collection(self, collection: str) -> int:
        """Delete every conversation of a collection; how many there were."""
        with self._connect() as db:
            return db.execute(
                "DELETE FROM conversations WHERE collection = ?", (collection,)
            ).rowcount


# Export ---------------------------------------------------------------------------------------
def _quoted(answer: Answer, citation: Citation) -> list[str]:
    spans = [q.text for q in answer.quotes if q.n == citation.n and q.text.strip()]
    if spans or citation.chunk is None:
        return spans
    text = " ".join(citation.chunk.text.split())
    return [text if len(text) <= 300 else text[:299].rstrip() + "…"]


def to_markdown(conversation: Conversation, turns: list[Turn], collection_name: str) -> str:
    """A conversation as Markdown: each question, its answer with ``[n]`` markers, and its
    sources (file · page · section) with the quoted spans."""
    when = datetime.fromtimestamp(conversation.created_at).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"# {conversation.title}",
        "",
        f"*Collection: {collection_name} · started {when} · {len(turns)} questions*",
    ]
    for number, turn in enumerate(turns, start=1):
        lines += ["", f"## {number}. {' '.join(turn.question.split())}", ""]
        if turn.answer is None:
            lines.append(f"*No answer: {turn.error or 'unknown error'}*")
            continue
        lines.append(turn.answer.text.strip())
        if turn.answer.refused or not turn.answer.citations:
            continue
        lines += ["", "**Sources**", ""]
        for citation in turn.answer.citations:
            label = citation.chunk.citation_label if citation.chunk else citation.source
            lines.append(f"- [{citation.n}] {label}")
            lines += [f"  > {' '.join(span.split())}" for span in _quoted(turn.answer, citation)]
    return "\n".join(lines) + "\n"
