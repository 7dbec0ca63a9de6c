"""The Streamlit "Practice" page: pick a question, answer it, see the grade and your progress.

Corpus text is shown as plain text (escaped Markdown or ``st.text``); nothing is rendered as HTML.
"""

from __future__ import annotations

import random
import re
import weakref
from typing import TYPE_CHECKING, Any

import streamlit as st

from studyrag.quiz.bank import (
    DIFFICULTIES,
    WRITTEN_KINDS,
    Question,
    QuestionBank,
    indexed_bank,
)
from studyrag.quiz.grader import Grader
from studyrag.quiz.progress import ProgressStore
from studyrag.types import StudyragError
from studyrag.ui import state
from studyrag.ui.document import span_context
from studyrag.ui.markdown import escape_markdown, text_to_markdown

if TYPE_CHECKING:
    from studyrag.pipeline import StudyPipeline
    from studyrag.settings import Settings

ANY = "Any"
_KEY_QUESTION = "quiz_question_id"
_KEY_RESULT = "quiz_result"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$])")
_GRADERS: weakref.WeakKeyDictionary[Any, Grader] = weakref.WeakKeyDictionary()


def plain(text: str) -> str:
    """Text escaped so Markdown shows it verbatim."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _grader(pipeline: StudyPipeline, bank: QuestionBank, settings: Settings) -> Grader:
    """One grader per pipeline (it caches embeddings), rebuilt when the corpus changes."""
    grader = _GRADERS.get(pipeline)
    if grader is None or grader.bank is not bank or grader.practice != settings.practice:
        grader = Grader(bank, pipeline.embedder, settings.practice, pipeline)
        _GRADERS[pipeline] = grader
    return grader


def _filters(bank: QuestionBank) -> tuple[str | None, str | None, bool]:
    columns = st.columns(3)
    topic = columns[0].selectbox("Topic", [ANY, *bank.topics()], key="quiz_topic")
    difficulty = columns[1].selectbox("Difficulty", [ANY, *DIFFICULTIES], key="quiz_difficulty")
    weak = columns[2].checkbox("Only ones I answered poorly", key="quiz_weak")
    return (None if topic == ANY else topic), (None if difficulty == ANY else difficulty), weak


def _candidates(
    bank: QuestionBank, store: ProgressStore, topic: str | None, difficulty: str | None, weak: bool
) -> list[Question]:
    questions = [q for q in bank.filter(difficulty=difficulty) if topic is None or q.topic == topic]
    if weak:
        wanted = set(store.weak_ids(q.id for q in questions))
        questions = [q for q in questions if q.id in wanted]
    return questions


def _pick(candidates: list[Question], store: ProgressStore, weak: bool) -> None:
    """Choose the question to show: the kept one if it still matches, else the scheduler's."""
    current = st.session_state.get(_KEY_QUESTION)
    ids = [q.id for q in candidates]
    if current in ids and not st.session_state.pop("quiz_next", False):
        return
    chosen = store.choose(candidates, weak_only=weak, rng=random.Random())
    st.session_state[_KEY_QUESTION] = chosen.id if chosen else None
    st.session_state.pop(_KEY_RESULT, None)


def _focused(bank: QuestionBank) -> list[Question]:
    """The questions on the passage of "Quiz me on this" not yet answered; ends the focus (back
    to the scheduler) when none are left or the student leaves it."""
    focus = state.quiz_focus()
    if focus is None:
        return []
    questions = bank.about_passage(focus.source, focus.start, focus.end, focus.heading)
    done = set(st.session_state.get("quiz_focus_done", []))
    left = [q for q in questions if q.id not in done]
    if not questions:
        st.info(plain(f"No practice questions on {focus.label} yet; here is today's practice."))
        state.end_quiz_focus()
        return []
    moving_on = st.session_state.get("quiz_next", False)
    if not left and (moving_on or st.session_state.get(_KEY_QUESTION) not in done):
        st.success(plain(f"That was every question on {focus.label}; back to today's practice."))
        state.end_quiz_focus()
        return []
    count = f"{len(left)} of {len(questions)} questions left"
    st.info(plain(f"Quizzing you on {focus.label}: {count}."))
    if st.button("Back to all questions", key="quiz_focus_end"):
        state.end_quiz_focus()
        st.session_state["quiz_next"] = True
        return []
    return questions


def _pick_focused(questions: list[Question]) -> None:
    """Keep the shown question (graded or not) until "Next question"; then the first one on the
    passage not answered yet."""
    current = st.session_state.get(_KEY_QUESTION)
    if current in {q.id for q in questions} and not st.session_state.pop("quiz_next", False):
        return
    done = set(st.session_state.get("quiz_focus_done", []))
    st.session_state[_KEY_QUESTION] = next(q.id for q in questions if q.id not in done)
    st.session_state.pop(_KEY_RESULT, None)


def _show_question(question: Question) -> None:
    level = question.difficulty or "difficulty not given"
    where = question.citation_label if question.kind in WRITTEN_KINDS else question.source
    st.caption(plain(f"{question.topic} · {level} · {where} · {question.id}"))
    if question.is_cloze:
        st.caption("Fill in the blank")
        st.subheader(plain(question.cloze))
    else:
        st.subheader(plain(question.prompt))
    if question.intent:
        st.caption(plain(question.intent))
    if question.sub_points:
        st.caption(plain("Cover: " + "; ".join(question.sub_points)))


def _show_span(settings: Settings, source: str, start: int, end: int, heading: str) -> None:
    """A cited span as the Ask page opens one: file · heading, then the span highlighted in
    the text around it, then where it is."""
    st.caption(f"**{escape_markdown(source)}** · {escape_markdown(heading)}")
    try:
        context = span_context(settings, source, start, end)
    except (StudyragError, OSError) as error:
        st.warning(str(error), icon=":material/description:")
        return
    shown = context.before + context.passage + context.after
    lit = (len(context.before), len(context.before) + len(context.passage))
    with st.container(border=True):
        st.markdown(text_to_markdown(shown, [lit]))
    st.caption(f"Characters {start:,}–{end:,} of {source}.")


def _show_point(settings: Settings, question: Question, mark: str, point: dict[str, Any]) -> None:
    """A key point, opening on its source span."""
    source, start, end = point["citation"]
    with st.expander(f"{mark} {escape_markdown(point['text'])}"):
        _show_span(settings, source, start, end, point.get("heading") or question.heading)


def _show_reference(settings: Settings, question: Question, result: dict[str, Any]) -> None:
    """What the answer was graded against, each passage opening like a citation."""
    passages = result.get("passages") or []
    if not passages:
        return
    st.markdown("**Graded against**")
    for passage in passages:
        heading = passage.get("heading") or question.heading
        own = (passage["source"], passage["start"]) == (question.source, question.answer_start)
        locator = question.locator if own else ""
        where = " · ".join(p for p in (passage["source"], locator, heading) if p)
        label = escape_markdown(where)
        with st.expander(label):
            _show_span(settings, passage["source"], passage["start"], passage["end"], heading)


def _show_result(result: dict[str, Any], settings: Settings, question: Question) -> None:
    st.metric("Score", f"{result['score']}/100")
    if question.is_cloze:
        also = f" (or {', '.join(question.term_forms)})" if question.term_forms else ""
        verdict = st.success if result["score"] == 100 else st.error
        verdict(f"The blank is: {plain(question.term + also)}")
    st.caption(plain(f"Graded against the {result['graded_against']}."))
    if result["note"]:
        st.info(plain(result["note"]))
    total = len(result["covered"]) + len(result["missed"])
    st.markdown(f"**Covered ({len(result['covered'])}/{total})**")
    for point in result["covered"]:
        _show_point(settings, question, "✓", point)
    st.markdown(f"**Missed ({len(result['missed'])}/{total})**")
    for point in result["missed"]:
        _show_point(settings, question, "✗", point)
    _show_reference(settings, question, result)
    if result["follow_ups"]:
        st.markdown("**Follow-ups an interviewer may chain**")
        for follow_up in result["follow_ups"]:
            st.text(f"? {follow_up}")


def _show_progress(store: ProgressStore, settings: Settings) -> None:
    import time

    import pandas as pd

    st.subheader("Progress")
    if store.migrated_reviews:
        st.info(f"Your Leitner history moved to FSRS: {store.migrated_reviews} reviews replayed.")
    history = store.topic_history()
    if not history:
        st.caption("No graded answers yet.")
        return
    now = time.time()
    due = store.due_today(now)
    forecast = store.due_forecast(7, now)
    columns = st.columns(2)
    columns[0].metric("Due today", len(due))
    columns[1].metric("Due in the next 7 days", sum(count for day, count in forecast if day > 0))
    summaries = store.topic_summaries(now)
    retention = pd.DataFrame(
        {"topic": s.topic, "retention": 100 * s.retention}
        for s in summaries
        if s.retention is not None
    )
    if not retention.empty:
        st.markdown("**Retention by topic** (FSRS's predicted chance you recall the answers now)")
        st.bar_chart(retention.set_index("topic")["retention"], y_label="retention %")
    frame = pd.DataFrame([p.__dict__ for p in history])
    chart = frame.pivot_table(index="day", columns="topic", values="mean_score", aggfunc="mean")
    st.line_chart(chart, y_label="mean score")
    st.dataframe(pd.DataFrame([s.to_dict() for s in summaries]), hide_index=True)
    st.caption(store.parameters_note(settings.practice.quiz_fsrs_min_reviews) + ".")
    if store.spaced_review_count() >= settings.practice.quiz_fsrs_min_reviews and st.button(
        "Fit FSRS to my reviews", key="quiz_fit_fsrs"
    ):
        with st.spinner("Fitting FSRS parameters to your reviews..."):
            st.success(store.fit_parameters(settings.practice.quiz_fsrs_min_reviews).message + ".")


def render_practice_page(pipeline: StudyPipeline, settings: Settings) -> None:
    """Mock-interview practice over the corpus question bank."""
    st.header("Practice")
    try:
        bank = indexed_bank(settings.index, settings.ingest)
        store = ProgressStore.for_settings(settings)
    except StudyragError as error:
        st.error(str(error))
        return
    try:
        _practice(pipeline, settings, bank, store)
        _show_progress(store, settings)
    finally:
        store.close()


def _practice(
    pipeline: StudyPipeline, settings: Settings, bank: QuestionBank, store: ProgressStore
) -> None:
    topic, difficulty, weak = _filters(bank)
    candidates = _candidates(bank, store, topic, difficulty, weak)
    if st.button("Next question", key="quiz_next_button"):
        st.session_state["quiz_next"] = True
    focused = _focused(bank)
    if focused:
        _pick_focused(focused)
    else:
        _pick(candidates, store, weak)
    question_id = st.session_state.get(_KEY_QUESTION)
    if question_id is None:
        st.info("No question matches these filters" + (" yet." if weak else "."))
        return
    question = bank.get(question_id)
    _show_question(question)
    if question.is_cloze:
        label, height = "The missing term (a word or two, as the document says it)", 68
    else:
        label, height = "Your answer", 200
    answer = st.text_area(label, key=f"quiz_answer_{question.id}", height=height)
    if st.button("Grade my answer", key="quiz_grade", type="primary"):
        try:
            with st.spinner("Grading..."):
                result = _grader(pipeline, bank, settings).grade(question, answer)
        except StudyragError as error:
            st.error(str(error))
        else:
            store.record(question, result.score, len(result.covered), len(result.points))
            st.session_state[_KEY_RESULT] = {"question_id": question.id, **result.to_dict()}
            if state.quiz_focus() is not None:
                st.session_state.setdefault("quiz_focus_done", []).append(question.id)
                st.rerun()  # the "questions left" line above counts this one now
    shown = st.session_state.get(_KEY_RESULT)
    if shown and shown["question_id"] == question.id:
        _show_result(shown, settings, question)
