"""`studyrag quiz`: list questions, answer one and get it graded, see progress."""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from studyrag.cli_support import fail, load_settings, user_errors, with_pipeline

if TYPE_CHECKING:
    from studyrag.embedding.base import Embedder
    from studyrag.quiz.bank import Question, QuestionBank
    from studyrag.quiz.grader import Grader, GradeResult
    from studyrag.quiz.schedule import ReviewState
    from studyrag.settings import Settings
    from studyrag.types import Citation

quiz_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Mock interviews: answer corpus questions, get graded against the model answers.",
)
T = TypeVar("T")

TopicOption = Annotated[
    str | None, typer.Option("--topic", "-t", help="Topic contains this text (case-insensitive).")
]
DifficultyOption = Annotated[
    str | None, typer.Option("--difficulty", "-d", help="Easy, Medium or Hard.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


# Shared plumbing --------------------------------------------------------------------------------
def _settings() -> Settings:
    return load_settings()


def _bank(settings: Settings) -> QuestionBank:
    from studyrag.quiz.bank import indexed_bank

    with user_errors():
        return indexed_bank(settings.index, settings.ingest)
    raise AssertionError("unreachable")


def _embedder(settings: Settings) -> Embedder:
    """The process's embedding model (model-answer grading needs no index)."""
    from studyrag.registry import process_models

    return process_models().embedder(settings.index)


def _with_grader(settings: Settings, question: Question, work: Callable[[Grader], T]) -> T:
    """Run ``work`` with a grader; the index is opened only for outline questions."""
    from studyrag.quiz.grader import Grader

    bank = _bank(settings)
    if question.has_answer:
        with user_errors():
            return work(Grader(bank, _embedder(settings), settings.practice))
        raise AssertionError("unreachable")
    return with_pipeline(settings, lambda p: work(Grader(bank, p.embedder, settings.practice, p)))


def _check_difficulty(difficulty: str | None) -> str | None:
    from studyrag.quiz.bank import DIFFICULTIES

    if difficulty is None:
        return None
    if difficulty.capitalize() not in DIFFICULTIES:
        fail(f"unknown difficulty {difficulty!r}; use one of {', '.join(DIFFICULTIES)}")
    return difficulty.capitalize()


def _read_answer(answer: str | None, answer_file: Path | None) -> str:
    """The answer from --answer, --answer-file, or typed lines ended by an empty line."""

    if answer is not None and answer_file is not None:
        fail("give --answer or --answer-file, not both")
    if answer is not None:
        return answer
    if answer_file is not None:
        try:
            return answer_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            fail(f"cannot read {answer_file}: {error}")
    typer.echo("Your answer (finish with an empty line, or Ctrl-D):", err=True)
    lines = []
    for line in sys.stdin:
        if not line.strip():
            break
        lines.append(line.rstrip("\n"))
    return "\n".join(lines)


def _when(seconds: float) -> str:
    if seconds < 3600:
        return f"in {max(seconds / 60, 1):.0f} min"
    if seconds < 86_400:
        return f"in {seconds / 3600:.0f} h"
    return f"in {seconds / 86_400:.0f} days"


def _print_question(question: Question) -> None:
    level = question.difficulty or "difficulty not given"
    typer.echo(f"{question.id}  ({question.topic}; {level})")
    typer.echo(f"\n{question.prompt}\n")
    if question.sub_points:
        typer.echo("Cover: " + "; ".join(question.sub_points) + "\n")


def _cite(question: Question, citation: Citation) -> str:
    heading = question.cited_heading(citation)
    return f"({citation.source} · {heading} · characters {citation.start:,}-{citation.end:,})"


def _print_result(result: GradeResult, state: ReviewState | None, rating: str) -> None:
    question = result.question
    where = "the model answer" if result.reference.from_model_answer else "retrieved passages"
    typer.echo(f"\nScore: {result.score}/100 (graded against {where})")
    if result.reference.note:
        typer.echo(f"note: {result.reference.note}")
    total = len(result.points)
    typer.echo(f"\nCovered ({len(result.covered)}/{total}):")
    for grade in result.covered:
        typer.echo(f"  + {grade.point.text[:160]}\n      {_cite(question, grade.point.citation)}")
    typer.echo(f"Missed ({len(result.missed)}/{total}):")
    for grade in result.missed:
        typer.echo(f"  - {grade.point.text[:160]}\n      {_cite(question, grade.point.citation)}")
    if result.reference.follow_ups:
        typer.echo("\nFollow-ups an interviewer may chain:")
        for follow_up in result.reference.follow_ups:
            typer.echo(f"  ? {follow_up}")
    if state is not None:
        typer.echo(
            f"\nRated {rating}; FSRS schedules the next review {_when(state.due_at - time.time())}"
            f" (stability {state.card.stability or 0:.1f} days)."
        )


# Commands ---------------------------------------------------------------------------------------
@quiz_app.command("list")
def list_questions(
    topic: TopicOption = None,
    difficulty: DifficultyOption = None,
    kind: Annotated[str | None, typer.Option(help="qa (with a model answer) or outline.")] = None,
    weak: Annotated[bool, typer.Option("--weak", help="Only questions answered poorly.")] = False,
    as_json: JsonOption = False,
) -> None:
    """List the question bank (with your last score)."""
    from studyrag.quiz.progress import ProgressStore

    settings = _settings()
    bank = _bank(settings)
    questions = bank.filter(topic, _check_difficulty(difficulty), kind)
    with user_errors(), ProgressStore.for_settings(settings) as store:
        states = store.states()
        if weak:
            wanted = set(store.weak_ids(q.id for q in questions))
            questions = [q for q in questions if q.id in wanted]
    for question in questions:
        last = states[question.id].last_score if question.id in states else None
        if as_json:
            typer.echo(json.dumps({**question.to_dict(), "last_score": last}, ensure_ascii=False))
            continue
        mark = f"{last:>3}" if last is not None else "  -"
        typer.echo(f"{mark}  {question.id:<32} {question.topic[:28]:<28} {question.label[:90]}")
    if not as_json:
        typer.echo(f"{len(questions)} question(s)", err=True)


@quiz_app.command()
def show(
    question_id: Annotated[str, typer.Argument(help="Question id (see `quiz list`).")],
) -> None:
    """Show a question with its model answer's key points and follow-ups."""

    settings = _settings()
    bank = _bank(settings)
    with user_errors():
        question = bank.get(question_id)
    _print_question(question)
    if not question.has_answer:
        typer.echo("No model answer in the source: `quiz ask` grades it against other documents.")
    for point in bank.key_points(question):
        typer.echo(f"  * {point.text}\n      {_cite(question, point.citation)}")
    for follow_up in question.follow_ups:
        typer.echo(f"  ? {follow_up}")


@quiz_app.command()
def ask(
    question_id: Annotated[
        str | None, typer.Option("--id", help="Practise this question (see `quiz list`).")
    ] = None,
    topic: TopicOption = None,
    difficulty: DifficultyOption = None,
    weak: Annotated[
        bool, typer.Option("--weak", help="Pick among questions answered poorly before.")
    ] = False,
    answer: Annotated[str | None, typer.Option(help="The answer (skips the prompt).")] = None,
    answer_file: Annotated[
        Path | None, typer.Option(help="Read the answer from this file.", dir_okay=False)
    ] = None,
    record: Annotated[bool, typer.Option(help="Save the attempt to your progress.")] = True,
    as_json: JsonOption = False,
) -> None:
    """Pick the next question (spaced repetition), take your answer, grade it."""
    from studyrag.quiz.progress import ProgressStore

    settings = _settings()
    bank = _bank(settings)
    with user_errors(), ProgressStore.for_settings(settings) as store:
        question: Question | None
        if question_id is not None:
            question = bank.get(question_id)
        else:
            candidates = bank.filter(topic, _check_difficulty(difficulty))
            question = store.choose(candidates, weak_only=weak, rng=random.Random())
        if question is None:
            fail("no question matches" + (" (nothing answered poorly yet)" if weak else ""))
        if not as_json:
            _print_question(question)
        text = _read_answer(answer, answer_file)
        result = _with_grader(settings, question, lambda grader: grader.grade(question, text))
        state = (
            store.record(question, result.score, len(result.covered), len(result.points))
            if record
            else None
        )
        rating = store.scheduler.rating(result.score).name.lower()
    if as_json:
        payload: dict[str, Any] = {"question": question.to_dict(), **result.to_dict()}
        if state is not None:
            payload["next_review"] = {
                "rating": rating,
                "due_at": state.due_at,
                "stability_days": state.card.stability,
                "difficulty": state.card.difficulty,
            }
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        _print_result(result, state, rating)


@quiz_app.command()
def progress(as_json: JsonOption = False) -> None:
    """What is due today, and per topic: FSRS retention now, scores, weak questions."""
    from studyrag.quiz.progress import ProgressStore

    settings = _settings()
    with user_errors(), ProgressStore.for_settings(settings) as store:
        now = time.time()
        summaries = store.topic_summaries(now)
        history = store.topic_history()
        due = [s.question_id for s in store.due_today(now)]
        forecast = store.due_forecast(7, now)
        parameters = store.parameters_note(settings.practice.quiz_fsrs_min_reviews)
        migrated = store.migrated_reviews
    if as_json:
        payload = {
            "due_today": due,
            "forecast": [{"day": day, "due": count} for day, count in forecast],
            "topics": [s.to_dict() for s in summaries],
            "history": [p.__dict__ for p in history],
            "scheduler": parameters,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    if migrated:
        typer.echo(f"Moved your Leitner history to FSRS: {migrated} reviews replayed.\n")
    if not summaries:
        typer.echo("No attempts yet: start with `studyrag quiz ask`.")
        return
    shown = f" ({', '.join(due[:5])}{', ...' if len(due) > 5 else ''})" if due else ""
    typer.echo(f"Due today: {len(due)}{shown}")
    typer.echo(
        "Next 7 days: " + ", ".join(f"{_day_name(day)} {count}" for day, count in forecast) + "\n"
    )
    typer.echo(
        f"{'topic':<36} {'retention':>9} {'due':>4} {'tries':>5} {'qs':>4}"
        f" {'latest':>6} {'weak':>5}"
    )
    for s in summaries:
        retention = f"{s.retention:.0%}" if s.retention is not None else "-"
        typer.echo(
            f"{s.topic[:36]:<36} {retention:>9} {s.due_today:>4} {s.attempts:>5} {s.questions:>4}"
            f" {s.last_mean_score:>6.0f} {s.weak:>5}"
        )
    typer.echo(
        "\nretention: FSRS's predicted chance you recall a topic's answers now (not raw scores)."
    )
    typer.echo(parameters + ".")


def _day_name(offset: int) -> str:
    return {0: "today", 1: "tomorrow"}.get(offset, f"+{offset}d")


@quiz_app.command()
def optimize() -> None:
    """Fit FSRS's parameters to your own reviews (offline), then reschedule every question."""
    from studyrag.quiz.progress import ProgressStore

    settings = _settings()
    with user_errors(), ProgressStore.for_settings(settings) as store:
        fit = store.fit_parameters(settings.practice.quiz_fsrs_min_reviews)
    typer.echo(fit.message + ".")


@quiz_app.command()
def export(
    anki: Annotated[
        Path | None, typer.Option("--anki", help="Write an Anki deck (.apkg).", dir_okay=False)
    ] = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Write a CSV file.", dir_okay=False)
    ] = None,
) -> None:
    """Export the question bank: an Anki deck (re-exports update it) and/or CSV."""
    from studyrag.quiz.export import write_anki, write_csv

    if anki is None and csv_file is None:
        fail("say where: --anki FILE.apkg and/or --csv FILE.csv")
    settings = _settings()
    bank = _bank(settings)
    with user_errors():
        if anki is not None:
            count = write_anki(bank, anki)
            typer.echo(f"wrote {count} notes to {anki} (import it in Anki: File > Import)")
        if csv_file is not None:
            count = write_csv(bank, csv_file)
            typer.echo(f"wrote {count} rows to {csv_file}")


@quiz_app.command()
def calibrate(
    limit: Annotated[
        int | None, typer.Option(help="Only the first N questions (a quick look).")
    ] = None,
) -> None:
    """Sweep the grading cutoffs on answers of known quality (quiz/calibrate_grading.py)."""
    from studyrag.quiz import calibrate_grading as calibration

    with user_errors():
        calibration.run(_settings(), limit)
