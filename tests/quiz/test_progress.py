"""Progress persists in SQLite; FSRS brings weak questions back before mastered ones."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studyrag.quiz.bank import Question
from studyrag.quiz.progress import ProgressStore
from studyrag.quiz.schedule import DAY, MINUTE, Scheduler
from studyrag.types import StudyragError
from tests.conftest import make_settings

NOW = 1_750_000_000.0


def _question(qid: str, topic: str = "RAG Systems") -> Question:
    return Question(
        id=qid,
        source="doc.txt",
        number=1,
        title=f"Question {qid}?",
        topic=topic,
        heading_path=(topic,),
        difficulty="Medium",
        roles=(),
        kind="qa",
        answer="An answer.",
        answer_start=0,
        answer_end=10,
    )


def test_progress_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "quiz.sqlite3"
    with ProgressStore(path) as store:
        store.record(_question("a"), 35, 2, 8, at=NOW)
        store.record(_question("a"), 80, 6, 8, at=NOW + 3600)
        store.record(_question("b", "Pretraining"), 90, 9, 10, at=NOW + 7200)
    with ProgressStore(path) as reopened:
        assert [(a.question_id, a.score) for a in reopened.attempts()] == [
            ("a", 35),
            ("a", 80),
            ("b", 90),
        ]
        state = reopened.state("a")
        assert state is not None and state.attempts == 2 and state.last_score == 80
        assert (
            state.card.to_json()
            == Scheduler().replay("a", [(NOW, 35), (NOW + 3600, 80)]).card.to_json()
        )
        assert {s.topic for s in reopened.topic_summaries()} == {"RAG Systems", "Pretraining"}


def test_progress_is_readable_from_a_new_process(tmp_path: Path) -> None:
    path = tmp_path / "quiz.sqlite3"
    with ProgressStore(path) as store:
        store.record(_question("a"), 42, 3, 7, at=NOW)
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from studyrag.quiz.progress import ProgressStore\n"
        "with ProgressStore(Path(sys.argv[1])) as store:\n"
        "    print(json.dumps([a.to_dict() for a in store.attempts()]))\n"
        "    print(store.state('a').due_at)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    attempts, due_at = out.stdout.strip().splitlines()
    [attempt] = json.loads(attempts)
    assert (attempt["question_id"], attempt["score"], attempt["total"]) == ("a", 42, 7)
    assert float(due_at) == Scheduler().review("a", None, 42, NOW).due_at


def test_spaced_repetition_picks_a_failed_question_before_a_mastered_one(tmp_path: Path) -> None:
    failed, mastered = _question("failed"), _question("mastered")
    with ProgressStore(tmp_path / "quiz.sqlite3") as store:
        store.record(mastered, 95, 10, 10, at=NOW)
        store.record(failed, 20, 1, 10, at=NOW)
        candidates = [mastered, failed]
        # Soon after: the failed one is due again (a learning step), the mastered one is not.
        assert store.choose(candidates, now=NOW + 2 * MINUTE) == failed
        # Much later both are due: the one FSRS thinks is likelier forgotten comes first.
        assert store.choose(candidates, now=NOW + 400 * DAY) == failed
        assert store.choose(candidates, weak_only=True, now=NOW) == failed
        assert store.weak_ids() == ["failed"]


def test_unseen_questions_come_before_ones_not_yet_due(tmp_path: Path) -> None:
    seen, fresh = _question("seen"), _question("fresh")
    with ProgressStore(tmp_path / "quiz.sqlite3") as store:
        store.record(seen, 75, 5, 6, at=NOW)
        assert store.choose([seen, fresh], now=NOW + 60) == fresh
        assert store.choose([seen, fresh], now=NOW + 60, rng=random.Random(1)) == fresh
        # Everything seen and nothing due: the one due soonest.
        assert store.choose([seen], now=NOW + 60) == seen
        assert store.choose([seen], weak_only=True, now=NOW) is None
        assert store.choose([], now=NOW) is None


def test_grades_map_to_fsrs_ratings_at_the_documented_thresholds() -> None:
    from fsrs import Rating

    scheduler = Scheduler(pass_score=70, fail_score=50, easy_score=90)
    assert [scheduler.rating(s) for s in (0, 49, 50, 69, 70, 89, 90, 100)] == [
        Rating.Again,
        Rating.Again,
        Rating.Hard,
        Rating.Hard,
        Rating.Good,
        Rating.Good,
        Rating.Easy,
        Rating.Easy,
    ]
    with pytest.raises(ValueError):
        Scheduler(pass_score=40, fail_score=60)
    with pytest.raises(ValueError):
        Scheduler(desired_retention=1.0)


def test_topic_history_and_summaries(tmp_path: Path) -> None:
    with ProgressStore(tmp_path / "quiz.sqlite3") as store:
        store.record(_question("a"), 40, 2, 5, at=NOW)
        store.record(_question("b"), 60, 3, 5, at=NOW + 60)
        store.record(_question("a"), 90, 5, 5, at=NOW + 2 * DAY)
        history = store.topic_history()
        assert [(p.topic, p.mean_score, p.attempts) for p in history] == [
            ("RAG Systems", 50.0, 2),
            ("RAG Systems", 90.0, 1),
        ]
        assert history[0].day < history[1].day
        [summary] = store.topic_summaries()
        assert (summary.attempts, summary.questions, summary.weak) == (3, 2, 1)
        assert summary.mean_score == pytest.approx(190 / 3)
        assert summary.last_mean_score == 75.0


def test_store_location_comes_from_settings(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", quiz_db_name="mine.sqlite3", quiz_pass_score=80)
    assert settings.quiz_db_path == tmp_path / "data" / "mine.sqlite3"
    with ProgressStore.for_settings(settings) as store:
        assert store.scheduler.pass_score == 80
        store.record(_question("a"), 75, 3, 4, at=time.time())
        assert store.weak_ids() == ["a"]
    assert settings.quiz_db_path.is_file()


def test_damaged_progress_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "quiz.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StudyragError, match="cannot open the progress file"):
        ProgressStore(path)


def test_scores_outside_0_100_are_refused(tmp_path: Path) -> None:
    with ProgressStore(tmp_path / "quiz.sqlite3") as store, pytest.raises(ValueError):
        store.record(_question("a"), 101, 1, 1)
