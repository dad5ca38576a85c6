"""Background work in the GUI: ``run_task(func, on_result, on_error, owner=...)`` for every
job off the UI thread, and ``TaskRunner``, the same for a dialog with a count of what runs.
(The one exception is the send thread, which reports progress while it runs: it lives with
its one owner, ``composer.gui.sending.SendController``.)

Every task ends with exactly one callback, result or error (Picard's run_task habit); results
reach the UI thread by queued signals. Workers get plain data (Draft snapshots,
OutgoingMessages), never widgets. A task may outlive its window: the emitter belongs to the
task and the receiver to the window, so closing at any moment prints nothing (issue 12; the
emitter used to be the window's child, and a worker finishing after the window was deleted
raised "Signal source has been deleted").
"""

from __future__ import annotations

import itertools
import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QRunnable,
    Qt,
    QThreadPool,
    Signal,
    Slot,
)

log = logging.getLogger(__name__)


class _Signals(QObject):
    """The sending end, one per task and owned by it (not by the receiver): it lives until the
    worker has emitted, whatever happened to the window meanwhile."""

    done = Signal(object)  # (token, ok, value)


class _Hub(QObject):
    """The receiving end: one per owner, its child, holding each pending task's callbacks by
    token. Qt delivers a worker's result here through a queued connection; when the owner is
    deleted the hub goes with it, Qt drops the connection and any result still queued, and no
    callback runs. ``cancel()`` (the window closing) forgets the pending callbacks at once.

    The callbacks are looked up here, never connected to signals themselves: with PySide 6.12,
    closures connected to a short-lived QObject crashed at its deletion ("QObject: shared
    QObject was deleted directly") once a signal emitted from one had been disconnected, which
    is what pytest-qt's ``waitSignal`` does."""

    def __init__(self, owner: QObject) -> None:
        super().__init__(owner)
        self.setObjectName(_HUB_NAME)
        self._ids = itertools.count()
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[Any], None]]] = {}

    def add(self, on_result: Callable[[Any], None], on_error: Callable[[Any], None]) -> int:
        token = next(self._ids)
        self._callbacks[token] = (on_result, on_error)
        return token

    def cancel(self) -> None:
        self._callbacks.clear()

    @Slot(object)
    def deliver(self, outcome: tuple[int, bool, Any]) -> None:
        token, ok, value = outcome
        callbacks = self._callbacks.pop(token, None)
        if callbacks is not None:  # None: cancelled, the owner is closing
            callbacks[0 if ok else 1](value)


_HUB_NAME = "composerTaskHub"


def _hub(owner: QObject) -> _Hub:
    found = owner.findChild(_Hub, _HUB_NAME, Qt.FindChildOption.FindDirectChildrenOnly)
    return found if isinstance(found, _Hub) else _Hub(owner)


class _Task(QRunnable):
    def __init__(self, func: Callable[[], Any], token: int, signals: _Signals) -> None:
        super().__init__()
        self.func = func
        self.token = token
        self.signals = signals
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            outcome = (self.token, True, self.func())
        except BaseException as exc:
            log.debug("task failed:\n%s", traceback.format_exc())
            outcome = (self.token, False, exc)
        try:
            self.signals.done.emit(outcome)
        except RuntimeError:  # never expected (the task owns its emitter); never a traceback
            log.debug("task result dropped:\n%s", traceback.format_exc())
        self.func = self.signals = None  # type: ignore[assignment]  # released in this thread


def run_task(
    func: Callable[[], Any],
    on_result: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    *,
    pool: QThreadPool | None = None,
    owner: QObject | None = None,
) -> None:
    """Run ``func`` on the pool; then exactly one of the callbacks runs on the thread that owns
    ``owner`` (the UI) - unless ``owner`` has been deleted or ``cancel_tasks(owner)`` was
    called meanwhile: then neither runs, and nothing is printed."""
    receiver = owner if owner is not None else QCoreApplication.instance()
    if receiver is None:
        raise RuntimeError("run_task needs an owner or a QApplication")
    hub = _hub(receiver)
    signals = _Signals()  # no parent: the task owns it, so it outlives any window
    signals.done.connect(hub.deliver)  # queued: the hub lives on the UI thread
    (pool or QThreadPool.globalInstance()).start(_Task(func, hub.add(on_result, on_error), signals))


def cancel_tasks(owner: QObject) -> None:
    """Forget the callbacks of ``owner``'s tasks still running (the window is closing): their
    work finishes on the pool, their results go nowhere."""
    hub = owner.findChild(_Hub, _HUB_NAME, Qt.FindChildOption.FindDirectChildrenOnly)
    if isinstance(hub, _Hub):
        hub.cancel()


class TaskRunner(QObject):
    """``run_task`` for one dialog, counting what is still running: ``pending``, and ``idle``
    when the last task has called back (tests and Close wait on it). The same hub, the same
    promise: exactly one callback per task, none once the dialog is gone."""

    idle = Signal()

    def __init__(self, owner: QObject) -> None:
        super().__init__(owner)
        self.pending = 0

    def run(
        self,
        func: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run ``func`` off the UI thread; exactly one of the callbacks runs on the UI thread."""
        self.pending += 1
        run_task(
            func,
            lambda value: self._done(on_result, value),
            lambda exc: self._done(on_error, exc),
            owner=self,
        )

    def _done(self, callback: Callable[[Any], None], value: Any) -> None:
        self.pending -= 1
        try:
            callback(value)
        finally:
            if self.pending == 0:
                self.idle.emit()
