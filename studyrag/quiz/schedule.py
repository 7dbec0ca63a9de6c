"""Spaced repetition with FSRS (the ``fsrs`` package, Anki's scheduler since 23.10).

A graded answer becomes an FSRS rating, by its score out of 100:

==========  ======================  =========================================
rating      score                   meaning
==========  ======================  =========================================
Again       under ``fail_score``    not recalled: relearn it (default < 50)
Hard        under ``pass_score``    recalled with gaps (default 50-69)
Good        under ``easy_score``    recalled (default 70-89)
Easy        ``easy_score`` and up   recalled fully (default 90+)
==========  ======================  =========================================

Each question is an FSRS card (stability, difficulty, due date). FSRS gives each card the
interval at which it predicts the student still recalls it with ``desired_retention``
probability; its retrievability (that probability now) drives "due today" and the per-topic
retention. The next question is the due one the student is most likely to have forgotten, else an
unseen one, else the one due soonest.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from fsrs import Card, Rating, ReviewLog
from fsrs import Scheduler as FsrsScheduler
from fsrs.scheduler import DEFAULT_PARAMETERS

MINUTE = 60.0
DAY = 24 * 60 * MINUTE
EASY_SCORE = 90


def to_datetime(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, tz=UTC)


def to_unix(moment: datetime) -> float:
    return moment.timestamp()


@dataclass(frozen=True)
class ReviewState:
    """Where a question stands: its FSRS card and its latest grade."""

    question_id: str
    card: Card
    last_score: int
    attempts: int
    updated_at: float  # unix time of the latest review

    @property
    def due_at(self) -> float:
        return to_unix(self.card.due)

    def is_due(self, now: float) -> bool:
        return self.due_at <= now

    def card_json(self) -> str:
        return self.card.to_json()

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> ReviewState:
        question_id, card_json, last_score, attempts, updated_at = row
        return cls(question_id, Card.from_json(card_json), last_score, attempts, updated_at)


@dataclass(frozen=True)
class Scheduler:
    """Maps grades to FSRS ratings, reviews cards, and picks the next question."""

    pass_score: int = 70
    fail_score: int = 50
    easy_score: int = EASY_SCORE
    desired_retention: float = 0.9
    parameters: tuple[float, ...] = tuple(DEFAULT_PARAMETERS)
    fuzz: bool = False  # off: the same grades always give the same intervals

    def __post_init__(self) -> None:
        if not 0 <= self.fail_score <= self.pass_score <= self.easy_score <= 100:
            raise ValueError("scores must satisfy 0 <= fail <= pass <= easy <= 100")
        if not 0.5 <= self.desired_retention < 1.0:
            raise ValueError("desired_retention must be in [0.5, 1)")

    @cached_property
    def fsrs(self) -> FsrsScheduler:
        """The ``fsrs`` package's scheduler with these parameters (validates them)."""
        return FsrsScheduler(
            parameters=self.parameters,
            desired_retention=self.desired_retention,
            enable_fuzzing=self.fuzz,
        )

    def with_parameters(self, parameters: Sequence[float]) -> Scheduler:
        return replace(self, parameters=tuple(parameters))

    @property
    def uses_defaults(self) -> bool:
        return tuple(self.parameters) == tuple(DEFAULT_PARAMETERS)

    def rating(self, score: int) -> Rating:
        """The FSRS rating of a grade (thresholds in the module docstring)."""
        if score < self.fail_score:
            return Rating.Again
        if score < self.pass_score:
            return Rating.Hard
        if score < self.easy_score:
            return Rating.Good
        return Rating.Easy

    def review(
        self, question_id: str, previous: ReviewState | None, score: int, now: float
    ) -> ReviewState:
        """The state after an answer scored ``score`` at unix time ``now``."""
        card = (
            previous.card
            if previous
            else Card(card_id=card_id_of(question_id), due=to_datetime(now))
        )
        reviewed, _log = self.fsrs.review_card(card, self.rating(score), to_datetime(now))
        return ReviewState(
            question_id=question_id,
            card=reviewed,
            last_score=score,
            attempts=(previous.attempts if previous else 0) + 1,
            updated_at=now,
        )

    def replay(self, question_id: str, graded: Iterable[tuple[float, int]]) -> ReviewState | None:
        """A question's state from its whole history of ``(unix time, score)``, oldest first."""
        state = None
        for at, score in graded:
            state = self.review(question_id, state, score, at)
        return state

    def review_log(self, question_id: str, at: float, score: int) -> ReviewLog:
        """One graded answer as the optimizer reads it."""
        return ReviewLog(card_id_of(question_id), self.rating(score), to_datetime(at), None)

    def retrievability(self, state: ReviewState, now: float) -> float:
        """FSRS's predicted probability that the student recalls the answer at ``now``."""
        return float(self.fsrs.get_card_retrievability(state.card, to_datetime(now)))

    def is_weak(self, state: ReviewState) -> bool:
        """Answered, and under the pass score last time."""
        return state.last_score < self.pass_score

    def choose(
        self,
        candidates: Sequence[str],
        states: Mapping[str, ReviewState],
        now: float,
        weak_only: bool = False,
        rng: random.Random | None = None,
    ) -> str | None:
        """The question to practise next among ``candidates`` (None when there is none)."""
        seen = [states[c] for c in candidates if c in states]
        if weak_only:
            weak = [s for s in seen if self.is_weak(s)]
            weak.sort(key=lambda s: (not s.is_due(now), s.last_score, s.due_at))
            return weak[0].question_id if weak else None
        due = sorted(
            (s for s in seen if s.is_due(now)),
            key=lambda s: (self.retrievability(s, now), s.last_score, s.due_at),
        )
        if due:
            return due[0].question_id
        unseen = [c for c in candidates if c not in states]
        if unseen:
            return rng.choice(unseen) if rng is not None else unseen[0]
        if seen:
            return min(seen, key=lambda s: (s.due_at, s.last_score)).question_id
        return None


def card_id_of(question_id: str) -> int:
    """A stable positive 63-bit card id for a question id."""
    digest = hashlib.blake2b(question_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def end_of_day(now: float) -> float:
    """Unix time of the coming local midnight: "due today" means due before it."""
    local = datetime.fromtimestamp(now).astimezone()
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.timestamp()
