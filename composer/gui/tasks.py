"""Background work for the window: one ``run_task`` for short jobs, and the send worker.

Every task ends with exactly one of ``finished(result)`` / ``failed(error)``, emitted from a
``try/except/finally`` (Picard's run_task habit); results reach the UI thread by queued
signals. Workers get plain data (Draft snapshots, OutgoingMessages), never widgets.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Signals(QObject):
    finished = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, func: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.func = func
        self.signals = signals
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.func()
        except BaseException as exc:
            log.debug("task failed:\n%s", traceback.format_exc())
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)


def run_task(
    func: Callable[[], Any],
    on_result: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    *,
    pool: QThreadPool | None = None,
    owner: QObject | None = None,
) -> _Signals:
    """Run ``func`` on the pool; call back on the thread that owns ``owner`` (the UI)."""
    signals = _Signals(owner)
    signals.finished.connect(on_result)
    signals.failed.connect(on_error)
    signals.finished.connect(signals.deleteLater)
    signals.failed.connect(signals.deleteLater)
    (pool or QThreadPool.globalInstance()).start(_Task(func, signals))
    return signals


class SendWorker(QThread):
    """Runs the one send path (``composer.transport.batch.send_batch``) off the UI thread.

    Emits ``progress(MessageResult)`` per message and exactly one of ``done(BatchReport)`` /
    ``failed(Exception)``. ``cancel()`` stops between messages (and during a retry wait)."""

    progress = Signal(object)
    done = Signal(object)
    failed = Signal(object)

    def __init__(self, job: Callable[[Any], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job = job
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancel_event(self) -> threading.Event:
        return self._cancel

    def run(self) -> None:
        try:
            report = self._job(self)
        except BaseException as exc:
            log.debug("send failed:\n%s", traceback.format_exc())
            self.failed.emit(exc)
        else:
            self.done.emit(report)
