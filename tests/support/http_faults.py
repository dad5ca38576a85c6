"""A real Transmissions API for the REST tests: http.server on 127.0.0.1 over TLS (trustme
certificates), answering like SparkPost, and injecting faults on request.

``api.script(429, headers={"Retry-After": "7"})`` makes the next POST answer 429; special
actions: ``"drop"`` (read the whole request, then close without an answer: the client cannot
know whether the transmission was created) and ``"stall"`` (read it, then answer nothing until
the test ends). Every POST whose body arrived in full is recorded, whatever the answer, and
``created`` counts the ones answered 2xx, so a test can count duplicates.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme

from support.net import tls_server_context

GOOD_KEY = "rest-test-key-5b2e9c"


@dataclass
class Received:
    method: str
    path: str
    authorization: str
    content_type: str
    body: bytes
    status: int | None = None  # None: no answer was sent (drop, stall)
    at: float = field(default_factory=time.monotonic)  # when its body had arrived in full

    @property
    def doc(self) -> Any:
        return json.loads(self.body)


@dataclass
class Action:
    status: int | str  # an HTTP status, or "drop" / "stall"
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def api_errors(message: str, description: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "description": description, "code": code}]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self) -> None:
        api = self.server.api
        length = int(self.headers.get("Content-Length") or 0)
        got = Received(
            self.command,
            self.path,
            self.headers.get("Authorization", ""),
            self.headers.get("Content-Type", ""),
            self.rfile.read(length),
        )
        with api.lock:
            api.received.append(got)
        action = api.next_action() if self.command == "POST" else None
        if action is not None and action.status == "drop":
            self.close_connection = True
            return
        if action is not None and action.status == "stall":
            api.release.wait(30)
            self.close_connection = True
            return
        if got.authorization != GOOD_KEY:
            got.status = 401
            self._answer(401, api_errors("Unauthorized.", "", "1100"))
        elif action is not None:
            assert isinstance(action.status, int)
            got.status = action.status
            self._answer(action.status, action.body or {}, action.headers)
        elif self.command == "GET" and self.path.endswith("/account"):
            got.status = 200
            self._answer(200, {"results": {"customer_id": 42}})
        elif self.command == "POST" and self.path.rstrip("/").endswith("/api/v1/transmissions"):
            got.status = 200
            with api.lock:
                api.created += 1
            results = {
                "total_rejected_recipients": 0,
                "total_accepted_recipients": len(got.doc["recipients"]),
                "id": str(11668787484950529 + api.created),
            }
            self._answer(200, {"results": results}, {"Connection": api.connection_header})
        else:
            got.status = 404
            self._answer(404, api_errors("resource not found", self.path, "1600"))
        if got.status and 200 <= got.status < 300 and action is not None:
            with api.lock:
                api.created += 1
        if api.quiet_close:
            self.close_connection = True  # closed without saying "Connection: close"

    do_GET = do_POST = do_PUT = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: FaultApi

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        if self.api.context is not None:
            # the handshake runs on the request's thread (finish_request), not the accept loop
            sock = self.api.context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, addr

    def finish_request(self, request: Any, client_address: Any) -> None:
        with self.api.lock:
            self.api.connections += 1
        if isinstance(request, ssl.SSLSocket):
            try:
                request.settimeout(10)
                request.do_handshake()
            except (ssl.SSLError, OSError):
                self.api.failed_handshakes += 1
                return
        super().finish_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        self.api.closed.set()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away is part of what these tests do


class FaultApi:
    def __init__(
        self,
        ca: trustme.CA,
        tmp: Path,
        *,
        tls: bool = True,
        cert_hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
    ) -> None:
        self.received: list[Received] = []
        self.created = 0
        self.connections = 0
        self.failed_handshakes = 0
        self.connection_header = "keep-alive"
        self.quiet_close = False  # close each connection after its answer, without a word
        self.closed = threading.Event()  # set whenever the server has closed a connection
        self.release = threading.Event()
        self._actions: deque[Action] = deque()
        self.lock = threading.Lock()
        self.ca_file = tmp / "rest-ca.pem"
        ca.cert_pem.write_to_path(self.ca_file)
        self.context: ssl.SSLContext | None = None
        if tls:
            self.context = tls_server_context(ca, cert_hosts)
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.api = self
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        scheme = "https" if self.context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}/api/v1"

    def script(
        self,
        status: int | str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        with self.lock:
            self._actions.extend([Action(status, body, headers or {})] * times)

    def next_action(self) -> Action | None:
        with self.lock:
            return self._actions.popleft() if self._actions else None

    def posts(self) -> list[Received]:
        return [r for r in self.received if r.method == "POST"]

    def start(self) -> FaultApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()
