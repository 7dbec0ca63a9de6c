"""Calibrate the grading cutoffs on the question bank: ``studyrag quiz calibrate``.

For every question with at least four key points, answers of known quality are graded:

- ``model``: the model answer itself (should score ~100);
- ``half``: every other key point, verbatim (should land in between, ~50-70);
- ``cross``: the answer to the same question in another document (the nearest title there, when
  its cosine passes ``CROSS_MIN_COSINE`` for the model), a stand-in for a competent answer in
  other words;
- ``median`` / ``unrelated``: the answer of a question of median / least title similarity from
  another document (same domain, wrong question: should score ~0);
- ``off_domain``: a paragraph about baking bread (should score 0).

The similarities are computed once; scores for any cutoffs are then pure arithmetic, so the sweep
prints the cutoffs that give competent answers the most credit while keeping wrong ones near 0.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from studyrag.quiz.bank import Question, QuestionBank, indexed_bank
from studyrag.quiz.grader import Cutoffs, Grader, Match
from studyrag.settings import Settings

OFF_DOMAIN = (
    "To bake sourdough bread, feed the starter the night before. Mix flour, water and salt, then "
    "let the dough rise for several hours. Shape the loaf, score the top with a sharp blade and "
    "bake it in a hot Dutch oven until the crust is deep brown."
)
MIN_POINTS = 4
CROSS_MIN_COSINE = {"minilm": 0.75, "bge": 0.85}  # title cosines run higher with bge
SCENARIOS = ("model", "half", "cross", "median", "unrelated", "off_domain")


@dataclass(frozen=True)
class Case:
    """One graded answer of known quality."""

    scenario: str
    question_id: str
    matches: tuple[Match, ...]

    def score(self, cutoffs: Cutoffs) -> float:
        credits = [cutoffs.credit(m.semantic, m.lexical) for m in self.matches]
        return 100 * sum(credits) / len(credits)


def half_answer(grader: Grader, question: Question) -> str:
    """Every other key point of the model answer, verbatim."""
    return "\n".join(p.text for p in grader.bank.key_points(question)[::2])


def _answers(
    grader: Grader, questions: Sequence[Question], limit: int | None = None
) -> list[tuple[str, Question, str]]:
    """Answers of known quality for the first ``limit`` questions; wrong answers are drawn from
    every question of another document."""
    titles = grader.scorer.embed([q.title for q in questions])
    similarity = titles @ titles.T
    answers = []
    for i, question in enumerate(questions[:limit] if limit else questions):
        others = [j for j in np.argsort(similarity[i]) if questions[j].source != question.source]
        answers += [
            ("model", question, question.answer),
            ("half", question, half_answer(grader, question)),
            ("median", question, questions[others[len(others) // 2]].answer),
            ("unrelated", question, questions[others[0]].answer),
            ("off_domain", question, OFF_DOMAIN),
        ]
        if similarity[i, others[-1]] >= CROSS_MIN_COSINE.get(grader.scorer.embedder.name, 0.8):
            answers.append(("cross", question, questions[others[-1]].answer))
    return answers


def collect(grader: Grader, limit: int | None = None) -> list[Case]:
    """Similarities of every calibration answer to its question's key points."""
    bank = grader.bank
    questions = [q for q in bank if q.has_answer and len(bank.key_points(q)) >= MIN_POINTS]
    cases = []
    for scenario, question, answer in _answers(grader, questions, limit):
        matches = grader.scorer.match(bank.key_points(question), answer)
        cases.append(Case(scenario, question.id, tuple(matches)))
    return cases


def summarize(cases: Sequence[Case], cutoffs: Cutoffs) -> dict[str, dict[str, float]]:
    """Mean, 10th/90th percentile and max score per scenario."""
    summary = {}
    for scenario in SCENARIOS:
        scores = np.array([c.score(cutoffs) for c in cases if c.scenario == scenario])
        if scores.size:
            summary[scenario] = {
                "n": float(scores.size),
                "mean": float(scores.mean()),
                "p10": float(np.percentile(scores, 10)),
                "p90": float(np.percentile(scores, 90)),
                "min": float(scores.min()),
                "max": float(scores.max()),
            }
    return summary


def sweep(cases: Sequence[Case]) -> list[tuple[float, Cutoffs]]:
    """Cutoffs ranked by credit for ``cross`` answers, among those keeping wrong answers near 0.

    Constraints: ``median`` answers score 5 or less for 90% of questions, no ``unrelated`` answer
    scores over 20, and ``half`` answers average at most 70.
    """
    ranked = []
    for weight, low, width in itertools.product(
        (0.2, 0.3, 0.4), np.arange(0.30, 0.71, 0.05), (0.2, 0.25, 0.3)
    ):
        cutoffs = Cutoffs(round(float(low), 2), round(float(low + width), 2), weight)
        summary = summarize(cases, cutoffs)
        if (
            summary["median"]["p90"] <= 5
            and summary["unrelated"]["max"] <= 20
            and summary["half"]["mean"] <= 70
        ):
            ranked.append((summary.get("cross", {"mean": 0.0})["mean"], cutoffs))
    return sorted(ranked, key=lambda item: -item[0])


def _print(summary: dict[str, dict[str, float]]) -> None:
    print(f"  {'scenario':<11} {'n':>4} {'mean':>6} {'p10':>6} {'p90':>6} {'min':>6} {'max':>6}")
    for scenario, row in summary.items():
        print(
            f"  {scenario:<11} {row['n']:>4.0f} {row['mean']:>6.1f} {row['p10']:>6.1f}"
            f" {row['p90']:>6.1f} {row['min']:>6.1f} {row['max']:>6.1f}"
        )


def run(settings: Settings, limit: int | None = None) -> None:
    """Print the current cutoffs' confusion on the bank, then the best cutoffs found."""
    from studyrag.registry import process_models

    bank: QuestionBank = indexed_bank(settings.index, settings.ingest)
    grader = Grader(bank, process_models().embedder(settings.index), settings.practice)
    cases = collect(grader, limit)
    current = grader.cutoffs
    print(f"model {settings.index.embedding_model.value}; current cutoffs {current}")
    _print(summarize(cases, current))
    ranked = sweep(cases)
    if ranked:
        print(f"best cutoffs: {ranked[0][1]}")
        _print(summarize(cases, ranked[0][1]))
    else:
        print("no cutoffs meet the constraints")
