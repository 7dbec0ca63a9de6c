"""The Practice page under streamlit's AppTest, on the real pipeline."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from studyrag.pipeline import StudyPipeline
from studyrag.quiz.bank import load_bank
from studyrag.quiz.progress import ProgressStore
from studyrag.settings import Settings
from studyrag.ui.markdown import escape_markdown
from tests.conftest import CORPUS, make_settings


def _page(pipeline, settings) -> None:
    from studyrag.quiz.ui import render_practice_page

    render_practice_page(pipeline, settings)


def test_practice_page_grades_an_answer_and_charts_progress(index_copy: Path) -> None:
    # Its own copy of the index: the bank is what this collection indexed, progress is its own.
    settings = make_settings(index_copy)
    with StudyPipeline(settings) as pipeline:
        _grade_and_chart(pipeline, settings)


def _grade_and_chart(pipeline: StudyPipeline, settings: Settings) -> None:
    app = AppTest.from_function(_page, args=(pipeline, settings), default_timeout=180)
    app.run()
    assert not app.exception, app.exception
    assert app.header[0].value == "Practice"
    assert "No graded answers yet." in [c.value for c in app.caption]

    app.selectbox(key="quiz_topic").set_value("Transformer Architecture").run()
    question_id = app.session_state["quiz_question_id"]
    question = load_bank(CORPUS).get(question_id)
    assert question.topic == "Transformer Architecture"

    app.text_area(key=f"quiz_answer_{question_id}").input(question.answer)
    app.button(key="quiz_grade").click().run()
    assert not app.exception, app.exception
    assert app.metric[0].value == "100/100"
    covered = [e for e in app.expander if e.label.startswith("✓")]
    assert covered  # each key point opens like a citation: file · heading, span highlighted
    opened = covered[0]
    captions = [c.value for c in opened.caption]
    assert any(question.source.replace(".", "\\.") in c or question.source in c for c in captions)
    lit = [m.value for m in opened.markdown if ":orange-background[" in m.value]
    assert lit, "the key point's span is not highlighted in its passage"
    assert any(f.value.startswith("? ") for f in app.text)  # follow-ups
    assert "No graded answers yet." not in [c.value for c in app.caption]
    assert app.get("arrow_line_chart") or app.get("vega_lite_chart")
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Due today"] == "0"  # a full answer is rated Easy: FSRS waits days
    assert "Retention by topic" in " ".join(m.value for m in app.markdown)
    reference = [e for e in app.expander if e.label.startswith(escape_markdown(question.source))]
    assert reference, "the model answer is not shown as a citation"
    assert escape_markdown(question.heading) in reference[0].label
    assert any(":orange-background[" in m.value for m in reference[0].markdown)
    assert any("FSRS default parameters" in c.value for c in app.caption)
    with ProgressStore.for_settings(settings) as store:
        assert [(a.question_id, a.score) for a in store.attempts()] == [(question_id, 100)]


def test_practice_page_says_when_no_question_is_weak(index_copy: Path) -> None:
    settings = make_settings(index_copy)
    with StudyPipeline(settings) as pipeline:
        app = AppTest.from_function(_page, args=(pipeline, settings), default_timeout=120)
        app.run()
        app.checkbox(key="quiz_weak").check().run()
    assert not app.exception, app.exception
    assert any("No question matches" in i.value for i in app.info)


def test_practice_page_says_when_nothing_is_indexed(pipeline, tmp_path: Path) -> None:
    """Another data folder with nothing indexed: one clear line, not corpus/'s questions
    graded against an index that does not hold them."""
    settings = make_settings(tmp_path / "data")
    app = AppTest.from_function(_page, args=(pipeline, settings), default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    assert any("nothing is indexed in this collection yet" in e.value for e in app.error)
