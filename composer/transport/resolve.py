"""Host names looked up under a wall-clock deadline.

``socket.getaddrinfo`` has no timeout: a resolver that never answers holds the calling thread
for as long as the system's resolver likes (minutes, with retries), past any ``--timeout``. So
a name is looked up on a daemon thread and waited for with a deadline; the caller then
connects to the address it got, while TLS still checks the name it was given (SNI and the
certificate are the caller's ``server_hostname``, never the address).

Bounded: one thread per name being looked up (two sessions asking for the same name share the
one lookup), at most ``max_pending`` names at a time. A lookup that never returns keeps its
thread, a daemon that cannot keep the process alive, and its slot until it does; past the cap
a new name is refused at once rather than starting ever more threads. An address written as
an address (127.0.0.1, ::1) is read without any lookup or thread.

One resolver serves the SMTP and REST sessions, the events client (through the REST session)
and the online link check.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from composer.core.errors import Cancelled, ConnectError

__all__ = ["AddrInfo", "Resolver", "resolve", "resolver", "with_port"]

AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]
MAX_PENDING = 16
_POLL = 0.2  # how often a wait looks at ``stop``: Cancel is seen within this


def _system_lookup(host: str) -> list[AddrInfo]:
    return [(f, k, p, n, tuple(sa)) for f, k, p, n, sa in socket.getaddrinfo(
        host, None, 0, socket.SOCK_STREAM
    )]  # fmt: skip


def with_port(infos: list[AddrInfo], port: int) -> list[AddrInfo]:
    """The lookup is by name alone (so that one lookup serves every port); the port goes in
    here: (address, port) for IPv4, (address, port, flowinfo, scope) for IPv6."""
    return [(f, k, p, name, (sa[0], port, *sa[2:])) for f, k, p, name, sa in infos]


class Resolver:
    def __init__(
        self,
        lookup: Callable[[str], list[AddrInfo]] | None = None,
        *,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self._lookup = lookup or _system_lookup
        self.max_pending = max_pending
        self._lock = threading.Lock()
        self._pending: dict[str, Future[list[AddrInfo]]] = {}

    @property
    def pending(self) -> int:
        """Names being looked up now (a lookup that never returned included)."""
        with self._lock:
            return len(self._pending)

    def resolve(
        self,
        host: str,
        port: int,
        timeout: float,
        *,
        stop: Callable[[], bool] | None = None,
    ) -> list[AddrInfo]:
        """The addresses of ``host`` (each with ``port``), within ``timeout`` seconds.

        Raises ConnectError: "could not resolve HOST within N s", a name that does not exist,
        or too many lookups pending; Cancelled once ``stop()`` is true."""
        numeric = _numeric(host, port)
        if numeric is not None:
            return numeric
        future = self._start(host)
        deadline = time.monotonic() + timeout
        while True:
            if stop is not None and stop():
                raise Cancelled("cancelled before it was sent")
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConnectError(f"could not resolve {host} within {timeout:.3g} s")
            try:
                infos = future.result(timeout=min(left, _POLL))
            except TimeoutError:
                continue
            except socket.gaierror as exc:
                raise ConnectError(f"cannot find the host {host!r} ({exc.strerror})") from None
            except OSError as exc:
                raise ConnectError(f"cannot find the host {host!r} ({exc})") from None
            if not infos:
                raise ConnectError(f"cannot find the host {host!r} (no address)")
            return with_port(infos, port)

    def _start(self, host: str) -> Future[list[AddrInfo]]:
        key = host.lower()
        with self._lock:
            future = self._pending.get(key)
            if future is not None:
                return future
            if len(self._pending) >= self.max_pending:
                raise ConnectError(
                    f"could not resolve {host}: {len(self._pending)} name lookups are still "
                    "waiting for the system's resolver"
                )
            future = Future()
            self._pending[key] = future
        lookup = self._lookup

        def run() -> None:
            try:
                result = lookup(host)
            except BaseException as exc:  # handed to the waiter, who says what it was
                future.set_exception(exc)
            else:
                future.set_result(result)
            finally:
                with self._lock:
                    self._pending.pop(key, None)

        # daemon: a lookup the resolver sits on must not keep the process alive
        threading.Thread(target=run, name=f"resolve {host}", daemon=True).start()
        return future


def _numeric(host: str, port: int) -> list[AddrInfo] | None:
    """An address written as one: read at once, no lookup (AI_NUMERICHOST never asks DNS)."""
    try:
        found = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        return None
    return [(f, k, p, n, tuple(sa)) for f, k, p, n, sa in found]


_shared = Resolver()


def resolver() -> Resolver:
    """The one resolver of the process (its cap counts every lookup of every caller)."""
    return _shared


def resolve(
    host: str, port: int, timeout: float, *, stop: Callable[[], bool] | None = None
) -> list[AddrInfo]:
    """``Resolver.resolve`` on the process's shared resolver."""
    return _shared.resolve(host, port, timeout, stop=stop)
