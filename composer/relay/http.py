"""The local relay's HTTP endpoint: ``POST /api/v1/transmissions`` on the loopback address,
delivering into the same Maildir as the SMTP relay, with the same fan-out, so the REST road
can be tried with no account.

What it answers, in the API's own shapes (seeds/002): 200 ``{"results": {"id",
"total_accepted_recipients", "total_rejected_recipients"}}``; 401 without an ``Authorization``
header (any non-empty value is accepted: nothing here is secret, and the value is never logged);
400 for a body that is not JSON; 415 for one that is not ``application/json``; 422 for content
it cannot use; 404 and 405 for other paths and methods. ``GET /api/v1/account`` answers too, so
``composer profile test`` works against it, and ``GET /api/v1/events/message`` searches the
delivery events of what it delivered (events.py), so ``composer events`` works against it.

Plain HTTP, loopback only: it accepts mail from anyone who can reach it, as the SMTP relay does.

A client cannot hold it: the request line must come within the idle timeout, the headers and
body within the request timeout (wall-clock, however slowly the bytes drip), the head within
64 KB and the body within its cap, and only so many requests are served at once (limits.py).
Every refusal is an answer in the API's error shape; a client that goes away is a log line,
never a traceback.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from composer.core.relay_facts import SANDBOX_ALLOWANCE
from composer.relay import limits
from composer.relay.events import EVENTS_PATH, SearchError
from composer.relay.fanout import MsysRejection
from composer.relay.sink import Sink
from composer.relay.transmissions import ApiRejection, error_body, parse_transmission

__all__ = ["API_PATH", "LocalHttpRelay"]

log = logging.getLogger("composer.relay")

API_PATH = "/api/v1"
MAX_BODY = limits.MAX_HTTP_BODY
_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Connection: close\r\nRetry-After: 1\r\nContent-Length: %d\r\n\r\n%s"
)


class _HeadTooLarge(http.client.HTTPException):
    """parse_request answers an HTTPException from the header parser with a 431."""


class _Deadline(io.RawIOBase):
    """The socket as seen by the request reader: every recv gets what is left of one
    wall-clock deadline, so a client dripping a byte at a time cannot stretch it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline = time.monotonic()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the client took too long")
        self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


class _Rfile(io.BufferedReader):
    """Counts the bytes of the request head while ``head_left`` is set."""

    head_left: int | None = None

    def readline(self, size: int | None = -1) -> bytes:
        if self.head_left is None:
            return super().readline(size)
        cap = self.head_left + 1
        line = super().readline(cap if size is None or size < 0 else min(size, cap))
        self.head_left -= len(line)
        if self.head_left < 0:
            raise _HeadTooLarge(f"the request head exceeds {limits.MAX_HEAD} bytes")
        return line


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a keep-alive client left open must not hold up stop()
    relay: LocalHttpRelay
    slots: threading.BoundedSemaphore

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            # every slot holds a client: answer at once instead of starting another thread
            body = error_body("Service Unavailable", "the local relay is serving too many "
                              "connections; try again")  # fmt: skip
            try:
                request.settimeout(1)
                request.sendall(_BUSY % (len(body), body))
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-answer is its own business; anything else is a bug
        # worth a line in the log (the traceback only with --debug), never on the terminal.
        import sys

        exc = sys.exception()
        if isinstance(exc, OSError):
            log.debug("http client went away: %s", exc)
        else:
            log.error("http request failed: %s", exc, exc_info=log.isEnabledFor(logging.DEBUG))


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API
    server_version = "ComposerLocalRelay"
    # never HTTP/0.9: its answers have no status line, which a client cannot read as an error
    default_request_version = "HTTP/1.1"
    server: _Server
    rfile: _Rfile

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # replaced by one that keeps the deadlines and the head cap
        self._raw = _Deadline(self.connection)
        self.rfile = _Rfile(self._raw)

    def handle_one_request(self) -> None:
        # the next request line must begin within the idle timeout (a keep-alive wait)
        self._raw.deadline = time.monotonic() + self.server.relay.idle_timeout
        super().handle_one_request()

    def parse_request(self) -> bool:
        # once a request has begun, its headers and body share one deadline and the head a cap
        self._raw.deadline = time.monotonic() + self.server.relay.request_timeout
        self.rfile.head_left = limits.MAX_HEAD - len(self.raw_requestline)
        try:
            return super().parse_request()
        finally:
            self.rfile.head_left = None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (bad request line, 414, 431, 501...) in the API's shape."""
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        log.info("http request refused: %d %s", code, message or phrase)
        self._answer(code, error_body(phrase, explain or message or ""))

    # --- plumbing -------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        # the request line only (method, path, status): never a header, so never the key
        log.debug("http %s", format % args)

    def _answer(self, status: int, body: bytes) -> None:
        # the socket's timeout is what was left of a read deadline; an answer gets its own
        self.connection.settimeout(10)
        self.send_response(status)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> str:
        return urlsplit(self.path).path.rstrip("/")

    def _authorized(self) -> bool:
        if (self.headers.get("Authorization") or "").strip():
            return True
        self._answer(401, error_body("Unauthorized.", "an Authorization header is required"))
        return False

    def _body(self) -> bytes | None:
        """The request body, or None after answering why it cannot be read."""
        lengths = self.headers.get_all("Content-Length") or []
        length = lengths[0].strip() if len(set(lengths)) == 1 else ""
        # isascii: "²".isdigit() is True, and int("²") raises
        if not (length.isascii() and length.isdigit()) or self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._answer(411, error_body("Length Required", "one Content-Length is required"))
            return None
        if int(length) > MAX_BODY:
            self.close_connection = True  # the body is not read: the connection cannot go on
            self._answer(413, error_body("request too large", f"at most {MAX_BODY} bytes"))
            return None
        body = self.rfile.read(int(length))
        if len(body) < int(length):
            self.close_connection = True  # the client went away mid-body: no one to answer
            return None
        return body

    # --- methods --------------------------------------------------------------------------

    def do_GET(self) -> None:
        if self._route() == EVENTS_PATH:
            if self._authorized():
                self._events()
        elif self._route() != f"{API_PATH}/account":
            self._answer(404, error_body("resource not found", self._route(), "1600"))
        elif self._authorized():
            results = {"customer_id": 0, "company_name": "Composer local sandbox"}
            self._answer(200, json.dumps({"results": results}).encode())

    def _events(self) -> None:
        """The Events API search over what this relay delivered (relay/events.py)."""
        try:
            pairs = parse_qsl(urlsplit(self.path).query, keep_blank_values=True,
                              strict_parsing=False, max_num_fields=50)  # fmt: skip
            doc = self.server.relay.sink.events.search(dict(pairs))
        except (SearchError, ValueError) as exc:
            self._answer(400, error_body("invalid query", str(exc), "1300"))
            return
        self._answer(200, json.dumps(doc, separators=(",", ":")).encode("utf-8"))

    def do_POST(self) -> None:
        if self._route() != f"{API_PATH}/transmissions":
            self._answer(404, error_body("resource not found", self._route(), "1600"))
            return
        body = self._body()  # read before answering, so the connection stays in step
        if body is None or not self._authorized():
            return
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            self._answer(415, error_body("Unsupported Media Type", "use application/json"))
            return
        status, answer = self.server.relay.handle(body)
        self._answer(status, answer)

    def _not_allowed(self) -> None:
        if self._body() is None:
            return
        if self._route() == f"{API_PATH}/transmissions":
            self._answer(405, error_body("Method Not Allowed", f"{self.command} on transmissions"))
        else:
            self._answer(404, error_body("resource not found", self._route(), "1600"))

    do_PUT = do_DELETE = do_PATCH = _not_allowed


class LocalHttpRelay:
    """A Transmissions endpoint on a loopback address, served from a background thread."""

    def __init__(
        self,
        maildir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        sink: Sink | None = None,
        sandbox_limit: int = SANDBOX_ALLOWANCE,
        idle_timeout: float = limits.IDLE_TIMEOUT,
        request_timeout: float = limits.REQUEST_TIMEOUT,
        max_connections: int = limits.MAX_CONNECTIONS,
    ) -> None:
        if host.strip("[]").lower() not in _LOOPBACK:
            raise ValueError(
                f"refusing to listen on {host!r}: the local HTTP endpoint accepts mail from "
                "anyone who can reach it, so it listens only on 127.0.0.1, ::1 or localhost"
            )
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} is not between 0 and 65535")
        self.host = "127.0.0.1" if host.lower() == "localhost" else host.strip("[]")
        self.port = port
        self.sink = sink or Sink(Path(maildir), sandbox_limit)
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.max_connections = max_connections
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{API_PATH}"

    def start(self) -> None:
        """Bind and serve. Raises OSError when the port is taken."""
        if self._server is not None:
            raise RuntimeError("the local HTTP endpoint is already running")
        cls = _Server6 if ":" in self.host else _Server
        server = cls((self.host, self.port), _Handler)
        server.relay = self
        server.slots = threading.BoundedSemaphore(self.max_connections)
        self.port = server.server_address[1]
        # serve_forever notices shutdown() only between polls: keep stop() quick
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.1,), name="composer-http-relay", daemon=True
        )
        self._server = server
        self._thread.start()
        log.debug("HTTP endpoint listening on %s", self.url)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> LocalHttpRelay:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def handle(self, body: bytes) -> tuple[int, bytes]:
        """One transmission -> (status, answer). Runs on a request thread."""
        try:
            t = parse_transmission(body)
            transmission_id, copies = self.sink.accept(t.request, t.mail_from, t.rcpt_tos)
        except ApiRejection as rejection:
            log.info("transmission refused: %s", rejection)
            return rejection.status, rejection.body
        except MsysRejection as rejection:
            log.info("transmission refused: %s", rejection.reply)
            return 422, error_body("invalid data format/type", rejection.reply[4:], "1300")
        except Exception as exc:
            # a bug, not the client's fault: one line, the traceback only with --debug
            log.error("a transmission could not be handled: %r", exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))  # fmt: skip
            return 500, error_body("Internal Server Error", "local relay error")
        results = {
            "total_rejected_recipients": 0,
            "total_accepted_recipients": len(copies),
            "id": transmission_id,
        }
        return 200, json.dumps({"results": results}).encode("utf-8")
