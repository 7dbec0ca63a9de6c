"""The Streamlit app, driven by ``streamlit.testing.v1.AppTest`` over a real ingested index.

The app reads its configuration through ``Settings()``, so tests point it at a private copy of
the index with ``STUDYRAG_*`` variables. All tests of the module share one copy, and so one cached
pipeline (Qdrant local mode allows one client per folder; the session ``pipeline`` fixture holds
the original folder).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import ChatMessage, Expander

from studyrag.eval.gold import load_gold
from studyrag.quiz.bank import load_bank
from studyrag.ui.feedback import FeedbackStore
from tests.conftest import CORPUS, REPO

APP = REPO / "app.py"
RUN_TIMEOUT_S = 240
ON_TOPIC = "How does RoPE inject position information into attention?"
OFF_TOPIC = "How long should sourdough dough proof at room temperature before baking?"
NEW_DOC = (
    "Study notes: Zorblax attention\n\n"
    "Q1. What is Zorblax attention?\n\n"
    "Zorblax attention is a made-up attention variant that routes every query through a "
    "single shared memory slot called the zorb, so the KV cache never grows beyond one entry.\n"
)


@pytest.fixture(scope="module")
def app_data(corpus_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One private copy of the ingested index for the read-mostly tests of this module."""
    target = tmp_path_factory.mktemp("app") / "data"
    shutil.copytree(corpus_index_dir, target)
    return target


def start_app(monkeypatch: pytest.MonkeyPatch, data_dir: Path, corpus_dir: Path) -> AppTest:
    monkeypatch.setenv("STUDYRAG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("STUDYRAG_CORPUS_DIR", str(corpus_dir))
    monkeypatch.setenv("STUDYRAG_BACKEND", "extractive")
    app = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, app_data: Path) -> Iterator[AppTest]:
    yield start_app(monkeypatch, app_data, CORPUS)


def ask(app: AppTest, question: str) -> ChatMessage:
    """Type a question, run the script, return the last assistant message."""
    app.chat_input(key="question").set_value(question).run()
    assert not app.exception, app.exception
    return [m for m in app.chat_message if m.name == "assistant"][-1]


def citation_expanders(message: ChatMessage) -> list[Expander]:
    return [e for e in message.expander if e.label.startswith("[")]


def markdown_of(block: ChatMessage | Expander) -> str:
    return "\n".join(m.value for m in block.markdown)


def test_a_question_gets_an_answer_with_citations(app: AppTest) -> None:
    message = ask(app, ON_TOPIC)
    assert ":blue-badge[1]" in markdown_of(message)
    labels = [e.label for e in citation_expanders(message)]
    assert labels and labels[0].startswith("[1] ")
    assert all(".txt" in label or ".md" in label for label in labels)
    turn = app.session_state["turns"][-1]
    assert not turn.answer.refused and turn.answer.citations
    assert "RoPE" in turn.answer.text or "rotat" in turn.answer.text.lower()
    assert not app.error


def test_opening_a_citation_shows_the_passage_and_its_document(app: AppTest) -> None:
    message = ask(app, ON_TOPIC)
    first = citation_expanders(message)[0]
    assert not first.markdown  # closed: its content is only rendered when opened
    link = next(b for b in message.button if b.label == "[1]")
    link.click().run()
    message = [m for m in app.chat_message if m.name == "assistant"][-1]
    opened = citation_expanders(message)[0]
    turn = app.session_state["turns"][-1]
    citation = turn.answer.citations[0]
    shown = markdown_of(opened)
    assert ":orange-background[" in shown  # the supporting sentence is highlighted
    assert citation.chunk.source.split(".")[0] in opened.caption[0].value.replace("\\", "")

    opened.toggle[0].set_value(True).run()
    message = [m for m in app.chat_message if m.name == "assistant"][-1]
    opened = citation_expanders(message)[0]
    where = [c.value for c in opened.caption if c.value.startswith("Characters ")]
    assert where and "cleaned as ingested" in where[0]
    assert len(opened.markdown) >= 2  # the passage, and the passage again inside its document


def test_an_off_topic_question_is_refused(app: AppTest) -> None:
    message = ask(app, OFF_TOPIC)
    turn = app.session_state["turns"][-1]
    assert turn.answer.refused
    assert message.info and "cover" in message.info[0].value
    assert not citation_expanders(message)
    assert any(e.label == "Closest passages and why" for e in message.expander)


def test_a_follow_up_question_is_read_with_the_conversation(app: AppTest) -> None:
    ask(app, "What is RLHF?")
    message = ask(app, "What are its main steps?")
    turns = app.session_state["turns"]
    assert [t.question for t in turns] == ["What is RLHF?", "What are its main steps?"]
    follow_up = turns[-1].answer
    assert not follow_up.refused and follow_up.citations
    assert follow_up.standalone_question != "What are its main steps?"
    assert [m.name for m in app.chat_message] == ["user", "assistant"] * 2
    assert ":blue-badge[" in markdown_of(message)


def test_feedback_is_saved_and_exports_as_gold(app: AppTest, app_data: Path) -> None:
    ask(app, ON_TOPIC)
    feedback_file = app_data / "feedback.jsonl"
    before = feedback_file.read_text("utf-8").splitlines() if feedback_file.exists() else []
    app.feedback[0].set_value(1).run()
    rows = feedback_file.read_text("utf-8").splitlines()
    assert len(rows) == len(before) + 1
    row = json.loads(rows[-1])
    turn = app.session_state["turns"][-1]
    assert row["rating"] == "up" and row["question"] == ON_TOPIC
    assert row["answer"] == turn.answer.text
    assert [c["n"] for c in row["citations"]] == [c.n for c in turn.answer.citations]
    assert any("Saved" in c.value for c in app.caption)

    export = next(b for b in app.sidebar.download_button if b.label == "Export as gold set")
    assert not export.disabled
    exported = app_data / "exported.jsonl"
    exported.write_text(FeedbackStore(feedback_file, CORPUS).export_gold(), "utf-8")
    gold = load_gold(exported, CORPUS)  # what the button serves loads as a gold set
    assert turn.answer.standalone_question in {g.question for g in gold}
    assert all(g.spans and g.reference_answer for g in gold)


def test_the_document_filter_limits_the_sources(app: AppTest) -> None:
    only = "003_d47b52dac9159beb.txt"
    app.multiselect(key="sources").set_value([only]).run()
    ask(app, "Why do transformers need positional encodings?")
    answer = app.session_state["turns"][-1].answer
    assert answer.passages and {p.hit.chunk.source for p in answer.passages} == {only}


def test_an_llm_endpoint_error_is_shown_and_the_chat_goes_on(app: AppTest) -> None:
    app.selectbox(key="backend").set_value("openai").run()
    app.text_input(key="openai_base_url").set_value("http://127.0.0.1:9/v1").run()
    message = ask(app, ON_TOPIC)
    assert message.error and "openai backend failed" in message.error[0].value
    app.selectbox(key="backend").set_value("extractive").run()
    message = ask(app, ON_TOPIC)
    assert not message.error and citation_expanders(message)


def test_no_document_text_is_rendered_as_html() -> None:
    html = re.compile(r"unsafe_allow_html\s*=\s*True|\bst\.html\(|\.html\(")
    sources = [APP, *sorted((REPO / "studyrag" / "ui").glob("*.py"))]
    assert len(sources) >= 6
    for path in sources:
        assert not html.search(path.read_text("utf-8")), path


@pytest.mark.slow
def test_reindex_adds_a_new_file_without_breaking_the_session(
    monkeypatch: pytest.MonkeyPatch, index_copy: Path, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    app = start_app(monkeypatch, index_copy, corpus)
    assert ask(app, ON_TOPIC).expander
    files_before = app.sidebar.metric[0].value

    (corpus / "zorblax.txt").write_text(NEW_DOC, "utf-8")
    app.button(key="reindex").click().run()
    assert not app.exception and not app.error
    assert "1 added" in app.session_state["last_reindex"]
    assert int(app.sidebar.metric[0].value) == int(files_before) + 1

    message = ask(app, "What is Zorblax attention and what is the zorb?")
    answer = app.session_state["turns"][-1].answer
    assert not answer.refused and "zorblax.txt" in {c.chunk.source for c in answer.citations}
    assert len(app.session_state["turns"]) == 2  # the conversation survived the re-index
    assert citation_expanders(message)


@pytest.mark.slow
def test_first_run_builds_the_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "zorblax.txt").write_text(NEW_DOC, "utf-8")
    app = start_app(monkeypatch, tmp_path / "data", corpus)
    assert "1 added" in app.session_state["last_reindex"]
    assert app.sidebar.metric[0].value == "1"
    assert not app.chat_input(key="question").disabled
    message = ask(app, "What is Zorblax attention?")
    assert citation_expanders(message)


def test_an_empty_corpus_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    app = start_app(monkeypatch, tmp_path / "data", corpus)
    assert app.info and "has no documents yet" in app.info[0].value
    assert app.chat_input[0].disabled
    assert app.sidebar.metric[1].value == "0"


def test_a_pdf_citation_names_its_page_and_shows_the_page_highlighted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.ingest.readers.pdf_maker import body_lines, make_pdf

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_pdf(
        corpus / "notes.pdf",
        [
            [("Preface", 72, 700, 20, "Helvetica-Bold"), *body_lines(["Welcome."], top=660)],
            [
                ("Zorblax attention", 72, 700, 20, "Helvetica-Bold"),
                *body_lines(
                    [
                        "Zorblax attention routes every query through one shared memory\n"
                        "slot called the zorb, so the KV cache never grows past one entry."
                    ],
                    top=660,
                ),
            ],
        ],
    )
    app = start_app(monkeypatch, tmp_path / "data", corpus)
    message = ask(app, "What is the zorb in Zorblax attention?")
    labels = [e.label for e in citation_expanders(message)]
    shown = [label.replace("\\", "") for label in labels]  # labels are Markdown-escaped
    assert shown and shown[0].startswith("[1] notes.pdf · p. 2 · Zorblax attention"), labels
    next(b for b in message.button if b.label == "[1]").click().run()
    message = [m for m in app.chat_message if m.name == "assistant"][-1]
    citation_expanders(message)[0].toggle[0].set_value(True).run()
    assert not app.exception and not app.warning
    message = [m for m in app.chat_message if m.name == "assistant"][-1]
    opened = citation_expanders(message)[0]
    assert opened.get("image"), "the cited PDF page is not shown"


def test_moving_every_sidebar_control_builds_nothing_new(app: AppTest) -> None:
    """Top-k, rerank, answer length and the document filter travel in the question's request:
    no generator, embedder, reranker or assistant is built for any of them."""
    from studyrag.registry import process_models
    from studyrag.ui import state as ui_state

    ask(app, ON_TOPIC)  # the default path has loaded what it needs
    loaded, assistants = process_models().loaded(), len(ui_state._ASSISTANTS)
    answers = []
    for words, top_k, rerank in ((160, 3, False), (60, 7, True), (250, 2, True)):
        app.slider(key="answer_max_words").set_value(words).run()
        app.slider(key="top_k").set_value(top_k).run()
        app.toggle(key="rerank").set_value(rerank).run()
        ask(app, ON_TOPIC)
        answer = app.session_state["turns"][-1].answer
        assert answer is not None and len(answer.passages) == top_k
        assert ("rerank" in answer.timings_ms) is rerank
        answers.append(len(answer.text.split()))
    only = "003_d47b52dac9159beb.txt"
    app.multiselect(key="sources").set_value([only]).run()
    ask(app, ON_TOPIC)
    assert {p.hit.chunk.source for p in app.session_state["turns"][-1].answer.passages} == {only}
    assert answers[1] < answers[0]  # 60 words against 160: the budget reached the composer
    assert process_models().loaded() == loaded
    assert len(ui_state._ASSISTANTS) == assistants


def test_a_bad_setting_stops_the_page_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STUDYRAG_TOP_K", "0")
    app = start_app(monkeypatch, tmp_path / "data", CORPUS)
    assert not app.exception and not app.chat_input
    assert app.error[0].value == (
        "Invalid setting STUDYRAG_TOP_K: Input should be greater than or equal to 1"
    )


def test_with_a_password_the_page_shows_nothing_until_it_is_given(
    monkeypatch: pytest.MonkeyPatch, index_copy: Path
) -> None:
    # Its own index copy: other settings are another pipeline, and one folder has one writer.
    monkeypatch.setenv("STUDYRAG_APP_PASSWORD", "correct horse")
    app = start_app(monkeypatch, index_copy, CORPUS)
    assert not app.chat_input and app.text_input(key="password")
    app.text_input(key="password").set_value("wrong")  # a form: the value goes with the click
    app.button[0].click().run()
    assert app.error and "Wrong password" in app.error[0].value and not app.chat_input
    app.text_input(key="password").set_value("correct horse")
    app.button[0].click().run()
    assert app.session_state["signed_in"] is True
    assert not app.exception and app.chat_input
    assert "password" not in [t.key for t in app.text_input]
    assert ask(app, ON_TOPIC).expander


def test_quiz_me_on_this_puts_the_cited_passages_questions_first(app: AppTest) -> None:
    message = ask(app, ON_TOPIC)
    next(b for b in message.button if b.label == "[1]").click().run()
    message = [m for m in app.chat_message if m.name == "assistant"][-1]
    citation = app.session_state["turns"][-1].answer.citations[0]
    quiz = next(b for b in message.button if b.label == "Quiz me on this")
    quiz.click().run()
    assert not app.exception, app.exception
    assert app.header and app.header[0].value == "Practice"
    focus = [i.value for i in app.info if "Quizzing you on" in i.value]
    assert focus and citation.chunk.source.split(".")[0] in focus[0].replace("\\", "")
    question_id = app.session_state["quiz_question_id"]
    bank = load_bank(CORPUS)
    question = bank.get(question_id)
    on_passage = bank.about_passage(
        citation.chunk.source, citation.chunk.start, citation.chunk.end, citation.chunk.heading
    )
    assert question.id == on_passage[0].id  # the cited passage's own question comes first
    app.text_area(key=f"quiz_answer_{question_id}").input(question.answer or question.title)
    app.button(key="quiz_grade").click().run()
    assert not app.exception, app.exception
    assert app.metric[0].value.endswith("/100")
