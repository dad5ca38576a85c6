"""A scripted, hostile SMTP peer: a raw-socket server on 127.0.0.1, one reply at a time.

Unlike smtp_faults.py (a real aiosmtpd that misbehaves politely), this peer can break the
protocol itself: endless multi-line replies, replies dripped a byte at a time, garbage, codes
outside 2xx-5xx, silence, a drop. Each phase's reply is scripted::

    peer = HostilePeer({"MAIL": Endless("250-x"), "DOT": "999 what"}).start()

Stray bytes go with a reply as one string (one packet): ``{"DATA": "354 go\r\n451 stray"}``.

Phases: GREETING, EHLO, STARTTLS, AUTH (the reply to ``AUTH LOGIN``), AUTH_USER, AUTH_PASS,
MAIL, RCPT, DATA, DOT (the reply after the final "."), RSET, QUIT. A phase not scripted gets
a normal reply. A list is used one entry per occurrence, then the normal reply again.

Bounded: every connection and the listener end by ``cap`` seconds after start (30 s) or at
``stop()``, whichever is first; at most ``max_connections`` are served. Everything the client
sent is recorded (``lines``), so a test can count messages received (``messages``) and see
whether AUTH was sent (``auth_lines``).
"""

from __future__ import annotations

import base64
import contextlib
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Union

import trustme

from support.net import tls_server_context


@dataclass(frozen=True)
class Endless:
    """``line`` (e.g. "250-x") forever, as fast as the client reads."""

    line: str = "250-x"


@dataclass(frozen=True)
class Drip:
    """``text`` one byte at a time, ``interval`` seconds apart; forever when ``forever``."""

    text: str = "250 OK"
    interval: float = 0.05
    forever: bool = True


@dataclass(frozen=True)
class Raw:
    """Bytes exactly as given (garbage, no CRLF added)."""

    data: bytes


@dataclass(frozen=True)
class Echo:
    """A reply that repeats the key the client sent (``{key}``, or ``{key64}`` as it went over
    the wire, in AUTH LOGIN base64): a server echoing secrets back (issue 12). Only after
    AUTH_PASS has the key been heard; before that both are empty."""

    template: str


class _Drop:
    """Close the connection instead of replying."""


class _Silent:
    """Say nothing; keep the connection open until the client gives up (or the cap)."""


DROP = _Drop()
SILENT = _Silent()
Action = Union[str, Endless, Drip, Raw, Echo, _Drop, _Silent]  # noqa: UP007

NORMAL: dict[str, str] = {
    "GREETING": "220 hostile.example ESMTP",
    "EHLO": "250-hostile.example\r\n250-AUTH LOGIN\r\n250 8BITMIME",
    "STARTTLS": "220 2.0.0 go ahead",
    "AUTH": "334 VXNlcm5hbWU6",
    "AUTH_USER": "334 UGFzc3dvcmQ6",
    "AUTH_PASS": "235 2.7.0 Authentication successful",
    "MAIL": "250 2.1.0 OK",
    "RCPT": "250 2.1.5 OK",
    "DATA": "354 go ahead",
    "DOT": "250 2.0.0 OK queued",
    "RSET": "250 2.0.0 OK",
    "QUIT": "221 bye",
    "OTHER": "500 5.5.1 unknown command",
}


class _Closed(Exception):
    pass


@dataclass
class _Conn:
    sock: socket.socket
    buf: bytes = b""
    tls: bool = False
    key64: bytes = b""  # the AUTH LOGIN password line, as sent; only for Echo


@dataclass
class HostilePeer:
    script: dict[str, Action | list[Action]] = field(default_factory=dict)
    ca: trustme.CA | None = None  # given: EHLO offers STARTTLS, with a trustme certificate
    starttls: bool = True  # offer STARTTLS when a CA is given
    auth: str = "LOGIN"  # the mechanisms EHLO advertises; "" advertises no AUTH
    cap: float = 30.0
    max_connections: int = 10
    port: int = 0  # 0: a free one

    def __post_init__(self) -> None:
        self.host = "127.0.0.1"
        self.lines: list[str] = []  # every command line the client sent, in order
        self.messages: list[bytes] = []  # every message body that reached its final "."
        self.connections = 0
        self._queues = {
            k: deque(v) if isinstance(v, list) else v for k, v in self.script.items()
        }
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, self.port))
        self.port = self._listener.getsockname()[1]
        self._ctx: ssl.SSLContext | None = None
        if self.ca is not None:
            self._ctx = tls_server_context(self.ca)

    # --- what a test reads -----------------------------------------------------------------

    @property
    def auth_lines(self) -> list[str]:
        return [line for line in self.lines if line.upper().startswith("AUTH")]

    @property
    def passwords_sent(self) -> int:
        return self.lines.count("<auth password>")

    def count(self, verb: str) -> int:
        return sum(line.upper().split(" ")[0] == verb for line in self.lines)

    # --- life -------------------------------------------------------------------------------

    def start(self) -> HostilePeer:
        self._listener.listen(8)
        self._listener.settimeout(0.2)
        self._deadline = time.monotonic() + self.cap
        t = threading.Thread(target=self._accept_loop, name="hostile-peer", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            socks = list(self._socks)
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self._listener.close()
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self) -> HostilePeer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _stopping(self) -> bool:
        return self._stop.is_set() or time.monotonic() > self._deadline

    def _accept_loop(self) -> None:
        while not self._stopping() and self.connections < self.max_connections:
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with self._lock:
                self._socks.append(sock)
            t = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            t.start()
            self._threads.append(t)

    # --- one connection ---------------------------------------------------------------------

    def _next(self, phase: str) -> Action:
        with self._lock:
            planned = self._queues.get(phase)
            if isinstance(planned, deque):
                if planned:
                    return planned.popleft()
            elif planned is not None:
                return planned
        if phase == "EHLO":
            features = ["hostile.example"]
            if self._ctx is not None and self.starttls:
                features.append("STARTTLS")
            if self.auth:
                features.append(f"AUTH {self.auth}")
            features.append("8BITMIME")
            return "\r\n".join(
                ("250 " if i == len(features) - 1 else "250-") + f
                for i, f in enumerate(features)
            )
        return NORMAL[phase]

    def _send(self, conn: _Conn, data: bytes) -> None:
        try:
            # A client busy elsewhere for a moment must not look like one that went away:
            # a longer timeout for writing than for the 0.2 s read polls (stop() still ends
            # a blocked write at once, by shutting the socket).
            conn.sock.settimeout(5)
            conn.sock.sendall(data)
            conn.sock.settimeout(0.2)
        except OSError as exc:
            raise _Closed() from exc

    def _act(self, conn: _Conn, phase: str) -> bool:
        """Reply for ``phase``; True when the reply was a positive intermediate one (3xx), so
        the client goes on (message body, AUTH response)."""
        action = self._next(phase)
        if isinstance(action, Echo):
            key = b""
            with contextlib.suppress(ValueError):
                key = base64.b64decode(conn.key64, validate=True)
            key64 = conn.key64.decode("ascii", "replace")
            action = action.template.format(key=key.decode("utf-8", "replace"), key64=key64)
        if isinstance(action, str):
            self._send(conn, action.encode() + b"\r\n")
            return action[:1] == "3"
        elif isinstance(action, Raw):
            self._send(conn, action.data)
        elif isinstance(action, Endless):
            line = action.line.encode() + b"\r\n"
            while not self._stopping():
                self._send(conn, line * 64)
            raise _Closed()
        elif isinstance(action, Drip):
            data = action.text.encode() + b"\r\n"
            while True:
                for byte in data:
                    # Event.wait: paced, yet stop() ends it at once
                    if self._stop.wait(action.interval) or self._stopping():
                        raise _Closed()
                    self._send(conn, bytes([byte]))
                if not action.forever:
                    return action.text[:1] == "3"
        elif isinstance(action, _Drop):
            raise _Closed()
        elif isinstance(action, _Silent):
            while not self._stop.wait(0.1) and not self._stopping():
                pass
            raise _Closed()
        return False

    def _readline(self, conn: _Conn) -> bytes:
        while b"\n" not in conn.buf:
            if self._stopping():
                raise _Closed()
            try:
                chunk = conn.sock.recv(65536)
            except TimeoutError:
                continue
            except (OSError, ssl.SSLError) as exc:
                raise _Closed() from exc
            if not chunk:
                raise _Closed()
            conn.buf += chunk
        line, conn.buf = conn.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def _record(self, line: bytes) -> str:
        text = line.decode("utf-8", "replace")
        with self._lock:
            self.lines.append(text)
        return text

    def _serve(self, sock: socket.socket) -> None:
        try:
            sock.settimeout(0.2)
        except OSError:
            return  # the peer stopped (its socket closed) before this thread started
        conn = _Conn(sock)
        try:
            self._act(conn, "GREETING")
            while True:
                text = self._record(self._readline(conn))
                verb = text.split(" ")[0].upper()
                if verb in ("EHLO", "HELO"):
                    self._act(conn, "EHLO")
                elif verb == "STARTTLS" and self._ctx is not None:
                    self._act(conn, "STARTTLS")
                    conn.sock.settimeout(5)
                    conn.sock = self._ctx.wrap_socket(conn.sock, server_side=True)
                    conn.sock.settimeout(0.2)
                    with self._lock:
                        self._socks.append(conn.sock)
                    conn.tls = True
                elif verb == "AUTH":
                    self._auth(conn)
                elif verb == "MAIL":
                    self._act(conn, "MAIL")
                elif verb == "RCPT":
                    self._act(conn, "RCPT")
                elif verb == "DATA":
                    if self._act(conn, "DATA"):
                        self._data(conn)
                        self._act(conn, "DOT")
                elif verb == "RSET":
                    self._act(conn, "RSET")
                elif verb == "QUIT":
                    self._act(conn, "QUIT")
                    return
                else:
                    self._act(conn, "OTHER")
        except (_Closed, ssl.SSLError, OSError):
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.sock.close()

    def _auth(self, conn: _Conn) -> None:
        if not self._act(conn, "AUTH"):
            return
        user = self._readline(conn)
        with contextlib.suppress(ValueError):
            user = base64.b64decode(user, validate=True)
        self._record(b"<auth user> " + user)
        if not self._act(conn, "AUTH_USER"):
            return
        conn.key64 = self._readline(conn)  # the password: counted, never recorded
        self._record(b"<auth password>")
        self._act(conn, "AUTH_PASS")

    def _data(self, conn: _Conn) -> None:
        body: list[bytes] = []
        while True:
            line = self._readline(conn)
            if line == b".":
                break
            body.append(line[1:] if line.startswith(b".") else line)
        with self._lock:
            self.messages.append(b"\r\n".join(body) + b"\r\n")
