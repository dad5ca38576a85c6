"""A smoke test of the benchmark's delay proxy (bench/delay_proxy.py), run with the unit tests:
it forwards both ways, adds about the round trip asked (never less), does not serialise
chunks that follow each other (a pipelined group costs one round trip, not one per chunk),
passes an end of stream on, and stops its threads. An echo server on 127.0.0.1 is the peer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from bench.delay_proxy import DelayProxy

RTT = 0.1


@pytest.fixture
def echo() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            while data := conn.recv(4096):
                conn.sendall(data)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield server.getsockname()[1]
    server.close()
    t.join(5)


def _read(sock: socket.socket, n: int) -> bytes:
    got = b""
    while len(got) < n:
        chunk = sock.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return got


def test_the_proxy_adds_the_round_trip_and_passes_everything_on(echo: int) -> None:
    with DelayProxy(echo, RTT) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
            start = time.monotonic()
            sock.sendall(b"ping")
            assert _read(sock, 4) == b"ping"
            one = time.monotonic() - start
            # Three writes back to back: delayed together, not one after another.
            start = time.monotonic()
            for part in (b"MAIL\r\n", b"RCPT\r\n", b"DATA\r\n"):
                sock.sendall(part)
            assert _read(sock, 18) == b"MAIL\r\nRCPT\r\nDATA\r\n"
            group = time.monotonic() - start
            sock.shutdown(socket.SHUT_WR)  # the end of stream reaches the echo and comes back
            assert sock.recv(10) == b""
        assert proxy.connections == 1
    assert RTT * 0.95 <= one < RTT * 10
    assert RTT * 0.95 <= group < RTT * 2.5  # not 3 round trips
