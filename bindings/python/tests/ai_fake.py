"""A fake OpenAI / Anthropic endpoint on 127.0.0.1: canned answers, streamed as SSE when the
request asks for a stream. Shared by the LLM-analytics tests (and the differential suite)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Tuple

CHAT = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-mini-2024-07-18",
    "system_fingerprint": "fp_1", "service_tier": "default",
    "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                 "message": {"role": "assistant", "content": "Hello there", "refusal": None}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15,
              "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}},
}
CHAT_CHUNKS = [
    {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4o-mini-2024-07-18",
     "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None}]},
    {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4o-mini-2024-07-18",
     "choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": None}]},
    {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4o-mini-2024-07-18",
     "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4o-mini-2024-07-18",
     "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}},
]
RESPONSE = {
    "id": "resp_1", "object": "response", "created_at": 1700000000, "model": "gpt-4.1-mini", "status": "completed",
    "output": [{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": "Hi from responses", "annotations": []}]}],
    "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
    "usage": {"input_tokens": 7, "output_tokens": 4, "total_tokens": 11,
              "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 1}},
}
EMBEDDING = {"object": "list", "model": "text-embedding-3-small",
             "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
             "usage": {"prompt_tokens": 5, "total_tokens": 5}}
MESSAGE = {
    "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-3-5-haiku-20241022",
    "content": [{"type": "text", "text": "Bonjour"}], "stop_reason": "end_turn", "stop_sequence": None,
    "usage": {"input_tokens": 20, "output_tokens": 6, "cache_read_input_tokens": 8, "cache_creation_input_tokens": 0},
}
MESSAGE_EVENTS = [
    ("message_start", {"type": "message_start", "message": {
        "id": "msg_2", "type": "message", "role": "assistant", "model": "claude-3-5-haiku-20241022", "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 15, "output_tokens": 1, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Sal"}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ut"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                       "usage": {"output_tokens": 4}}),
    ("message_stop", {"type": "message_stop"}),
]


def _responses_events() -> List[Tuple[str, Dict[str, Any]]]:
    created = {**RESPONSE, "status": "in_progress", "output": [], "usage": None}
    return [
        ("response.created", {"type": "response.created", "sequence_number": 0, "response": created}),
        ("response.output_text.delta", {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_1",
                                        "output_index": 0, "content_index": 0, "delta": "Hi from responses", "logprobs": []}),
        ("response.completed", {"type": "response.completed", "sequence_number": 2, "response": RESPONSE}),
    ]


class FakeProvider:
    """Serves `/v1/chat/completions`, `/v1/responses`, `/v1/embeddings` and `/v1/messages`;
    `fail_with` (status) makes every answer an error."""

    def __init__(self) -> None:
        self.fail_with = 0
        self.bodies: List[Dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                outer.bodies.append(body)
                if outer.fail_with:
                    self._json(outer.fail_with, {"error": {"message": "boom", "type": "invalid_request_error", "code": "bad"}})
                    return
                path = self.path.split("?")[0]
                stream = bool(body.get("stream"))
                if path.endswith("/chat/completions"):
                    if stream:
                        self._sse([(None, c) for c in CHAT_CHUNKS], done=True)
                    else:
                        self._json(200, CHAT)
                elif path.endswith("/responses"):
                    if stream:
                        self._sse(_responses_events(), done=False)
                    else:
                        self._json(200, RESPONSE)
                elif path.endswith("/embeddings"):
                    self._json(200, EMBEDDING)
                elif path.endswith("/messages"):
                    if stream:
                        self._sse(MESSAGE_EVENTS, done=False)
                    else:
                        self._json(200, MESSAGE)
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def _json(self, status: int, obj: Any) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-request-id", "req_123")
                self.end_headers()
                self.wfile.write(data)

            def _sse(self, events: List[Tuple[Any, Any]], done: bool) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for name, obj in events:
                    if name:
                        self.wfile.write(f"event: {name}\n".encode())
                    self.wfile.write(f"data: {json.dumps(obj)}\n\n".encode())
                if done:
                    self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def fake_provider() -> Iterator[FakeProvider]:
    fp = FakeProvider()
    try:
        yield fp
    finally:
        fp.close()
