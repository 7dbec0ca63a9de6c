"""The app's collections and saved conversations, driven by AppTest over a real index copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studyrag.collections import CollectionCatalog
from studyrag.conversations import ConversationStore
from studyrag.registry import process_models
from studyrag.ui import state
from tests.conftest import CORPUS, make_settings
from tests.test_app import ON_TOPIC, ask, start_app

OKAPI = b"# Okapi notes\n\n## Habitat\n\nThe okapi lives in the Ituri rainforest of Congo.\n"


def test_collections_are_created_switched_and_deleted(
    monkeypatch: pytest.MonkeyPatch, index_copy: Path
) -> None:
    app = start_app(monkeypatch, index_copy, CORPUS)
    ask(app, ON_TOPIC)
    loaded = process_models().loaded()
    app.text_input(key="new_collection").set_value("Zoology").run()
    app.button(key="create_collection").click().run()
    assert not app.exception, app.exception
    assert app.selectbox(key="collection_id").value == "zoology"
    assert any("Created Zoology" in s.value for s in app.success)
    assert any("This collection is empty" in i.value for i in app.info)
    assert not app.session_state["turns"]  # a new collection starts a new chat

    # Add a document through the same pipeline the app holds for the collection.
    catalog = CollectionCatalog(make_settings(index_copy))
    settings = catalog.settings_for(catalog.get("Zoology"))
    pipeline = state.get_pipeline(settings)
    assert pipeline.add_uploads([("okapi.md", OKAPI)])[0] == (True, "added okapi.md")
    app.run()
    answer = ask(app, "Where does the okapi live?")
    turn = app.session_state["turns"][-1]
    assert turn.answer is not None and not turn.answer.refused, answer
    assert {c.source for c in turn.answer.citations} == {"okapi.md"}
    assert "Ituri" in turn.answer.text

    app.selectbox(key="collection_id").set_value("study").run()
    assert not app.session_state["turns"]
    ask(app, ON_TOPIC)
    corpus_turn = app.session_state["turns"][-1]
    assert corpus_turn.answer is not None
    assert "okapi.md" not in {c.source for c in corpus_turn.answer.citations}
    assert process_models().loaded() == loaded  # a collection is an index, not new models

    app.selectbox(key="collection_id").set_value("zoology").run()
    app.text_input(key="rename_collection_zoology").set_value("Zoology 101").run()
    app.button(key="rename_collection_button").click().run()
    assert any("Renamed to Zoology 101" in s.value for s in app.success)
    assert catalog.get("zoology").name == "Zoology 101"
    assert app.button(key="delete_collection").disabled  # until confirmed
    app.checkbox(key="confirm_delete_collection").check().run()
    app.button(key="delete_collection").click().run()
    assert not app.exception, app.exception
    assert app.selectbox(key="collection_id").value == "study"
    assert [c.id for c in catalog.list()] == ["study"]
    assert not settings.index.edge_path.exists() and not settings.index.uploads_dir.exists()
    store = ConversationStore(settings.conversations_path)
    assert store.recent("zoology") == [] and store.recent("study")


def test_conversations_are_saved_reopened_renamed_and_deleted(
    monkeypatch: pytest.MonkeyPatch, index_copy: Path
) -> None:
    app = start_app(monkeypatch, index_copy, CORPUS)
    ask(app, "What is the EU AI Act?")
    ask(app, "What is LoRA?")
    conversation_id = app.session_state["conversation_id"]
    store = ConversationStore(make_settings(index_copy).conversations_path)
    saved = store.turns(conversation_id)
    assert [t.question for t in saved] == ["What is the EU AI Act?", "What is LoRA?"]
    assert saved[1].answer == app.session_state["turns"][1].answer

    app.button(key="new_conversation").click().run()
    assert not app.session_state["turns"] and app.session_state["conversation_id"] is None

    fresh = AppTest.from_file(str(app._script_path), default_timeout=240)  # another visit
    fresh.run()
    fresh.button(key=f"open-{conversation_id}").click().run()
    assert [t.question for t in fresh.session_state["turns"]] == [t.question for t in saved]
    follow_up = ask(fresh, "How much memory does it save?")
    assert follow_up is not None
    last = fresh.session_state["turns"][-1]
    assert last.answer is not None and "lora" in last.answer.standalone_question.lower()
    assert len(store.turns(conversation_id)) == 3  # the follow-up joined the same conversation

    fresh.text_input(key=f"title_{conversation_id}").set_value("LoRA revision").run()
    fresh.button(key="rename_conversation").click().run()
    assert store.get(conversation_id).title == "LoRA revision"
    assert fresh.button(key=f"open-{conversation_id}").label == "LoRA revision"
    fresh.button(key="delete_conversation").click().run()
    assert store.recent("study") == [] and not fresh.session_state["turns"]
