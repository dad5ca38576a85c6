"""Loopback ports for the tests: bounded in count and time, 127.0.0.1 only."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

import pytest
import trustme


def free_port() -> int:
    """A port nothing listens on right now (the caller binds it soon after)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_server_context(
    ca: trustme.CA, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
) -> ssl.SSLContext:
    """A server-side TLS context with a certificate from ``ca`` for ``hosts``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hosts).configure_cert(context)
    return context


def wait_for_port(port: int, proc: subprocess.Popen, within: float = 60) -> None:
    """Connect attempts until one succeeds, the process dies, or the deadline passes."""
    deadline = time.monotonic() + within
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"nothing listened on {port} within {within}s")
        try:
            proc.wait(timeout=0.05)  # paces the loop and notices an early exit
        except subprocess.TimeoutExpired:
            continue
        err = proc.stderr.read() if proc.stderr is not None else b""
        pytest.fail(f"the process exited with {proc.returncode}: {err!r}")


class ConnectionCounter:
    """A plain TCP listener on loopback that counts accepted connections, whatever they carry
    (a preconnect opens a socket and sends nothing, so an HTTP server would record no request).
    A context manager: the accepting thread ends with the block."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._sock.settimeout(0.05)  # so the loop sees `stop` promptly
        self.port: int = self._sock.getsockname()[1]
        self.accepted: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="connection-counter")

    def _accept_one(self) -> bool:
        try:
            conn, peer = self._sock.accept()
        except (TimeoutError, BlockingIOError):
            return False
        with self._lock:
            self.accepted.append(f"{peer[0]}:{peer[1]}")
        conn.close()
        return True

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                self._accept_one()
            except OSError:
                return

    def settled(self) -> list[str]:
        """Every connection so far, including any still waiting in the backlog."""
        while self._accept_one():
            pass
        with self._lock:
            return list(self.accepted)

    def __enter__(self) -> ConnectionCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._sock.close()
        assert not self._thread.is_alive()


class _Server(Protocol):
    def start(self) -> object: ...
    def stop(self) -> None: ...


S = TypeVar("S", bound=_Server)


@contextmanager
def started(make: Callable[..., S]) -> Iterator[Callable[..., S]]:
    """A factory that builds and starts servers; all of them are stopped when the block ends,
    whatever happened in it (the fixtures' ``make_server``, ``make_api``, ``hostile``)."""
    servers: list[S] = []

    def start(*args: object, **kwargs: object) -> S:
        server = make(*args, **kwargs)
        server.start()
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()
