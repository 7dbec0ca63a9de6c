"""Spaced repetition with Leitner boxes: which question to practise next.

A graded answer moves its question between boxes: a pass (score >= ``pass_score``) moves it up one
box (two for 90+), a fail (under ``fail_score``) sends it back to box 0, anything in between moves
it down one. Each box has a review interval, so weak questions come back within minutes and
mastered ones after weeks. The next question is the most urgent due one (lowest box, then lowest
score), else an unseen one, else the one due soonest.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MINUTE = 60.0
DAY = 24 * 60 * MINUTE
BOX_INTERVALS = (10 * MINUTE, 1 * DAY, 3 * DAY, 7 * DAY, 16 * DAY, 35 * DAY)
EXCELLENT_SCORE = 90


@dataclass(frozen=True)
class ReviewState:
    """Where a question stands in the schedule."""

    question_id: str
    box: int
    due_at: float  # unix time
    last_score: int
    attempts: int
    updated_at: float

    def is_due(self, now: float) -> bool:
        return self.due_at <= now


@dataclass(frozen=True)
class Scheduler:
    """Leitner boxes: moves questions between boxes and picks the next one."""

    pass_score: int = 70
    fail_score: int = 50
    intervals: tuple[float, ...] = BOX_INTERVALS

    def __post_init__(self) -> None:
        if not 0 <= self.fail_score <= self.pass_score <= 100:
            raise ValueError("scores must satisfy 0 <= fail_score <= pass_score <= 100")
        if not self.intervals:
            raise ValueError("at least one box is needed")

    @property
    def top_box(self) -> int:
        return len(self.intervals) - 1

    def next_box(self, box: int, score: int) -> int:
        if score >= self.pass_score:
            return min(box + (2 if score >= EXCELLENT_SCORE else 1), self.top_box)
        if score < self.fail_score:
            return 0
        return max(box - 1, 0)

    def review(
        self, question_id: str, previous: ReviewState | None, score: int, now: float
    ) -> ReviewState:
        """The state after an answer scored ``score`` at time ``now``."""
        box = self.next_box(previous.box if previous else 0, score)
        return ReviewState(
            question_id=question_id,
            box=box,
            due_at=now + self.intervals[box],
            last_score=score,
            attempts=(previous.attempts if previous else 0) + 1,
            updated_at=now,
        )

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
            (s for s in seen if s.is_due(now)), key=lambda s: (s.box, s.last_score, s.due_at)
        )
        if due:
            return due[0].question_id
        unseen = [c for c in candidates if c not in states]
        if unseen:
            return rng.choice(unseen) if rng is not None else unseen[0]
        if seen:
            return min(seen, key=lambda s: (s.due_at, s.last_score)).question_id
        return None
