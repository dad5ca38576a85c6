"""One HTTP/1.1 response read from a socket within a wall-clock deadline and size caps.

http.client bounds each ``recv`` by the socket timeout, not the response: a server that drips
its status line a byte at a time, sends ``100 Continue`` forever or streams an endless body
holds it for as long as it likes, and ``read()`` keeps any body in memory. Here the deadline
covers the whole response (status, headers, body) and every part has a cap, so a hostile or
broken server costs at most the deadline and about a megabyte.

The reader says where it stopped (``ReplyError.status`` is None until a well-formed status line
and headers arrived), because that decides what the caller may conclude: a clear status with a
lost body is still that status; anything before it is no answer at all.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MAX_BODY", "MAX_HEAD", "MAX_HEADERS", "Reply", "ReplyError", "read_reply"]

MAX_HEAD = 64 * 1024  # status line and headers of one response
MAX_HEADERS = 100
MAX_BODY = 1024 * 1024  # the API answers with a few hundred bytes of JSON
MAX_INTERIM = 5  # "100 Continue" and other 1xx before the real status

_STATUS = re.compile(rb"HTTP/1\.[01] ([0-9]{3})(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CHUNK = re.compile(rb"([0-9A-Fa-f]{1,8})[ \t]*(?:;[^\r\n]*)?")


class ReplyError(Exception):
    """The response could not be read. ``kind``: timeout, closed, malformed or too_big;
    ``status`` is the status when the head had arrived in full (the body failed)."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        self.kind = kind
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class Reply:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]  # names in lower case, in order
    body: bytes
    reusable: bool  # the connection may carry another request

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)


class _Reader:
    def __init__(self, sock: socket.socket, deadline: float, clock: Callable[[], float]) -> None:
        self.sock = sock
        self.deadline = deadline
        self.clock = clock
        self.buf = bytearray()
        self.eof = False

    def fill(self, status: int | None) -> None:
        """One more recv into the buffer, within what is left of the deadline."""
        left = self.deadline - self.clock()
        if left <= 0:
            raise ReplyError("timeout", "no complete answer within the time allowed", status)
        try:
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
        except TimeoutError:
            raise ReplyError(
                "timeout", "no complete answer within the time allowed", status
            ) from None
        except (OSError, ssl.SSLError) as exc:
            raise ReplyError("closed", f"the connection failed ({exc})", status) from None
        if not data:
            self.eof = True
        self.buf += data

    def take(self, n: int) -> bytes:
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


def _head(r: _Reader, budget: int) -> tuple[bytes, int]:
    """Bytes up to and including the blank line; the budget left."""
    while True:
        m = _HEAD_END.search(r.buf, 0, budget + 4)
        if m:
            return r.take(m.end()), budget - m.end()
        if len(r.buf) > budget:
            raise ReplyError("too_big", f"the answer's headers exceed {MAX_HEAD} bytes")
        if r.eof:
            what = "before it answered" if not r.buf else "in the middle of the answer's headers"
            raise ReplyError("closed", f"the connection ended {what}")
        r.fill(None)


def _parse_head(raw: bytes) -> tuple[int, str, list[tuple[str, str]]]:
    lines = re.split(rb"\r?\n", raw.rstrip(b"\r\n"))
    m = _STATUS.fullmatch(lines[0])
    if not m or not 100 <= int(m.group(1)) <= 599:
        shown = lines[0][:60].decode("ascii", "replace")
        raise ReplyError("malformed", f"the answer is not an HTTP status line: {shown!r}")
    if len(lines) - 1 > MAX_HEADERS:
        raise ReplyError("too_big", f"the answer has more than {MAX_HEADERS} headers")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and headers:  # obsolete folding: one space (RFC 9112 5.2)
            folded_name, folded = headers[-1]
            headers[-1] = (folded_name, folded + " " + line.strip().decode("latin-1"))
            continue
        name, sep, value = line.partition(b":")
        if not sep or not _TOKEN.fullmatch(name):
            raise ReplyError("malformed", "the answer has a header line that is not a header")
        headers.append((name.decode("ascii").lower(), value.strip().decode("latin-1")))
    return int(m.group(1)), (m.group(2) or b"").decode("latin-1"), headers


def _length(headers: list[tuple[str, str]], status: int) -> int | None:
    values = {v for k, v in headers if k == "content-length"}
    if not values:
        return None
    if len(values) > 1 or not all(v.isascii() and v.isdigit() for v in values):
        raise ReplyError("malformed", "the answer's Content-Length is not one number", status)
    value = values.pop().lstrip("0") or "0"
    if len(value) > 12:
        # int() of thousands of digits raises (and costs); no answer we read is that long
        raise ReplyError("too_big", f"the answer's body exceeds {MAX_BODY} bytes", status)
    return int(value)


def _chunked(r: _Reader, status: int, cap: int) -> bytes:
    body = bytearray()
    while True:
        while (end := r.buf.find(b"\n")) < 0:
            if len(r.buf) > 1024 or r.eof:
                raise ReplyError("malformed", "the answer's chunked body is broken", status)
            r.fill(status)
        line = r.take(end + 1).rstrip(b"\r\n")
        m = _CHUNK.fullmatch(line)
        if not m:
            raise ReplyError("malformed", "the answer's chunked body is broken", status)
        size = int(m.group(1), 16)
        if size == 0:
            _trailer(r, status)
            return bytes(body)
        if len(body) + size > cap:
            raise ReplyError("too_big", f"the answer's body exceeds {cap} bytes", status)
        while len(r.buf) < size + 2:
            if r.eof:
                raise ReplyError("closed", "the connection ended in the answer's body", status)
            r.fill(status)
        body += r.take(size)
        if r.take(2) != b"\r\n":
            raise ReplyError("malformed", "the answer's chunked body is broken", status)


def _trailer(r: _Reader, status: int) -> None:
    for _ in range(MAX_HEADERS + 1):
        while (end := r.buf.find(b"\n")) < 0:
            if len(r.buf) > 8192 or r.eof:
                raise ReplyError("malformed", "the answer's chunked body is broken", status)
            r.fill(status)
        if not r.take(end + 1).strip():
            return
    raise ReplyError("too_big", "the answer's trailer is too long", status)


def read_reply(
    sock: socket.socket,
    timeout: float,
    *,
    head_request: bool = False,
    max_body: int = MAX_BODY,
    clock: Callable[[], float] = time.monotonic,
) -> Reply:
    """The response to the request just written on ``sock``, complete within ``timeout``
    seconds. Raises ReplyError."""
    r = _Reader(sock, clock() + timeout, clock)
    budget = MAX_HEAD
    for _ in range(MAX_INTERIM + 1):
        raw, budget = _head(r, budget)
        status, reason, headers = _parse_head(raw)
        if status == 101:
            raise ReplyError("malformed", "the server switched protocols")
        if status >= 200:
            break
    else:
        raise ReplyError("malformed", f"more than {MAX_INTERIM} interim (1xx) answers")
    te = ",".join(v for k, v in headers if k == "transfer-encoding").lower()
    close = any(k == "connection" and "close" in v.lower() for k, v in headers)
    if head_request or status in (204, 304):
        body = b""
    elif te.replace(" ", "").endswith("chunked"):
        body = _chunked(r, status, max_body)
    elif te:
        raise ReplyError("malformed", f"unknown Transfer-Encoding {te[:40]!r}", status)
    elif (length := _length(headers, status)) is not None:
        if length > max_body:
            raise ReplyError("too_big", f"the answer's body exceeds {max_body} bytes", status)
        while len(r.buf) < length:
            if r.eof:
                raise ReplyError("closed", "the connection ended in the answer's body", status)
            r.fill(status)
        body = r.take(length)
    else:  # the body ends when the connection does
        while not r.eof:
            if len(r.buf) > max_body:
                raise ReplyError("too_big", f"the answer's body exceeds {max_body} bytes", status)
            r.fill(status)
        body, close = r.take(len(r.buf)), True
    # Bytes beyond the answer were never asked for: they would be read as the next answer.
    reusable = not close and not r.eof and not r.buf
    return Reply(status, reason, tuple(headers), body, reusable)
