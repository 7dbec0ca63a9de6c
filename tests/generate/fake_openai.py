"""A real local HTTP server speaking the OpenAI chat-completions protocol (JSON and SSE).

It stands in for Ollama / vLLM / llama.cpp server / OpenAI, which cannot run here; with the RAGAS
judge server in ``tests/eval/conftest.py`` it is one of the suite's two fakes, both for remote LLM
endpoints. Every model, engine and scorer that can run here runs for real.
Replies are scripted per test (a string, or a function of the request); every request is kept.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = str | Callable[[dict[str, Any]], str]


class FakeOpenAI:
    """``/v1/chat/completions`` on 127.0.0.1 and an ephemeral port, in a daemon thread."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies: list[Reply] = []
        self.default: Reply = "The corpus does not cover this question."
        self.status = 200
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_reply(self, request: dict[str, Any]) -> str:
        reply = self.replies.pop(0) if self.replies else self.default
        return reply(request) if callable(reply) else reply


def tokens(text: str) -> list[str]:
    """Split a reply into streamed pieces the way a tokenizer would: words with their spaces."""
    return re.findall(r"\S+\s*|\s+", text) or [""]


def send_json(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    """Write one JSON response (also used by the RAGAS judge server in tests/eval)."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, *_args: object) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        fake: FakeOpenAI = self.server.fake  # type: ignore[attr-defined]
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length))
        fake.requests.append(request)
        if fake.status != 200:
            self._json(fake.status, {"error": {"message": "model overloaded", "type": "server"}})
            return
        text = fake.next_reply(request)
        if request.get("stream"):
            self._stream(request["model"], text)
        else:
            self._json(200, _completion(request["model"], text))

    def _json(self, status: int, body: dict[str, Any]) -> None:
        send_json(self, status, body)

    def _stream(self, model: str, text: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        first = True
        for piece in tokens(text):
            delta = {"role": "assistant", "content": piece} if first else {"content": piece}
            self._event(_chunk(model, delta, None))
            first = False
        self._event(_chunk(model, {}, "stop"))
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, body: dict[str, Any]) -> None:
        self.wfile.write(f"data: {json.dumps(body)}\n\n".encode())
        self.wfile.flush()


def _completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(model: str, delta: dict[str, str], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
