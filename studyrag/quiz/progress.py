"""Practice progress in a local SQLite file: every attempt, and each question's review schedule."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studyrag.quiz.bank import Question
from studyrag.quiz.schedule import ReviewState, Scheduler
from studyrag.settings import Settings
from studyrag.types import StudyragError

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    difficulty TEXT,
    score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    covered INTEGER NOT NULL,
    total INTEGER NOT NULL,
    answered_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_question ON attempts (question_id, answered_at);
CREATE TABLE IF NOT EXISTS schedule (
    question_id TEXT PRIMARY KEY,
    box INTEGER NOT NULL,
    due_at REAL NOT NULL,
    last_score INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    updated_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Attempt:
    """One graded answer."""

    question_id: str
    topic: str
    difficulty: str | None
    score: int
    covered: int
    total: int
    answered_at: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class TopicPoint:
    """Mean score of a topic's attempts on one day."""

    day: str  # ISO date, local time
    topic: str
    mean_score: float
    attempts: int


@dataclass(frozen=True)
class TopicSummary:
    """A topic's record so far."""

    topic: str
    attempts: int
    questions: int
    mean_score: float
    last_mean_score: float  # mean of each question's latest score
    weak: int  # questions whose latest score is under the pass score

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def store_path(settings: Settings) -> Path:
    """Where the progress database of these settings lives."""
    return settings.quiz_db_path


class ProgressStore:
    """Attempts and review schedule in one SQLite file; safe to reopen from a new process."""

    def __init__(self, path: Path, scheduler: Scheduler | None = None) -> None:
        self.path = path
        self.scheduler = scheduler or Scheduler()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), timeout=10)
        except (OSError, sqlite3.Error) as error:
            raise StudyragError(f"cannot open the progress file {path}: {error}") from error
        try:
            self._migrate()
        except sqlite3.Error as error:
            self._db.close()
            raise StudyragError(f"cannot open the progress file {path}: {error}") from error

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            self._db.close()
            raise StudyragError(f"{self.path} was written by a newer studyrag; upgrade it")
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._db.commit()

    @classmethod
    def for_settings(cls, settings: Settings) -> ProgressStore:
        scheduler = Scheduler(settings.quiz_pass_score, settings.quiz_fail_score)
        return cls(store_path(settings), scheduler)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Writing ------------------------------------------------------------------------------------
    def record(
        self,
        question: Question,
        score: int,
        covered: int,
        total: int,
        at: float | None = None,
    ) -> ReviewState:
        """Save an attempt and reschedule its question; returns the new schedule state."""
        if not 0 <= score <= 100:
            raise ValueError("score must be within 0-100")
        now = time.time() if at is None else at
        state = self.scheduler.review(question.id, self.state(question.id), score, now)
        with self._db:
            self._db.execute(
                "INSERT INTO attempts (question_id, topic, difficulty, score, covered, total,"
                " answered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (question.id, question.topic, question.difficulty, score, covered, total, now),
            )
            self._db.execute(
                "INSERT OR REPLACE INTO schedule VALUES (?, ?, ?, ?, ?, ?)",
                (
                    state.question_id,
                    state.box,
                    state.due_at,
                    state.last_score,
                    state.attempts,
                    state.updated_at,
                ),
            )
        return state

    # Reading ------------------------------------------------------------------------------------
    def state(self, question_id: str) -> ReviewState | None:
        row = self._db.execute(
            "SELECT * FROM schedule WHERE question_id = ?", (question_id,)
        ).fetchone()
        return ReviewState(*row) if row else None

    def states(self) -> dict[str, ReviewState]:
        rows = self._db.execute("SELECT * FROM schedule").fetchall()
        return {row[0]: ReviewState(*row) for row in rows}

    def attempts(self, question_id: str | None = None) -> list[Attempt]:
        """Attempts, oldest first (all, or one question's)."""
        sql = (
            "SELECT question_id, topic, difficulty, score, covered, total, answered_at"
            " FROM attempts"
        )
        params: tuple[str, ...] = ()
        if question_id is not None:
            sql, params = sql + " WHERE question_id = ?", (question_id,)
        rows = self._db.execute(sql + " ORDER BY answered_at, id", params).fetchall()
        return [Attempt(*row) for row in rows]

    def topic_history(self) -> list[TopicPoint]:
        """Mean score per topic per day, oldest day first."""
        rows = self._db.execute(
            "SELECT date(answered_at, 'unixepoch', 'localtime') AS day, topic, AVG(score),"
            " COUNT(*) FROM attempts GROUP BY day, topic ORDER BY day, topic"
        ).fetchall()
        return [TopicPoint(day, topic, float(mean), int(n)) for day, topic, mean, n in rows]

    def topic_summaries(self) -> list[TopicSummary]:
        """Per topic: attempts, mean score, latest scores and weak questions."""
        states = self.states()
        by_topic: dict[str, list[Attempt]] = {}
        for attempt in self.attempts():
            by_topic.setdefault(attempt.topic, []).append(attempt)
        summaries = []
        for topic, attempts in sorted(by_topic.items(), key=lambda kv: kv[0].lower()):
            latest = {a.question_id: a.score for a in attempts}  # oldest first: last one wins
            weak = sum(1 for q in latest if q in states and self.scheduler.is_weak(states[q]))
            summaries.append(
                TopicSummary(
                    topic=topic,
                    attempts=len(attempts),
                    questions=len(latest),
                    mean_score=sum(a.score for a in attempts) / len(attempts),
                    last_mean_score=sum(latest.values()) / len(latest),
                    weak=weak,
                )
            )
        return summaries

    # Choosing -----------------------------------------------------------------------------------
    def choose(
        self,
        candidates: Sequence[Question],
        weak_only: bool = False,
        now: float | None = None,
        rng: Any = None,
    ) -> Question | None:
        """The question to practise next among ``candidates`` (spaced repetition)."""
        by_id = {q.id: q for q in candidates}
        chosen = self.scheduler.choose(
            list(by_id), self.states(), time.time() if now is None else now, weak_only, rng
        )
        return by_id.get(chosen) if chosen else None

    def weak_ids(self, ids: Iterable[str] | None = None) -> list[str]:
        """Questions answered under the pass score last time."""
        states = self.states()
        wanted = set(ids) if ids is not None else set(states)
        return [q for q, s in states.items() if q in wanted and self.scheduler.is_weak(s)]
