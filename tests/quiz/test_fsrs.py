"""FSRS scheduling: a simulated student, the Leitner migration, due today, retention, fitting."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fsrs import Card, Rating
from fsrs import Scheduler as FsrsScheduler

from studyrag.quiz.progress import ProgressStore
from studyrag.quiz.schedule import DAY, Scheduler, card_id_of, end_of_day
from studyrag.types import StudyragError
from tests.quiz.test_progress import NOW, _question

# A student's grades, each given when the question comes due again.
GRADES = (80, 80, 40, 80, 95, 80, 60, 80)
RATINGS = (
    Rating.Good,
    Rating.Good,
    Rating.Again,
    Rating.Good,
    Rating.Easy,
    Rating.Good,
    Rating.Hard,
    Rating.Good,
)


def test_a_simulated_student_gets_the_intervals_fsrs_gives_for_those_ratings(tmp_path) -> None:
    reference = FsrsScheduler(enable_fuzzing=False)
    card = Card(card_id=card_id_of("q"), due=datetime.fromtimestamp(NOW, UTC))
    at = NOW
    expected, got = [], []
    with ProgressStore(tmp_path / "quiz.sqlite3") as store:
        for score, rating in zip(GRADES, RATINGS, strict=True):
            moment = datetime.fromtimestamp(at, UTC)
            card, _ = reference.review_card(card, rating, moment)
            state = store.record(_question("q"), score, 1, 1, at=at)
            expected.append(card.due.timestamp() - at)
            got.append(state.due_at - at)
            at = state.due_at  # the student comes back when it is due
    assert got == pytest.approx(expected)
    # What FSRS does with them: learning steps in minutes, then days that grow while recalled,
    # a lapse (Again) back to minutes.
    assert got[0] < DAY and got[1] >= DAY
    assert got[2] < DAY
    assert got[5] > got[3] >= DAY


def _leitner_file(path: Path) -> list[tuple[str, float, int]]:
    """A schema-1 (Leitner) progress file as the previous version wrote it."""
    attempts = [
        ("a", NOW, 30),
        ("a", NOW + 600, 75),
        ("b", NOW + 60, 95),
        ("a", NOW + 2 * DAY, 85),
        ("c", NOW + 3 * DAY, 55),
    ]
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, question_id TEXT NOT NULL,
            topic TEXT NOT NULL, difficulty TEXT, score INTEGER NOT NULL, covered INTEGER NOT NULL,
            total INTEGER NOT NULL, answered_at REAL NOT NULL);
        CREATE TABLE schedule (question_id TEXT PRIMARY KEY, box INTEGER NOT NULL,
            due_at REAL NOT NULL, last_score INTEGER NOT NULL, attempts INTEGER NOT NULL,
            updated_at REAL NOT NULL);
        PRAGMA user_version = 1;
        """
    )
    for question_id, at, score in attempts:
        db.execute(
            "INSERT INTO attempts (question_id, topic, difficulty, score, covered, total,"
            " answered_at) VALUES (?, 'RAG Systems', 'Medium', ?, 1, 2, ?)",
            (question_id, score, at),
        )
    db.executemany(
        "INSERT INTO schedule VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("a", 3, NOW + 9 * DAY, 85, 3, NOW + 2 * DAY),
            ("b", 2, NOW + 3 * DAY, 95, 1, NOW + 60),
            ("c", 0, NOW + 3 * DAY + 600, 55, 1, NOW + 3 * DAY),
        ],
    )
    db.commit()
    db.close()
    return attempts


def test_a_leitner_history_migrates_to_fsrs_keeping_every_review(tmp_path) -> None:
    path = tmp_path / "quiz.sqlite3"
    attempts = _leitner_file(path)
    with ProgressStore(path) as store:
        assert store.migrated_reviews == len(attempts)
        assert [(a.question_id, a.answered_at, a.score) for a in store.attempts()] == sorted(
            attempts, key=lambda a: a[1]
        )
        states = store.states()
        assert set(states) == {"a", "b", "c"}
        replayed = Scheduler().replay("a", [(at, s) for q, at, s in attempts if q == "a"])
        assert states["a"].card.to_json() == replayed.card.to_json()
        assert (states["a"].attempts, states["a"].last_score) == (3, 85)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    kept = db.execute("SELECT question_id, box FROM leitner_schedule ORDER BY 1").fetchall()
    assert kept == [("a", 3), ("b", 2), ("c", 0)]  # the old schedule is kept, not dropped
    db.close()
    with ProgressStore(path) as again:
        assert again.migrated_reviews == 0  # once only
        assert again.states()["a"].card.to_json() == replayed.card.to_json()


def test_a_file_from_a_newer_version_is_refused(tmp_path) -> None:
    path = tmp_path / "quiz.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 9")
    db.close()
    with pytest.raises(StudyragError, match="newer studyrag"):
        ProgressStore(path)


def test_due_today_forecast_and_retention_come_from_fsrs(tmp_path) -> None:
    with ProgressStore(tmp_path / "quiz.sqlite3") as store:
        store.record(_question("forgot"), 20, 0, 4, at=NOW)  # Again: due in minutes
        store.record(_question("knew", "Pretraining"), 95, 4, 4, at=NOW)  # Easy: due in days
        due = [s.question_id for s in store.due_today(NOW + 120)]
        assert due == ["forgot"]
        forecast = dict(store.due_forecast(60, NOW + 120))
        knew_due = store.state("knew").due_at
        assert forecast[0] == 1 and sum(forecast.values()) == 2
        assert forecast[1 + int((knew_due - end_of_day(NOW + 120)) // DAY)] == 1
        later = NOW + 3 * DAY
        by_topic = {s.topic: s for s in store.topic_summaries(later)}
        knew, forgot = by_topic["Pretraining"], by_topic["RAG Systems"]
        expected = store.scheduler.retrievability(store.state("knew"), later)
        assert knew.retention == pytest.approx(expected)
        assert knew.retention > forgot.retention  # not raw scores: FSRS's recall probability
        assert forgot.due_today == 1 and knew.due_today == 0


def test_fsrs_defaults_until_enough_reviews_then_the_optimizer_fits_own_parameters(
    tmp_path,
) -> None:
    path = tmp_path / "quiz.sqlite3"
    with ProgressStore(path) as store:
        store.record(_question("a"), 80, 1, 1, at=NOW)
        fit = store.fit_parameters(min_reviews=512)
        assert not fit.fitted and "default" in fit.message and store.scheduler.uses_defaults
        assert "default parameters (0 spaced reviews so far" in store.parameters_note(512)
        # 150 questions, each reviewed five times a day or more apart; some forgotten.
        for n in range(150):
            at, score = NOW + n * 60, (40 if n % 4 == 0 else 85)
            for _ in range(5):
                state = store.record(_question(f"q{n}"), score, 1, 1, at=at)
                gap = max(state.due_at - at, DAY) * (1 + (n % 3))
                at, score = at + gap, (90 if score < 50 else score - 15 * (n % 2))
        assert store.spaced_review_count() == 600
        fit = store.fit_parameters(min_reviews=512)
        assert fit.fitted and fit.reviews == 600, fit.message
        assert not store.scheduler.uses_defaults
        fitted = store.scheduler.parameters
        assert "fitted on your 600 spaced reviews" in store.parameters_note(512)
        rescheduled = store.state("q1").card.to_json()
    with ProgressStore(path) as reopened:  # the fitted parameters persist
        assert reopened.scheduler.parameters == pytest.approx(fitted)
        assert reopened.state("q1").card.to_json() == rescheduled


def test_a_migration_that_fails_leaves_the_leitner_file_as_it_was(tmp_path) -> None:
    path = tmp_path / "quiz.sqlite3"
    _leitner_file(path)
    db = sqlite3.connect(path)
    db.execute("DROP TABLE schedule")  # damaged: the migration cannot rename it
    db.commit()
    db.close()
    with pytest.raises(StudyragError, match="cannot open the progress file"):
        ProgressStore(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "cards" not in tables and db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 5
    db.close()
