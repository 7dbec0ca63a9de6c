"""Saved conversations: answers kept whole, listed by collection, renamed, deleted, exported."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from studyrag.conversations import (
    ConversationStore,
    Turn,
    answer_from,
    answer_record,
    default_title,
    to_markdown,
)
from studyrag.generate.base import Answer, AnswerSentence, Passage, Quote
from studyrag.types import Chunk, Citation, Hit, StudyragError

LISTS = Chunk(
    chunk_id="r-intro.pdf#12",
    source="R-intro.pdf",
    text="An R list is an object consisting of an ordered collection of objects known as its "
    "components.",
    start=1200,
    end=1296,
    heading_path=("6 Lists and data frames",),
    title="6.1 Lists",
    page=29,
    page_unit="page",
    metadata={"block": 3},
)
FRAMES = Chunk(
    chunk_id="r-intro.pdf#13",
    source="R-intro.pdf",
    text="A data frame is a list with class data.frame.",
    start=1300,
    end=1346,
    heading_path=("6 Lists and data frames",),
    title="6.3 Data frames",
    page=30,
    page_unit="page",
)


def an_answer() -> Answer:
    quoted = "an object consisting of an ordered collection of objects"
    start = LISTS.text.index(quoted)
    return Answer(
        question="what's a list in R",
        text="An R list is an object consisting of an ordered collection of objects [1].",
        refused=False,
        citations=[Citation.of_chunk(LISTS, 1)],
        sentences=[AnswerSentence("An R list is an object…", [1], True, 0.93)],
        passages=[
            Passage(1, Hit(LISTS, 3.5, 1, 2, 0.71, 12.5, 0.9, 4.25)),
            Passage(2, Hit(FRAMES, 1.0, 3, None, 0.52, None, 0.4, None)),
        ],
        quotes=[Quote(1, start, start + len(quoted), quoted)],
        warnings=["one sentence had weak support"],
        backend="extractive",
        standalone_question="What is a list in R?",
        timings_ms={"retrieve": 120.5, "generate": 30.25},
    )


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(tmp_path / "conversations.sqlite3")


def test_an_answer_survives_the_round_trip_whole() -> None:
    answer = an_answer()
    restored = answer_from(answer_record(answer))
    assert restored == answer
    assert restored.citations[0].passage == LISTS  # the chunk itself, page and all
    assert restored.passages[1].hit.bm25_rank is None
    assert answer_record(restored) == answer_record(answer)


def test_turns_are_kept_in_order_per_conversation_and_listed_by_collection(
    store: ConversationStore, tmp_path: Path
) -> None:
    first = store.create("study", "what's a list in R")
    other = store.create("biology", "what is a cell")
    store.add_turn(first.id, Turn("what's a list in R", answer=an_answer(), seconds=0.4))
    store.add_turn(first.id, Turn("and a data frame?", error="the backend failed", backend="x"))
    reopened = ConversationStore(tmp_path / "conversations.sqlite3")  # a restart
    turns = reopened.turns(first.id)
    assert [t.question for t in turns] == ["what's a list in R", "and a data frame?"]
    assert turns[0].answer == an_answer() and turns[0].seconds == 0.4
    assert turns[1].answer is None and turns[1].error == "the backend failed"
    assert [c.id for c in reopened.recent("study")] == [first.id]
    assert [c.id for c in reopened.recent("biology")] == [other.id]
    assert reopened.get(first.id).turns == 2


def test_recent_lists_the_last_used_first_and_finds_by_title_or_question(
    store: ConversationStore,
) -> None:
    made = [store.create("study", f"question number {n}") for n in range(30)]
    store.add_turn(made[3].id, Turn("what is a zorblax?"))
    listed = store.recent("study", limit=12)
    assert len(listed) == 12 and listed[0].id == made[3].id
    assert store.count("study") == 30
    assert [c.id for c in store.recent("study", search="zorblax")] == [made[3].id]
    assert [c.id for c in store.recent("study", search="number 29")] == [made[29].id]
    assert store.recent("study", search="100%") == []  # LIKE wildcards are not a crash


def test_rename_delete_and_deleting_a_collection(store: ConversationStore) -> None:
    kept = store.create("study", "a")
    gone = store.create("study", "b")
    store.add_turn(gone.id, Turn("b"))
    store.rename(kept.id, "  Exam   prep ")
    assert store.get(kept.id).title == "Exam prep"
    with pytest.raises(StudyragError, match="give the conversation a title"):
        store.rename(kept.id, "   ")
    store.delete(gone.id)
    with pytest.raises(StudyragError, match="no longer saved"):
        store.get(gone.id)
    assert store.turns(gone.id) == []  # its turns went with it
    with pytest.raises(StudyragError, match="was deleted"):
        store.add_turn(gone.id, Turn("late"))
    other = store.create("biology", "c")
    assert store.delete_collection("study") == 1
    assert store.recent("study") == [] and store.get(other.id).title == "c"


def test_titles_are_the_first_question_shortened() -> None:
    assert default_title("  what   is\nRoPE? ") == "what is RoPE?"
    long = default_title("why " * 40)
    assert len(long) == 80 and long.endswith("…")


def test_export_names_file_page_section_and_the_quoted_span(store: ConversationStore) -> None:
    conversation = store.create("study", "what's a list in R")
    refused = Answer(question="sourdough?", text="The documents don't cover this.", refused=True)
    store.add_turn(conversation.id, Turn("what's a list in R", answer=an_answer()))
    store.add_turn(conversation.id, Turn("sourdough?", answer=refused))
    store.add_turn(conversation.id, Turn("x", error="the openai backend failed: timeout"))
    text = to_markdown(store.get(conversation.id), store.turns(conversation.id), "Statistics")
    assert text.startswith("# what's a list in R\n")
    assert "*Collection: Statistics · started " in text and "· 3 questions*" in text
    assert "## 1. what's a list in R" in text
    assert "ordered collection of objects [1]." in text
    assert "- [1] R-intro.pdf · p. 29 · 6 Lists and data frames > 6.1 Lists" in text
    assert "  > an object consisting of an ordered collection of objects\n" in text
    assert "## 2. sourdough?\n\nThe documents don't cover this.\n" in text
    assert "**Sources**" not in text.split("## 2.")[1]  # a refusal cites nothing
    assert "*No answer: the openai backend failed: timeout*" in text


def test_a_damaged_database_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "conversations.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StudyragError, match="could not be read or written"):
        ConversationStore(path)
    assert path.read_bytes().startswith(b"this is not a database")


def test_the_file_is_plain_sqlite(store: ConversationStore) -> None:
    store.create("study", "q")
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT title FROM conversations").fetchall() == [("q",)]
