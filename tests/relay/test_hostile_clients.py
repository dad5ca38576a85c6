"""The local relay's SMTP and HTTP sides against hostile clients, over loopback with raw
sockets: slow, endless, oversized, malformed. Each must get an answer (or be dropped) within a
bounded time, cost bounded memory, and never put a traceback on the relay's terminal."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import composer_command
from support.net import free_port, wait_for_port

from composer.relay import LocalHttpRelay, LocalRelay
from composer.relay.limits import MAX_HEAD, MAX_HTTP_BODY, MAX_MESSAGE

SHORT = 1.0  # the timeouts the relays under test are given
BOUND = SHORT + 2.5  # what the test allows before calling it a hang


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.settimeout(10)
    return s


def read_all(s: socket.socket, within: float = 10) -> bytes:
    """Everything until the peer closes, or what came by ``within`` seconds."""
    out = b""
    end = time.monotonic() + within
    while (left := end - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            piece = s.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            break
        if not piece:
            break
        out += piece
    return out


def http_answer(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body else {}


# --- HTTP side -------------------------------------------------------------------------------


@pytest.fixture
def http_relay(tmp_path: Path) -> Iterator[LocalHttpRelay]:
    with LocalHttpRelay(tmp_path / "Maildir", idle_timeout=SHORT, request_timeout=SHORT,
                        max_connections=3) as relay:  # fmt: skip
        yield relay


def ask(relay: LocalHttpRelay, raw: bytes) -> tuple[int, dict, float]:
    start = time.monotonic()
    with connect(relay.port) as s:
        s.sendall(raw)
        status, doc = http_answer(read_all(s))
    return status, doc, time.monotonic() - start


def post(body: bytes, *headers: str, length: str | None = None) -> bytes:
    lines = ["POST /api/v1/transmissions HTTP/1.1", "Authorization: any",
             "Content-Type: application/json", "Connection: close",
             f"Content-Length: {len(body) if length is None else length}", *headers]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


MALFORMED = [
    ("not_json", post(b"{{{{{"), 400, "invalid JSON"),
    ("not_utf8", post(b'{"a": "\xff\xfe"}'), 400, "invalid JSON"),
    ("deep", post(b"[" * 100_000 + b"]" * 100_000), 400, "invalid JSON"),
    ("huge_int", post(b'{"recipients": ' + b"9" * 5000 + b"}"), 400, "invalid JSON"),
    ("array", post(b"[1, 2]"), 422, "invalid data format/type"),
    ("lone_surrogate", post(json.dumps({"recipients": [{"address": "a@example.com"}],
                                        "content": {"email_rfc822": "From: a@example.com\r\n"
                                                    "\r\n\ud800"}}).encode()),
     422, "invalid data format/type"),
    ("nul_in_content", post(json.dumps({"recipients": [{"address": "a@example.com"}],
                                        "content": {"email_rfc822": "From: a@example.com\r\n"
                                                    "\r\nx\u0000y\r\n"}}).encode()),
     422, "invalid data format/type"),
    ("superscript_length", post(b"{}", length="\u00b2"), 411, "Length Required"),
    ("two_lengths", post(b"{}", "Content-Length: 7"), 411, "Length Required"),
    ("chunked", post(b"", "Transfer-Encoding: chunked"), 411, "Length Required"),
    ("too_large", post(b"", length=str(MAX_HTTP_BODY + 1)), 413, "request too large"),
    ("garbage_line", b"\xff\xfe\x00 garbage\r\n\r\n", 400, "Bad Request"),
    ("nul_in_path", b"GET /api/v1/acc\x00ount HTTP/1.1\r\nConnection: close\r\n\r\n", 404,
     "resource not found"),
    ("bare_cr_header", b"GET /api/v1/account HTTP/1.1\r\nAuthorization: a\rb\r\n"
                       b"Connection: close\r\n\r\n", 200, ""),
    ("head_too_large", b"GET /api/v1/account HTTP/1.1\r\n"
     + b"".join(b"X-%d: %s\r\n" % (i, b"a" * 1000) for i in range(MAX_HEAD // 1000 + 2))
     + b"\r\n", 431, "Request Header Fields Too Large"),
    ("long_request_line", b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, ""),
    ("unknown_method", b"BREW /api/v1/transmissions HTTP/1.1\r\n\r\n", 501, "Not Implemented"),
]


@pytest.mark.parametrize(("raw", "status", "message"), [m[1:] for m in MALFORMED],
                         ids=[m[0] for m in MALFORMED])  # fmt: skip
def test_a_malformed_request_gets_an_api_error_not_a_traceback(
    http_relay: LocalHttpRelay, capfd: pytest.CaptureFixture[str], raw: bytes, status: int,
    message: str,
) -> None:  # fmt: skip
    got, doc, took = ask(http_relay, raw)
    assert got == status, doc
    if message:
        assert doc["errors"][0]["message"] == message
    assert took < BOUND
    assert "Traceback" not in capfd.readouterr().err
    # and the relay still serves
    ok, _, _ = ask(http_relay, b"GET /api/v1/account HTTP/1.1\r\nAuthorization: k\r\n"
                               b"Connection: close\r\n\r\n")  # fmt: skip
    assert ok == 200


def dripped(relay: LocalHttpRelay, first: bytes, drip: bytes) -> float:
    """Sends ``first``, then ``drip`` a byte every 0.1 s until the relay hangs up; how long
    the relay put up with it."""
    start = time.monotonic()
    with connect(relay.port) as s:
        s.sendall(first)
        for byte in drip:
            try:
                s.sendall(bytes([byte]))
            except OSError:
                break
            if time.monotonic() - start > 15:
                pytest.fail("the relay put up with a dripping client for 15 s")
            s.settimeout(0.1)
            try:
                if s.recv(65536) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
    return time.monotonic() - start


@pytest.mark.parametrize(
    ("first", "drip"),
    [
        (b"", b"GET /api/v1/account HTTP/1.1\r\n" * 10),  # the request line itself
        (b"GET /api/v1/account HTTP/1.1\r\n", b"X-Slow: " + b"a" * 400),  # a header
        (post(b"{" * 200, length="400"), b"}" * 400),  # the body
    ],
    ids=["request_line", "headers", "body"],
)
def test_a_dripping_client_is_dropped_within_the_request_timeout(
    http_relay: LocalHttpRelay, first: bytes, drip: bytes
) -> None:
    assert dripped(http_relay, first, drip) < BOUND


def test_an_idle_connection_is_closed_after_the_idle_timeout(http_relay: LocalHttpRelay) -> None:
    start = time.monotonic()
    with connect(http_relay.port) as s:
        assert read_all(s) == b""
    assert time.monotonic() - start < BOUND


def test_connections_beyond_the_cap_get_a_503_at_once(http_relay: LocalHttpRelay) -> None:
    held = [connect(http_relay.port) for _ in range(3)]
    try:
        time.monotonic()
        with connect(http_relay.port) as s:
            status, doc = http_answer(read_all(s, within=2))
        assert status == 503 and doc["errors"][0]["message"] == "Service Unavailable"
    finally:
        for s in held:
            s.close()
    # the slots come back as the held connections end
    deadline = time.monotonic() + BOUND
    while True:
        status, _, _ = ask(http_relay, b"GET /api/v1/account HTTP/1.1\r\nAuthorization: k\r\n"
                                       b"Connection: close\r\n\r\n")  # fmt: skip
        if status == 200 or time.monotonic() > deadline:
            break
    assert status == 200


def test_a_client_that_resets_mid_answer_leaves_no_traceback(
    http_relay: LocalHttpRelay, capfd: pytest.CaptureFixture[str]
) -> None:
    with connect(http_relay.port) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.sendall(b"GET /api/v1/account HTTP/1.1\r\nAuthorization: k\r\n\r\n" * 200)
    status, _, _ = ask(http_relay, b"GET /api/v1/account HTTP/1.1\r\nAuthorization: k\r\n"
                                   b"Connection: close\r\n\r\n")  # fmt: skip
    assert status == 200
    assert "Traceback" not in capfd.readouterr().err


# --- SMTP side -------------------------------------------------------------------------------


@pytest.fixture
def smtp_relay(tmp_path: Path) -> Iterator[LocalRelay]:
    with LocalRelay(tmp_path / "Maildir", idle_timeout=SHORT, max_message=64 * 1024) as relay:
        yield relay


class Client:
    def __init__(self, port: int) -> None:
        self.s = connect(port)
        self.f = self.s.makefile("rb")
        self.greeting = self.reply()

    def reply(self) -> bytes:
        lines = []
        while True:
            line = self.f.readline(2048)
            lines.append(line)
            if line[3:4] != b"-":
                return b"".join(lines)

    def cmd(self, line: bytes) -> bytes:
        self.s.sendall(line + b"\r\n")
        return self.reply()

    def envelope(self) -> None:
        assert self.cmd(b"EHLO test").startswith(b"250")
        assert self.cmd(b"MAIL FROM:<ann@example.com>").startswith(b"250")
        assert self.cmd(b"RCPT TO:<bob@example.com>").startswith(b"250")
        assert self.cmd(b"DATA").startswith(b"354")

    def close(self) -> None:
        self.f.close()
        self.s.close()


def delivered(tmp_path: Path) -> int:
    new = tmp_path / "Maildir" / "new"
    return len(list(new.iterdir())) if new.is_dir() else 0


def test_the_documented_limits_are_the_defaults(tmp_path: Path) -> None:
    relay = LocalRelay(tmp_path / "Maildir")
    assert relay.max_message == MAX_MESSAGE == 20 * 1024 * 1024
    assert relay.idle_timeout == 60  # seeds/000: idle connections dropped after 1 minute
    with relay:
        c = Client(relay.port)
        assert b"250-SIZE 20971520" in c.cmd(b"EHLO test")
        big = b"MAIL FROM:<ann@example.com> SIZE=%d" % (MAX_MESSAGE + 1)
        assert c.cmd(big).startswith(b"552")
        c.close()


def test_data_over_the_limit_is_refused_and_nothing_kept(
    smtp_relay: LocalRelay, tmp_path: Path
) -> None:
    c = Client(smtp_relay.port)
    c.envelope()
    c.s.sendall(b"Subject: big\r\n\r\n" + b"x" * 998 + b"\r\n" * 1 + (b"y\r\n" * 30_000))
    assert c.cmd(b".").startswith(b"552")
    assert c.cmd(b"NOOP").startswith(b"250")  # the session goes on
    c.close()
    assert delivered(tmp_path) == 0


def test_many_empty_lines_cost_one_buffer_not_an_object_each(tmp_path: Path) -> None:
    # 8 MB of empty lines made aiosmtpd's DATA hold 4 million bytearrays: 690 MB.
    import tracemalloc

    with LocalRelay(tmp_path / "Maildir", idle_timeout=30) as relay:
        c = Client(relay.port)
        c.envelope()
        c.s.settimeout(25)  # tracemalloc slows every allocation down
        tracemalloc.start()
        try:
            c.s.sendall(b"Subject: empty lines\r\n\r\n" + b"\r\n" * 200_000)
            assert c.cmd(b".").startswith(b"250")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        c.close()
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB for 0.4 MB of mail"


def test_a_line_over_1000_octets_is_refused(smtp_relay: LocalRelay, tmp_path: Path) -> None:
    c = Client(smtp_relay.port)
    c.envelope()
    c.s.sendall(b"Subject: long\r\n\r\n" + b"z" * 5000 + b"\r\n")
    assert c.cmd(b".").startswith(b"500")
    c.close()
    assert delivered(tmp_path) == 0


def test_dot_stuffing_is_undone(smtp_relay: LocalRelay, tmp_path: Path) -> None:
    c = Client(smtp_relay.port)
    c.envelope()
    c.s.sendall(b"From: ann@example.com\r\nSubject: dots\r\n\r\n..leading\r\n.\r\n")
    assert c.reply().startswith(b"250")
    c.close()
    (path,) = (tmp_path / "Maildir" / "new").iterdir()
    assert path.read_bytes().endswith(b"\n.leading\n")


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"Subject: a\x00b\r\n\r\nbody\r\n", b"NUL byte"),
     (b"Subject: a\rBcc: evil@example.com\r\n\r\nbody\r\n", b"bare CR"),
     (b"Subject: ok\r\n\r\nbody\rmore\r\n", b"bare CR")],
    ids=["nul", "bare_cr_header", "bare_cr_body"],
)  # fmt: skip
def test_nul_and_bare_cr_are_refused(
    smtp_relay: LocalRelay, tmp_path: Path, content: bytes, words: bytes
) -> None:
    c = Client(smtp_relay.port)
    c.envelope()
    c.s.sendall(content)
    answer = c.cmd(b".")
    assert answer.startswith(b"550 5.6.0") and words in answer
    c.close()
    assert delivered(tmp_path) == 0


def test_nul_in_an_address_is_refused(smtp_relay: LocalRelay) -> None:
    c = Client(smtp_relay.port)
    assert c.cmd(b"EHLO test").startswith(b"250")
    assert c.cmd(b"MAIL FROM:<a\x00b@example.com>").startswith(b"553")
    c.close()


@pytest.mark.parametrize("phase", ["greeting", "command", "data"])
def test_a_slow_or_silent_client_is_dropped_after_the_idle_timeout(
    smtp_relay: LocalRelay, phase: str
) -> None:
    c = Client(smtp_relay.port)
    start = time.monotonic()
    if phase == "data":
        c.envelope()
        start = time.monotonic()
    # half a command (or half a message), then a byte every 0.1 s with no line end
    drip = b"" if phase == "greeting" else b"NOOP" if phase == "command" else b"x" * 200
    for byte in drip:
        try:
            c.s.sendall(bytes([byte]))
        except OSError:
            break
        c.s.settimeout(0.1)
        try:
            if c.s.recv(4096) == b"":
                break
        except TimeoutError:
            continue
        except OSError:
            break
    else:
        c.s.settimeout(BOUND + 5)
        with contextlib.suppress(OSError):
            c.s.recv(4096)
    assert time.monotonic() - start < BOUND + 1
    c.close()


def test_endless_data_is_dropped_with_bounded_memory(smtp_relay: LocalRelay) -> None:
    c = Client(smtp_relay.port)
    c.envelope()
    start = time.monotonic()
    sent = 0
    with pytest.raises(OSError):  # the relay hangs up mid-stream
        while time.monotonic() - start < BOUND + 5:
            c.s.sendall(b"y" * 900 + b"\r\n")
            sent += 902
    assert time.monotonic() - start < BOUND + 1
    assert sent > 64 * 1024  # it was past the limit, and was still only dropped at the timeout
    c.close()


# --- the real command --------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_composer_relay_survives_hostile_clients_without_a_traceback(tmp_path: Path) -> None:
    smtp_port, http_port = free_port(), free_port()
    proc = subprocess.Popen(
        [*composer_command(), "relay", "--port", str(smtp_port), "--http-port", str(http_port),
         "--maildir", str(tmp_path / "box")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for_port(http_port, proc)
        for raw, _, _ in [m[1:] for m in MALFORMED]:
            with connect(http_port) as s:
                s.sendall(raw)
                read_all(s, within=5)
        with connect(http_port) as s:  # gone mid-answer
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.sendall(b"GET /api/v1/account HTTP/1.1\r\nAuthorization: k\r\n\r\n" * 200)
        c = Client(smtp_port)
        c.envelope()
        c.s.sendall(b"Subject: a\x00b\r\n\r\nx\r\n")
        assert c.cmd(b".").startswith(b"550")
        c.s.sendall(b"\xff\xfe\x00 garbage\r\n")
        c.close()
        status, _, _ = ask_port(http_port, b"GET /api/v1/account HTTP/1.1\r\n"
                                           b"Authorization: k\r\nConnection: close\r\n\r\n")
        assert status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    text = err.decode("utf-8", "replace")
    assert proc.returncode == 0, text
    assert "Traceback" not in text and "Exception occurred" not in text, text


def ask_port(port: int, raw: bytes) -> tuple[int, dict, float]:
    start = time.monotonic()
    with connect(port) as s:
        s.sendall(raw)
        status, doc = http_answer(read_all(s))
    return status, doc, time.monotonic() - start


def test_smtp_sessions_beyond_the_cap_get_a_421_at_once(tmp_path: Path) -> None:
    with LocalRelay(tmp_path / "Maildir", idle_timeout=30, max_connections=2) as relay:
        held = [Client(relay.port) for _ in range(2)]
        assert all(c.greeting.startswith(b"220") for c in held)
        start = time.monotonic()
        extra = Client(relay.port)
        assert extra.greeting.startswith(b"421 4.3.2") and time.monotonic() - start < BOUND
        assert extra.f.read() == b""  # and it hangs up
        extra.close()
        held.pop().close()
        deadline = time.monotonic() + BOUND
        while (again := Client(relay.port)).greeting.startswith(b"421"):
            again.close()  # the slot comes back once the relay has seen the close
            assert time.monotonic() < deadline, "the slot never came back"
        assert again.cmd(b"EHLO test").startswith(b"250")
        again.close()
        for c in held:
            c.close()
