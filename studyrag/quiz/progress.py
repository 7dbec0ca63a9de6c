"""Practice progress in a local SQLite file: every attempt, and each question's FSRS card.

Schema 2 (FSRS) replaced schema 1 (Leitner boxes). Opening a schema-1 file replays every recorded
attempt through FSRS, oldest first, in one transaction: no review is lost, and the old ``schedule``
table is kept as ``leitner_schedule``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fsrs.scheduler import DEFAULT_PARAMETERS

from studyrag.quiz.bank import Question
from studyrag.quiz.schedule import DAY, ReviewState, Scheduler, end_of_day
from studyrag.settings import Settings
from studyrag.types import StudyragError

SCHEMA_VERSION = 2
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
CREATE TABLE IF NOT EXISTS cards (
    question_id TEXT PRIMARY KEY,
    card TEXT NOT NULL,  -- the fsrs Card as JSON
    last_score INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_PARAMETERS_KEY = "fsrs_parameters"
OPTIMIZER_MIN_REVIEWS = 512  # fsrs's optimizer returns its defaults below this many


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
    due_today: int = 0  # questions FSRS schedules before the coming midnight
    retention: float | None = None  # mean FSRS retrievability of the topic's questions now

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Fit:
    """The outcome of fitting FSRS parameters to the student's own reviews."""

    fitted: bool
    reviews: int
    message: str


class ProgressStore:
    """Attempts and review schedule in one SQLite file; safe to reopen from a new process."""

    def __init__(self, path: Path, scheduler: Scheduler | None = None) -> None:
        self.path = path
        self.scheduler = scheduler or Scheduler()
        self.migrated_reviews = 0  # Leitner attempts replayed through FSRS on this open
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
        with self._db:  # one transaction: a failed migration leaves schema 1 as it was
            self._db.executescript("BEGIN;" + _SCHEMA)
            if parameters := self._stored_parameters():
                self.scheduler = self.scheduler.with_parameters(parameters)
            if version == 1:
                self._db.execute("ALTER TABLE schedule RENAME TO leitner_schedule")
                self.migrated_reviews = self._rebuild_cards()
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _rebuild_cards(self) -> int:
        """Every question's card from its attempts, replayed oldest first; returns reviews read."""
        by_question: dict[str, list[tuple[float, int]]] = {}
        rows = self._db.execute(
            "SELECT question_id, answered_at, score FROM attempts ORDER BY answered_at, id"
        ).fetchall()
        for question_id, at, score in rows:
            by_question.setdefault(question_id, []).append((at, score))
        self._db.execute("DELETE FROM cards")
        for question_id, graded in by_question.items():
            state = self.scheduler.replay(question_id, graded)
            if state is not None:
                self._write_state(state)
        return len(rows)

    def _write_state(self, state: ReviewState) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO cards VALUES (?, ?, ?, ?, ?)",
            (
                state.question_id,
                state.card_json(),
                state.last_score,
                state.attempts,
                state.updated_at,
            ),
        )

    def _stored_parameters(self) -> list[float] | None:
        row = self._db.execute(
            "SELECT value FROM meta WHERE key = ?", (_PARAMETERS_KEY,)
        ).fetchone()
        return json.loads(row[0])["parameters"] if row else None

    @classmethod
    def for_settings(cls, settings: Settings) -> ProgressStore:
        """The active collection's progress (``Settings.quiz_db_path``), scheduled by the
        practice settings."""
        practice = settings.practice
        scheduler = Scheduler(
            practice.quiz_pass_score,
            practice.quiz_fail_score,
            practice.quiz_easy_score,
            practice.quiz_desired_retention,
        )
        return cls(settings.quiz_db_path, scheduler)

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
            self._write_state(state)
        return state

    def fit_parameters(self, min_reviews: int) -> Fit:
        """Fit FSRS parameters to this student's reviews (the package's optimizer, offline) and
        reschedule every card with them. Only reviews a day or more after the question's previous
        one teach the optimizer; below ``min_reviews`` of them the defaults stay."""
        reviews = self.spaced_review_count()
        floor = max(min_reviews, OPTIMIZER_MIN_REVIEWS)
        if reviews < floor:
            return Fit(
                False,
                reviews,
                f"FSRS default parameters: {reviews} spaced reviews so far; your own are fitted "
                f"from {floor} (`studyrag quiz optimize`)",
            )
        try:
            from fsrs import Optimizer
        except ImportError as error:  # the optimizer needs torch and pandas
            return Fit(
                False, reviews, f"FSRS default parameters: the optimizer is unavailable ({error})"
            )
        logs = [
            self.scheduler.review_log(a.question_id, a.answered_at, a.score)
            for a in self.attempts()
        ]
        parameters = [float(p) for p in Optimizer(logs).compute_optimal_parameters()]
        if tuple(parameters) == tuple(DEFAULT_PARAMETERS):  # the optimizer declined
            return Fit(False, reviews, "FSRS default parameters: the optimizer kept them")
        fitted = self.scheduler.with_parameters(parameters)
        fitted.fsrs  # noqa: B018 - validates the parameters before anything is written
        with self._db:
            value = json.dumps({"parameters": parameters, "reviews": reviews, "at": time.time()})
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_PARAMETERS_KEY, value))
            self.scheduler = fitted
            self._rebuild_cards()
        return Fit(True, reviews, f"FSRS parameters fitted on your {reviews} spaced reviews")

    def parameters_note(self, min_reviews: int) -> str:
        """Which FSRS parameters schedule the cards, in one line."""
        row = self._db.execute(
            "SELECT value FROM meta WHERE key = ?", (_PARAMETERS_KEY,)
        ).fetchone()
        if row:
            fit = json.loads(row[0])
            return f"FSRS parameters fitted on your {fit['reviews']} spaced reviews"
        reviews = self.spaced_review_count()
        min_reviews = max(min_reviews, OPTIMIZER_MIN_REVIEWS)
        return (
            f"FSRS default parameters ({reviews} spaced reviews so far; your own are fitted from "
            f"{min_reviews} with `studyrag quiz optimize`)"
        )

    # Reading ------------------------------------------------------------------------------------
    def state(self, question_id: str) -> ReviewState | None:
        row = self._db.execute(
            "SELECT * FROM cards WHERE question_id = ?", (question_id,)
        ).fetchone()
        return ReviewState.from_row(row) if row else None

    def states(self) -> dict[str, ReviewState]:
        rows = self._db.execute("SELECT * FROM cards").fetchall()
        return {row[0]: ReviewState.from_row(row) for row in rows}

    def review_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0])

    def spaced_review_count(self) -> int:
        """Reviews a day or more after the same question's previous one (what FSRS learns from)."""
        last: dict[str, float] = {}
        count = 0
        for attempt in self.attempts():
            previous = last.get(attempt.question_id)
            count += previous is not None and attempt.answered_at - previous >= DAY
            last[attempt.question_id] = attempt.answered_at
        return count

    def due_today(self, now: float | None = None) -> list[ReviewState]:
        """Questions FSRS schedules before the coming local midnight, most overdue first."""
        moment = time.time() if now is None else now
        cutoff = end_of_day(moment)
        return sorted(
            (s for s in self.states().values() if s.due_at < cutoff), key=lambda s: s.due_at
        )

    def due_forecast(self, days: int = 7, now: float | None = None) -> list[tuple[int, int]]:
        """``(day offset, questions due that day)`` for today (0, overdue included) onwards."""
        moment = time.time() if now is None else now
        first = end_of_day(moment)
        counts = [0] * days
        for state in self.states().values():
            offset = 0 if state.due_at < first else 1 + int((state.due_at - first) // DAY)
            if offset < days:
                counts[offset] += 1
        return list(enumerate(counts))

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

    def topic_summaries(self, now: float | None = None) -> list[TopicSummary]:
        """Per topic: attempts, scores, weak questions, what is due today and FSRS retention."""
        moment = time.time() if now is None else now
        cutoff = end_of_day(moment)
        states = self.states()
        by_topic: dict[str, list[Attempt]] = {}
        for attempt in self.attempts():
            by_topic.setdefault(attempt.topic, []).append(attempt)
        summaries = []
        for topic, attempts in sorted(by_topic.items(), key=lambda kv: kv[0].lower()):
            latest = {a.question_id: a.score for a in attempts}  # oldest first: last one wins
            weak = sum(1 for q in latest if q in states and self.scheduler.is_weak(states[q]))
            cards = [states[q] for q in latest if q in states]
            recall = [self.scheduler.retrievability(c, moment) for c in cards]
            summaries.append(
                TopicSummary(
                    topic=topic,
                    attempts=len(attempts),
                    questions=len(latest),
                    mean_score=sum(a.score for a in attempts) / len(attempts),
                    last_mean_score=sum(latest.values()) / len(latest),
                    weak=weak,
                    due_today=sum(1 for c in cards if c.due_at < cutoff),
                    retention=sum(recall) / len(recall) if recall else None,
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
