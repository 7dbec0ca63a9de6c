"""Fixtures for the evaluation suite: a real local judge server and a tiny BEIR dataset.

The judge stands in for a remote LLM judge, which cannot run here (with
``tests/generate/fake_openai.py``, one of the suite's two fakes, both for remote LLM endpoints): a
real HTTP server on 127.0.0.1 speaking the OpenAI ``/v1/chat/completions`` protocol. It recognises
the RAGAS prompts it is sent and answers them with a transparent rule (a statement is supported
when 60% of its content words occur in the context), so tests can compute the expected scores by
hand.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.generate.fake_openai import send_json

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "is",
        "are",
        "was",
        "be",
        "by",
        "for",
        "with",
        "as",
        "at",
        "it",
        "its",
        "that",
        "this",
    ]
)
_INPUT_MARKER = "Now perform the same with the following input\ninput: "
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def supported(statement: str, context: str) -> int:
    """1 when at least 60% of the statement's content words occur in the context."""
    words = content_words(statement)
    if not words:
        return 0
    return int(len(words & content_words(context)) / len(words) >= 0.6)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def prompt_input(prompt: str) -> dict[str, Any]:
    """The JSON a RAGAS prompt carries after its examples."""
    tail = prompt.rsplit(_INPUT_MARKER, 1)[1]
    return json.loads(tail.rsplit("\nOutput:", 1)[0])


def judge_reply(prompt: str) -> tuple[str, str]:
    """(prompt kind, reply text) for one RAGAS prompt."""
    if prompt.startswith("Reply with OK."):
        return "ping", "OK"
    if prompt.startswith("Given a question and an answer, analyze the complexity"):
        data = prompt_input(prompt)
        return "statements", json.dumps({"statements": sentences(data["answer"])})
    if prompt.startswith("Your task is to judge the faithfulness"):
        data = prompt_input(prompt)
        verdicts = [
            {"statement": s, "reason": "word overlap", "verdict": supported(s, data["context"])}
            for s in data["statements"]
        ]
        return "nli", json.dumps({"statements": verdicts})
    if prompt.startswith("Generate a question for the given answer"):
        response = prompt_input(prompt)["response"]
        vague = any(p in response.lower() for p in ("i don't know", "not sure", "cannot answer"))
        question = f"What is {sentences(response)[0].rstrip('.')}?" if response.strip() else ""
        return "relevance", json.dumps({"question": question, "noncommittal": int(vague)})
    if prompt.startswith("Given a context, and an answer, analyze each sentence"):
        data = prompt_input(prompt)
        rows = [
            {"statement": s, "reason": "word overlap", "attributed": supported(s, data["context"])}
            for s in sentences(data["answer"])
        ]
        return "context_recall", json.dumps({"classifications": rows})
    return "unknown", ""


@dataclass
class JudgeServer:
    url: str
    calls: list[str] = field(default_factory=list)  # prompt kind per request
    models: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str) -> int:
        with self.lock:
            return self.calls.count(kind)


def _handler(server_state: JudgeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:  # keep pytest output clean
            return

        def _send(self, status: int, body: dict[str, Any]) -> None:
            send_json(self, status, body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            request = json.loads(self.rfile.read(length) or b"{}")
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            prompt = request["messages"][-1]["content"]
            kind, text = judge_reply(prompt)
            with server_state.lock:
                server_state.calls.append(kind)
                server_state.models.append(request.get("model", ""))
            if kind == "unknown":
                self._send(400, {"error": {"message": "unknown prompt", "type": "invalid"}})
                return
            self._send(
                200,
                {
                    "id": f"chatcmpl-{len(server_state.calls)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": request.get("model", "judge"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )

    return Handler


@pytest.fixture
def judge_server() -> Iterator[JudgeServer]:
    """A real OpenAI-protocol judge on an ephemeral local port."""
    state = JudgeServer(url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# A tiny BEIR-layout dataset ----------------------------------------------------------------------
TINY_DOCS = {
    "d1": (
        "Rotary position embeddings",
        "RoPE rotates query and key vectors in two-dimensional "
        "subspaces so that attention scores depend on the relative position of tokens.",
    ),
    "d2": (
        "Root mean square normalization",
        "RMSNorm drops the mean-centering step of LayerNorm "
        "and rescales activations by their root mean square, which is cheaper to compute.",
    ),
    "d3": (
        "Sourdough baking",
        "Sourdough bread dough proofs at room temperature for several "
        "hours before it is shaped and baked in a hot oven.",
    ),
    "d4": (
        "South American rivers",
        "The Amazon is the longest and largest river in South "
        "America, flowing east into the Atlantic Ocean.",
    ),
    "d5": (
        "Mixture of experts",
        "A mixture-of-experts layer routes each token to a few expert "
        "feed-forward networks chosen by a learned gating function.",
    ),
}
TINY_QUERIES = {
    "1": "How do rotary position embeddings encode relative position?",
    "2": "Which river is the longest in South America?",
    "3": "How does a mixture of experts route tokens?",
    "4": "A query nobody judged.",
}
TINY_QRELS = [("1", "d1", 1), ("2", "d4", 2), ("3", "d5", 1), ("3", "d3", 0)]
TINY_README = """# tiny

| system | nDCG@10 | Recall@100 | source |
|---|---|---|---|
| BM25 (someone) | 0.665 | 0.908 | a paper |
| dense thing | 0.645 | — | another |
"""


def write_tiny_beir(folder: Path, long_doc_sentences: int = 0) -> Path:
    """Write the tiny dataset; ``long_doc_sentences`` adds a document longer than the window."""
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    docs = dict(TINY_DOCS)
    if long_doc_sentences:
        filler = " ".join(f"word{i % 97} filler sentence part." for i in range(long_doc_sentences))
        docs["d6"] = ("A very long abstract", filler + " The last sentence mentions zebras.")
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for doc_id, (title, text) in docs.items():
            handle.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as handle:
        for qid, text in TINY_QUERIES.items():
            handle.write(json.dumps({"_id": qid, "text": text}) + "\n")
    rows = ["query-id\tcorpus-id\tscore", *(f"{q}\t{d}\t{s}" for q, d, s in TINY_QRELS)]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(TINY_README, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_beir(tmp_path: Path) -> Path:
    return write_tiny_beir(tmp_path / "tiny")


@pytest.fixture
def beir_writer() -> Callable[..., Path]:
    """``write_tiny_beir`` itself, for tests that need a variant of the dataset."""
    return write_tiny_beir


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run ``eval_app`` against a private data folder, whatever an earlier CLI test left set."""
    import studyrag.cli

    monkeypatch.setattr(studyrag.cli._State, "overrides", {})
    data_dir = tmp_path / "cli-data"
    monkeypatch.setenv("STUDYRAG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("STUDYRAG_CORPUS_DIR", str(Path(__file__).resolve().parents[2] / "corpus"))
    return data_dir
