"""Process-wide resources (one pipeline per index, one lock) and per-session chat state.

Qdrant local mode allows one client per storage folder, across processes: the app opens the
pipeline once per server process (a module-level registry) and every session, every question and
every re-index goes through that one object. A lock keeps a re-index from racing a question.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import streamlit as st

from studyrag.assistant import Assistant
from studyrag.conversations import Turn
from studyrag.pipeline import StudyPipeline
from studyrag.settings import GeneratorBackend, Settings
from studyrag.types import StudyragError


def settings_key(settings: Settings) -> str:
    """A stable cache key for settings (secrets masked, so never use it to rebuild them)."""
    return settings.model_dump_json()


class _Registry:
    """Process-wide pipelines, locks and warm-ups, one per settings key.

    Module state rather than ``st.cache_resource`` so that ``studyrag serve`` can open and warm
    the pipeline while the server starts, before any browser connects; sessions then find it here.
    """

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.pipelines: dict[str, StudyPipeline] = {}
        self.locks: dict[str, threading.RLock] = {}
        self.warm: dict[str, float] = {}
        self.warming: dict[str, threading.Lock] = {}


_REGISTRY = _Registry()


def get_pipeline(settings: Settings) -> StudyPipeline:
    """THE pipeline (and Qdrant client) for these settings in this server process."""
    key = settings_key(settings)
    with _REGISTRY.guard:
        if key not in _REGISTRY.pipelines:
            _REGISTRY.pipelines[key] = StudyPipeline(settings)
        return _REGISTRY.pipelines[key]


def forget_pipeline(settings: Settings) -> None:
    """Drop the registry's pipeline for these settings (its collection was deleted)."""
    key = settings_key(settings)
    with _REGISTRY.guard:
        _REGISTRY.pipelines.pop(key, None)
        for warm_key in [k for k in _REGISTRY.warm if k.startswith(f"{key}:")]:
            _REGISTRY.warm.pop(warm_key)
    clear_assistants()


def index_lock(settings: Settings) -> threading.RLock:
    """Held by a question while it reads the index and by a re-index while it writes it."""
    key = settings_key(settings)
    with _REGISTRY.guard:
        return _REGISTRY.locks.setdefault(key, threading.RLock())


WARM_UP_QUESTION = "What is attention in a transformer?"


def warm_up(settings: Settings, pipeline: StudyPipeline) -> float:
    """Load models, the BM25 sidecar and the default assistant once per pipeline; seconds.

    A second caller waits for the first one's warm-up instead of repeating it.
    """
    key = f"{settings_key(settings)}:{id(pipeline)}"
    with _REGISTRY.guard:
        gate = _REGISTRY.warming.setdefault(key, threading.Lock())
    with gate:
        if key not in _REGISTRY.warm:
            begin = time.perf_counter()
            pipeline.warm_up()
            if settings.answer.backend is GeneratorBackend.EXTRACTIVE:  # never wait on an LLM here
                with suppress(StudyragError):
                    get_assistant(settings, pipeline).ask(WARM_UP_QUESTION)
            _REGISTRY.warm[key] = time.perf_counter() - begin
        return _REGISTRY.warm[key]


def preload(settings: Settings) -> float:
    """Open and warm the pipeline now (``studyrag serve`` calls this as the server starts)."""
    return warm_up(settings, get_pipeline(settings))


_ASSISTANTS: dict[str, Assistant] = {}
_MAX_ASSISTANTS = 8


def get_assistant(settings: Settings, pipeline: StudyPipeline) -> Assistant:
    """The assistant over the one shared pipeline: per-question choices travel in an
    ``AskRequest``, so the sidebar's controls never build another (only another LLM endpoint
    does, as its settings differ)."""
    key = f"{settings.cache_key()}:{id(pipeline)}"
    with _REGISTRY.guard:
        if key not in _ASSISTANTS:
            if len(_ASSISTANTS) >= _MAX_ASSISTANTS:
                _ASSISTANTS.pop(next(iter(_ASSISTANTS)))  # the oldest
            _ASSISTANTS[key] = Assistant(pipeline, settings.answer)
        return _ASSISTANTS[key]


def clear_assistants() -> None:
    """Forget assistants built before a re-index (they may hold index-derived state)."""
    with _REGISTRY.guard:
        _ASSISTANTS.clear()


@contextmanager
def holding(lock: threading.RLock, waiting: str) -> Iterator[None]:
    """Take ``lock``; show ``waiting`` while another session holds it."""
    if not lock.acquire(blocking=False):
        with st.spinner(waiting):
            lock.acquire()
    try:
        yield
    finally:
        lock.release()


def turns() -> list[Turn]:
    """This session's conversation."""
    kept: list[Turn] = st.session_state.setdefault("turns", [])
    return kept


def open_conversation(conversation_id: str | None, restored: list[Turn]) -> None:
    """Show a saved conversation (or a new, empty one with ``None``)."""
    st.session_state["turns"] = restored
    st.session_state["conversation_id"] = conversation_id


def find_turn(turn_id: str) -> Turn | None:
    return next((t for t in turns() if t.id == turn_id), None)


def history(limit: int) -> list[tuple[str, str]]:
    """Earlier answered turns as ``(question, answer_text)`` for follow-up questions."""
    done = [(t.question, t.answer.text) for t in turns() if t.answer and not t.answer.refused]
    return done[-limit:] if limit else []


def flash(message: str, kind: str = "success") -> None:
    """A message shown once, on the next run (survives st.rerun)."""
    st.session_state["flash"] = (kind, message)


def pop_flash() -> tuple[str, str] | None:
    value = st.session_state.pop("flash", None)
    return (str(value[0]), str(value[1])) if isinstance(value, tuple) else None


@dataclass(frozen=True)
class QuizFocus:
    """A cited passage the student asked to be quizzed on ("Quiz me on this")."""

    source: str
    start: int
    end: int
    heading: str
    label: str  # as its citation reads: file · page · section


def quiz_on(source: str, start: int, end: int, heading: str, label: str) -> None:
    """Put this passage's questions first in practice, and open the Practice page."""
    st.session_state["quiz_focus"] = QuizFocus(source, start, end, heading, label)
    st.session_state["quiz_focus_done"] = []
    st.session_state["open_practice"] = True
    st.session_state.pop("quiz_question_id", None)
    st.session_state.pop("quiz_result", None)


def quiz_focus() -> QuizFocus | None:
    value: Any = st.session_state.get("quiz_focus")
    return value if isinstance(value, QuizFocus) else None


def end_quiz_focus() -> None:
    for key in ("quiz_focus", "quiz_focus_done"):
        st.session_state.pop(key, None)
