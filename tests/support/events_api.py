"""A scripted Events API for the events client's tests: http.server on 127.0.0.1, plain HTTP
(the client allows it for this computer only), answering each GET with the next scripted
answer (the last one repeats) and recording every request (path and query, Authorization).

An answer is ``(status, body, headers)``; ``body`` a dict (sent as JSON) or raw bytes (sent as
they are: malformed JSON, HTML). Bounded: the server thread is stopped at exit, whatever the
client did.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Answer", "EventsApi", "event", "page"]


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | bytes
    headers: dict[str, str] = field(default_factory=dict)


def event(kind: str, rcpt: str, n: int, **more: Any) -> dict[str, Any]:
    return {"type": kind, "timestamp": f"2026-11-30T10:00:{n:02d}.000Z", "rcpt_to": rcpt,
            "event_id": f"ev{n}", "transmission_id": "7777", **more}  # fmt: skip


def page(results: list[dict[str, Any]], cursor: str | None, *, as_list: bool = False) -> Answer:
    """A page of results, its next page named by ``cursor`` (in either documented shape)."""
    href = f"/api/v1/events/message?per_page=2&cursor={cursor}" if cursor else None
    if as_list:
        links: Any = [{"href": "/api/v1/events/message?cursor=initial", "rel": "first"}]
        if href:
            links.append({"href": href, "rel": "next"})
    else:
        links = {"next": href} if href else {}
    return Answer(200, {"results": results, "total_count": 99, "links": links})


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    authorization: str


class EventsApi:
    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with api.lock:
                    api.seen.append(Seen(parts.path, parse_qs(parts.query),
                                         self.headers.get("Authorization", "")))  # fmt: skip
                    answer = api.answers[min(len(api.seen), len(api.answers)) - 1]
                body = answer.body
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"

    def __enter__(self) -> EventsApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
