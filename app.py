"""studyrag: the study assistant chat (``make run``).

One pipeline per server process holds THE Qdrant local client (local mode allows one client per
storage folder); questions, the first-run ingest and the re-index button all go through it.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import streamlit as st
from pydantic import ValidationError

from studyrag.assistant import AskRequest, Assistant
from studyrag.collections import Collection, CollectionCatalog
from studyrag.conversations import ConversationStore, Turn, to_markdown
from studyrag.generate.base import Answer
from studyrag.ingest.ingestor import IngestReport, Progress
from studyrag.ingest.loaders import discover
from studyrag.ingest.readers import supported_suffixes
from studyrag.offline import pin_offline
from studyrag.pipeline import IndexStatus, StudyPipeline, clean_query
from studyrag.quiz.ui import render_practice_page
from studyrag.settings import GeneratorBackend, Settings, settings_error
from studyrag.types import StudyragError
from studyrag.ui import state, turns
from studyrag.ui.feedback import DOWN, UP, FeedbackStore, feedback_path
from studyrag.ui.markdown import (
    answer_to_markdown,
    code_span,
    escape_markdown,
    text_to_markdown,
)

log = logging.getLogger("studyrag.app")
T = TypeVar("T")

EXAMPLES = (
    "How does RoPE inject position information into attention?",
    "Why did LLaMA-style models switch from LayerNorm to RMSNorm?",
    "How does DPO manage to skip training a separate reward model?",
)
BACKEND_LABELS = {
    GeneratorBackend.EXTRACTIVE.value: "Extractive: quotes the passages (offline, instant)",
    GeneratorBackend.OPENAI.value: "OpenAI-compatible endpoint",
    GeneratorBackend.LOCAL.value: "Local SmolLM2 (llama.cpp)",
}


@dataclass(frozen=True)
class AskOptions:
    """What the sidebar chose for the next question: the request that travels with it, and an
    LLM backend's endpoint settings (another endpoint is another generator, built once)."""

    request: AskRequest
    endpoint: dict[str, Any] = field(default_factory=dict)

    @property
    def backend(self) -> str:
        return self.request.backend.value if self.request.backend else ""


# Loading --------------------------------------------------------------------------------------
def load_settings() -> Settings:
    """Settings from ``STUDYRAG_*``; a bad value stops the page with one clear line."""
    try:
        return Settings()
    except ValidationError as error:
        st.error("I" + settings_error(error)[1:], icon=":material/error:")
        st.stop()
        raise


def require_password(settings: Settings) -> None:
    """With STUDYRAG_APP_PASSWORD set, nothing but a password box until it is given."""
    if settings.app.app_password is None or st.session_state.get("signed_in"):
        return
    st.title("studyrag")
    with st.form("sign_in"):
        typed = st.text_input("Password", type="password", key="password")
        sent = st.form_submit_button("Sign in")
    if sent:
        expected = settings.app.app_password.get_secret_value().encode()
        if hmac.compare_digest(typed.encode(), expected):  # constant time
            st.session_state["signed_in"] = True
            st.session_state.pop("password", None)
            st.rerun()
        st.error("Wrong password.")
    st.stop()


def load_pipeline(settings: Settings) -> StudyPipeline:
    """The cached pipeline; an index held by another process is reported, not crashed on."""
    try:
        with st.spinner("Loading the index and models (once per server start)…"):
            return state.get_pipeline(settings)
    except RuntimeError as error:
        st.error(
            f"The index folder `{settings.index.qdrant_path}` is open in another process "
            "(a running `studyrag` command or a second app). Stop it, then reload this page.",
            icon=":material/lock:",
        )
        log.warning("cannot open the index: %s", error)
    except StudyragError as error:
        st.error(str(error), icon=":material/error:")
    st.stop()
    raise AssertionError("unreachable")


def corpus_files(settings: Settings) -> list[str]:
    """Files of the corpus folder that ingestion would read."""
    if not settings.index.corpus_dir.is_dir():
        return []
    files, _refused, _roots = discover([settings.index.corpus_dir])
    return [f.source for f in files if f.path.suffix.lower() in supported_suffixes()]


def change_index(
    settings: Settings, pipeline: StudyPipeline, text: str, work: Callable[[Progress], T]
) -> T:
    """Run ``work`` (an ingest, an upload, a deletion) with a progress bar while holding the
    index lock; then reload the BM25 sidecar now, not on the next question, and forget the
    assistants built on the old index. Errors go to the caller."""
    bar = st.progress(0.0, text=text)

    def progress(message: str, fraction: float) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    try:
        with state.holding(state.index_lock(settings), "Waiting for answers in progress…"):
            result = work(progress)
            if pipeline.store.count():
                pipeline.warm_up()
        return result
    finally:
        bar.empty()
        state.clear_assistants()


def run_ingest(settings: Settings, pipeline: StudyPipeline) -> IngestReport | None:
    """Incremental ingest in this process, through the cached pipeline, with a progress bar."""
    try:
        return change_index(
            settings, pipeline, "Reading the corpus…", lambda p: pipeline.ingest(progress=p)
        )
    except StudyragError as error:
        st.error(str(error), icon=":material/error:")
        return None


def ensure_index(settings: Settings, pipeline: StudyPipeline) -> IndexStatus:
    """First run: build the index with a progress bar; an empty corpus stops with a hint."""
    status = pipeline.status()
    if status.chunks:
        return status
    files = corpus_files(settings)
    if not files and settings.index.collection_folder is not None:
        st.info(
            "This collection is empty. Add PDFs, web pages, DOCX, PPTX, EPUB, Markdown or text "
            "with **Add documents** in the sidebar.",
            icon=":material/folder_open:",
        )
        return status
    if not files:
        st.info(
            f"The corpus folder {code_span(str(settings.index.corpus_dir))} has no documents "
            "yet. Add `.txt`, `.md`, `.pdf`, `.docx` or `.html` files there, then press "
            "**Re-index** in the sidebar.",
            icon=":material/folder_open:",
        )
        return status
    st.info(
        f"First run: indexing {len(files)} documents. This takes a minute once; "
        "later starts only re-read files that changed.",
        icon=":material/hourglass_top:",
    )
    report = run_ingest(settings, pipeline)
    if report is not None:
        st.session_state["last_reindex"] = report.summary()
        st.rerun()
    return pipeline.status()


# Collections ----------------------------------------------------------------------------------
def current_collection(base: Settings) -> tuple[CollectionCatalog, Collection]:
    """The collection this session works in (chosen in the sidebar; the corpus folder's first)."""
    catalog = CollectionCatalog(base)
    try:
        collections = catalog.list()
    except StudyragError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()
        raise
    ids = [c.id for c in collections]
    if switch := st.session_state.pop("switch_collection", None):  # set by create or delete
        st.session_state["collection_id"] = switch
    chosen = st.session_state.get("collection_id")
    if chosen not in ids:
        if chosen is not None:
            state.flash("That collection was deleted in another window.", "warning")
        st.session_state["collection_id"] = ids[0]
    names = {c.id: c.name for c in collections}
    st.sidebar.selectbox(
        "Collection",
        ids,
        format_func=lambda ident: names.get(ident, ident),
        key="collection_id",
        help="A course or a subject: questions, answers and practice use its documents only.",
    )
    collection = next(c for c in collections if c.id == st.session_state["collection_id"])
    if st.session_state.get("turns_collection") != collection.id:  # switched: a new chat
        state.open_conversation(None, [])
        st.session_state["turns_collection"] = collection.id
    return catalog, collection


def _create_collection(catalog: CollectionCatalog) -> None:
    try:
        created = catalog.create(st.session_state.get("new_collection", ""))
    except StudyragError as error:
        state.flash(str(error), "error")
        return
    st.session_state["switch_collection"] = created.id
    st.session_state["new_collection"] = ""
    state.flash(f"Created {created.name}. Add documents to it below.")


def _rename_collection(catalog: CollectionCatalog, collection: Collection) -> None:
    try:
        typed = st.session_state.get(f"rename_collection_{collection.id}", "")
        renamed = catalog.rename(collection, typed)
    except StudyragError as error:
        state.flash(str(error), "error")
        return
    state.flash(f"Renamed to {renamed.name}.")


def delete_collection(
    catalog: CollectionCatalog, collection: Collection, settings: Settings
) -> None:
    """Delete a collection: its index, files, practice progress and conversations."""
    with state.holding(state.index_lock(settings), "Waiting for answers in progress…"):
        state.get_pipeline(settings).drop()
        state.forget_pipeline(settings)
        catalog.forget(collection)
        ConversationStore(settings.conversations_path).delete_collection(collection.id)
    st.session_state["switch_collection"] = catalog.list()[0].id
    state.flash(f"Deleted the collection {collection.name}.")


def render_collections_panel(
    catalog: CollectionCatalog, collection: Collection, settings: Settings
) -> None:
    """Create, rename or delete collections."""
    with st.expander("Collections", icon=":material/folder_copy:"):
        st.text_input("New collection", key="new_collection", placeholder="e.g. Statistics 101")
        st.button(
            "Create",
            key="create_collection",
            icon=":material/create_new_folder:",
            on_click=_create_collection,
            args=(catalog,),
        )
        st.text_input(
            "Rename this collection",
            value=collection.name,
            key=f"rename_collection_{collection.id}",
        )
        st.button(
            "Rename",
            key="rename_collection_button",
            on_click=_rename_collection,
            args=(catalog, collection),
        )
        if collection.home:
            st.caption("The corpus folder's collection stays; its files live in the folder.")
            return
        sure = st.checkbox(
            f"Delete {collection.name} with its documents, progress and conversations",
            key="confirm_delete_collection",
        )
        if st.button(
            "Delete collection",
            key="delete_collection",
            icon=":material/delete:",
            disabled=not sure,
        ):
            delete_collection(catalog, collection, settings)
            st.session_state.pop("confirm_delete_collection", None)
            st.rerun()


# Conversations --------------------------------------------------------------------------------
RECENT_CONVERSATIONS = 12


def conversation_store(settings: Settings) -> ConversationStore | None:
    """The saved conversations; None (with a warning) when the file cannot be used."""
    try:
        return ConversationStore(settings.conversations_path)
    except StudyragError as error:
        st.warning(str(error), icon=":material/warning:")
        return None


def _open_saved(store: ConversationStore, conversation_id: str) -> None:
    try:
        state.open_conversation(conversation_id, store.turns(conversation_id))
    except StudyragError as error:
        state.flash(str(error), "error")


def _new_conversation() -> None:
    state.open_conversation(None, [])


def _rename_conversation(store: ConversationStore, conversation_id: str) -> None:
    try:
        store.rename(conversation_id, st.session_state.get(f"title_{conversation_id}", ""))
    except StudyragError as error:
        state.flash(str(error), "error")


def _delete_conversation(store: ConversationStore, conversation_id: str) -> None:
    store.delete(conversation_id)
    state.open_conversation(None, [])
    state.flash("Conversation deleted.")


def render_conversations_panel(settings: Settings, collection: Collection) -> None:
    """Saved conversations of this collection: new, reopen, rename, export, delete."""
    store = conversation_store(settings)
    if store is None:
        return
    st.subheader("Conversations", divider="gray")
    st.button(
        "New conversation",
        key="new_conversation",
        icon=":material/add_comment:",
        on_click=_new_conversation,
        width="stretch",
    )
    current = st.session_state.get("conversation_id")
    search = ""
    if store.count(collection.id) > RECENT_CONVERSATIONS:
        search = st.text_input("Find a conversation", key="conversation_search")
    for saved in store.recent(collection.id, RECENT_CONVERSATIONS, search):
        st.button(
            saved.title,
            key=f"open-{saved.id}",
            icon=":material/chat:" if saved.id != current else ":material/chat_bubble:",
            type="primary" if saved.id == current else "tertiary",
            help=f"{saved.turns} questions · {_ago(saved.updated_at)}",
            on_click=_open_saved,
            args=(store, saved.id),
        )
    if current is None:
        return
    try:
        conversation = store.get(current)
    except StudyragError:
        state.open_conversation(None, [])
        return
    with st.expander("This conversation", icon=":material/edit_note:"):
        st.text_input("Title", value=conversation.title, key=f"title_{current}")
        st.button(
            "Rename",
            key="rename_conversation",
            on_click=_rename_conversation,
            args=(store, current),
        )
        st.download_button(
            "Export as Markdown",
            data=lambda: to_markdown(conversation, store.turns(current), collection.name),
            file_name=f"{conversation.title[:40].strip() or 'conversation'}.md",
            mime="text/markdown",
            icon=":material/download:",
            key="export_conversation",
            on_click="ignore",
        )
        st.button(
            "Delete",
            key="delete_conversation",
            icon=":material/delete:",
            on_click=_delete_conversation,
            args=(store, current),
        )


def save_turn(settings: Settings, collection: Collection, turn: Turn) -> None:
    """Keep the turn in the session's saved conversation (starting one on the first question)."""
    store = conversation_store(settings)
    if store is None:
        return
    try:
        conversation_id = st.session_state.get("conversation_id")
        if conversation_id is None:
            conversation_id = store.create(collection.id, turn.question).id
            st.session_state["conversation_id"] = conversation_id
        store.add_turn(conversation_id, turn)
    except StudyragError as error:
        st.warning(f"The answer was not saved: {error}", icon=":material/warning:")


# Sidebar --------------------------------------------------------------------------------------
def _request_reindex() -> None:
    st.session_state["reindex_requested"] = True


def _ago(timestamp: float) -> str:
    minutes = (time.time() - timestamp) / 60
    if minutes < 1:
        return "just now"
    if minutes < 90:
        return f"{minutes:.0f} min ago"
    if minutes < 48 * 60:
        return f"{minutes / 60:.0f} h ago"
    return f"{minutes / 1440:.0f} days ago"


def render_index_panel(status: IndexStatus) -> None:
    """Files, chunks and last ingest, plus the re-index button."""
    st.subheader("Index", divider="gray")
    left, right = st.columns(2)
    left.metric("Files", len(status.files))
    right.metric("Chunks", f"{status.chunks:,}")
    if status.last_ingest:
        when = datetime.fromtimestamp(status.last_ingest).strftime("%Y-%m-%d %H:%M")
        st.caption(f"Last ingest: {when} ({_ago(status.last_ingest)})")
    else:
        st.caption("Not ingested yet.")
    st.caption(
        f"Model {code_span(status.embedding_model)} · collection {code_span(status.collection)}"
    )
    for note in status.notes:
        st.caption(f":material/warning: {escape_markdown(note)}")
    st.button(
        "Re-index",
        key="reindex",
        icon=":material/sync:",
        help="Re-read the corpus folder: new and changed files are embedded, deleted ones removed.",
        on_click=_request_reindex,
        width="stretch",
    )
    if st.session_state.get("last_reindex"):
        st.caption(escape_markdown(st.session_state["last_reindex"]))


def render_upload_panel(settings: Settings, pipeline: StudyPipeline) -> None:
    """Drop files of any supported type; each is checked, stored and indexed with progress."""
    generation = st.session_state.setdefault("upload_generation", 0)
    with st.expander("Add documents", icon=":material/upload_file:"):
        files = st.file_uploader(
            "PDF, web pages, DOCX, PPTX, EPUB, Markdown or text",
            type=sorted(s.lstrip(".") for s in supported_suffixes()),
            accept_multiple_files=True,
            key=f"uploads_{generation}",
        )
        if files and st.button("Add to the index", key="add_uploads", icon=":material/add:"):
            sent = [(f.name, f.getvalue()) for f in files]
            try:
                lines = change_index(
                    settings, pipeline, "Reading…", lambda p: pipeline.add_uploads(sent, p)
                )
            except StudyragError as error:
                lines = [(False, str(error))]
            st.session_state["upload_lines"] = lines
            st.session_state["upload_generation"] = generation + 1  # an empty drop zone
            st.rerun()
        for ok, line in st.session_state.get("upload_lines", []):
            (st.success if ok else st.warning)(escape_markdown(line))


def render_feedback_panel(settings: Settings) -> None:
    """Vote counts and the export of up-voted answers as gold questions."""
    store = FeedbackStore.for_settings(settings)
    counts = store.counts()
    st.subheader("Feedback", divider="gray")
    st.caption(
        f":material/thumb_up: {counts[UP]} · :material/thumb_down: {counts[DOWN]} · "
        f"kept in {code_span(feedback_path(settings).name)} in the data folder",
        help=str(feedback_path(settings)),
    )
    gold = store.export_gold()
    st.download_button(
        "Export as gold set",
        data=gold or "",
        file_name="feedback_gold.jsonl",
        mime="application/jsonl",
        icon=":material/download:",
        disabled=not gold,
        help="Up-voted answers in the eval/data/study_qa.jsonl format.",
        width="stretch",
    )


def backend_overrides(settings: Settings, backend: str) -> dict[str, Any]:
    """The chosen LLM backend's endpoint settings, or the extractive answer's length (words)."""
    if backend == GeneratorBackend.OPENAI.value:
        url = st.text_input(
            "Base URL",
            value=settings.answer.openai_base_url or "",
            key="openai_base_url",
            placeholder="http://127.0.0.1:8000/v1",
        )
        model = st.text_input("Model", value=settings.answer.openai_model, key="openai_model")
        key = st.text_input(
            "API key",
            type="password",
            key="openai_api_key",
            placeholder="from STUDYRAG_OPENAI_API_KEY" if settings.answer.openai_api_key else "",
        )
        values: dict[str, Any] = {"openai_base_url": url.strip() or None, "openai_model": model}
        if key:
            values["openai_api_key"] = key
        return values
    if backend == GeneratorBackend.LOCAL.value:
        path = st.text_input(
            "GGUF model path",
            value=str(settings.answer.local_model_path or ""),
            key="local_model_path",
        )
        return {"local_model_path": path.strip() or None}
    words = st.slider(
        "Answer length (words)",
        40,
        250,
        settings.answer.answer_max_words,
        step=10,
        key="answer_max_words",
        help="The extractive answer's word budget; the lead statement is always shown whole.",
    )
    return {"max_words": words}


def render_ask_options(settings: Settings, status: IndexStatus) -> AskOptions:
    """Backend and its settings, top-k, rerank and the document filter."""
    st.subheader("Answering", divider="gray")
    backends = [b.value for b in GeneratorBackend]
    backend = st.selectbox(
        "Backend",
        backends,
        index=backends.index(settings.answer.backend.value),
        format_func=lambda b: BACKEND_LABELS.get(b, b),
        key="backend",
    )
    overrides = backend_overrides(settings, backend)
    top_k = st.slider("Passages (top-k)", 1, 20, settings.retrieval.top_k, key="top_k")
    rerank = st.toggle(
        "Cross-encoder rerank",
        value=settings.retrieval.rerank,
        key="rerank",
        disabled=not settings.retrieval.rerank,
        help="Score the units of the top fused passages with the cross-encoder (STUDYRAG_RERANK).",
    )
    sources = st.multiselect(
        "Only these documents",
        status.files,
        key="sources",
        placeholder="All documents",
    )
    words = overrides.pop("max_words", None)
    request = AskRequest(
        backend=GeneratorBackend(backend),
        top_k=top_k,
        rerank=rerank,
        sources=frozenset(sources) or None,
        max_words=words,
    )
    return AskOptions(request, overrides)


# Asking ---------------------------------------------------------------------------------------
def assistant_for(settings: Settings, pipeline: StudyPipeline, options: AskOptions) -> Assistant:
    chosen = settings.replace(**options.endpoint) if options.endpoint else settings
    return state.get_assistant(chosen, pipeline)


def stream_answer(
    assistant: Assistant,
    question: str,
    options: AskOptions,
    slot: Any,
    history: list[tuple[str, str]],
) -> Answer:
    """Show the answer as it is written; return the final validated Answer."""
    slot.caption("Searching the corpus…")
    text = ""
    for piece in assistant.ask_stream(question, history=history, request=options.request):
        if isinstance(piece, Answer):
            return piece
        text += piece
        slot.markdown(answer_to_markdown(text) + " ▌")
    raise StudyragError("the assistant stopped without an answer; please ask again")


def failure_message(backend: str, error: Exception) -> str:
    """One line for an answer backend that failed (endpoint down, bad key, timeout...)."""
    detail = str(error).strip() or type(error).__name__
    if backend == GeneratorBackend.EXTRACTIVE.value:
        return f"Could not answer: {detail}"
    return (
        f"The {backend} backend failed: {detail}. Check its settings in the sidebar, or switch "
        "to the extractive backend, which needs no language model."
    )


def ask(
    settings: Settings,
    pipeline: StudyPipeline,
    options: AskOptions,
    question: str,
    collection: Collection,
) -> None:
    """Run one turn: stream the answer into a new message, then keep it in the history and in
    the saved conversation."""
    turn = Turn(question=question, backend=options.backend)
    history = state.history(settings.answer.history_turns)
    with st.chat_message("user"):
        st.markdown(text_to_markdown(question))
    with st.chat_message("assistant"):
        slot = st.empty()
        begin = time.perf_counter()
        try:
            question = clean_query(question, settings.retrieval.max_query_chars)
        except StudyragError as error:
            turn.error = str(error)  # the question itself: not the backend's fault
        else:
            try:
                with state.holding(state.index_lock(settings), "Re-indexing; you are next…"):
                    assistant = assistant_for(settings, pipeline, options)
                    turn.answer = stream_answer(assistant, question, options, slot, history)
            except StudyragError as error:
                turn.error = failure_message(options.backend, error)
            except Exception as error:  # an endpoint or model failure must not end the chat
                log.exception("answer backend %s failed", options.backend)
                turn.error = failure_message(options.backend, error)
        turn.seconds = time.perf_counter() - begin
        state.turns().append(turn)
        save_turn(settings, collection, turn)
        with slot.container():
            if turn.answer is not None:
                turns.render_answer(settings, turn, turn.answer)
            else:
                turns.render_error(turn)


def _queue_example(question: str) -> None:
    st.session_state["pending_question"] = question


def render_welcome(collection: Collection) -> None:
    """The empty chat: what this is, and a few questions to start with."""
    with st.chat_message("assistant"):
        if not collection.home:
            st.markdown(
                f"Ask anything about the documents in **{escape_markdown(collection.name)}**. "
                "Every answer quotes them and cites them **[n]** with the file, page and "
                "section; open a source to see the passage in its document. Questions they "
                "don't cover get an honest *not in the documents*."
            )
            return
        st.markdown(
            "Ask anything about the LLM interview notes. Every answer quotes the notes and "
            "cites them **[n]**; open a source to see the passage in its document. "
            "Questions the notes don't cover get an honest *not in the corpus*."
        )
        with st.container(horizontal=True, gap="small"):
            for number, example in enumerate(EXAMPLES):
                st.button(
                    example,
                    key=f"example-{number}",
                    on_click=_queue_example,
                    args=(example,),
                    type="secondary",
                )


def ask_page(
    settings: Settings,
    pipeline: StudyPipeline,
    status: IndexStatus,
    box: Any,
    collection: Collection,
) -> None:
    """The chat."""
    with box:
        options = render_ask_options(settings, status)
    st.title("Study assistant")
    if not status.chunks:
        st.chat_input("Add documents to the corpus first", disabled=True)
        return
    st.caption(
        f"Grounded answers from {len(status.files)} documents ({status.chunks:,} passages), "
        "with citations you can open."
    )
    typed = st.chat_input("Ask a study question…", key="question", submit_mode="stop")
    question = typed or st.session_state.pop("pending_question", None)
    if not state.turns() and not question:
        render_welcome(collection)
    for turn in state.turns():
        turns.render_turn(settings, turn)
    if question:
        ask(settings, pipeline, options, question, collection)


# Documents ------------------------------------------------------------------------------------
def documents_page(settings: Settings, pipeline: StudyPipeline, collection: Collection) -> None:
    """The collection's documents: pages, chunks, when indexed; re-index or delete one."""
    st.title("Documents")
    try:
        documents = pipeline.documents()
    except StudyragError as error:
        st.error(str(error), icon=":material/error:")
        return
    if not documents:
        st.info("No documents yet: add some with **Add documents** in the sidebar.")
        return
    st.caption(f"{len(documents)} documents in {escape_markdown(collection.name)}.")
    st.dataframe(
        [
            {
                "Document": d.source,
                "From": "uploaded" if d.uploaded else "corpus folder",
                "Pages": d.pages or None,
                "Chunks": d.chunks,
                "Indexed": datetime.fromtimestamp(d.indexed_at),
            }
            for d in documents
        ],
        hide_index=True,
        width="stretch",
        column_config={"Indexed": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
    )
    chosen = st.selectbox("Document", [d.source for d in documents], key="document_choice")
    document = next(d for d in documents if d.source == chosen)
    left, right = st.columns(2)
    reindex = left.button(
        "Re-index", key="reindex_document", icon=":material/sync:", width="stretch"
    )
    delete = right.button(
        "Delete",
        key="delete_document",
        icon=":material/delete:",
        width="stretch",
        disabled=not document.uploaded,
        help=None
        if document.uploaded
        else "Read from the corpus folder: delete the file there, then press Re-index.",
    )
    if reindex or delete:
        work = pipeline.remove_document if delete else pipeline.reindex_document
        try:
            report = change_index(settings, pipeline, "Working…", lambda p: work(chosen, p))
        except StudyragError as error:
            state.flash(str(error), "error")
        else:
            done = "Deleted" if delete else "Re-indexed"
            state.flash(f"{done} {chosen}: {report.summary()}")
        st.rerun()


# Page -----------------------------------------------------------------------------------------
def show_flash() -> None:
    """The message an action left for this run (created, renamed, deleted, or why not)."""
    shown = state.pop_flash()
    if shown is None:
        return
    kind, message = shown
    show = {"error": st.error, "warning": st.warning}.get(kind, st.success)
    show(escape_markdown(message))


def main() -> None:
    pin_offline()
    st.set_page_config(
        page_title="studyrag · study assistant",
        page_icon=":material/school:",
        layout="centered",
        initial_sidebar_state="expanded",
    )
    base = load_settings()
    require_password(base)
    catalog, collection = current_collection(base)
    settings = catalog.settings_for(collection)
    pipeline = load_pipeline(settings)
    show_flash()
    options_box = st.sidebar.container()
    with st.sidebar:
        if st.session_state.pop("reindex_requested", False):
            report = run_ingest(settings, pipeline)
            if report is not None:
                st.session_state["last_reindex"] = report.summary()
    status = ensure_index(settings, pipeline)
    if status.chunks:
        state.warm_up(settings, pipeline)
    with st.sidebar:
        render_conversations_panel(settings, collection)
        render_index_panel(status)
        render_upload_panel(settings, pipeline)
        render_collections_panel(catalog, collection, settings)
        render_feedback_panel(settings)

    def ask_view() -> None:
        ask_page(settings, pipeline, status, options_box, collection)

    def documents_view() -> None:
        documents_page(settings, pipeline, collection)

    pages = [
        st.Page(ask_view, title="Ask", icon=":material/forum:", url_path="ask", default=True),
        st.Page(
            documents_view, title="Documents", icon=":material/description:", url_path="documents"
        ),
    ]
    practice_page = None
    if status.chunks:

        def practice_view() -> None:
            render_practice_page(pipeline, settings)

        practice_page = st.Page(
            practice_view, title="Practice", icon=":material/school:", url_path="practice"
        )
        pages.append(practice_page)
    navigation = st.navigation(pages, position="top")
    if st.session_state.pop("open_practice", False) and practice_page is not None:
        # "Quiz me on this" under a citation. A page switched from the script comes back with
        # the sidebar's widgets at their defaults: keep this collection chosen through it.
        st.session_state["switch_collection"] = collection.id
        st.switch_page(practice_page)
    navigation.run()


main()
