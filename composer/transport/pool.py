"""The connections of one batch: N worker threads, each with its own session, taking the next
message in input order and handing back results that are reported in input order.

Why threads and not asyncio: every blocking step of a send is already written, bounded and
tested as synchronous code (wire.BoundedSMTP, rest/wire.py, the outbox's SQLite commits), and
the sockets spend their time waiting on the network, where the GIL is released. A worker per
connection keeps each connection's rules (≤ 100 messages, reconnect when idle, never resend
after the final ".") exactly where they are, in its session. N is small (1-20).

Shared by the workers: the abort (a failure every later message would meet too stops them
all), one back-off (a Retry-After answered to one connection holds every connection until it
has passed: the API's rate limit is per account, not per connection), and Cancel, which a
watcher thread turns into ``interrupt()`` on every session (base.Interruptible).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from composer.core.build import OutgoingMessage
from composer.core.errors import ExitCode
from composer.core.outcome import MessageResult, Status
from composer.transport.base import SendSession

if TYPE_CHECKING:
    from composer.transport.batch import Hooks

Attempt = Callable[[int, OutgoingMessage, SendSession, Callable[[float], bool]], MessageResult]

MAX_CONNECTIONS = 20  # the ceiling `--connections` and a profile accept


class Abort(Exception):
    """A failure every remaining message would hit too."""

    def __init__(self, reason: str, exit_code: ExitCode) -> None:
        super().__init__(reason)
        self.exit_code = exit_code


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


class Pool:
    def __init__(self, messages: list[OutgoingMessage], connections: int, hooks: Hooks) -> None:
        self._messages = messages
        self._n = max(1, min(connections, len(messages)))
        self._hooks = hooks
        self._lock = threading.Lock()
        self._next = 0
        self._results: list[MessageResult | None] = [None] * len(messages)
        self._emitted = 0
        self._draining = False
        self._not_before = 0.0
        self._gate_owner: int | None = None  # the thread whose answer set _not_before
        self._sessions: list[SendSession] = []
        self._interrupting = False
        self._finished = threading.Event()
        self._errors: list[BaseException] = []
        self.abort: Abort | None = None
        cancel = hooks.cancel
        self.wait: Callable[[float], bool] = hooks.wait or (cancel.wait if cancel else _sleep)

    # --- shared state --------------------------------------------------------------------

    def is_cancelled(self) -> bool:
        hooks = self._hooks
        if hooks.cancel is not None and hooks.cancel.is_set():
            return True
        return hooks.cancelled is not None and hooks.cancelled()

    @property
    def cancelled(self) -> bool:
        return any(r is not None and r.status is Status.CANCELLED for r in self._results)

    def stop(self, abort: Abort) -> None:
        with self._lock:
            if self.abort is None:
                self.abort = abort

    def back_off(self, seconds: float) -> None:
        """Every other connection waits ``seconds`` from now before its next attempt (the
        one that was told waits them out itself, before its retry)."""
        if seconds > 0:
            with self._lock:
                until = time.monotonic() + seconds
                if until > self._not_before:
                    self._not_before, self._gate_owner = until, threading.get_ident()

    def hold_back(self, wait: Callable[[float], bool]) -> bool:
        """Wait out the shared back-off; True when cancelled meanwhile."""
        while True:
            with self._lock:
                mine = self._gate_owner == threading.get_ident()
                left = 0.0 if mine else self._not_before - time.monotonic()
            if left <= 0:
                return False
            if wait(left):
                return True

    def interrupt(self, session: SendSession) -> None:
        _interrupt(session)

    def connections_opened(self) -> int:
        return sum(getattr(s, "connections_opened", 0) for s in self._sessions)

    def ordered(self) -> list[MessageResult]:
        return [r for r in self._results if r is not None]

    # --- running -------------------------------------------------------------------------

    def run(
        self,
        session: SendSession | None,
        factory: Callable[[], SendSession] | None,
        attempt: Attempt,
    ) -> None:
        watcher = None
        if self._hooks.cancel is not None:
            watcher = threading.Thread(target=self._watch_cancel, name="send-cancel", daemon=True)
            watcher.start()
        try:
            if session is not None:
                self._register(session)
                self._work(session, attempt)
            elif self._n == 1:
                assert factory is not None
                self._worker(factory, attempt)  # on the caller's thread, as always
            else:
                assert factory is not None
                threads = [
                    threading.Thread(
                        target=self._worker, args=(factory, attempt), name=f"send-{n}", daemon=True
                    )
                    for n in range(self._n)
                ]
                for t in threads:
                    t.start()
                try:
                    for t in threads:
                        t.join()
                except BaseException:  # a second Ctrl+C: stop now, take nothing more
                    with self._lock:
                        self._next = len(self._messages)
                        self._interrupting = True
                        sessions = list(self._sessions)
                    for s in sessions:
                        _interrupt(s)
                    raise
        finally:
            self._finished.set()
            if watcher is not None:
                watcher.join()
        if self._errors:
            raise self._errors[0]  # a bug in a worker: never hidden behind a partial report

    def _worker(self, factory: Callable[[], SendSession], attempt: Attempt) -> None:
        session = factory()
        self._register(session)
        try:
            self._work(session, attempt)
        except BaseException as exc:
            with self._lock:
                self._errors.append(exc)
            if threading.current_thread() is threading.main_thread():
                raise
        finally:
            session.close()

    def _register(self, session: SendSession) -> None:
        with self._lock:
            self._sessions.append(session)
            late = self._interrupting
        if late:
            _interrupt(session)

    def _take(self) -> int | None:
        with self._lock:
            if self._next >= len(self._messages) or self._errors:
                return None
            i, self._next = self._next, self._next + 1
            return i

    def _work(self, session: SendSession, attempt: Attempt) -> None:
        """Each worker holds its next message while it sends the current one, and tells the
        session (``expect``), which may pipeline that one's envelope behind this one's final
        "." (smtp/transaction.py). Input order of the report is kept by ``_settle``."""
        expect = getattr(session, "expect", None)
        i = self._take()
        while i is not None:
            nxt = self._take()
            if expect is not None:
                expect(self._messages[nxt] if nxt is not None else None)
            self._settle(attempt(i, self._messages[i], session, self.wait))
            i = nxt

    def _settle(self, result: MessageResult) -> None:
        """Record at once (``on_settled``); report in input order (``on_result``), by
        whichever thread completes the next result in line, outside the lock."""
        if self._hooks.on_settled is not None:
            self._hooks.on_settled(result)
        with self._lock:
            self._results[result.index] = result
            if self._draining:
                return
            self._draining = True
        while True:
            with self._lock:
                nxt = self._results[self._emitted] if self._emitted < len(self._results) else None
                if nxt is None:
                    self._draining = False
                    return
                self._emitted += 1
            if self._hooks.on_result is not None:
                try:
                    self._hooks.on_result(nxt)
                except BaseException:
                    with self._lock:
                        self._draining = False
                    raise

    def _watch_cancel(self) -> None:
        cancel = self._hooks.cancel
        assert cancel is not None
        while not self._finished.is_set():
            if cancel.wait(0.05):
                with self._lock:
                    self._interrupting = True
                    sessions = list(self._sessions)
                for s in sessions:
                    _interrupt(s)
                return


def _interrupt(session: SendSession) -> None:
    stop = getattr(session, "interrupt", None)
    if stop is not None:
        stop()
